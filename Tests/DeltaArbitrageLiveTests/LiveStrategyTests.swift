import DeltaArbitrage
import DeltaArbitrageMockData
import Foundation
import Testing
@testable import DeltaArbitrageLive

func liveConfig(holdMinutes: Int = 45, lookbackHours: Double = 2, updateMinutes: Int = 30) -> DeltaArbitrageConfig {
    var c = DeltaArbitrageConfig()
    c.maxPositionHoldMinutes = holdMinutes
    c.optimizationLookbackHours = lookbackHours
    c.parameterUpdateIntervalMinutes = updateMinutes
    c.targetHitRate = 0.6
    c.minDailyTrades = 3
    return c
}

func mockData(hours: Double, seed: UInt64, tick: Double = 1) throws -> MarketData {
    var c = MockMarketConfig()
    c.hours = hours
    c.meanTickInterval = tick
    return try generateMockMarketData(c, seed: seed)
}

/// Runs the whole paper stack over `data`.
func paper(_ data: MarketData, config: DeltaArbitrageConfig, fixed: ThresholdPair?, optimizer: DeltaArbitrageOptimizer? = nil,
           store: StrategyStore? = nil, events: EventHub = EventHub(), fillLimit: PaperFillLimit = .unlimited,
           rejects: @escaping @Sendable (MarketOrder) -> Bool = { _ in false }) async throws -> PaperTradingSummary {
    let store = try store ?? StrategyStore(path: ":memory:")
    let exchange = PaperExchange(spotFee: config.spotFee, futFee: config.futFee, clock: ContinuousClock(), fillLimit: fillLimit,
                                 rejects: rejects)
    let strategy = try await StrategyLoop(config: config, gateway: exchange, store: store, events: events, optimizer: optimizer,
                                          ringCapacity: max(data.count, 1))
    let session = PaperTradingSession(feed: ReplayFeed(data: data, clock: ContinuousClock()), strategy: strategy, store: store,
                                      spanNanoseconds: data.spanNanoseconds)
    try await strategy.running {
        if let fixed { try await strategy.changeThresholds(.fixed(fixed, initialOnly: optimizer != nil, override: false)) }
        try await session.run()
    }
    return try await session.summarize()
}

/// Carries out `commands` on `core` without an exchange: each order fills
/// `filled(order)` base units at the order's own quantity's price (nil: refused),
/// until no order is left; returns every command that is not an order.
func settle(_ core: inout StrategyCore, _ commands: [StrategyCommand], price: Double = 100,
            filled: (MarketOrder) -> Double? = { $0.quantity }) throws -> [StrategyCommand] {
    var queue = commands[...], done: [StrategyCommand] = []
    while let command = queue.popFirst() {
        guard case .execute(let batch) = command else { done.append(command); continue }
        let outcomes = batch.legs.map { leg in
            LegOutcome(order: leg.order, fill: filled(leg.order).map {
                OrderFill(clientOrderId: leg.order.clientOrderId, market: leg.order.market, side: leg.order.side, price: price,
                          quantity: $0, fee: 0, timestampNanoseconds: batch.timestampNanoseconds)
            })
        }
        queue = try core.legsCompleted(outcomes)[...] + queue
    }
    return done
}

@Suite("Live strategy")
struct LiveStrategyTests {
    /// With fixed thresholds, a replay through strategy + paper exchange
    /// trades exactly as the backtest.
    @Test(arguments: [(1, 0.5, 0.1), (2, 0.4, 0.06), (3, 0.6, 0.2)] as [(UInt64, Double, Double)])
    func replayEqualsBacktest(seed: UInt64, entry: Double, exit: Double) async throws {
        let data = try mockData(hours: 12, seed: seed)
        let config = liveConfig()
        let store = try StrategyStore(path: ":memory:")
        let summary = try await paper(data, config: config, fixed: ThresholdPair(entryThresholdPct: entry, exitThresholdPct: exit),
                                      store: store)
        let backtest = try deltaNeutralBacktest(data, rule: config.optimizer.rule(entryThresholdPct: entry, exitThresholdPct: exit))
        #expect(summary.trades == backtest.trades)
        #expect(!backtest.trades.isEmpty)
        #expect(summary.summary == backtest.summary)
        #expect(summary.openPosition?.entrySequence == backtest.openPosition?.entryIndex)
        #expect(summary.ticks == data.count)
    }

    /// The tick path's shortcut: `decideNow` decides holds at once and declines
    /// exactly the updates whose decision sends orders (each open and each close);
    /// those go through the loop, and the trades are the backtest's. It declines
    /// everything before `run()` and after `finish()`.
    @Test func decideNowTakesTheHoldsAndLeavesTheOrdersToTheLoop() async throws {
        let data = try mockData(hours: 12, seed: 7)
        let config = liveConfig()
        let pair = ThresholdPair(entryThresholdPct: 0.3, exitThresholdPct: 0.1)
        let store = try StrategyStore(path: ":memory:")
        let exchange = PaperExchange(spotFee: config.spotFee, futFee: config.futFee, clock: ContinuousClock())
        let loop = try await StrategyLoop(config: config, gateway: exchange, store: store)
        #expect(!loop.decideNow(BookUpdate(row: 0, of: data)), "the loop is not running yet")
        var declined = 0
        try await loop.running {
            try await loop.changeThresholds(.fixed(pair, initialOnly: false, override: false))
            for row in 0..<data.count {
                let update = BookUpdate(row: row, of: data)
                if !loop.decideNow(update) {
                    declined += 1
                    try await loop.handle(update)
                }
            }
        }
        #expect(!loop.decideNow(BookUpdate(row: data.count - 1, of: data)), "the loop has stopped")
        let backtest = try deltaNeutralBacktest(data, rule: config.optimizer.rule(entryThresholdPct: pair.entryThresholdPct,
                                                                                  exitThresholdPct: pair.exitThresholdPct))
        let trades = try await store.trades()
        #expect(trades.count == backtest.trades.count && trades.count > 3)
        #expect(declined == 2 * backtest.trades.count + (backtest.openPosition == nil ? 0 : 1))
        #expect(loop.status().handledUpdates == data.count)
        #expect(loop.decisionLatencyHistogram().count == data.count)
    }

    /// With re-optimisation on, trades and the thresholds in force at each
    /// trade equal the walk-forward's.
    @Test func replayWithUpdatesEqualsWalkForward() async throws {
        let data = try mockData(hours: 10, seed: 5, tick: 2)
        let config = liveConfig()
        var optimizer = DeltaArbitrageOptimizer(config: config.optimizer)
        optimizer.defaultGridSteps = 8
        let summary = try await paper(data, config: config, fixed: nil, optimizer: optimizer,
                                      store: try StrategyStore(path: ":memory:"))
        let walk = try await optimizedDeltaNeutralBacktest(
            data, optimizer: optimizer, optimizationWindowHours: config.optimizationLookbackHours,
            updateInterval: .seconds(config.parameterUpdateIntervalMinutes * 60))
        #expect(summary.trades == walk.trades)
        #expect(walk.trades.count > 3)
        // Thresholds in force at each exit: the walk-forward's last update at or before that row.
        for (trade, pair) in zip(summary.trades, summary.tradeThresholds) {
            let inForce = walk.updates.last { $0.row <= trade.exitIndex }?.thresholds
            #expect(inForce == pair, "trade exiting at row \(trade.exitIndex)")
        }
        #expect(summary.parameterUpdates.count == walk.optimizationHistory.count)
        #expect(summary.parameterUpdates.map(\.newEntryThreshold) == walk.optimizationHistory.map(\.entryThresholdPct))
        // StrategyPerformance: means over what happened.
        let durations = summary.parameterUpdates.map(\.optimizationDurationMs)
        let mean = durations.reduce(0, +) / Double(durations.count)
        #expect(abs(summary.performance.parameterUpdateDurationMs - mean) <= 1e-9 * mean)
        #expect(summary.performance.avgTradeExecutionMs > 0)
        #expect(summary.performance.memoryUsageMb > 0)
        #expect(summary.performance.uptimePercentage > 50 && summary.performance.uptimePercentage < 100,
                "no thresholds before the first update: not all ticks can act")
    }

    @Test func unsafeParametersAreRefusedAndTheOldOnesKept() throws {
        var core = try StrategyCore(config: liveConfig())
        let good = ThresholdPair(entryThresholdPct: 0.5, exitThresholdPct: 0.1)
        _ = try core.apply(.optimized(good, confidence: 0.8, durationMs: 1, atNanoseconds: 0, schedule: nil)).result.get()
        for bad in [ThresholdPair(entryThresholdPct: 1.5, exitThresholdPct: 0.1),  // above max entry
                    ThresholdPair(entryThresholdPct: 0.5, exitThresholdPct: 0.6),  // exit above entry
                    ThresholdPair(entryThresholdPct: .nan, exitThresholdPct: 0.1)] {
            let outcome = core.apply(.optimized(bad, confidence: 1, durationMs: 1, atNanoseconds: 1, schedule: nil))
            #expect(throws: ParameterUpdateError.self) { try outcome.result.get() }
            // The refusal is committed as a failed update.
            guard case .commit(let entry)? = outcome.commands.first else { Issue.record("no commit"); continue }
            #expect(entry.context.thresholds == good && entry.parameterUpdate == nil)
            #expect(core.context.thresholds == good)
        }
        let status = core.optimizationStatus
        #expect(status.successfulUpdates == 1 && status.failedUpdates == 3)
        #expect(status.lastUpdateError?.contains("unsafe") == true)
    }

    /// An optimiser that fails (no safe grid point) leaves the thresholds in force.
    @Test func failedOptimisationKeepsTheLastGoodThresholds() async throws {
        let data = try mockData(hours: 4, seed: 6)
        let config = liveConfig(lookbackHours: 2, updateMinutes: 30)
        var failing = DeltaArbitrageOptimizer(config: config.optimizer)
        failing.entryGrid = try ThresholdAxis(from: 2, to: 3, steps: 2)  // every point unsafe
        let fixed = ThresholdPair(entryThresholdPct: 0.5, exitThresholdPct: 0.1)
        let events = EventHub()
        let statuses = Collected()
        events.addSink { if case .optimizationStatus(let s) = $0 { statuses.add(s.status.rawValue) } }
        let store = try StrategyStore(path: ":memory:")
        let summary = try await paper(data, config: config, fixed: fixed, optimizer: failing, store: store, events: events)
        #expect(summary.parameterUpdates.isEmpty)
        #expect(summary.tradeThresholds.allSatisfy { $0 == fixed })
        let context = try await store.context()
        #expect(context.thresholds == fixed)
        #expect(context.failedUpdates == 8)  // every 30 min over 4 h, the last at the final tick
        #expect(context.lastUpdateError?.contains("safety rules") == true)
        #expect(statuses.values.filter { $0 == "failed" }.count >= 3)
        // And the trades are the fixed thresholds' backtest.
        #expect(summary.trades == (try deltaNeutralBacktest(data, rule: config.optimizer.rule(entryThresholdPct: 0.5, exitThresholdPct: 0.1))).trades)
    }

    /// A rejected futures leg: the spot leg is unwound, the strategy stays
    /// flat and keeps trading; the backtest's first trade is skipped.
    @Test func rejectedLegIsUnwound() async throws {
        let data = try mockData(hours: 6, seed: 1)
        let config = liveConfig()
        let pair = ThresholdPair(entryThresholdPct: 0.5, exitThresholdPct: 0.1)
        let backtest = try deltaNeutralBacktest(data, rule: config.optimizer.rule(entryThresholdPct: 0.5, exitThresholdPct: 0.1))
        let firstEntry = try #require(backtest.trades.first?.entryIndex)
        let events = EventHub()
        let orders = Collected()
        events.addSink {
            if case .order(let o) = $0 { orders.add("\(o.purpose.rawValue):\(o.order.market.rawValue):\(o.fill == nil ? "x" : "ok")") }
            if case .alert(let a) = $0 { orders.add("alert:\(a.message)") }
        }
        let summary = try await paper(data, config: config, fixed: pair, events: events,
                                      rejects: { $0.clientOrderId == "o\(firstEntry)-fut" })
        #expect(summary.halted == nil)
        #expect(!summary.trades.contains { $0.entryIndex == firstEntry })
        #expect(orders.values.contains("unwind:spot:ok"))
        #expect(orders.values.contains("open:futures:x"))
        #expect(orders.values.contains { $0.hasPrefix("alert:") && $0.contains("unwound") })
        #expect(!summary.trades.isEmpty, "trading continues after the unwind")
    }

    /// A rejected hedge whose unwind also fails halts trading with the open
    /// leg flagged, never silently unhedged.
    @Test func failedUnwindHaltsWithTheLegFlagged() async throws {
        let data = try mockData(hours: 6, seed: 1)
        let config = liveConfig()
        let store = try StrategyStore(path: ":memory:")
        let summary = try await paper(data, config: config, fixed: ThresholdPair(entryThresholdPct: 0.5, exitThresholdPct: 0.1),
                                      store: store, rejects: { $0.market == .futures || $0.clientOrderId.hasSuffix("-unwind") })
        let halted = try #require(summary.halted)
        #expect(halted.contains("unhedged spot"))
        let position = try #require(summary.openPosition)
        #expect(position.spotOpen && !position.futuresOpen)
        #expect(summary.trades.isEmpty)
        #expect(try await store.context().halted == halted)
    }

    /// A close whose futures leg keeps failing halts with that leg flagged open.
    @Test func failedCloseHalts() async throws {
        let data = try mockData(hours: 6, seed: 1)
        let config = liveConfig()
        let summary = try await paper(data, config: config, fixed: ThresholdPair(entryThresholdPct: 0.5, exitThresholdPct: 0.1),
                                      rejects: { $0.clientOrderId.hasPrefix("c") && $0.market == .futures })
        #expect(summary.halted?.contains("futures leg still open") == true)
        let position = try #require(summary.openPosition)
        #expect(!position.spotOpen && position.futuresOpen)
    }

    /// Stale data: while one market's top is older than `staleAfter`, no
    /// position opens; fresh data resumes trading.
    @Test func staleDataStopsOpening() throws {
        var core = try StrategyCore(config: liveConfig(), staleAfter: .seconds(5))
        _ = try core.apply(.fixed(ThresholdPair(entryThresholdPct: 0.5, exitThresholdPct: 0.1), initialOnly: false, override: false))
            .result.get()
        let second: Int64 = 1_000_000_000
        let cheap = BookTop(bid: 99.99, ask: 100)  // entry cost ≈ 0.2 % < 0.5 %
        let fut = BookTop(bid: 99.8, ask: 99.81)
        var alerts: [String] = []
        func feed(_ u: BookUpdate) throws {
            for case .publish(.alert(let a)) in try settle(&core, try core.handle(u)) { alerts.append(a.message) }
        }
        // Both markets at t = 0, then spot-only updates: dear for 5 s, cheap once the futures top is stale.
        let dear = BookTop(bid: 100, ask: 100.5)
        try feed(BookUpdate(sequence: 0, timestampNanoseconds: 0, spot: dear, futures: fut))
        for k in 1...10 {
            try feed(BookUpdate(sequence: k, timestampNanoseconds: Int64(k) * second, spot: k <= 5 ? dear : cheap, futures: nil))
        }
        #expect(core.context.position == nil, "opened on stale futures data")
        #expect(alerts.filter { $0.contains("stale") }.count == 1, "one alert per stale stretch")
        // Fresh futures: opens at once.
        try feed(BookUpdate(sequence: 11, timestampNanoseconds: 11 * second, spot: cheap, futures: fut))
        #expect(core.context.position?.entrySequence == 11)
    }

    /// A gap in the feed: after the gap both tops are fresh again, so the
    /// strategy acts; `isStale(at:)` reports the gap to a watchdog meanwhile.
    @Test func feedGapIsReportedByTheWatchdogCheck() throws {
        var core = try StrategyCore(config: liveConfig(), staleAfter: .seconds(5))
        _ = try core.handle(BookUpdate(sequence: 0, timestampNanoseconds: 0, spot: BookTop(bid: 100, ask: 100.5),
                                       futures: BookTop(bid: 99.8, ask: 99.81)))
        #expect(core.isStale(at: 4_000_000_000) == false)
        #expect(core.isStale(at: 6_000_000_000) == true)
    }

    /// Updates at or below the committed sequence are ignored (replay after restart).
    @Test func committedUpdatesAreSkipped() async throws {
        let data = try mockData(hours: 6, seed: 2)
        let config = liveConfig()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let pair = ThresholdPair(entryThresholdPct: 0.5, exitThresholdPct: 0.1)
        // First run stops half-way (a prefix of the feed), second run replays everything.
        let half = data.rows(0..<data.count / 2)
        _ = try await paper(half, config: config, fixed: pair, store: try StrategyStore(path: path))
        let resumed = try await paper(data, config: config, fixed: pair, store: try StrategyStore(path: path))
        let backtest = try deltaNeutralBacktest(data, rule: config.optimizer.rule(entryThresholdPct: 0.5, exitThresholdPct: 0.1))
        #expect(resumed.trades == backtest.trades)
        #expect(backtest.trades.count >= 2)
    }
}

@Suite("Resume with re-optimisation")
struct ResumeTests {
    /// Fixed starting thresholds, re-optimised on schedule; the run stops
    /// (as if killed) after a prefix and resumes on the whole feed: trades and
    /// parameter updates equal one uninterrupted run's.
    @Test func resumedRunEqualsUninterruptedRun() async throws {
        let data = try mockData(hours: 8, seed: 3, tick: 2)
        let config = liveConfig(lookbackHours: 2, updateMinutes: 30)
        var optimizer = DeltaArbitrageOptimizer(config: config.optimizer)
        optimizer.defaultGridSteps = 6
        let start = ThresholdPair(entryThresholdPct: 0.45, exitThresholdPct: 0.08)
        let whole = try await paper(data, config: config, fixed: start, optimizer: optimizer)
        for cut in [data.count / 10, data.count / 3, 2 * data.count / 3] {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("resume-\(UUID().uuidString).sqlite").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            _ = try await paper(data.rows(0..<cut), config: config, fixed: start, optimizer: optimizer,
                                store: try StrategyStore(path: path))
            let resumed = try await paper(data, config: config, fixed: start, optimizer: optimizer,
                                          store: try StrategyStore(path: path))
            #expect(resumed.trades.map(\.indices) == whole.trades.map(\.indices), "cut at \(cut)")
            #expect(resumed.parameterUpdates.map(\.newEntryThreshold) == whole.parameterUpdates.map(\.newEntryThreshold),
                    "cut at \(cut)")
        }
        #expect(whole.trades.count > 2 && whole.parameterUpdates.count > 5)
    }
}

/// Thread-safe string collector for event sinks.
final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
    var values: [String] { lock.lock(); defer { lock.unlock() }; return items }
}
