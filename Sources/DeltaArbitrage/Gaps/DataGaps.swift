/// One stretch of time with no rows: the interval between two consecutive
/// rows that is longer than a gap threshold.
///
/// Everything downstream samples the book "as of" the last row, so across a
/// gap the last quotes before it are carried forward for the whole gap: the
/// spread statistics see a flat stretch that never happened, and a position
/// held across it is marked on quotes from before and after the hole.
public struct DataGap: Sendable, Hashable {
    /// The first row after the gap (0-based, in the rows the gap was found in).
    public var row: Int
    /// Time of the last row before the gap (row `row − 1`), nanoseconds since the Unix epoch.
    public var startNanoseconds: Int64
    /// Time of the first row after the gap (row `row`), nanoseconds since the Unix epoch.
    public var endNanoseconds: Int64

    /// A gap ending at `row`, from the previous row's time to this row's.
    public init(row: Int, startNanoseconds: Int64, endNanoseconds: Int64) {
        self.row = row
        self.startNanoseconds = startNanoseconds
        self.endNanoseconds = endNanoseconds
    }

    /// `end − start`, nanoseconds.
    public var durationNanoseconds: Int64 { endNanoseconds - startNanoseconds }

    /// `end − start`, seconds.
    public var durationSeconds: Double { Double(durationNanoseconds) / 1e9 }
}

/// The gaps of a series of timestamps longer than a threshold, and the
/// continuous segments between them.
///
/// A gap is an interval `t[i] − t[i−1]` strictly longer than
/// `thresholdNanoseconds`; it is reported at row `i`, the first row after it.
/// Segment `k` is the rows from the first row after gap `k − 1` (row 0 for
/// the first segment) up to, not including, the first row after gap `k` (the
/// row count for the last): within a segment no two consecutive rows are more
/// than the threshold apart.
///
/// Detection is one pass over the timestamps with no allocation except the
/// gap list, 24 bytes per gap found: a threshold near the data's own update
/// interval flags most rows, so use `defaultThresholdNanoseconds(_:)` or a
/// threshold well above the usual interval.
public struct DataGapReport: Sendable, Hashable {
    /// Intervals longer than this are gaps, nanoseconds (> 0).
    public var thresholdNanoseconds: Int64
    /// Rows of the series the gaps were found in.
    public var rowCount: Int
    /// Every gap, in row order.
    public var gaps: [DataGap]
    /// Number of gaps.
    public var count: Int { gaps.count }
    /// Duration of the longest gap, nanoseconds (0 without gaps).
    public var longestNanoseconds: Int64
    /// Sum of the gap durations, nanoseconds (0 without gaps).
    public var totalNanoseconds: Int64

    /// The default gap threshold never goes below this: 60 s.
    public static let minimumDefaultThresholdNanoseconds: Int64 = 60_000_000_000
    /// The default gap threshold is at least this multiple of the median interval between rows: 50.
    public static let defaultIntervalMultiple: Int64 = 50
    /// The median interval is taken over at most this many intervals, evenly
    /// spaced through the series (all of them when there are fewer): 4,095.
    public static let medianSampleLimit = 4095

    /// Finds the gaps of `timestamps` (non-decreasing, nanoseconds) longer than `thresholdNanoseconds`.
    ///
    /// - Precondition: `thresholdNanoseconds > 0`.
    public init(timestamps: UnsafeBufferPointer<Int64>, thresholdNanoseconds: Int64) {
        precondition(thresholdNanoseconds > 0, "a gap threshold must be positive")
        self.thresholdNanoseconds = thresholdNanoseconds
        rowCount = timestamps.count
        gaps = []
        longestNanoseconds = 0
        totalNanoseconds = 0
        guard timestamps.count > 1 else { return }
        var previous = timestamps[0]
        for i in 1..<timestamps.count {
            let time = timestamps[i]
            // Subtracting with overflow check: two far-apart epochs cannot trap.
            let (interval, overflow) = time.subtractingReportingOverflow(previous)
            if overflow || interval > thresholdNanoseconds {
                let gap = DataGap(row: i, startNanoseconds: previous, endNanoseconds: time)
                let duration = overflow ? Int64.max : interval
                gaps.append(gap)
                longestNanoseconds = max(longestNanoseconds, duration)
                let (sum, sumOverflow) = totalNanoseconds.addingReportingOverflow(duration)
                totalNanoseconds = sumOverflow ? .max : sum
            }
            previous = time
        }
    }

    /// A report from gaps already found (e.g. read back from a batch plan):
    /// `gaps` in row order over a series of `rowCount` rows.
    public init(thresholdNanoseconds: Int64, rowCount: Int, gaps: [DataGap]) {
        self.thresholdNanoseconds = thresholdNanoseconds
        self.rowCount = rowCount
        self.gaps = gaps
        longestNanoseconds = gaps.map(\.durationNanoseconds).max() ?? 0
        totalNanoseconds = gaps.reduce(0) { total, gap in
            let (sum, overflow) = total.addingReportingOverflow(gap.durationNanoseconds)
            return overflow ? .max : sum
        }
    }

    /// Finds the gaps of `data` longer than `thresholdNanoseconds`, or than
    /// `defaultThresholdNanoseconds(data.timestamps)` when it is nil.
    ///
    /// - Precondition: `thresholdNanoseconds` is nil or positive.
    public init(_ data: MarketData, thresholdNanoseconds: Int64? = nil) {
        let threshold = thresholdNanoseconds ?? Self.defaultThresholdNanoseconds(data.timestamps)
        self = data.timestamps.withUnsafeBufferPointer { Self(timestamps: $0, thresholdNanoseconds: threshold) }
    }

    /// The default threshold for a series: `max(60 s, 50 × median interval)`.
    ///
    /// Why relative to the median: a recording's own update rate says what an
    /// ordinary pause looks like. The median ignores the bursts and lulls
    /// that move the mean; 50 of them is far out in any plausible tail — for
    /// Poisson arrivals (exponential intervals, median = mean·ln 2) an interval
    /// exceeds 50 medians with probability `2⁻⁵⁰ ≈ 10⁻¹⁵`, so ordinary data
    /// is never flagged, while a 1-minute-bar file still flags a hole of an
    /// hour. Why the 60 s floor: book-ticker feeds update many times a second
    /// and may pause for tens of seconds in a quiet market without anything
    /// being lost; forward-filling a minute changes the 1 s grid statistics
    /// negligibly, while the holes that matter (a feed down for hours, a
    /// day missing between two recordings) are far longer.
    ///
    /// The median is exact for up to `medianSampleLimit` intervals and taken
    /// over that many evenly spaced intervals beyond, so the cost stays one
    /// small sort whatever the length of the series. A series of fewer than
    /// two rows gets the 60 s floor.
    public static func defaultThresholdNanoseconds<Times: RandomAccessCollection<Int64>>(_ timestamps: Times) -> Int64
    where Times.Index == Int {
        let median = medianIntervalNanoseconds(timestamps)
        let (scaled, overflow) = median.multipliedReportingOverflow(by: defaultIntervalMultiple)
        return max(minimumDefaultThresholdNanoseconds, overflow ? .max : scaled)
    }

    /// The median interval between consecutive rows, nanoseconds (exact up to
    /// `medianSampleLimit` intervals, over evenly spaced intervals beyond; the
    /// upper median for an even count; 0 for fewer than two rows).
    public static func medianIntervalNanoseconds<Times: RandomAccessCollection<Int64>>(_ timestamps: Times) -> Int64
    where Times.Index == Int {
        let intervals = timestamps.count - 1
        guard intervals > 0 else { return 0 }
        let taken = min(intervals, medianSampleLimit)
        var sample = [Int64]()
        sample.reserveCapacity(taken)
        for k in 0..<taken {
            // Evenly spaced interval indices 0 … intervals−1 (all of them when taken == intervals).
            let i = taken == intervals ? k : Int((Double(k) + 0.5) * Double(intervals) / Double(taken))
            let (d, overflow) = timestamps[i + 1].subtractingReportingOverflow(timestamps[i])
            sample.append(overflow ? .max : d)
        }
        sample.sort()
        return sample[taken / 2]
    }

    /// The longest gap, or nil without gaps.
    public var longest: DataGap? { gaps.max { $0.durationNanoseconds < $1.durationNanoseconds } }

    /// The continuous segments as row ranges, in order: `count + 1` non-empty
    /// ranges covering `0..<rowCount` (none for an empty series).
    public var segments: [Range<Int>] {
        guard rowCount > 0 else { return [] }
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(gaps.count + 1)
        var start = 0
        for gap in gaps {
            ranges.append(start..<gap.row)
            start = gap.row
        }
        ranges.append(start..<rowCount)
        return ranges
    }

    /// The last continuous segment (`0..<0` for an empty series).
    public var lastSegment: Range<Int> { (gaps.last?.row ?? 0)..<rowCount }

    /// True when a gap lies between `entryRow` and `exitRow`, i.e. some gap's
    /// first row `r` has `entryRow < r ≤ exitRow`: a position held over those
    /// rows was carried across the gap.
    public func spans(entryRow: Int, exitRow: Int) -> Bool {
        var cursor = 0
        return spans(entryRow: entryRow, exitRow: exitRow, cursor: &cursor)
    }

    /// `trades` with `spansGap` set from this report (rows are those the gaps
    /// were found in). One merge pass when the trades are in entry order, as
    /// every backtest returns them.
    public func marking(_ trades: [Trade]) -> [Trade] {
        var marked = trades
        var cursor = 0, lastEntry = Int.min
        for k in marked.indices {
            if marked[k].entryIndex < lastEntry { cursor = 0 }
            lastEntry = marked[k].entryIndex
            marked[k].spansGap = spans(entryRow: marked[k].entryIndex, exitRow: marked[k].exitIndex, cursor: &cursor)
        }
        return marked
    }

    /// `spans(entryRow:exitRow:)` starting the scan at `cursor` (gaps before it
    /// end at or before an earlier entry) and leaving it at the first gap after `entryRow`.
    private func spans(entryRow: Int, exitRow: Int, cursor: inout Int) -> Bool {
        while cursor < gaps.count && gaps[cursor].row <= entryRow { cursor += 1 }
        return cursor < gaps.count && gaps[cursor].row <= exitRow
    }
}
