import Dispatch

/// Trade totals of one `(entry, exit)` grid point.
public struct GridPointTally: Sendable, Hashable {
    /// Every trade over the evaluated rows.
    public var all: TradeTally
    /// The trades that close before the split row: those of the same backtest
    /// run on the rows before the split alone.
    public var beforeSplit: TradeTally

    /// Totals of every trade and of those that close before the split row.
    public init(all: TradeTally, beforeSplit: TradeTally) {
        self.all = all
        self.beforeSplit = beforeSplit
    }
}

/// Evaluates a grid of thresholds over one prepared `FirstPassageBacktest`,
/// spreading the grid points over all cores with
/// `DispatchQueue.concurrentPerform`.
public enum ThresholdGridSearch {
    /// Outcome of `evaluate`.
    public struct Evaluation: Sendable {
        /// Row-major: point `(e, x)` at `e * exitCount + x`; nil where the
        /// point was masked out or not reached before `shouldStop` said stop.
        public var points: [GridPointTally?]
        /// Points evaluated.
        public var evaluated: Int
        /// True when `shouldStop` ended the search early.
        public var stopped: Bool
    }

    /// Runs the backtest from flat over `rows` for every grid point whose
    /// `mask` entry is true (every point if `mask` is empty).
    ///
    /// `shouldStop` is polled before each point from the worker threads; once
    /// it returns true the remaining points are skipped. `concurrently` false
    /// evaluates every point on the calling thread (for callers that already
    /// keep every core busy with other windows).
    public static func evaluate(
        _ backtest: FirstPassageBacktest, entries: [Double], exits: [Double], rows: Range<Int>, split: Int,
        mask: [Bool] = [], concurrently: Bool = true, shouldStop: @Sendable () -> Bool = { false }
    ) -> Evaluation {
        let total = entries.count * exits.count
        precondition(mask.isEmpty || mask.count == total, "mask must have one entry per grid point")
        var results = [GridPointTally?](repeating: nil, count: total)
        let stoppedFlags = results.withUnsafeMutableBufferPointer { out -> [Bool] in
            let sink = UncheckedSendable(out)
            let exitCount = exits.count
            let stopped = UnsafeMutableBufferPointer<Bool>.allocate(capacity: total)
            stopped.initialize(repeating: false)
            defer { stopped.deallocate() }
            let stopSink = UncheckedSendable(stopped)
            forEachIteration(total, concurrently: concurrently) { point in
                guard mask.isEmpty || mask[point] else { return }
                if shouldStop() {
                    stopSink.value[point] = true
                    return
                }
                let tally = backtest.tally(
                    entryThresholdPct: entries[point / exitCount], exitThresholdPct: exits[point % exitCount],
                    rows: rows, split: split)
                sink.value[point] = GridPointTally(all: tally.all, beforeSplit: tally.beforeSplit)
            }
            return Array(stopped)
        }
        let evaluated = results.reduce(0) { $0 + ($1 == nil ? 0 : 1) }
        return Evaluation(points: results, evaluated: evaluated, stopped: stoppedFlags.contains(true))
    }
}

/// Calls `body` with `0..<count`, spread over all cores by
/// `DispatchQueue.concurrentPerform` or in order on the calling thread.
@inlinable
public func forEachIteration(_ count: Int, concurrently: Bool, _ body: @Sendable (Int) -> Void) {
    if concurrently {
        DispatchQueue.concurrentPerform(iterations: count, execute: body)
    } else {
        for k in 0..<count { body(k) }
    }
}

/// Hands a buffer to `concurrentPerform` workers that write disjoint elements.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
