/// A live parameter update failed; the strategy keeps its last good thresholds
/// (the seed's `ParameterUpdateError`).
public struct ParameterUpdateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why the update was refused.
    public var reason: String
    /// An error with the reason the update was refused.
    public init(reason: String) { self.reason = reason }
    /// `parameter update failed: reason`.
    public var description: String { "parameter update failed: \(reason)" }
}

/// Market data could not be fetched for an optimisation (the seed's `DataFetchError`).
public struct DataFetchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why the fetch failed.
    public var reason: String
    /// An error with the reason the fetch failed.
    public init(reason: String) { self.reason = reason }
    /// `market data fetch failed: reason`.
    public var description: String { "market data fetch failed: \(reason)" }
}
