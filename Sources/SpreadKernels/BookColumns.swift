/// A borrowed, read-only view of the columns the backtest reads.
///
/// All buffers have the same count; row `i` of each is the top of book at
/// `timestamps[i]` (nanoseconds since the Unix epoch, non-decreasing).
/// The view owns nothing: the caller keeps the storage alive for as long as
/// the view is used (see `MarketData.withBookColumns(_:)` in the domain layer).
public struct BookColumns: @unchecked Sendable {
    /// Row times, nanoseconds since the Unix epoch, non-decreasing.
    public let timestamps: UnsafeBufferPointer<Int64>
    /// Best spot ask per row.
    public let spotAsk: UnsafeBufferPointer<Double>
    /// Best spot bid per row.
    public let spotBid: UnsafeBufferPointer<Double>
    /// Best futures ask per row.
    public let futAsk: UnsafeBufferPointer<Double>
    /// Best futures bid per row.
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

extension BookColumns {
    /// The same columns restricted to `range` (row `range.lowerBound` becomes row 0).
    public func rows(_ range: Range<Int>) -> BookColumns {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "rows out of range")
        return BookColumns(
            timestamps: UnsafeBufferPointer(rebasing: timestamps[range]),
            spotAsk: UnsafeBufferPointer(rebasing: spotAsk[range]), spotBid: UnsafeBufferPointer(rebasing: spotBid[range]),
            futAsk: UnsafeBufferPointer(rebasing: futAsk[range]), futBid: UnsafeBufferPointer(rebasing: futBid[range]))
    }

    /// First row in `range` with a timestamp at or after `time` (binary search;
    /// timestamps are non-decreasing), or `range.upperBound`.
    ///
    /// - Precondition: `range` lies within `0...count`.
    public func firstRow(atOrAfter time: Int64, in range: Range<Int>) -> Int {
        timestamps.partitionPoint(in: range) { $0 >= time }
    }
}
