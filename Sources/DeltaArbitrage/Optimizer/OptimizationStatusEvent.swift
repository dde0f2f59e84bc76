/// Which clock an event's `timestamp` reads.
///
/// JSON: `"data"` — the feed's own timestamps (the tick being processed, or
/// the newest row an optimisation saw), so a replay stamps its events with the
/// recording's times; `"wall"` — the machine's real-time clock when the event
/// happened.
public enum EventClock: String, Sendable, Hashable, Codable {
    /// Timestamps of the market data.
    case data
    /// The machine's real-time clock.
    case wall
}

/// Progress of one optimisation (the seed's `OptimizationStatusEvent`).
///
/// JSON: `timestamp` (Unix seconds on `clock`, the wall clock unless set
/// otherwise), `clock`, `status` (`started`, `completed`, `failed`),
/// `data_points_analyzed`, `error_message`, `duration_ms` (the last two `null`
/// when they do not apply).
public struct OptimizationStatusEvent: Sendable, Hashable, Codable {
    /// Stage of the optimisation.
    public enum Status: String, Sendable, Hashable, Codable {
        /// `started` before the grid search; `completed` with a report; `failed` when it throws.
        case started, completed, failed
    }

    /// Time of the event, Unix seconds on `clock`.
    public var timestamp: Double
    /// The clock `timestamp` reads (the optimiser stamps its events with the wall clock).
    public var clock: EventClock
    /// Stage reached.
    public var status: Status
    /// Rows in the optimisation window.
    public var dataPointsAnalyzed: Int
    /// The error's description for `failed`; nil otherwise.
    public var errorMessage: String?
    /// Milliseconds since the optimisation started, for `completed` and `failed`;
    /// nil for `started`.
    public var durationMs: Double?

    /// An event; `clock` defaults to the wall clock, `errorMessage` and `durationMs` to nil.
    public init(timestamp: Double, clock: EventClock = .wall, status: Status, dataPointsAnalyzed: Int,
                errorMessage: String? = nil, durationMs: Double? = nil) {
        self.timestamp = timestamp
        self.clock = clock
        self.status = status
        self.dataPointsAnalyzed = dataPointsAnalyzed
        self.errorMessage = errorMessage
        self.durationMs = durationMs
    }

    enum CodingKeys: String, CodingKey {
        case timestamp, clock, status, dataPointsAnalyzed = "data_points_analyzed"
        case errorMessage = "error_message", durationMs = "duration_ms"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(timestamp, forKey: .timestamp)
        try c.encode(clock, forKey: .clock)
        try c.encode(status, forKey: .status)
        try c.encode(dataPointsAnalyzed, forKey: .dataPointsAnalyzed)
        try c.encode(errorMessage, forKey: .errorMessage)  // explicit null
        try c.encodeFinite(durationMs, forKey: .durationMs)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        timestamp = try c.decode(Double.self, forKey: .timestamp)
        // Events written before the clock was recorded were all wall-clock.
        clock = try c.decodeIfPresent(EventClock.self, forKey: .clock) ?? .wall
        status = try c.decode(Status.self, forKey: .status)
        dataPointsAnalyzed = try c.decode(Int.self, forKey: .dataPointsAnalyzed)
        errorMessage = try c.decodeIfPresent(String.self, forKey: .errorMessage)
        durationMs = try c.decodeIfPresent(Double.self, forKey: .durationMs)
    }
}
