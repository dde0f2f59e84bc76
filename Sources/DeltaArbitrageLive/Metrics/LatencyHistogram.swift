/// A high-dynamic-range histogram of durations in nanoseconds, in the
/// manner of HdrHistogram: values below 2048 ns are counted exactly; above,
/// each power-of-two range is split into 1024 equal sub-buckets, so every
/// recorded value is known to within 1/1024 (three significant digits) from
/// 1 ns to about 2.4 hours (2⁴³ − 1 ns), in a fixed 35 k-counter array with O(1) recording.
public struct LatencyHistogram: Sendable, Equatable {
    static let subBucketBits = 10
    static let linear = 2 << subBucketBits  // 2048 exact counters
    static let maxMagnitude = 32  // values below 2^43 ns ≈ 2.4 h
    /// Largest value kept to bucket precision, 2⁴³ − 1 ns (≈ 2.4 h); larger values
    /// are recorded as it.
    public static let highestTrackable: Int64 = (1 << (Int64(maxMagnitude) + Int64(subBucketBits) + 1)) - 1

    private var counts = [UInt64](repeating: 0, count: linear + maxMagnitude * (1 << subBucketBits))
    /// Values recorded.
    public private(set) var count: UInt64 = 0
    /// Smallest value recorded, nanoseconds; `Int64.max` when empty.
    public private(set) var min: Int64 = .max
    /// Largest value recorded, nanoseconds; 0 when empty.
    public private(set) var max: Int64 = 0
    private var sum: Double = 0

    /// An empty histogram.
    public init() {}

    /// Records one value (negative values count as 0, values above
    /// `highestTrackable` as `highestTrackable`).
    public mutating func record(_ nanoseconds: Int64) {
        let v = Swift.min(Swift.max(nanoseconds, 0), Self.highestTrackable)
        counts[Self.index(v)] += 1
        count += 1
        min = Swift.min(min, v)
        max = Swift.max(max, v)
        sum += Double(v)
    }

    static func index(_ v: Int64) -> Int {
        if v < Int64(linear) { return Int(v) }
        let magnitude = (63 - v.leadingZeroBitCount) - subBucketBits  // ≥ 1
        let sub = Int(v >> Int64(magnitude)) - (1 << subBucketBits)  // 0 ..< 1024
        return linear + (magnitude - 1) * (1 << subBucketBits) + sub
    }

    /// Largest value that falls in bucket `i`.
    static func highestEquivalent(_ i: Int) -> Int64 {
        if i < linear { return Int64(i) }
        let magnitude = (i - linear) / (1 << subBucketBits) + 1
        let sub = Int64((i - linear) % (1 << subBucketBits) + (1 << subBucketBits))
        return ((sub + 1) << Int64(magnitude)) - 1
    }

    /// The value at or below which `percentile` % of the recorded values lie
    /// (to within the bucket precision; the bucket's highest value, capped at
    /// the largest value recorded). 0 when empty or for a NaN percentile.
    public func value(atPercentile percentile: Double) -> Int64 {
        guard count > 0, !percentile.isNaN else { return 0 }
        let p = Swift.min(Swift.max(percentile, 0), 100)
        let rank = Swift.max(UInt64((p / 100 * Double(count)).rounded(.up)), 1)
        var seen: UInt64 = 0
        for (i, c) in counts.enumerated() where c > 0 {
            seen += c
            if seen >= rank { return Swift.min(Self.highestEquivalent(i), max) }
        }
        return max
    }

    /// Mean of the recorded values (0 when empty).
    public var mean: Double { count > 0 ? sum / Double(count) : 0 }
}
