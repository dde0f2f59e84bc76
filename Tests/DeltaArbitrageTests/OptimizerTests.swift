import Foundation
import Testing
@testable import DeltaArbitrage
import DeltaArbitrageMockData

/// A small, fast configuration for tests: short hold limit so short windows qualify.
func testConfig(holdMinutes: Int = 60) -> OptimizerConfig {
    var config = OptimizerConfig()
    config.maxPositionHoldMinutes = holdMinutes
    return config
}

func mock(hours: Double, seed: UInt64, halfLifeMinutes: Double = 15, trend: Double = 0,
          spreadVolatility: Double = 0.002, tick: Double = 1) throws -> MarketData {
    var c = MockMarketConfig()
    c.hours = hours
    c.meanTickInterval = tick
    c.basisHalfLifeMinutes = halfLifeMinutes
    c.trendStrength = trend
    c.spreadVolatility = spreadVolatility
    return try generateMockMarketData(c, seed: seed)
}

@Suite("DeltaArbitrageOptimizer")
struct OptimizerTests {
    /// Every evaluated grid point's statistics equal a separate backtest of
    /// the window at that point (the kernel, itself proven against the
    /// row-by-row reference loop), and unsafe points are never evaluated.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func gridEqualsPerPointBacktests(seed: UInt64) async throws {
        let data = try mock(hours: 8, seed: seed)
        var optimizer = DeltaArbitrageOptimizer(config: testConfig())
        optimizer.entryGrid = try ThresholdAxis(from: 0.1, to: 0.9, steps: 9)
        optimizer.exitGrid = try ThresholdAxis(from: 0.02, to: 0.4, steps: 7)
        let report = try await optimizer.optimize(data, lookbackHours: 6)
        let window = data.rows(report.window.firstRow..<report.window.endRow)
        #expect(window.count == report.performance.dataPointsProcessed)
        var compared = 0
        for point in report.surface.points {
            let safe = optimizer.validateParameters(entryThreshold: point.entryThresholdPct, exitThreshold: point.exitThresholdPct)
            #expect(point.safe == safe)
            guard safe else {
                #expect(point.trades == nil && point.totalPnlPct == nil)
                continue
            }
            let rule = optimizer.config.rule(entryThresholdPct: point.entryThresholdPct, exitThresholdPct: point.exitThresholdPct)
            let direct = try deltaNeutralBacktest(window, rule: rule).summary
            #expect(point.trades == direct.trades)
            #expect(point.totalPnlPct == direct.totalPnlPct)
            #expect(point.hitRate == direct.hitRate)
            #expect(point.maxDrawdown == direct.maxDrawdown)
            #expect(point.tradesPerDay == direct.tradesPerDay)
            compared += 1
        }
        #expect(compared > 20)
        // The chosen point's statistics are those of its own backtest.
        let chosenRule = optimizer.config.rule(entryThresholdPct: report.result.entryThresholdPct,
                                               exitThresholdPct: report.result.exitThresholdPct)
        #expect(report.chosen == (try deltaNeutralBacktest(window, rule: chosenRule)).summary)
    }

    /// The choice is the documented best: no feasible point (or, without
    /// feasible points, no safe point) beats it in the documented order.
    @Test func choiceIsTheBestPoint() async throws {
        let data = try mock(hours: 12, seed: 7)
        var config = testConfig()
        config.targetHitRate = 0.5
        config.minDailyTrades = 2
        config.maxDrawdownTolerance = 0.05
        let optimizer = DeltaArbitrageOptimizer(config: config)
        let report = try await optimizer.optimize(data, lookbackHours: 12)
        let chosen = report.surface.points.first {
            $0.entryThresholdPct == report.result.entryThresholdPct && $0.exitThresholdPct == report.result.exitThresholdPct
        }
        let best = try #require(chosen)
        #expect(best.safe)
        for point in report.surface.points where point.safe && point != best {
            #expect(!DeltaArbitrageOptimizer.isBetter(point, best), "\(point) beats \(best)")
        }
        #expect(report.constraintStatus.targetsMet == best.feasible)
        #expect(report.constraintStatus.feasiblePoints == report.surface.points.filter(\.feasible).count)
        // Runner-ups are in order and never the choice.
        for (a, b) in zip(report.alternatives, report.alternatives.dropFirst()) {
            #expect(!DeltaArbitrageOptimizer.isBetter(b, a))
        }
        #expect(!report.alternatives.contains(best))
    }

    /// The alternatives' partial ranking is the prefix of a stable sort, with
    /// many ties, for every length asked.
    @Test func leadingCandidatesAreTheStableSortsPrefix() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        for trial in 0..<300 {
            let n = trial % 41
            let keys = (0..<n).map { _ in next(6) }
            var candidates = Array(0..<n)
            for i in candidates.indices.reversed() where i > 0 { candidates.swapAt(i, next(i + 1)) }
            let precedes = { (a: Int, b: Int) in keys[a] > keys[b] }
            for count in [0, 1, 5, 40, 60] {
                #expect(DeltaArbitrageOptimizer.leading(count, of: candidates, by: precedes)
                        == Array(candidates.sorted(by: precedes).prefix(count)), "keys \(keys) candidates \(candidates)")
            }
        }
    }

    /// Ties (entries above every spread trade identically) go to the lowest
    /// entry, and repeated runs give bit-identical reports.
    @Test func tiesAreBrokenDeterministically() async throws {
        let data = try mock(hours: 6, seed: 11)
        var optimizer = DeltaArbitrageOptimizer(config: testConfig())
        optimizer.config.maxEntryThreshold = 5
        optimizer.config.maxThresholdRatio = 1000
        // Every entry is above every spread (about −0.35 % ± 0.2 %... of price, cost ≈ 0.35 %): all enter at once.
        optimizer.entryGrid = try ThresholdAxis(from: 3, to: 4, steps: 5)
        optimizer.exitGrid = try ThresholdAxis(from: 0.05, to: 0.25, steps: 5)
        let a = try await optimizer.optimize(data, lookbackHours: 6)
        let b = try await optimizer.optimize(data, lookbackHours: 6)
        #expect(a.result == b.result)
        #expect(a.surface == b.surface)
        #expect(a.result.entryThresholdPct == 3)
        let pnlByExit = Dictionary(grouping: a.surface.points, by: \.exitThresholdPct).mapValues { Set($0.map(\.totalPnlPct)) }
        #expect(pnlByExit.values.allSatisfy { $0.count == 1 }, "entries above every spread must tie")
    }

    /// Property: over random data and random grids (many unsafe points), the
    /// result always passes the safety rules; a grid with no safe point throws.
    @Test func resultIsAlwaysSafe() async throws {
        var rng = SystemRandomNumberGenerator()
        var state: UInt64 = 0x5EED
        func uniform(_ lo: Double, _ hi: Double) -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return lo + (hi - lo) * Double(state >> 11) * 0x1p-53
        }
        _ = rng.next()
        var safeResults = 0, rejected = 0
        for trial in 0..<24 {
            let data = try mock(hours: 3, seed: UInt64(trial), halfLifeMinutes: uniform(2, 120),
                                spreadVolatility: uniform(0.0005, 0.004))
            var config = testConfig(holdMinutes: 30)
            config.maxEntryThreshold = uniform(0.2, 1.2)
            config.minExitThreshold = uniform(0.01, 0.15)
            config.maxThresholdRatio = uniform(1.5, 20)
            guard (try? config.validate()) != nil else { continue }
            var optimizer = DeltaArbitrageOptimizer(config: config)
            let lo = uniform(-0.5, 1), hi = lo + uniform(0, 1.5)
            optimizer.entryGrid = try ThresholdAxis(from: lo, to: hi, steps: 2 + trial % 9)
            let xlo = uniform(-0.2, 0.5)
            optimizer.exitGrid = try ThresholdAxis(from: xlo, to: xlo + uniform(0, 1), steps: 2 + (trial * 7) % 11)
            if trial % 4 == 0 { optimizer.entryGrid = nil; optimizer.exitGrid = nil }  // default grid too
            do {
                let result = try await optimizer.optimizeParameters(data, lookbackHours: 3)
                #expect(optimizer.validateParameters(entryThreshold: result.entryThresholdPct,
                                                     exitThreshold: result.exitThresholdPct), "\(result) \(config)")
                #expect((0...1).contains(result.confidenceScore))
                safeResults += 1
            } catch let error as ParameterValidationError {
                #expect(error.parameter == "threshold_grid")
                let anySafe = optimizer.entryGrid!.values.contains { e in
                    optimizer.exitGrid!.values.contains { optimizer.validateParameters(entryThreshold: e, exitThreshold: $0) }
                }
                #expect(!anySafe, "threw although a safe point exists")
                rejected += 1
            }
        }
        #expect(safeResults > 5)
        #expect(rejected > 0)
    }

    @Test func validateParametersFollowsTheSeedRules() {
        let o = DeltaArbitrageOptimizer()
        #expect(o.validateParameters(entryThreshold: 0.5, exitThreshold: 0.1))
        #expect(!o.validateParameters(entryThreshold: 1.01, exitThreshold: 0.2))  // above max entry
        #expect(!o.validateParameters(entryThreshold: 0.5, exitThreshold: 0.04))  // below min exit
        #expect(!o.validateParameters(entryThreshold: 0.3, exitThreshold: 0.3))  // exit not below entry
        #expect(!o.validateParameters(entryThreshold: 0.9, exitThreshold: 0.05))  // ratio 18 > 10
        #expect(!o.validateParameters(entryThreshold: -0.5, exitThreshold: 0.1))
        #expect(!o.validateParameters(entryThreshold: .nan, exitThreshold: 0.1))
        #expect(!o.validateParameters(entryThreshold: 0.5, exitThreshold: .infinity))
        #expect(o.config.safetyViolation(entryThreshold: 0.9, exitThreshold: 0.05)?.parameter == "entry_threshold_pct")
    }

    /// `isSafe` (the optimiser's per-grid-point check, which builds no message)
    /// and `safetyViolation` (which names the broken rule) are one rule set:
    /// they agree on every pair, boundaries and non-finite values included, and
    /// each rule keeps its message.
    @Test func isSafeAgreesWithSafetyViolation() {
        var config = OptimizerConfig()
        config.maxEntryThreshold = 1
        config.minExitThreshold = 0.05
        config.maxThresholdRatio = 10
        let values: [Double] = [-1, 0, 0.04, 0.05, 0.1, 0.3, 0.5, 0.9, 1, 1.01, .nan, .infinity, -.infinity]
        var safe = 0
        for entry in values {
            for exit in values {
                let violation = config.safetyViolation(entryThreshold: entry, exitThreshold: exit)
                #expect(config.isSafe(entryThreshold: entry, exitThreshold: exit) == (violation == nil), "entry \(entry), exit \(exit)")
                if violation == nil { safe += 1 }
            }
        }
        #expect(safe > 5)
        func message(_ entry: Double, _ exit: Double) -> String? {
            config.safetyViolation(entryThreshold: entry, exitThreshold: exit).map { "\($0)" }
        }
        #expect(message(0, 0.1) == "invalid entry_threshold_pct = 0: must be positive and finite")
        #expect(message(0.5, .nan) == "invalid exit_threshold_pct = nan: must be positive and finite")
        #expect(message(1.5, 0.2) == "invalid entry_threshold_pct = 1.5: must not exceed max_entry_threshold 1")
        #expect(message(0.5, 0.04) == "invalid exit_threshold_pct = 0.04: must be at least min_exit_threshold 0.05")
        #expect(message(0.3, 0.3) == "invalid exit_threshold_pct = 0.3: must be below the entry threshold 0.3")
        #expect(message(0.9, 0.05) == "invalid entry_threshold_pct = 0.9: entry/exit ratio 18 exceeds max_threshold_ratio 10")
        #expect(message(1, 0.1) == nil)  // entry = max and ratio = max are allowed
    }

    /// A grid without a safe point names the first point's broken rule (the
    /// optimiser formats only that message, not one per unsafe point).
    @Test func unsafeGridNamesTheFirstPointsViolation() async throws {
        let data = try mock(hours: 3, seed: 4)
        var optimizer = DeltaArbitrageOptimizer(config: testConfig(holdMinutes: 30))
        optimizer.entryGrid = try ThresholdAxis(from: 1.5, to: 2, steps: 2)
        optimizer.exitGrid = try ThresholdAxis(from: 0.1, to: 0.2, steps: 3)
        let error = await #expect(throws: ParameterValidationError.self) {
            try await optimizer.optimizeParameters(data, lookbackHours: 3)
        }
        #expect(error?.parameter == "threshold_grid")
        #expect(error?.rule == "none of the 6 grid points passes the safety rules "
            + "(first: invalid entry_threshold_pct = 1.5: must not exceed max_entry_threshold 1)")
    }

    @Test func insufficientDataIsATypedError() async throws {
        let data = try mock(hours: 0.02, seed: 1)  // 73 rows
        let optimizer = DeltaArbitrageOptimizer(config: testConfig())
        await #expect(throws: InsufficientDataError.self) { try await optimizer.optimizeParameters(data, lookbackHours: 1) }
        // Enough rows, but they span less than half the lookback.
        let short = try mock(hours: 0.9, seed: 1)
        do {
            _ = try await optimizer.optimizeParameters(short, lookbackHours: 2)
            Issue.record("expected InsufficientDataError")
        } catch let error as InsufficientDataError {
            #expect(error.required == 60)
            #expect(error.available == 54)
            #expect(error.description.contains("half the 2 h lookback"))
        }
        _ = try await optimizer.optimizeParameters(short, lookbackHours: 1)
        await #expect(throws: ParameterValidationError.self) {
            try await optimizer.optimizeParameters(short, lookbackHours: 0)
        }
    }

    @Test func timeBudgetThrowsTimeoutAndEmitsFailedEvent() async throws {
        let data = try mock(hours: 6, seed: 2)
        let events = EventLog()
        var optimizer = DeltaArbitrageOptimizer(config: testConfig())
        optimizer.timeBudget = .nanoseconds(1)
        optimizer.statusHandler = { events.append($0) }
        do {
            _ = try await optimizer.optimizeParameters(data, lookbackHours: 6)
            Issue.record("expected OptimizationTimeoutError")
        } catch let error as OptimizationTimeoutError {
            #expect(error.evaluatedPoints < error.totalPoints)
        }
        #expect(events.statuses == [.started, .failed])
        #expect(events.all.last?.errorMessage?.contains("budget") == true)
    }

    @Test func statusEventsReadTheInjectedWallClock() async throws {
        let data = try mock(hours: 6, seed: 2)
        let events = EventLog()
        var optimizer = DeltaArbitrageOptimizer(config: testConfig())
        optimizer.wallClock = { 1_234_567_890.5 }
        optimizer.statusHandler = { events.append($0) }
        _ = try await optimizer.optimizeParameters(data, lookbackHours: 6)
        #expect(events.statuses == [.started, .completed])
        #expect(events.all.map(\.timestamp) == [1_234_567_890.5, 1_234_567_890.5])
    }

    @Test func cancellationStopsTheSearch() async throws {
        let data = try mock(hours: 6, seed: 2)
        let optimizer = DeltaArbitrageOptimizer(config: testConfig())
        let task = Task { try await optimizer.optimizeParameters(data, lookbackHours: 6) }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @Test func successEmitsStartedAndCompletedAndFillsPerformance() async throws {
        let data = try mock(hours: 6, seed: 3)
        let events = EventLog()
        var optimizer = DeltaArbitrageOptimizer(config: testConfig())
        optimizer.statusHandler = { events.append($0) }
        let report = try await optimizer.optimize(data, lookbackHours: 6)
        #expect(events.statuses == [.started, .completed])
        #expect(report.events == events.all)
        #expect(report.events.last?.dataPointsAnalyzed == data.count)
        #expect(report.performance.dataPointsProcessed == data.count)
        #expect(report.performance.optimizationDurationMs > 0)
        #expect(report.performance.memoryUsageMb > 0)
        #expect(report.surface.points.count == 32 * 32)
        #expect(report.result.analysisPeriodHours == 6)
        #expect(report.result.optimizationTimestamp == Double(data.timestamps.last!) / 1e9)
    }

    /// Targets that nothing can meet: the best safe point comes back, and the
    /// status names each missed target with its shortfall.
    @Test func missedTargetsAreReported() async throws {
        let data = try mock(hours: 6, seed: 4)
        var config = testConfig()
        config.targetHitRate = 1
        config.minDailyTrades = 100_000
        config.maxDrawdownTolerance = 0
        let report = try await DeltaArbitrageOptimizer(config: config).optimize(data, lookbackHours: 6)
        #expect(!report.constraintStatus.targetsMet)
        #expect(report.constraintStatus.feasiblePoints == 0)
        let perDay = try #require(report.constraintStatus.targets.first { $0.name == "trades_per_day" })
        #expect(!perDay.met)
        #expect(perDay.shortfall == 100_000 - report.chosen.tradesPerDay)
        #expect(report.constraintStatus.summary.contains("trades_per_day"))
        #expect(DeltaArbitrageOptimizer(config: config).validateParameters(
            entryThreshold: report.result.entryThresholdPct, exitThreshold: report.result.exitThresholdPct))
    }

    @Test func resultEncodesWithSeedKeys() throws {
        let result = OptimizationResult(entryThresholdPct: 0.5, exitThresholdPct: 0.1, confidenceScore: 0.8,
                                        analysisPeriodHours: 24, meanReversionSpeed: .infinity, spreadVolatility: 0.2,
                                        optimizationTimestamp: 1.7e9)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(result)) as! [String: Any]
        #expect(Set(json.keys) == ["entry_threshold_pct", "exit_threshold_pct", "confidence_score", "analysis_period_hours",
                                   "mean_reversion_speed", "spread_volatility", "optimization_timestamp"])
        #expect(json["mean_reversion_speed"] is NSNull)
        let back = try JSONDecoder().decode(OptimizationResult.self, from: JSONEncoder().encode(result))
        #expect(back.entryThresholdPct == 0.5 && back.meanReversionSpeed.isNaN)
    }

    @Test func analyzeSpreadDistributionIsTheEnginesAnalysis() throws {
        let data = try mock(hours: 3, seed: 8)
        let analysis = try DeltaArbitrageOptimizer().analyzeSpreadDistribution(data)
        #expect(analysis == (try SpreadAnalyzer.analyze(data, options: SpreadAnalysisOptions())).spreadAnalysis)
        #expect(analysis.autocorrelation.count == 51)
    }

    @Test func thresholdAxisParsing() throws {
        #expect(try ThresholdAxis(parsing: "0.1:0.5:5").values == [0.1, 0.2, 0.30000000000000004, 0.4, 0.5])
        #expect(try ThresholdAxis(parsing: "0.3:0.3:1").values == [0.3])
        for bad in ["0.1:0.5", "a:1:2", "0.5:0.1:3", "0.1:0.5:0", "0.1:0.5:1", "nan:1:2"] {
            #expect(throws: ParameterValidationError.self, "\(bad)") { try ThresholdAxis(parsing: bad, parameter: "--entry-grid") }
        }
    }
}

/// Collects status events from the optimiser's threads.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [OptimizationStatusEvent] = []
    func append(_ e: OptimizationStatusEvent) { lock.lock(); events.append(e); lock.unlock() }
    var all: [OptimizationStatusEvent] { lock.lock(); defer { lock.unlock() }; return events }
    var statuses: [OptimizationStatusEvent.Status] { all.map(\.status) }
}
