import DeltaArbitrage
import DeltaArbitrageMockData
import Foundation
import Testing
import Atomics
import Clocks
@testable import DeltaArbitrageLive

extension TestClock<Duration> {
    /// Some task is asleep on the clock now (`checkSuspension()` throws
    /// exactly when one is).
    func hasSleepers() async -> Bool {
        do {
            try await checkSuspension()
            return false
        } catch {
            return true
        }
    }
}

@Suite("Live components")
struct LiveComponentTests {
    @Test func histogramPercentilesAreWithinPrecision() {
        var h = LatencyHistogram()
        var values: [Int64] = []
        var state: UInt64 = 42
        for _ in 0..<100_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let v = Int64(exp(Double(state >> 11) * 0x1p-53 * 16))  // 1 ns … ~9 ms, log-uniform
            values.append(v)
            h.record(v)
        }
        values.sort()
        for p in [1.0, 50, 90, 99, 99.9, 100] {
            let exact = values[max(Int((p / 100 * Double(values.count)).rounded(.up)) - 1, 0)]
            let got = h.value(atPercentile: p)
            #expect(got >= exact && Double(got - exact) <= Double(exact) / 1024 + 1, "p\(p): \(got) vs \(exact)")
        }
        #expect(h.count == 100_000 && h.max == values.last && h.min == values.first)
        #expect(h.value(atPercentile: 0) == values.first && h.value(atPercentile: 100) == values.last)
        let exactMean = Double(values.reduce(0, +)) / Double(values.count)
        #expect(abs(h.mean - exactMean) <= exactMean / 1024, "mean \(h.mean) vs \(exactMean)")
        var empty = LatencyHistogram()
        #expect(empty.value(atPercentile: 99) == 0)
        empty.record(-5)
        empty.record(Int64.max)
        #expect(empty.min == 0 && empty.max == LatencyHistogram.highestTrackable)
    }

    @Test func ringKeepsTheNewestRowsInOrder() throws {
        let data = try mockData(hours: 1, seed: 3)
        var ring = TickRing(capacity: 1000)
        for row in 0..<data.count { ring.append(BookUpdate(row: row, of: data)) }
        #expect(ring.count == 1000)
        #expect(ring.recent(hours: 100) == data.rows(data.count - 1000..<data.count))
        let tenMinutes = ring.recent(hours: 1.0 / 6)
        let start = data.firstRow(atOrAfter: data.timestamps.last! - 600_000_000_000)
        #expect(tenMinutes == data.rows(start..<data.count))
        // One-sided updates carry the other market forward; rows start once both are known.
        var partial = TickRing(capacity: 4)
        partial.append(BookUpdate(sequence: 0, timestampNanoseconds: 0, spot: BookTop(bid: 1, ask: 2), futures: nil))
        #expect(partial.count == 0)
        partial.append(BookUpdate(sequence: 1, timestampNanoseconds: 1, spot: nil, futures: BookTop(bid: 3, ask: 4)))
        partial.append(BookUpdate(sequence: 2, timestampNanoseconds: 2, spot: BookTop(bid: 5, ask: 6), futures: nil))
        let rows = partial.recent(hours: 1)
        #expect(rows.spotAskPrice == [2, 6] && rows.futAskPrice == [4, 4])
    }

    @Test func storeCommitsAtomicallyAndRefusesDuplicateTrades() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let data = try mockData(hours: 6, seed: 1)
        let trade = try #require(try deltaNeutralBacktest(data).trades.first)
        let event = TradeEvent(timestamp: 1, trade: trade, entryThresholdPct: 0.5, exitThresholdPct: 0.1, quantity: 0.002)
        var context = StrategyContext()
        context.lastSequence = trade.exitIndex
        context.thresholds = ThresholdPair(entryThresholdPct: 0.5, exitThresholdPct: 0.1)
        do {
            let store = try StrategyStore(path: path)
            try await store.commit(context, trade: event)
            // The same trade again fails as a whole: the context is not advanced either.
            var later = context
            later.lastSequence += 100
            await #expect {
                try await store.commit(later, trade: event)
            } throws: { error in
                guard let error = error as? StateFileError, case .writeFailed(let reason) = error.problem else { return false }
                return reason.contains("UNIQUE constraint failed")
            }
        }
        let reopened = try StrategyStore(path: path)
        #expect(try await reopened.context() == context)
        #expect(try await reopened.trades() == [event])
    }

    /// Latency injection holds a fill until the (test) clock passes it;
    /// a repeated client order id returns the first fill (idempotent retries).
    @Test func paperExchangeLatencyAndIdempotency() async throws {
        let clock = TestClock()
        let exchange = PaperExchange(spotFee: 0.001, futFee: 0.0005, clock: clock, latency: .milliseconds(20))
        exchange.update(BookUpdate(sequence: 0, timestampNanoseconds: 5, spot: BookTop(bid: 99, ask: 101),
                                         futures: BookTop(bid: 98, ask: 98.5)))
        let order = MarketOrder(clientOrderId: "a", market: .spot, side: .buy, quantity: 2)
        let pending = Task { try await exchange.submit(order) }
        while await !clock.hasSleepers() {}
        await clock.advance(by: .milliseconds(19))
        #expect(await clock.hasSleepers(), "filled before its latency elapsed")
        await clock.advance(by: .milliseconds(1))
        let fill = try await pending.value
        #expect(fill.price == 101 && fill.quantity == 2 && abs(fill.fee - 0.202) < 1e-12)
        exchange.update(BookUpdate(sequence: 1, timestampNanoseconds: 6, spot: BookTop(bid: 50, ask: 51), futures: nil))
        let again = Task { try await exchange.submit(order) }
        while await !clock.hasSleepers() {}
        await clock.advance(by: .milliseconds(20))
        #expect(try await again.value == fill)
    }

    /// Position size: base size × (1 + (multiplier − 1) × confidence) in quote currency.
    @Test func sizingScalesWithConfidence() throws {
        var config = liveConfig()
        config.basePositionSize = 1000
        config.maxPositionMultiplier = 3
        var core = try StrategyCore(config: config)
        _ = try core.apply(.optimized(ThresholdPair(entryThresholdPct: 0.5, exitThresholdPct: 0.1), confidence: 0.5,
                                      durationMs: 1, atNanoseconds: 0, schedule: nil)).result.get()
        let update = BookUpdate(sequence: 0, timestampNanoseconds: 0, spot: BookTop(bid: 99.9, ask: 100),
                                futures: BookTop(bid: 99.8, ask: 99.9))
        let commands = try core.handle(update)
        guard case .execute(let batch)? = commands.last else { Issue.record("no open"); return }
        #expect(batch.step == .open && batch.legs.count == 2)
        #expect(batch.legs.allSatisfy { abs($0.order.quantity - 1000 * 2 / 100) < 1e-12 })
        _ = try settle(&core, commands)
        let position = try #require(core.context.position)
        #expect(abs(position.quantity - 1000 * 2 / 100) < 1e-12)
        #expect(position.spotFill?.quantity == position.futuresFill?.quantity)
        #expect(position.spotFill?.side == .buy && position.futuresFill?.side == .sell)
    }

    @Test func eventsRoundTripAsJSONLines() throws {
        let events: [StrategyEvent] = [
            .parameterUpdate(ParameterUpdateEvent(timestamp: 1, oldEntryThreshold: nil, newEntryThreshold: 0.5, oldExitThreshold: nil,
                                                  newExitThreshold: 0.1, confidenceScore: 0.7, optimizationDurationMs: 2)),
            .optimizationStatus(OptimizationStatusEvent(timestamp: 2, status: .failed, dataPointsAnalyzed: 10, errorMessage: "x")),
            .alert(AlertEvent(timestamp: 3, message: "stale")),
        ]
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("events-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try JSONLinesEventLog(path: path)
        for e in events { try log.write(e) }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0].contains("\"type\":\"parameter_update\""))
        #expect(lines[0].contains("\"new_entry_threshold\":0.5"))
        let decoded = try lines.map { try JSONDecoder().decode(StrategyEvent.self, from: Data($0.utf8)) }
        #expect(decoded == events)
    }

    @Test func hubFansOutToStreams() async throws {
        let hub = EventHub()
        let a = hub.subscribe(), b = hub.subscribe()
        hub.publish(.alert(AlertEvent(timestamp: 1, message: "m")))
        hub.finish()
        var countA = 0, countB = 0
        for await _ in a { countA += 1 }
        for await _ in b { countB += 1 }
        #expect(countA == 1 && countB == 1)
    }

    /// The wall-clock scheduler updates the parameters each time the
    /// injected clock passes an interval — no sleeping in the test.
    @Test func schedulerUpdatesOnTheInjectedClock() async throws {
        let data = try mockData(hours: 3, seed: 4)
        var config = liveConfig(lookbackHours: 2, updateMinutes: 5)
        config.minSpreadDataPoints = 100
        let exchange = PaperExchange(spotFee: config.spotFee, futFee: config.futFee, clock: ContinuousClock())
        var optimizer = DeltaArbitrageOptimizer(config: config.optimizer)
        optimizer.defaultGridSteps = 6
        let strategy = try await StrategyLoop(config: config, gateway: exchange, optimizer: optimizer, ringCapacity: data.count,
                                              scheduling: .onRequest)
        try await strategy.running {
            for await update in ReplayFeed(data: data, clock: ContinuousClock()) { try await strategy.handle(update) }
            #expect(strategy.status().thresholds == nil, "no update without a request")
            let clock = TestClock()
            let last = data.timestamps.last!
            let scheduler = ParameterUpdateScheduler(strategy: strategy, clock: clock, interval: .seconds(300),
                                                     now: { last + 1_000_000_000_000 })
            let task = Task { await scheduler.run() }
            for round in 1...3 {
                while await !clock.hasSleepers() {}
                await clock.advance(by: .seconds(300))
                while strategy.status().optimization.successfulUpdates < round { await Task.yield() }
            }
            task.cancel()
            await clock.advance(by: .seconds(300))
            #expect(strategy.status().optimization.successfulUpdates == 3)
            #expect(strategy.status().thresholds != nil)
            #expect(strategy.status().lastOptimization != nil)
            #expect(await strategy.recentMarketData(hours: 1).count > 3000)
        }
    }
}

@Suite("Seed interface of the live side")
struct LiveSeedInterfaceTests {
    /// `refreshParameters()` (the seed's `update_parameters`) optimises on the
    /// loop's recent data; without an optimiser or data it fails and keeps nothing.
    @Test func refreshParametersUsesTheRecentData() async throws {
        let config = liveConfig(lookbackHours: 2)
        let exchange = PaperExchange(spotFee: config.spotFee, futFee: config.futFee, clock: ContinuousClock())
        let plain = try await StrategyLoop(config: config, gateway: exchange)
        try await plain.running {
            #expect(await plain.refreshParameters() == false, "no optimiser")
        }
        var optimizer = DeltaArbitrageOptimizer(config: config.optimizer)
        optimizer.defaultGridSteps = 6
        let strategy = try await StrategyLoop(config: config, gateway: exchange, optimizer: optimizer, ringCapacity: 20_000,
                                              scheduling: .onRequest)
        try await strategy.running {
            #expect(await strategy.refreshParameters(ifDueAt: .max) == false, "not enough data: not due")
            #expect(strategy.status().optimization.failedUpdates == 0)
            #expect(await strategy.refreshParameters() == false)
            #expect(strategy.status().optimization.lastUpdateError?.contains("market data fetch failed") == true)
            for await update in ReplayFeed(data: try mockData(hours: 3, seed: 2), clock: ContinuousClock()) {
                try await strategy.handle(update)
            }
            #expect(await strategy.refreshParameters(ifDueAt: .max))
            #expect(strategy.status().thresholds != nil)
        }
    }
}

@Suite("Strategy loop")
struct StrategyLoopTests {
    /// Updates and a parameter swap arriving while orders are in flight queue
    /// behind them: one position, and the swap is not lost.
    @Test func stateChangesDoNotInterleave() async throws {
        let clock = TestClock()
        let exchange = PaperExchange(spotFee: 0.0005, futFee: 0.0005, clock: clock, latency: .milliseconds(5))
        let strategy = try await StrategyLoop(config: liveConfig(), gateway: exchange)
        try await strategy.running {
            try await strategy.changeThresholds(.fixed(ThresholdPair(entryThresholdPct: 0.5, exitThresholdPct: 0.1),
                                                       initialOnly: false, override: false))
            let cheap = BookUpdate(sequence: 0, timestampNanoseconds: 0, spot: BookTop(bid: 99.9, ask: 100),
                                   futures: BookTop(bid: 99.8, ask: 99.9))
            let first = Task { try await strategy.handle(cheap) }
            while await !clock.hasSleepers() {}  // the open is in flight
            var second = cheap
            second.sequence = 1
            second.timestampNanoseconds = 1_000_000_000
            let secondTask = Task { try await strategy.handle(second) }
            let swap = Task {
                try await strategy.changeThresholds(.optimized(ThresholdPair(entryThresholdPct: 0.6, exitThresholdPct: 0.2),
                                                               confidence: 0.5, durationMs: 1, atNanoseconds: 1, schedule: nil))
            }
            for _ in 0..<50 { await Task.yield() }
            // Status is readable while the orders are in flight.
            #expect(strategy.status().position == nil && strategy.status().running)
            // TestClock cannot say how many legs sleep, so time moves on in
            // latency steps until all three calls are done (a leg that starts
            // sleeping after a step is woken by the next one).
            let finished = ManagedAtomic(false)
            let all = Task {
                defer { finished.store(true, ordering: .releasing) }
                try await first.value
                try await secondTask.value
                _ = try await swap.value
            }
            while !finished.load(ordering: .acquiring) { await clock.advance(by: .milliseconds(5)) }
            try await all.value
        }
        let context = strategy.status().context
        #expect(context.position?.entrySequence == 0, "one position, opened by the first update")
        #expect(context.thresholds == ThresholdPair(entryThresholdPct: 0.6, exitThresholdPct: 0.2), "the swap was lost")
        #expect(strategy.status().running == false)
    }

    /// A journal write that fails stops the loop: the input that caused it
    /// gets the store's error, an alert is published, later inputs are refused
    /// and `run()` throws — nothing is swallowed.
    @Test func aFailedCommitStopsTheLoop() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fail-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", ".lock", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let store = try StrategyStore(path: path)
        let events = EventHub()
        let alerts = Collected()
        events.addSink { if case .alert(let a) = $0 { alerts.add(a.message) } }
        let strategy = try await StrategyLoop(config: liveConfig(), gateway: PaperExchange(spotFee: 0, futFee: 0, clock: ContinuousClock()),
                                              store: store, events: events)
        try SQLiteDatabase(path: path).execute("DROP TABLE context")  // the next commit cannot be written
        let run = Task { try await strategy.run() }
        // An optimisation failure is recorded in the journal: its write failing is an error, not a shrug.
        await #expect {
            try await strategy.changeThresholds(.optimizationFailed(reason: "no data", schedule: nil))
        } throws: { error in
            guard let error = error as? StateFileError, case .writeFailed = error.problem else { return false }
            return error.path == path
        }
        await #expect(throws: StrategyLoopFailure.self) {
            try await strategy.handle(BookUpdate(sequence: 0, timestampNanoseconds: 0, spot: nil, futures: nil))
        }
        await #expect(throws: StateFileError.self) { try await run.value }
        #expect(alerts.values.contains { $0.hasPrefix("strategy stopped: cannot write the state file") })
        #expect(strategy.status().running == false && strategy.status().failure != nil)
    }
}

@Suite("Review findings")
struct ReviewFindingTests {
    /// 36 h of 60 s ticks then 12 h of 1 s ticks: the densest window has far
    /// more rows than the average; a ring sized by `rowsCovering` keeps paper
    /// trading equal to the walk-forward.
    @Test func unevenTickDensityKeepsPaperEqualToWalkForward() async throws {
        var sparse = MockMarketConfig()
        sparse.hours = 36
        sparse.meanTickInterval = 60
        var dense = MockMarketConfig()
        dense.hours = 12
        dense.meanTickInterval = 1
        let head = try generateMockMarketData(sparse, seed: 1)
        let data = joined(head, try generateMockMarketData(dense, seed: 2), after: .seconds(1))
        let capacity = TickRing.rowsCovering(hours: 24, of: data)
        // Brute force: the most rows within 24 h before any row.
        var most = 0
        for end in stride(from: 0, to: data.count, by: 97) + [data.count - 1] {
            let start = data.firstRow(atOrAfter: data.timestamps[end] - 86_400_000_000_000)
            most = max(most, end - start + 1)
        }
        #expect(capacity >= most && capacity > 2 * data.count / 3)

        var config = liveConfig(holdMinutes: 60, lookbackHours: 24, updateMinutes: 60)
        config.minSpreadDataPoints = 100
        var optimizer = DeltaArbitrageOptimizer(config: config.optimizer)
        optimizer.defaultGridSteps = 6
        let store = try StrategyStore(path: ":memory:")
        let exchange = PaperExchange(spotFee: config.spotFee, futFee: config.futFee, clock: ContinuousClock())
        let strategy = try await StrategyLoop(config: config, gateway: exchange, store: store, optimizer: optimizer,
                                              ringCapacity: capacity)
        let session = PaperTradingSession(feed: ReplayFeed(data: data, clock: ContinuousClock()), strategy: strategy, store: store)
        try await strategy.running { try await session.run() }
        let paper = try await session.summarize()
        let walk = try await optimizedDeltaNeutralBacktest(data, optimizer: optimizer, optimizationWindowHours: 24,
                                                           updateInterval: .seconds(3600))
        #expect(paper.parameterUpdates.count == walk.optimizationHistory.count)
        #expect(paper.parameterUpdates.map(\.newEntryThreshold) == walk.optimizationHistory.map(\.entryThresholdPct))
        #expect(paper.trades.map(\.indices) == walk.trades.map(\.indices))
    }

    /// A month-long gap: every update inside it sees the same rows; the
    /// walk-forward reuses the result instead of re-optimising thousands of times.
    @Test func gapsReuseTheLastOptimisation() async throws {
        let before = try mockData(hours: 6, seed: 3, tick: 2)
        let firstAfterGap = before.count
        let data = joined(before, try mockData(hours: 2, seed: 4, tick: 2), after: .seconds(30 * 86_400))
        var optimizer = DeltaArbitrageOptimizer(config: liveConfig(lookbackHours: 2, updateMinutes: 30).optimizer)
        optimizer.defaultGridSteps = 6
        // Every optimisation that really runs reports `started`; a reused result does not.
        let runs = Collected()
        optimizer.statusHandler = { event in
            if event.status == .started { runs.add("started") }
        }
        let walk = try await optimizedDeltaNeutralBacktest(data, optimizer: optimizer, optimizationWindowHours: 2,
                                                           updateInterval: .seconds(1800))
        #expect(walk.updates.count > 1440)
        // 6 h before the gap and 2 h after it hold at most 16 distinct windows;
        // the ~1,440 updates inside the gap share one.
        #expect(runs.values.count <= 20)
        let inGap = walk.updates.filter { $0.row == firstAfterGap }
        #expect(inGap.count > 1400)
        #expect(Set(inGap.map(\.thresholds)).count == 1, "the same rows must give the same thresholds")
    }

    @Test func edgeCases() throws {
        var h = LatencyHistogram()
        h.record(100)
        #expect(h.value(atPercentile: .nan) == 0)
        var core = try StrategyCore(config: liveConfig())
        #expect(core.isStale(at: 0), "no data at all is stale")
        #expect(throws: ParameterUpdateError.self) {
            try core.apply(.fixed(ThresholdPair(entryThresholdPct: 5, exitThresholdPct: 0.01), initialOnly: false, override: false))
                .result.get()
        }
        #expect(core.context.thresholds == nil)
        #expect(throws: StrategyCoreError.noOrdersInFlight) { try core.legsCompleted([]) }
    }
}

/// `tail`'s rows after `head`'s, shifted so that `tail` starts `gap` after `head` ends.
func joined(_ head: MarketData, _ tail: MarketData, after gap: Duration) -> MarketData {
    var data = head
    let shift = head.timestamps.last! + gap.nanoseconds - tail.timestamps[0]
    data.timestamps += tail.timestamps.map { $0 + shift }
    data.spotAskPrice += tail.spotAskPrice
    data.spotBidPrice += tail.spotBidPrice
    data.futAskPrice += tail.futAskPrice
    data.futBidPrice += tail.futBidPrice
    data.spotAskQuantity += tail.spotAskQuantity
    data.spotBidQuantity += tail.spotBidQuantity
    data.futAskQuantity += tail.futAskQuantity
    data.futBidQuantity += tail.futBidQuantity
    return data
}
