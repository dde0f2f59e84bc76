/// A borrowed, read-only view of the columns the backtest reads.
///
/// All buffers have the same count; row `i` of each is the top of book at
/// `timestamps[i]` (nanoseconds since the Unix epoch, non-decreasing).
/// The view owns nothing: the caller keeps the storage alive for as long as
/// the view is used (see `MarketData.withBookColumns(_:)` in the domain layer).
public struct BookColumns: @unchecked Sendable {
    public let timestamps: UnsafeBufferPointer<Int64>
    public let spotAsk: UnsafeBufferPointer<Double>
    public let spotBid: UnsafeBufferPointer<Double>
    public let futAsk: UnsafeBufferPointer<Double>
    public let futBid: UnsafeBufferPointer<Double>

    /// Creates a view; every buffer must have the same count.
    public init(
        timestamps: UnsafeBufferPointer<Int64>,
        spotAsk: UnsafeBufferPointer<Double>, spotBid: UnsafeBufferPointer<Double>,
        futAsk: UnsafeBufferPointer<Double>, futBid: UnsafeBufferPointer<Double>
    ) {
        precondition(
            spotAsk.count == timestamps.count && spotBid.count == timestamps.count
                && futAsk.count == timestamps.count && futBid.count == timestamps.count,
            "BookColumns: column lengths differ")
        self.timestamps = timestamps
        self.spotAsk = spotAsk
        self.spotBid = spotBid
        self.futAsk = futAsk
        self.futBid = futBid
    }

    /// Number of rows.
    @inlinable public var count: Int { timestamps.count }
}
