import Foundation
import SpreadKernels

/// One shard of a sharded walk-forward: the rows of one time slice and the
/// warm-up rows before it that its re-optimisations read.
///
/// Row numbers are rows of the whole dataset (0-based). The shard loads rows
/// `loadFirstRow..<endRow`; it trades rows `sliceFirstRow..<endRow` (the rows
/// with `sliceStartNanoseconds ≤ t < sliceEndNanoseconds`) and runs the
/// updates whose time falls in the slice. JSON keys are snake_case.
public struct BatchShardSpec: Sendable, Hashable, Codable {
    /// Position of the shard in its dataset, from 0.
    public var index: Int
    /// First time of the slice, nanoseconds since the Unix epoch (inclusive).
    public var sliceStartNanoseconds: Int64
    /// End of the slice, nanoseconds since the Unix epoch (exclusive).
    public var sliceEndNanoseconds: Int64
    /// First row the shard loads: the first row of the trailing window of the
    /// last update before the slice (so the shard can tell the thresholds in
    /// force as it starts), or of its own first update.
    public var loadFirstRow: Int
    /// First row of the slice (`endRow` when the slice holds no rows, e.g. inside a gap).
    public var sliceFirstRow: Int
    /// One past the slice's last row.
    public var endRow: Int

    enum CodingKeys: String, CodingKey {
        case index, sliceStartNanoseconds = "slice_start_ns", sliceEndNanoseconds = "slice_end_ns"
        case loadFirstRow = "load_first_row", sliceFirstRow = "slice_first_row", endRow = "end_row"
    }

    /// Rows the shard holds in memory.
    public var loadedRows: Range<Int> { loadFirstRow..<endRow }
}

/// How a dataset is cut into shards (docs/design.md, "Batch runs").
///
/// The slices cover `[t₀, t_last]` (the first and last rows' times) without
/// overlap; update times are the whole run's (`t₀ + k·interval`), whatever the
/// cut. Built from the dataset's timestamps, which only the planner holds.
public struct BatchPlan: Sendable, Hashable, Codable {
    /// Rows of the whole dataset.
    public var rowCount: Int
    /// Time of the first row, nanoseconds since the Unix epoch (`t₀`).
    public var firstTimeNanoseconds: Int64
    /// Time of the last row, nanoseconds since the Unix epoch.
    public var lastTimeNanoseconds: Int64
    /// Hours of trailing data each re-optimisation sees.
    public var windowHours: Double
    /// Time between updates, nanoseconds.
    public var updateIntervalNanoseconds: Int64
    /// The shards, in time order.
    public var shards: [BatchShardSpec]

    enum CodingKeys: String, CodingKey {
        case rowCount = "row_count", firstTimeNanoseconds = "first_time_ns", lastTimeNanoseconds = "last_time_ns"
        case windowHours = "window_hours", updateIntervalNanoseconds = "update_interval_ns", shards
    }

    /// Slices of `sliceNanoseconds` from the first row's time.
    ///
    /// - Throws: `ParameterValidationError` for an empty dataset, a slice or
    ///   interval under 1 ns, or a window outside the optimiser's bounds.
    public init(timestamps: Column<Int64>, sliceNanoseconds: Int64, windowHours: Double,
                updateIntervalNanoseconds: Int64) throws {
        guard sliceNanoseconds > 0 else {
            throw ParameterValidationError(parameter: "slice_hours", value: Double(sliceNanoseconds) / 3.6e12, rule: "must be positive")
        }
        guard let first = timestamps.first, let last = timestamps.last else {
            throw ParameterValidationError(parameter: "rows", value: 0, rule: "a batch dataset needs at least one row")
        }
        var cuts: [Int64] = []
        var cut = first
        while last - cut >= sliceNanoseconds {
            cut += sliceNanoseconds
            cuts.append(cut)
        }
        try self.init(timestamps: timestamps, cuts: cuts, windowHours: windowHours, updateIntervalNanoseconds: updateIntervalNanoseconds)
    }

    /// Slices between the given cut times (each strictly after the first
    /// row's time and at most the last row's, increasing): shard 0 starts at
    /// the first row, shard k at `cuts[k-1]`.
    public init(timestamps: Column<Int64>, cuts: [Int64], windowHours: Double, updateIntervalNanoseconds: Int64) throws {
        guard let first = timestamps.first, let last = timestamps.last else {
            throw ParameterValidationError(parameter: "rows", value: 0, rule: "a batch dataset needs at least one row")
        }
        guard OptimizerConfig.isValidLookback(windowHours) else {
            throw ParameterValidationError(parameter: "window_hours", value: windowHours,
                                           rule: "must be positive and at most \(OptimizerConfig.maxLookbackHours)")
        }
        guard updateIntervalNanoseconds > 0 else {
            throw ParameterValidationError(parameter: "update_minutes", value: Double(updateIntervalNanoseconds) / 6e10, rule: "must be at least 1 ns")
        }
        var previousCut = first
        for cut in cuts {
            guard cut > previousCut, cut <= last else {
                throw ParameterValidationError(parameter: "cut", value: Double(cut),
                                               rule: "cuts must increase, after the first row's time and at most the last's")
            }
            previousCut = cut
        }
        rowCount = timestamps.count
        firstTimeNanoseconds = first
        lastTimeNanoseconds = last
        self.windowHours = windowHours
        self.updateIntervalNanoseconds = updateIntervalNanoseconds
        let starts = [first] + cuts
        let reach = BatchPlan.windowReach(hours: windowHours)
        shards = timestamps.withUnsafeBufferPointer { t in
            func firstRow(atOrAfter time: Int64) -> Int {
                t.partitionPoint(in: 0..<t.count) { $0 >= time }
            }
            func windowStart(end: Int) -> Int {
                guard end > 0 else { return 0 }
                let newest = t[end - 1]
                return firstRow(atOrAfter: newest >= Int64.min + reach ? newest - reach : Int64.min)
            }
            return starts.indices.map { k in
                let start = starts[k]
                let end = k + 1 < starts.count ? starts[k + 1] : Int64.max
                let sliceFirst = firstRow(atOrAfter: start)
                let endRow = end == Int64.max ? t.count : firstRow(atOrAfter: end)
                // The thresholds in force as the slice starts come from the last update before it.
                var anchor = sliceFirst
                if let previous = BatchPlan.lastUpdate(before: start, first: first, interval: updateIntervalNanoseconds) {
                    anchor = min(anchor, firstRow(atOrAfter: previous))
                }
                let loadFirst = k == 0 ? 0 : min(windowStart(end: anchor), sliceFirst)
                return BatchShardSpec(index: k, sliceStartNanoseconds: start, sliceEndNanoseconds: end,
                                      loadFirstRow: loadFirst, sliceFirstRow: sliceFirst, endRow: endRow)
            }
        }
    }

    /// The trailing window's reach in nanoseconds, rounded as the optimiser rounds it.
    static func windowReach(hours: Double) -> Int64 {
        let nanoseconds = (hours * 3.6e12).rounded(.up)
        return nanoseconds < 9.2e18 ? Int64(max(nanoseconds, 0)) : Int64.max
    }

    /// The latest update time `t₀ + k·interval` (k ≥ 1) strictly before `time`.
    static func lastUpdate(before time: Int64, first: Int64, interval: Int64) -> Int64? {
        guard time > first else { return nil }
        let k = (time - first - 1) / interval
        return k >= 1 ? first + k * interval : nil
    }

    /// Update times in `[start, end)` that the whole run schedules (at most the last row's time).
    func updateTimes(from start: Int64, to end: Int64) -> [Int64] {
        let interval = updateIntervalNanoseconds, first = firstTimeNanoseconds
        var k = max(1, start > first ? (start - first + interval - 1) / interval : 1)
        var times: [Int64] = []
        while true {
            let (offset, overflow) = k.multipliedReportingOverflow(by: interval)
            guard !overflow, first <= Int64.max - offset else { break }
            let time = first + offset
            guard time < end, time <= lastTimeNanoseconds else { break }
            times.append(time)
            k += 1
        }
        return times
    }
}
