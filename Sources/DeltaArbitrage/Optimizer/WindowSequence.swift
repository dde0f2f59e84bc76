import SpreadKernels

extension DeltaArbitrageOptimizer {
    /// Windows whose statistics one sweep computes together
    /// (`FirstPassageBacktest.entryCostMoments(windows:stepNanoseconds:blockPoints:)`):
    /// at 5-minute updates, 32 windows of 24 h span 26.6 h of rows, read from
    /// memory once instead of 32 times.
    static let statisticsSweepWindows = 32

    /// Consecutive windows a part takes at a time: parts take the next run
    /// as they finish one, so they end together however the cost of windows
    /// varies (the first windows of a walk-forward fail at once for want of
    /// data), at the cost of a search without reuse at each run's start.
    static let windowsPerRun = 32

    /// Optimises every window of a walk-forward (or of a batch shard): the
    /// outcome of `optimizeWindow` on each of `windows`, in order, the same
    /// bit for bit as calling it on each in turn.
    ///
    /// The windows are independent (each optimisation reads only its own
    /// rows), so `parts` threads take runs of consecutive windows
    /// (`windowsPerRun`) side by side, each with its own trade-chain cache;
    /// with one part the grid of each window is spread over the cores
    /// instead. A window equal to the one before it (across a data gap) gets
    /// the same outcome without a search, unless a time budget makes the
    /// outcome depend on timing.
    ///
    /// With several parts, `statusHandler` is called from several threads,
    /// and the events of different windows may interleave.
    ///
    /// - Parameters:
    ///   - windows: rows of `index`, starts and ends non-decreasing (as
    ///     `trailingWindow` gives them for increasing ends).
    ///   - progress: called with the number of windows done so far (repeated
    ///     windows count when all are done).
    /// - Throws: `CancellationError` when `stop` is set; every other failure
    ///   is the failed window's outcome.
    func optimizeWindows(
        _ index: FirstPassageBacktest, windows: [Range<Int>], lookbackHours: Double, parts requested: Int,
        stop: StopSignal, progress: (@Sendable (Int) -> Void)? = nil
    ) throws -> [Result<OptimizationResult, any Error>] {
        let clock = ContinuousClock()
        let parts = max(1, min(requested, windows.count))
        let outcomes = WindowOutcomes(count: windows.count)
        // The windows to optimise: each one unlike the one before it (all of them under a time budget).
        let distinct = windows.indices.filter { $0 == 0 || windows[$0 - 1] != windows[$0] || timeBudget != nil }
        let done = Locked(0), taken = Locked(0)
        let runs = (distinct.count + Self.windowsPerRun - 1) / Self.windowsPerRun
        // Optimises the distinct windows `range` in order, reusing `chains`; false once cancelled.
        let optimizeRun: @Sendable (Range<Int>, TradeChainCache?) -> Bool = { range, chains in
            var moments: [AR1Moments] = [], momentsStart = range.lowerBound
            for d in range {
                if stop.isCancelled { return false }
                if d - momentsStart >= moments.count {
                    momentsStart = d
                    let batch = distinct[d..<min(d + Self.statisticsSweepWindows, range.upperBound)].map { windows[$0] }
                    moments = index.entryCostMoments(windows: batch, stepNanoseconds: Self.statisticsStepNanoseconds)
                }
                let w = distinct[d]
                do {
                    let report = try optimizeWindow(
                        index, rows: windows[w], lookbackHours: lookbackHours, rowOffset: 0, indexReused: true,
                        started: clock.now, stop: stop, chains: chains, moments: moments[d - momentsStart],
                        concurrentGrid: parts == 1)
                    outcomes.slots[w] = .success(report.result)
                } catch is CancellationError {
                    stop.cancel()  // the other parts stop too
                    return false
                } catch {
                    outcomes.slots[w] = .failure(error)
                }
                if let progress { done.withLock { $0 += 1; progress($0) } }
            }
            return true
        }
        // One part: takes the next run until none is left.
        let work: @Sendable (Int) -> Void = { _ in
            let chains = reusesTradeChains ? TradeChainCache() : nil
            while true {
                let run = taken.withLock { next -> Int in
                    defer { next += 1 }
                    return next
                }
                guard run < runs else { return }
                let range = run * Self.windowsPerRun..<min((run + 1) * Self.windowsPerRun, distinct.count)
                guard optimizeRun(range, chains) else { return }
            }
        }
        forEachIteration(parts, concurrently: parts > 1, work)
        if stop.isCancelled { throw CancellationError() }
        // A repeated window has the outcome of the one before it.
        for w in windows.indices where outcomes.slots[w] == nil && w > 0 { outcomes.slots[w] = outcomes.slots[w - 1] }
        progress?(windows.count)
        return outcomes.slots.map { $0 ?? .failure(CancellationError()) }
    }
}

/// The outcomes of `optimizeWindows`, one slot per window.
private final class WindowOutcomes: @unchecked Sendable {
    // Fixed storage, not an array: the parts write their own windows' slots
    // at the same time. Read after every part has returned.
    let slots: UnsafeMutableBufferPointer<Result<OptimizationResult, any Error>?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }
}
