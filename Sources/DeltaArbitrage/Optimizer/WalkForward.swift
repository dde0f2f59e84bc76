import SpreadKernels
import Foundation

/// One scheduled re-optimisation of a walk-forward run.
///
/// JSON: `time` (ISO-8601 update time), `row` (first row traded after it),
/// `status` (`optimized`, or `failed` when the thresholds in force were
/// kept), `entry_threshold_pct` / `exit_threshold_pct` in force after the
/// update (`null` before the first success), `confidence_score`, `error`.
public struct WalkForwardUpdate: Sendable, Hashable, Codable {
    /// Update time `t₀ + k·updateInterval`, nanoseconds since the Unix epoch.
    public var timeNanoseconds: Int64
    /// First row traded after the update (first row at or after `timeNanoseconds`).
    public var row: Int
    /// The optimisation succeeded; false when it failed and the thresholds in force were kept.
    public var optimized: Bool
    /// Thresholds in force after the update; nil before the first success.
    public var thresholds: ThresholdPair?
    /// Confidence score of the optimisation, in [0, 1]; nil when it failed.
    public var confidenceScore: Double?
    /// Why the optimisation failed; nil when it succeeded.
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case time, row, status, entryThresholdPct = "entry_threshold_pct", exitThresholdPct = "exit_threshold_pct"
        case confidenceScore = "confidence_score", error
    }

    /// An update record; see the properties for when each optional is nil.
    public init(timeNanoseconds: Int64, row: Int, optimized: Bool, thresholds: ThresholdPair?,
                confidenceScore: Double?, error: String?) {
        self.timeNanoseconds = timeNanoseconds
        self.row = row
        self.optimized = optimized
        self.thresholds = thresholds
        self.confidenceScore = confidenceScore
        self.error = error
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(UTCTime.iso8601(nanoseconds: timeNanoseconds), forKey: .time)
        try c.encode(row, forKey: .row)
        try c.encode(optimized ? "optimized" : "failed", forKey: .status)
        try c.encode(thresholds?.entryThresholdPct, forKey: .entryThresholdPct)
        try c.encode(thresholds?.exitThresholdPct, forKey: .exitThresholdPct)
        try c.encode(confidenceScore, forKey: .confidenceScore)
        try c.encode(error, forKey: .error)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let time = try c.decode(String.self, forKey: .time)
        guard let ns = parseBacktestJSONTime(time) else {
            throw DecodingError.dataCorruptedError(forKey: .time, in: c, debugDescription: "not an ISO-8601 UTC time: \(time)")
        }
        timeNanoseconds = ns
        row = try c.decode(Int.self, forKey: .row)
        optimized = try c.decode(String.self, forKey: .status) == "optimized"
        if let e = try c.decodeIfPresent(Double.self, forKey: .entryThresholdPct),
           let x = try c.decodeIfPresent(Double.self, forKey: .exitThresholdPct) {
            thresholds = ThresholdPair(entryThresholdPct: e, exitThresholdPct: x)
        }
        confidenceScore = try c.decodeIfPresent(Double.self, forKey: .confidenceScore)
        error = try c.decodeIfPresent(String.self, forKey: .error)
    }
}

/// Outcome of `optimizedDeltaNeutralBacktest`: the trades, the seed's
/// optimisation history (one `OptimizationResult` per successful update) and
/// every update with the thresholds it left in force.
public struct WalkForwardResult: Sendable, Codable {
    /// Closed trades, in exit order.
    public var trades: [Trade]
    /// One `OptimizationResult` per successful update, in time order; empty with `staticParams`.
    public var optimizationHistory: [OptimizationResult]
    /// Every update, successful or not, in time order.
    public var updates: [WalkForwardUpdate]
    /// Summary of `trades` over the whole data span.
    public var summary: BacktestSummary
    /// Position still open after the last row, if any (not in `trades` or `summary`).
    public var openPosition: OpenPositionReport?
    /// Hours of trailing data each optimisation uses.
    public var windowHours: Double
    /// Time between updates, seconds.
    public var updateIntervalSeconds: Double
    /// The fixed thresholds traded instead of re-optimising; nil for a walk-forward.
    public var staticParams: ThresholdPair?
    /// Wall-clock seconds the run took.
    public var elapsedSeconds: Double

    enum CodingKeys: String, CodingKey {
        case trades, optimizationHistory = "optimization_history", updates, summary, openPosition = "open_position"
        case windowHours = "optimization_window_hours", updateIntervalSeconds = "update_interval_seconds"
        case staticParams = "static_params", elapsedSeconds = "elapsed_seconds"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(trades, forKey: .trades)
        try c.encode(optimizationHistory, forKey: .optimizationHistory)
        try c.encode(updates, forKey: .updates)
        try c.encode(summary, forKey: .summary)
        // Explicit nulls: every key is always there (docs/schema/walk-forward.schema.json).
        try c.encode(openPosition, forKey: .openPosition)
        try c.encode(windowHours, forKey: .windowHours)
        try c.encodeFinite(updateIntervalSeconds, forKey: .updateIntervalSeconds)
        try c.encode(staticParams, forKey: .staticParams)
        try c.encodeFinite(elapsedSeconds, forKey: .elapsedSeconds)
    }
}

/// Walk-forward backtest with periodic re-optimisation (the seed's
/// `optimized_delta_neutral_backtest`).
///
/// Update times are `t₀ + k·updateInterval` (k ≥ 1, `t₀` the first row's time)
/// up to the last row. At each update time `T` the optimiser runs
/// `optimizeParameters` on the rows before `T` — the trailing
/// `optimizationWindowHours` before the newest of them, exactly the window a
/// call with those rows would use — and the rows from `T` on trade with the
/// thresholds it chose, until the next update. A failed optimisation
/// (too little data, nothing safe, time budget) keeps the thresholds in
/// force; before the first success nothing opens. One position state runs
/// through the whole series: a position opened under one pair of thresholds
/// closes under the exit threshold in force at each later row, with the
/// configuration's hold limit and fees.
///
/// The updates go in chunks of 4,096. The windows of a chunk share one
/// first-passage index built over their rows — consecutive windows overlap
/// almost entirely — so a step costs its grid search, not a rebuild
/// (`cache_hit_ratio` 1 in each step's performance record). Memory follows
/// the chunk, not the series: rows before a chunk's first window are never
/// read again, and for data read in place from a mapped (Arrow) file they
/// leave resident memory (`MarketData.releaseResidentPages`); trade records
/// are made as each chunk ends. Three months of 100 ms ticks peak at about
/// 1 GB. The windows are optimised on every core, one thread
/// per run of windows (`optimizeWindows`), their statistics swept 32 at a
/// time; on request the grid search keeps each grid point's trade chain from
/// the previous window and recomputes only the trades that differ
/// (`TradeChainCache`; `DeltaArbitrageOptimizer.reusesTradeChains`). Either
/// way the results are those of optimising each window alone, bit for bit.
///
/// With `staticParams` no optimisation runs: the whole series trades with
/// those thresholds (the plain backtest) and the history is empty.
///
/// - Parameter progress: called with the fraction of rows done.
public func optimizedDeltaNeutralBacktest(
    _ data: MarketData, optimizer: DeltaArbitrageOptimizer, optimizationWindowHours: Double = 24,
    updateInterval: Duration = .seconds(300), staticParams: ThresholdPair? = nil,
    progress: (@Sendable (Double) -> Void)? = nil
) async throws -> WalkForwardResult {
    try await StopSignal.runCancellable { stop in
        try walkForward(data, optimizer: optimizer, windowHours: optimizationWindowHours,
                        updateInterval: updateInterval, staticParams: staticParams, progress: progress, stop: stop)
    }
}

/// Parts a walk-forward's windows are optimised in side by side (one per core).
let walkForwardParts = ProcessInfo.processInfo.activeProcessorCount

/// Updates scheduled and optimised at a time (their windows, results and
/// trade chains are what a walk-forward holds besides the data).
let walkForwardChunkUpdates = 4_096

func walkForward(
    _ data: MarketData, optimizer: DeltaArbitrageOptimizer, windowHours: Double, updateInterval: Duration,
    staticParams: ThresholdPair?, progress: (@Sendable (Double) -> Void)?, stop: StopSignal,
    chunkUpdates: Int = walkForwardChunkUpdates
) throws -> WalkForwardResult {
    let clock = ContinuousClock(), started = clock.now
    let config = optimizer.config
    try config.validate()
    guard OptimizerConfig.isValidLookback(windowHours) else {
        throw ParameterValidationError(parameter: "optimization_window_hours", value: windowHours,
                                       rule: "must be positive and at most \(OptimizerConfig.maxLookbackHours)")
    }
    let interval = updateInterval.nanoseconds
    guard interval > 0 else {
        throw ParameterValidationError(parameter: "update_interval", value: Double(interval) / 1e9, rule: "must be at least 1 ns")
    }
    if let s = staticParams {
        try config.rule(entryThresholdPct: s.entryThresholdPct, exitThresholdPct: s.exitThresholdPct).validate()
    }

    return try data.withBookColumns { columns in
        let n = columns.count
        var indices: [TradeIndices] = []
        var history: [OptimizationResult] = []
        var updates: [WalkForwardUpdate] = []
        var position: OpenPosition?
        var inForce = staticParams
        // Trade records, made while their rows are still resident (a record reads every row it spans).
        var trades: [Trade] = []
        let feeRule = config.rule(entryThresholdPct: 0, exitThresholdPct: 0)  // fees only: P&L does not depend on thresholds
        func recordTrades() { trades += indices[trades.count...].map { Trade($0, columns: columns, rule: feeRule) } }

        func trade(_ range: Range<Int>) {
            guard let pair = inForce, !range.isEmpty else { return }
            let rule = config.rule(entryThresholdPct: pair.entryThresholdPct, exitThresholdPct: pair.exitThresholdPct)
            position = BacktestKernel.run(columns, rule: rule, rows: range, from: position, trades: &indices)
        }

        if staticParams != nil {
            trade(0..<n)
        } else if n > 0 {
            // In chunks of updates (memory stays bounded whatever the interval and
            // the length of the data): the chunk's schedule, then every window's
            // optimisation with all cores busy, on one first-passage index over the
            // chunk's windows' rows, then the trading through its updates in order.
            // Rows before the chunk's first window are never read again: for data
            // mapped from a file, they leave resident memory.
            var time = columns.timestamps[0], traded = 0, released = 0
            let last = columns.timestamps[n - 1]
            while time <= last - interval {
                var schedule: [(time: Int64, end: Int)] = []
                var end = traded
                while time <= last - interval && schedule.count < max(chunkUpdates, 1) {
                    time += interval
                    end = columns.firstRow(atOrAfter: time, in: end..<n)  // rows before `time`
                    schedule.append((time, end))
                }
                let windows = schedule.map { optimizer.trailingWindow(columns, end: $0.end, hours: windowHours) }
                let before = Double(traded) / Double(n), share = Double(end - traded) / Double(n) / Double(windows.count)
                var windowsDone: (@Sendable (Int) -> Void)?
                if let progress { windowsDone = { done in progress(before + share * Double(done)) } }
                // Windows start in order, so the first starts first; the index starts there.
                let base = min(windows[0].lowerBound, end)
                if base > released {
                    data.releaseResidentPages(rows: released..<base)
                    released = base
                }
                let index = FirstPassageBacktest(columns: columns.rows(base..<end), maxHours: config.maxHoldHours,
                                                 spotFee: config.spotFee, futFee: config.futFee)
                let outcomes = try optimizer.optimizeWindows(
                    index, windows: windows.map { ($0.lowerBound - base)..<($0.upperBound - base) },
                    lookbackHours: windowHours, parts: walkForwardParts, stop: stop, progress: windowsDone)
                for ((time, end), outcome) in zip(schedule, outcomes) {
                    trade(traded..<end)
                    traded = end
                    switch outcome {
                    case .success(let result):
                        history.append(result)
                        inForce = ThresholdPair(entryThresholdPct: result.entryThresholdPct,
                                                exitThresholdPct: result.exitThresholdPct)
                        updates.append(WalkForwardUpdate(timeNanoseconds: time, row: end, optimized: true, thresholds: inForce,
                                                         confidenceScore: result.confidenceScore, error: nil))
                    case .failure(let error):
                        updates.append(WalkForwardUpdate(timeNanoseconds: time, row: end, optimized: false, thresholds: inForce,
                                                         confidenceScore: nil, error: "\(error)"))
                    }
                }
                recordTrades()
                if stop.isCancelled { throw CancellationError() }
            }
            trade(traded..<n)
        }
        recordTrades()
        progress?(1)

        let elapsed = clock.now - started
        return WalkForwardResult(
            trades: trades, optimizationHistory: history, updates: updates,
            summary: BacktestSummary(trades: trades, spanNanoseconds: data.spanNanoseconds),
            openPosition: position.map { OpenPositionReport($0, columns: columns, rule: feeRule) },
            windowHours: windowHours, updateIntervalSeconds: Double(interval) / 1e9, staticParams: staticParams,
            elapsedSeconds: elapsed.seconds)
    }
}
