/// Progress of one optimisation (the seed's `OptimizationStatusEvent`).
///
/// JSON: `timestamp` (Unix seconds, wall clock), `status` (`started`,
/// `completed`, `failed`), `data_points_analyzed`, `error_message`,
/// `duration_ms` (the last two `null` when they do not apply).
public struct OptimizationStatusEvent: Sendable, Hashable, Codable {
    /// Stage of the optimisation.
    public enum Status: String, Sendable, Hashable, Codable {
        /// `started` before the grid search; `completed` with a report; `failed` when it throws.
        case started, completed, failed
    }

    /// Wall-clock time of the event, Unix seconds.
    public var timestamp: Double
    /// Stage reached.
    public var status: Status
    /// Rows in the optimisation window.
    public var dataPointsAnalyzed: Int
    /// The error's description for `failed`; nil otherwise.
    public var errorMessage: String?
    /// Milliseconds since the optimisation started, for `completed` and `failed`;
    /// nil for `started`.
    public var durationMs: Double?

    /// An event; `errorMessage` and `durationMs` default to nil.
    public init(timestamp: Double, status: Status, dataPointsAnalyzed: Int, errorMessage: String? = nil,
                durationMs: Double? = nil) {
        self.timestamp = timestamp
        self.status = status
        self.dataPointsAnalyzed = dataPointsAnalyzed
        self.errorMessage = errorMessage
        self.durationMs = durationMs
    }

    enum CodingKeys: String, CodingKey {
        case timestamp, status, dataPointsAnalyzed = "data_points_analyzed"
        case errorMessage = "error_message", durationMs = "duration_ms"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(timestamp, forKey: .timestamp)
        try c.encode(status, forKey: .status)
        try c.encode(dataPointsAnalyzed, forKey: .dataPointsAnalyzed)
        try c.encode(errorMessage, forKey: .errorMessage)  // explicit null
        try c.encodeFinite(durationMs, forKey: .durationMs)
    }
}
