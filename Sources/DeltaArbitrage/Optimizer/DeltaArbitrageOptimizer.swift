import SpreadKernels
import Foundation

/// Finds the entry/exit thresholds that traded the recent spread best under
/// the safety rules and performance targets (the seed's `DeltaArbitrageOptimizer`).
///
/// `optimizeParameters(_:lookbackHours:)` takes the trailing `lookbackHours`
/// of the data (rows at or after `t_last − lookbackHours`), runs the seed
/// backtest (docs/design.md) at every point of an (entry, exit) threshold grid that
/// passes `validateParameters`, in parallel over all cores on one shared
/// first-passage index (`FirstPassageBacktest`), and returns the best point:
///
/// 1. **feasible** points meet every target (hit rate ≥ `target_hit_rate`,
///    trades per day ≥ `min_daily_trades`, max drawdown ≤
///    `max_drawdown_tolerance`); when there are none, every safe point
///    competes and `ConstraintStatus` reports the misses;
/// 2. among them, the highest total net P&L; ties go to the smaller drawdown,
///    then the higher hit rate, then more trades, then the lower entry and
///    the lower exit threshold — so the answer never depends on thread timing.
///
/// The default grid is `defaultGridSteps × defaultGridSteps` points derived
/// from the window's spread distribution (mean μ and standard deviation σ of
/// `entry_cost_pct` on the 1 s grid) and the safety bounds:
/// entries from `max(μ − 2.33σ, 2·min_exit)` to `min(μ + 2.33σ, max_entry)`
/// (≈ the 1st to 99th percentile of a normal spread), exits from `min_exit` to
/// `min(max(4.66σ, 2·min_exit), entry_max)` (the spread's typical full swing).
/// Pass `entryGrid` / `exitGrid` to choose the axes yourself.
public struct DeltaArbitrageOptimizer: Sendable {
    /// Safety rules, targets, fees and hold limit.
    public var config: OptimizerConfig
    /// Entry-threshold axis; nil derives it from the data.
    public var entryGrid: ThresholdAxis?
    /// Exit-threshold axis; nil derives it from the data.
    public var exitGrid: ThresholdAxis?
    /// Largest grid (entries × exits) one optimisation evaluates.
    public static let maxGridPoints = 262_144

    /// Points per axis of the derived grid.
    public var defaultGridSteps = 32
    /// Walk-forward only: each window's grid search takes over the trades of
    /// the previous window's chains that the new window repeats
    /// (`TradeChainCache`); false (the default) searches every window from
    /// scratch. The results are the same bit for bit. Off by default because
    /// it measured slower: the derived grid's thresholds move with every
    /// window, so few trades repeat, and keeping the chains costs more than it
    /// saves (a three-month batch from an Arrow file: 22.3 s without, 39.6 s
    /// with; the single-process walk-forward: 27.2 s without, 29.1 s with).
    public var reusesTradeChains = false
    /// Wall-clock budget of one optimisation; past it the grid search stops and
    /// `OptimizationTimeoutError` is thrown. Nil: no budget.
    public var timeBudget: Duration?
    /// Receives every `OptimizationStatusEvent` as it happens (from the thread
    /// running the optimisation).
    public var statusHandler: (@Sendable (OptimizationStatusEvent) -> Void)?
    /// The wall clock the optimiser reads for its status events' times, in
    /// seconds since the Unix epoch (default: the system clock). Inject one
    /// to make a replay or a test reproducible.
    public var wallClock: @Sendable () -> Double = { Date().timeIntervalSince1970 }

    /// The seed's constructor: the three performance targets, over `config`'s other settings.
    public init(targetHitRate: Double = 0.7, minTradesPerDay: Int = 5, maxDrawdownTolerance: Double = 0.02,
                config: OptimizerConfig = OptimizerConfig()) {
        var config = config
        config.targetHitRate = targetHitRate
        config.minDailyTrades = minTradesPerDay
        config.maxDrawdownTolerance = maxDrawdownTolerance
        self.config = config
    }

    /// An optimiser whose targets are `config`'s.
    public init(config: OptimizerConfig) {
        self.config = config
    }

    /// The seed's safety check: true when `(entryThreshold, exitThreshold)`
    /// are positive and finite, `entry ≤ max_entry_threshold`,
    /// `exit ≥ min_exit_threshold`, `exit < entry` and
    /// `entry / exit ≤ max_threshold_ratio`.
    public func validateParameters(entryThreshold: Double, exitThreshold: Double) -> Bool {
        config.isSafe(entryThreshold: entryThreshold, exitThreshold: exitThreshold)
    }

    /// The engine's spread analysis (distribution, autocorrelation, half-life, regimes) of `data`.
    public func analyzeSpreadDistribution(_ data: MarketData) throws -> SpreadAnalysis {
        try SpreadAnalyzer.analyze(data, options: SpreadAnalysisOptions()).spreadAnalysis
    }

    /// Optimises the thresholds on the trailing `lookbackHours` of `data`.
    ///
    /// - Throws: `InsufficientDataError` (fewer rows than `min_spread_data_points`,
    ///   or a window spanning less than half of `lookbackHours`),
    ///   `ParameterValidationError` (invalid configuration or lookback, or no
    ///   grid point passes the safety rules), `OptimizationTimeoutError`
    ///   (`timeBudget` exceeded), `CancellationError`.
    public func optimizeParameters(_ data: MarketData, lookbackHours: Double = 24) async throws -> OptimizationResult {
        try await optimize(data, lookbackHours: lookbackHours).result
    }

    /// `optimizeParameters` with everything it found: constraint status, the
    /// chosen point's trade statistics, confidence components, alternatives,
    /// the grid surface, `OptimizationPerformance` and the status events.
    public func optimize(_ data: MarketData, lookbackHours: Double = 24) async throws -> OptimizationReport {
        try await StopSignal.runCancellable { stop in try self.optimizeNow(data, lookbackHours: lookbackHours, stop: stop) }
    }

    /// The synchronous optimisation behind `optimize` (it blocks the calling
    /// thread while the grid runs on all cores).
    public func optimizeNow(_ data: MarketData, lookbackHours: Double, stop: StopSignal = StopSignal()) throws -> OptimizationReport {
        let clock = ContinuousClock(), started = clock.now
        try config.validate()
        guard OptimizerConfig.isValidLookback(lookbackHours) else {
            throw ParameterValidationError(parameter: "lookback_hours", value: lookbackHours,
                                           rule: "must be positive and at most \(OptimizerConfig.maxLookbackHours)")
        }
        return try data.withBookColumns { all in
            let window = trailingWindow(all, end: all.count, hours: lookbackHours)
            let columns = all.rows(window)
            let index = FirstPassageBacktest(columns: columns, maxHours: config.maxHoldHours,
                                             spotFee: config.spotFee, futFee: config.futFee)
            return try optimizeWindow(index, rows: 0..<columns.count, lookbackHours: lookbackHours, rowOffset: window.lowerBound,
                                      indexReused: false, started: started, stop: stop)
        }
    }

    /// Rows of `columns` before `end` within `hours` of row `end − 1`.
    func trailingWindow(_ columns: BookColumns, end: Int, hours: Double) -> Range<Int> {
        guard end > 0 else { return 0..<0 }
        let last = columns.timestamps[end - 1]
        // Rounded up so that a lookback of exactly the data's span (`all`) reaches its first row.
        let nanoseconds = (hours * 3.6e12).rounded(.up)
        let reach = nanoseconds < 9.2e18 ? Int64(max(nanoseconds, 0)) : Int64.max
        let start = last >= Int64.min + reach ? last - reach : Int64.min
        return columns.firstRow(atOrAfter: start, in: 0..<end)..<end
    }

    /// Optimises over `rows` of a prepared index. `rowOffset` maps the index's
    /// rows to the caller's data rows (for the report). With `chains`, the
    /// grid search reuses the trade chains of the previous window of the same
    /// index (the walk-forward's case; the report is the same bit for bit).
    /// `moments`, when given, are `rows`' window sums already computed
    /// (`FirstPassageBacktest.entryCostMoments(windows:stepNanoseconds:blockPoints:)`);
    /// `concurrentGrid` false evaluates the grid on the calling thread only.
    func optimizeWindow(
        _ index: FirstPassageBacktest, rows: Range<Int>, lookbackHours: Double, rowOffset: Int, indexReused: Bool,
        started: ContinuousClock.Instant, stop: StopSignal, chains: TradeChainCache? = nil,
        moments: AR1Moments? = nil, concurrentGrid: Bool = true
    ) throws -> OptimizationReport {
        let clock = ContinuousClock()
        var events: [OptimizationStatusEvent] = []
        func emit(_ event: OptimizationStatusEvent) {
            events.append(event)
            statusHandler?(event)
        }
        func elapsedMs() -> Double { (clock.now - started).milliseconds }
        emit(OptimizationStatusEvent(timestamp: wallClock(), status: .started, dataPointsAnalyzed: rows.count))
        do {
            var report = try search(index, rows: rows, lookbackHours: lookbackHours, rowOffset: rowOffset, stop: stop,
                                    deadline: timeBudget.map { started + $0 }, chains: chains, moments: moments,
                                    concurrentGrid: concurrentGrid)
            let duration = elapsedMs()
            report.performance = OptimizationPerformance(
                optimizationDurationMs: duration, dataPointsProcessed: rows.count,
                memoryUsageMb: ProcessMemory.peakResidentMegabytes(), cacheHitRatio: indexReused ? 1 : 0)
            emit(OptimizationStatusEvent(timestamp: wallClock(), status: .completed,
                                         dataPointsAnalyzed: rows.count, durationMs: duration))
            report.events = events
            return report
        } catch {
            emit(OptimizationStatusEvent(timestamp: wallClock(), status: .failed,
                                         dataPointsAnalyzed: rows.count, errorMessage: "\(error)", durationMs: elapsedMs()))
            throw error
        }
    }

    private func search(
        _ index: FirstPassageBacktest, rows: Range<Int>, lookbackHours: Double, rowOffset: Int, stop: StopSignal,
        deadline: ContinuousClock.Instant?, chains: TradeChainCache?, moments: AR1Moments?, concurrentGrid: Bool
    ) throws -> OptimizationReport {
        let columns = index.columns
        let n = rows.count
        guard n >= config.minSpreadDataPoints else {
            throw InsufficientDataError(operation: "optimizeParameters", required: config.minSpreadDataPoints,
                                        available: n, detail: "rows in the optimisation window (min_spread_data_points)")
        }
        let firstTime = columns.timestamps[rows.lowerBound], lastTime = columns.timestamps[rows.upperBound - 1]
        let span = lastTime - firstTime
        let neededMinutes = lookbackHours * 30  // half the lookback
        guard Double(span) >= neededMinutes * 6e10 else {
            throw InsufficientDataError(
                operation: "optimizeParameters", required: Int(neededMinutes.rounded(.up)), available: Int(span / 60_000_000_000),
                detail: "minutes spanned by the window; it must cover at least half the \(NumberText.plain(lookbackHours)) h lookback")
        }

        let statistics = Self.windowStatistics(
            moments ?? index.entryCostMoments(rows: rows, stepNanoseconds: Self.statisticsStepNanoseconds))
        let entries = entryGrid?.values ?? defaultEntryAxis(statistics)
        let exits = exitGrid?.values ?? defaultExitAxis(statistics, entryHigh: entries.last ?? config.maxEntryThreshold)
        let total = entries.count * exits.count
        guard total <= Self.maxGridPoints else {
            throw ParameterValidationError(parameter: "threshold_grid", value: Double(total),
                                           rule: "at most \(Self.maxGridPoints) points (e.g. 512 x 512)")
        }
        var mask = [Bool](repeating: false, count: total)
        var firstViolation: ParameterValidationError?
        for (e, entry) in entries.enumerated() {
            for (x, exit) in exits.enumerated() {
                // Only the first unsafe point's message is shown: formatting one for every unsafe point
                // (String(format:) inside) cost more instructions than backtesting the whole grid.
                let safe = config.isSafe(entryThreshold: entry, exitThreshold: exit)
                mask[e * exits.count + x] = safe
                if !safe && firstViolation == nil {
                    firstViolation = config.safetyViolation(entryThreshold: entry, exitThreshold: exit)
                }
            }
        }
        let safeCount = mask.reduce(0) { $0 + ($1 ? 1 : 0) }
        guard safeCount > 0 else {
            throw ParameterValidationError(
                parameter: "threshold_grid", value: Double(total),
                rule: "none of the \(total) grid points passes the safety rules (first: \(firstViolation.map { "\($0)" } ?? "empty grid"))")
        }

        let split = columns.firstRow(atOrAfter: firstTime + span / 2, in: rows)
        let shouldStop: @Sendable () -> Bool = { stop.isCancelled || deadline.map { ContinuousClock.now >= $0 } ?? false }
        let evaluation = if let chains {
            ThresholdGridSearch.evaluate(index, entries: entries, exits: exits, rows: rows, split: split, mask: mask,
                                         chains: chains, concurrently: concurrentGrid, shouldStop: shouldStop)
        } else {
            ThresholdGridSearch.evaluate(index, entries: entries, exits: exits, rows: rows, split: split, mask: mask,
                                         concurrently: concurrentGrid, shouldStop: shouldStop)
        }
        if evaluation.stopped {
            if stop.isCancelled { throw CancellationError() }
            let budget = timeBudget?.milliseconds ?? 0
            throw OptimizationTimeoutError(budgetMilliseconds: budget, evaluatedPoints: evaluation.evaluated, totalPoints: safeCount)
        }

        // Surface and selection over the whole window.
        func surface(_ k: Int, _ part: (GridPointTally) -> TradeTally, spanNanoseconds: Int64) -> GridSurfacePoint {
            surfacePoint(entry: entries[k / exits.count], exit: exits[k % exits.count],
                         tally: evaluation.points[k].map(part), spanNanoseconds: spanNanoseconds)
        }
        let points = (0..<total).map { surface($0, \.all, spanNanoseconds: span) }
        guard let best = Self.best(points.indices, { points[$0] })?.index else {
            throw ParameterValidationError(parameter: "threshold_grid", value: Double(total), rule: "no safe point was evaluated")
        }
        let chosen = points[best]

        // Out of sample: the first half's own choice, run on the second half (its surface is not kept).
        let firstHalfSpan = split > rows.lowerBound ? columns.timestamps[split - 1] - firstTime : 0
        let firstHalfBest = Self.best(0..<total, { surface($0, \.beforeSplit, spanNanoseconds: firstHalfSpan) })?.point
        func secondHalfPnl(_ p: GridSurfacePoint) -> Double {
            index.tally(entryThresholdPct: p.entryThresholdPct, exitThresholdPct: p.exitThresholdPct,
                        rows: split..<rows.upperBound, split: rows.upperBound).all.totalPnlPct
        }
        let outOfSample = firstHalfBest.map {
            ConfidenceScore.outOfSample(firstHalfChoice: secondHalfPnl($0), chosen: secondHalfPnl(chosen))
        } ?? 0

        // Smoothness: the evaluated neighbours in the 3 x 3 block.
        let (ce, cx) = (best / exits.count, best % exits.count)
        var neighbours: [Double] = []
        for de in -1...1 {
            for dx in -1...1 where !(de == 0 && dx == 0) {
                let e = ce + de, x = cx + dx
                guard entries.indices.contains(e), exits.indices.contains(x),
                      let pnl = points[e * exits.count + x].totalPnlPct else { continue }
                neighbours.append(pnl)
            }
        }
        let confidence = ConfidenceScore(
            stationarity: ConfidenceScore.stationarity(pValue: statistics.dickeyFullerPValue),
            tradeSupport: ConfidenceScore.tradeSupport(trades: chosen.trades ?? 0),
            smoothness: ConfidenceScore.smoothness(optimum: chosen.totalPnlPct ?? 0, neighbours: neighbours),
            outOfSample: outOfSample,
            firstHalfChoice: firstHalfBest.map { ThresholdPair(entryThresholdPct: $0.entryThresholdPct,
                                                                exitThresholdPct: $0.exitThresholdPct) })

        let chosenTally = evaluation.points[best]?.all ?? TradeTally()
        let summary = BacktestSummary(chosenTally, spanNanoseconds: span)
        let checks = targetChecks(summary)
        let feasibleCount = points.reduce(0) { $0 + ($1.feasible ? 1 : 0) }
        let targetsMet = checks.allSatisfy(\.met)
        let statusText = targetsMet
            ? "\(feasibleCount) of \(safeCount) safe grid points meet every target; the best of them is chosen"
            : "no safe grid point meets every target; the best safe point is chosen and misses "
                + checks.filter { !$0.met }.map { "\($0.name) (\(Self.format($0.actual)) vs \(Self.format($0.target)))" }
                    .joined(separator: ", ")
        let ranked = Self.leading(Self.alternativeCount, of: points.indices.filter { $0 != best && points[$0].safe }) {
            Self.isBetter(points[$0], points[$1])
        }
        let result = OptimizationResult(
            entryThresholdPct: chosen.entryThresholdPct, exitThresholdPct: chosen.exitThresholdPct,
            confidenceScore: confidence.score, analysisPeriodHours: Int((Double(span) / 3_600e9).rounded()),
            meanReversionSpeed: statistics.halfLifeHours, spreadVolatility: statistics.stdSpread,
            optimizationTimestamp: Double(lastTime) / 1e9)
        return OptimizationReport(
            result: result,
            constraintStatus: ConstraintStatus(
                safe: true, targetsMet: targetsMet, targets: checks, totalPoints: total, safePoints: safeCount,
                feasiblePoints: feasibleCount, summary: statusText),
            chosen: summary, confidence: confidence, alternatives: ranked.map { points[$0] },
            statistics: statistics,
            window: OptimizationWindow(
                firstRow: rows.lowerBound + rowOffset, endRow: rows.upperBound + rowOffset,
                firstTime: UTCTime.iso8601(nanoseconds: firstTime), lastTime: UTCTime.iso8601(nanoseconds: lastTime),
                spanHours: Double(span) / 3_600e9),
            performance: OptimizationPerformance(optimizationDurationMs: 0, dataPointsProcessed: n, memoryUsageMb: 0, cacheHitRatio: 0),
            events: [],
            surface: GridSurface(entries: entries, exits: exits, points: points))
    }

    private func surfacePoint(entry: Double, exit: Double, tally: TradeTally?, spanNanoseconds: Int64) -> GridSurfacePoint {
        guard let tally else {
            return GridSurfacePoint(entryThresholdPct: entry, exitThresholdPct: exit, safe: false, feasible: false)
        }
        let s = BacktestSummary(tally, spanNanoseconds: spanNanoseconds)
        return GridSurfacePoint(entryThresholdPct: entry, exitThresholdPct: exit, safe: true, feasible: meetsTargets(s),
                                trades: s.trades, hitRate: s.hitRate, totalPnlPct: s.totalPnlPct,
                                maxDrawdown: s.maxDrawdown, tradesPerDay: s.tradesPerDay)
    }

    /// `targetChecks(s).allSatisfy(\.met)` without building the checks (this runs for every grid point).
    private func meetsTargets(_ s: BacktestSummary) -> Bool {
        TargetCheck.meets(actual: s.hitRate, target: config.targetHitRate, atLeast: true)
            && TargetCheck.meets(actual: s.tradesPerDay, target: Double(config.minDailyTrades), atLeast: true)
            && TargetCheck.meets(actual: s.maxDrawdown, target: config.maxDrawdownTolerance, atLeast: false)
    }

    private func targetChecks(_ s: BacktestSummary) -> [TargetCheck] {
        [TargetCheck(name: "hit_rate", target: config.targetHitRate, actual: s.hitRate, atLeast: true),
         TargetCheck(name: "trades_per_day", target: Double(config.minDailyTrades), actual: s.tradesPerDay, atLeast: true),
         TargetCheck(name: "max_drawdown", target: config.maxDrawdownTolerance, actual: s.maxDrawdown, atLeast: false)]
    }

    /// Alternatives a report lists.
    static let alternativeCount = 5

    /// The first `count` of `candidates` in the order `precedes`, as a stable
    /// sort would give them (ties keep the candidates' order), without
    /// sorting the rest: a walk-forward ranks every window's grid.
    static func leading(_ count: Int, of candidates: [Int], by precedes: (Int, Int) -> Bool) -> [Int] {
        var top: [Int] = []
        guard count > 0 else { return top }
        top.reserveCapacity(count + 1)
        for k in candidates {
            guard top.count < count || precedes(k, top[top.count - 1]) else { continue }
            let place = top.firstIndex { precedes(k, $0) } ?? top.count
            top.insert(k, at: place)
            if top.count > count { top.removeLast() }
        }
        return top
    }

    /// The best safe point of `point(k)` over `candidates` (made one at a
    /// time, in order): feasible first, then the documented order; ties keep
    /// the first.
    static func best(_ candidates: Range<Int>, _ point: (Int) -> GridSurfacePoint) -> (index: Int, point: GridSurfacePoint)? {
        var best: (index: Int, point: GridSurfacePoint)?
        for k in candidates {
            let p = point(k)
            guard p.safe else { continue }
            if let b = best, !isBetter(p, b.point) { continue }
            best = (k, p)
        }
        return best
    }

    /// Strict order: feasible, total P&L ↑, drawdown ↓, hit rate ↑, trades ↑, entry ↓, exit ↓.
    static func isBetter(_ a: GridSurfacePoint, _ b: GridSurfacePoint) -> Bool {
        if a.feasible != b.feasible { return a.feasible }
        let pa = a.totalPnlPct ?? -.infinity, pb = b.totalPnlPct ?? -.infinity
        if pa != pb { return pa > pb }
        let da = a.maxDrawdown ?? .infinity, db = b.maxDrawdown ?? .infinity
        if da != db { return da < db }
        let ha = a.hitRate ?? 0, hb = b.hitRate ?? 0
        if ha != hb { return ha > hb }
        let ta = a.trades ?? 0, tb = b.trades ?? 0
        if ta != tb { return ta > tb }
        if a.entryThresholdPct != b.entryThresholdPct { return a.entryThresholdPct < b.entryThresholdPct }
        return a.exitThresholdPct < b.exitThresholdPct
    }

    func defaultEntryAxis(_ s: WindowStatistics) -> [Double] {
        let floor = 2 * config.minExitThreshold, ceiling = config.maxEntryThreshold
        var low = max(s.meanSpread - 2.33 * s.stdSpread, floor)
        var high = min(s.meanSpread + 2.33 * s.stdSpread, ceiling)
        if !(low < high) { (low, high) = (min(floor, ceiling), ceiling) }
        return Self.axis(low, high, low < high ? defaultGridSteps : 1)
    }

    func defaultExitAxis(_ s: WindowStatistics, entryHigh: Double) -> [Double] {
        let low = config.minExitThreshold
        let swing = s.stdSpread.isFinite ? 4.66 * s.stdSpread : 0
        let high = min(max(swing, 2 * low), max(entryHigh, low))
        return Self.axis(low, high, low < high ? defaultGridSteps : 1)
    }

    static func axis(_ low: Double, _ high: Double, _ steps: Int) -> [Double] {
        (try? ThresholdAxis(from: low, to: max(low, high), steps: low < high ? steps : 1).values) ?? [low]
    }

    /// Grid step of the window statistics: 1 s.
    static let statisticsStepNanoseconds: Int64 = 1_000_000_000

    /// Mean, deviation and Dickey–Fuller test of the spread on the 1 s grid of
    /// a window, from its sums (streamed, no grid array: this runs at every
    /// walk-forward step).
    static func windowStatistics(_ moments: AR1Moments) -> WindowStatistics {
        let tau = moments.dickeyFullerStatistic
        let halfLife = moments.fit.map {
            MeanReversionParameters(alpha: $0.alpha, beta: $0.beta, gridStepSeconds: 1).halfLifeHours
        } ?? .infinity  // constant or too short: no evidence of reversion
        return WindowStatistics(gridPoints: moments.count, meanSpread: moments.mean,
                                stdSpread: moments.sampleStandardDeviation, dickeyFullerStatistic: tau,
                                dickeyFullerPValue: tau.isFinite ? MacKinnon.pValue(tau: tau) : .nan,
                                halfLifeHours: halfLife)
    }

    static func format(_ x: Double) -> String { String(format: "%.4g", x) }
}
