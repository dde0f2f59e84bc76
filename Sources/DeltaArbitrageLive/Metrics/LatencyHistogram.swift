import Histogram

/// Durations in nanoseconds, kept in an HdrHistogram (hdrhistogram-swift's
/// `Histogram`) at three significant digits: values below 2048 ns are counted
/// exactly; above, each power-of-two range is split into 1024 sub-buckets, so
/// every recorded value is known to within 1/1024 of itself, from 1 ns to
/// `highestTrackable` (about 2.4 hours).
///
/// The counts array is sized once, at `init()`, for that whole range (no
/// auto-resize), so `record(_:)` is O(1) and allocation-free.
public struct LatencyHistogram: Sendable, Equatable {
    /// Largest value kept to bucket precision, 2⁴³ − 1 ns (≈ 2.4 h); larger
    /// values are recorded as it.
    public static let highestTrackable: Int64 = (1 << 43) - 1

    private var histogram = Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: UInt64(highestTrackable),
        numberOfSignificantValueDigits: .three)

    /// An empty histogram.
    public init() {}

    /// Records one value (negative values count as 0, values above
    /// `highestTrackable` as `highestTrackable`, so nothing is dropped).
    public mutating func record(_ nanoseconds: Int64) {
        histogram.record(UInt64(Swift.min(Swift.max(nanoseconds, 0), Self.highestTrackable)))
    }

    /// Values recorded.
    public var count: UInt64 { histogram.totalCount }

    /// Smallest value recorded, nanoseconds, exact; 0 when empty.
    public var min: Int64 { Int64(histogram.min) }

    /// Largest value recorded, nanoseconds, exact; 0 when empty.
    public var max: Int64 { Int64(histogram.maxRecorded) }

    /// The value at or below which `percentile` % of the recorded values lie,
    /// nanoseconds: the highest value of the bucket holding the value of rank
    /// ⌈percentile/100 · count⌉ (at least 1), so at most 1/1024 above the exact
    /// order statistic, and clamped to [`min`, `max`]. `percentile` is clamped
    /// to 0…100 (0 gives `min`, 100 gives `max`); 0 when empty or for NaN.
    public func value(atPercentile percentile: Double) -> Int64 {
        guard count > 0, !percentile.isNaN else { return 0 }
        return Int64(histogram.valueAtPercentile(Swift.min(Swift.max(percentile, 0), 100)))
    }

    /// Mean of the recorded values, nanoseconds, each taken at the middle of
    /// its bucket (so within 1/2048 of the exact mean); 0 when empty.
    public var mean: Double { histogram.mean }
}
