import Foundation
import Testing
@testable import DeltaArbitrage

@Suite("Batch sharding")
struct BatchShardingTests {
    static let hour: Int64 = 3_600_000_000_000
    static let interval: Int64 = 600_000_000_000
    static let pairs = [ThresholdPair(entryThresholdPct: 0.3, exitThresholdPct: 0.08),
                        ThresholdPair(entryThresholdPct: 0.15, exitThresholdPct: 0.05)]

    /// 10 h of 2 s ticks with a 90-minute hole after the fourth hour.
    static func dataWithGap(seed: UInt64) throws -> (data: MarketData, gapStart: Int64, gapEnd: Int64) {
        var data = try mock(hours: 10, seed: seed, tick: 2)
        let cut = data.firstRow(atOrAfter: data.timestamps[0] + 4 * hour)
        for i in cut..<data.count { data.timestamps[i] += 3 * hour / 2 }
        return (data, data.timestamps[cut - 1], data.timestamps[cut])
    }

    static func optimizer() -> DeltaArbitrageOptimizer {
        var optimizer = DeltaArbitrageOptimizer(config: testConfig(holdMinutes: 45))
        optimizer.config.targetHitRate = 0.6
        optimizer.config.minDailyTrades = 3
        optimizer.defaultGridSteps = 8
        return optimizer
    }

    /// Plans the cuts, runs every shard on a copy of only its own rows, sends
    /// each result through its JSON file form, and merges.
    static func sharded(_ data: MarketData, cuts: [Int64]) throws -> (BatchMergeResult, BatchPlan) {
        let plan = try BatchPlan(timestamps: data.timestamps, cuts: cuts, windowHours: 2, updateIntervalNanoseconds: interval)
        let decoder = JSONDecoder()
        let results = try plan.shards.map { spec in
            let result = try plan.runShard(spec, data: data.rows(spec.loadedRows), optimizer: optimizer(), backtests: pairs)
            return try decoder.decode(BatchShardResult.self, from: makeJSONEncoder().encode(result))
        }
        let merged = try plan.merge(results, optimizer: optimizer(), backtests: pairs) { data.rows($0.loadedRows) }
        return (merged, plan)
    }

    static func expectEqual(_ merged: BatchMergeResult, _ whole: WalkForwardResult, _ fixed: [BacktestResult],
                            _ label: String) {
        let w = merged.walkForward
        #expect(w.trades == whole.trades, "trades, \(label)")
        #expect(w.updates == whole.updates, "updates, \(label)")
        #expect(w.openPosition == whole.openPosition, "open position, \(label)")
        #expect(w.summary == whole.summary, "summary, \(label)")
        let bits = { (h: [OptimizationResult]) in
            h.map { [$0.entryThresholdPct, $0.exitThresholdPct, $0.confidenceScore, $0.meanReversionSpeed, $0.spreadVolatility,
                     $0.optimizationTimestamp].map(\.bitPattern) + [UInt64($0.analysisPeriodHours)] }
        }
        #expect(bits(w.optimizationHistory) == bits(whole.optimizationHistory), "parameter history, \(label)")
        #expect(merged.backtests == fixed, "fixed backtests, \(label)")
    }

    /// The merged walk-forward and backtests equal the unsharded runs bit for
    /// bit for every cut set: regular slices, a cut inside an open position
    /// (of the walk-forward and of a fixed backtest), inside the data gap, on
    /// an update time, on a row's time, and random cut sets.
    @Test(arguments: [3, 8] as [UInt64])
    func shardedEqualsWhole(seed: UInt64) async throws {
        let (data, gapStart, gapEnd) = try Self.dataWithGap(seed: seed)
        let t = data.timestamps, t0 = t[0], last = t[t.count - 1]
        let whole = try await optimizedDeltaNeutralBacktest(data, optimizer: Self.optimizer(), optimizationWindowHours: 2,
                                                            updateInterval: .nanoseconds(Self.interval))
        let fixed = try Self.pairs.map {
            try deltaNeutralBacktest(data, rule: Self.optimizer().config.rule(entryThresholdPct: $0.entryThresholdPct,
                                                                               exitThresholdPct: $0.exitThresholdPct))
        }
        #expect(whole.trades.count > 5 && whole.optimizationHistory.count > 10, "the comparison should cover trades and updates")
        #expect(whole.updates.contains { !$0.optimized }, "the data should include failed updates")

        var cutSets: [(String, [Int64])] = []
        for sliceMinutes in [37, 60, 131, 300] as [Int64] {
            let plan = try BatchPlan(timestamps: t, sliceNanoseconds: sliceMinutes * 60_000_000_000, windowHours: 2,
                                     updateIntervalNanoseconds: Self.interval)
            cutSets.append(("slices of \(sliceMinutes) min", plan.shards.dropFirst().map(\.sliceStartNanoseconds)))
        }
        // Inside open positions: between a long trade's entry and exit rows (walk-forward and a fixed pair).
        let long = try #require(whole.trades.filter { $0.exitIndex - $0.entryIndex > 2 }.dropFirst(3).first)
        cutSets.append(("inside a walk-forward position", [t[long.entryIndex + 1]]))
        cutSets.append(("inside a position, 1 ns after entry", [t[long.entryIndex] + 1]))
        let fixedLong = try #require(fixed[0].trades.filter { $0.exitIndex - $0.entryIndex > 2 }.last)
        cutSets.append(("inside a fixed-backtest position", [t[fixedLong.entryIndex + 1], t[fixedLong.exitIndex]]))
        cutSets.append(("inside the data gap", [gapStart + 1, gapStart + Self.hour / 2]))
        cutSets.append(("at the gap's end", [gapEnd]))
        cutSets.append(("on update times", [t0 + 7 * Self.interval, t0 + 30 * Self.interval]))
        cutSets.append(("1 ns after an update time", [t0 + 12 * Self.interval + 1]))
        cutSets.append(("on the last row", [last]))
        var generator = SplitMix64(seed: seed)
        for k in 0..<16 {
            let cuts = Set((0..<(1 + k % 7)).map { _ in Int64.random(in: (t0 + 1)...last, using: &generator) }).sorted()
            cutSets.append(("random set \(k)", cuts))
        }

        var rerun = 0
        for (label, cuts) in cutSets {
            let (merged, plan) = try Self.sharded(data, cuts: cuts)
            #expect(plan.shards.count == cuts.count + 1)
            Self.expectEqual(merged, whole, fixed, label)
            rerun += merged.rerunShards
        }
        #expect(cutSets.count == 28)
        #expect(rerun > 0, "some cut should fall inside a position so that the merge re-runs a shard")
    }

    /// A shard's rows are exactly its slice plus the warm-up of the last
    /// update before it: the window of that update starts at the first loaded row.
    @Test func warmUpIsTheWindowOfTheLastUpdateBefore() throws {
        let (data, _, _) = try Self.dataWithGap(seed: 3)
        let plan = try BatchPlan(timestamps: data.timestamps, sliceNanoseconds: Self.hour, windowHours: 2,
                                 updateIntervalNanoseconds: Self.interval)
        let optimizer = Self.optimizer()
        for spec in plan.shards.dropFirst() {
            let previous = try #require(BatchPlan.lastUpdate(before: spec.sliceStartNanoseconds, first: data.timestamps[0],
                                                            interval: Self.interval))
            let end = data.firstRow(atOrAfter: previous)
            let window = data.withBookColumns { optimizer.trailingWindow($0, end: end, hours: 2) }
            #expect(spec.loadFirstRow == min(window.lowerBound, spec.sliceFirstRow))
            #expect(spec.sliceFirstRow == data.firstRow(atOrAfter: spec.sliceStartNanoseconds))
        }
        #expect(plan.shards.last?.endRow == data.count)
    }

    /// A shard handed other rows than its plan's is refused, naming both counts.
    @Test func wrongRowsAreRefused() throws {
        let (data, _, _) = try Self.dataWithGap(seed: 3)
        let plan = try BatchPlan(timestamps: data.timestamps, sliceNanoseconds: Self.hour, windowHours: 2,
                                 updateIntervalNanoseconds: Self.interval)
        let spec = plan.shards[2]
        #expect(throws: BatchError.self) {
            try plan.runShard(spec, data: data.rows(spec.loadFirstRow..<(spec.endRow - 1)), optimizer: Self.optimizer(), backtests: [])
        }
    }
}
