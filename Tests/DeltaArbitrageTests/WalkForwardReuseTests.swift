import Foundation
import Testing
@testable import DeltaArbitrage
import DeltaArbitrageMockData
import SpreadKernels

/// The walk-forward reusing each grid point's trade chain from the previous
/// window against the same walk-forward searching every window's grid from
/// scratch (the path before chain reuse, kept as the reference).
@Suite("Walk-forward trade-chain reuse equals the full search")
struct WalkForwardReuseTests {
    enum Shape: String, CaseIterable, Sendable {
        /// The mock generator's mean-reverting book.
        case meanReverting
        /// Three regimes back to back: calm, trending, volatile bursts.
        case regimes
        /// Holes of 40 minutes and 3 hours (several updates see the same window).
        case gaps
        /// Stretches where the book does not move (windows with no trades, timeouts only).
        case constantStretches
        /// A wide, fast spread: many trades per window, positions open across most window ends.
        case busy
    }

    static func data(_ shape: Shape, seed: UInt64) throws -> MarketData {
        switch shape {
        case .meanReverting:
            return try mock(hours: 9, seed: seed, tick: 2)
        case .busy:
            return try mock(hours: 7, seed: seed, halfLifeMinutes: 3, spreadVolatility: 0.004, tick: 1)
        case .regimes:
            var parts: [MarketData] = []
            for (k, regime) in SpreadRegime.allCases.enumerated() {
                var c = MockMarketConfig(regime: regime, durationHours: 3)
                c.meanTickInterval = 2
                c.startNanoseconds += Int64(k) * 3 * 3_600_000_000_000 + 1_000_000_000
                parts.append(try generateMockMarketData(c, seed: seed &+ UInt64(k)))
            }
            return try concatenate(parts)
        case .gaps:
            var d = try mock(hours: 10, seed: seed, tick: 2)
            let n = d.count
            for i in (n / 3)..<n { d.timestamps[i] += 40 * 60_000_000_000 }
            for i in (2 * n / 3)..<n { d.timestamps[i] += 3 * 3_600_000_000_000 }
            return d
        case .constantStretches:
            var d = try mock(hours: 9, seed: seed, tick: 2)
            let n = d.count
            for (a, b) in [(n / 5, n / 5 + n / 6), (3 * n / 5, 3 * n / 5 + n / 10)] {
                for i in a..<b {
                    d.spotAskPrice[i] = d.spotAskPrice[a]
                    d.spotBidPrice[i] = d.spotBidPrice[a]
                    d.futAskPrice[i] = d.futAskPrice[a]
                    d.futBidPrice[i] = d.futBidPrice[a]
                }
            }
            return d
        }
    }

    static func concatenate(_ parts: [MarketData]) throws -> MarketData {
        try MarketData(timestamps: parts.flatMap(\.timestamps),
                       spotAskPrice: parts.flatMap(\.spotAskPrice), spotBidPrice: parts.flatMap(\.spotBidPrice),
                       futAskPrice: parts.flatMap(\.futAskPrice), futBidPrice: parts.flatMap(\.futBidPrice))
    }

    /// Everything the walk-forward reports but its own run time; `description`
    /// prints each `Double` in its shortest round-trip form, so equal strings
    /// mean equal bits.
    static func fingerprint(_ r: WalkForwardResult) -> [String] {
        ["\(r.trades)", "\(r.optimizationHistory)", "\(r.updates)", "\(r.summary)", "\(String(describing: r.openPosition))"]
    }

    static func both(_ data: MarketData, _ optimizer: DeltaArbitrageOptimizer, windowHours: Double,
                     intervalSeconds: Int64) throws -> (reusing: WalkForwardResult, full: WalkForwardResult) {
        var reuser = optimizer
        reuser.reusesTradeChains = true
        let reusing = try walkForward(data, optimizer: reuser, windowHours: windowHours,
                                      updateInterval: .seconds(intervalSeconds), staticParams: nil, progress: nil,
                                      stop: StopSignal())
        var reference = optimizer
        reference.reusesTradeChains = false
        let full = try walkForward(data, optimizer: reference, windowHours: windowHours,
                                   updateInterval: .seconds(intervalSeconds), staticParams: nil, progress: nil,
                                   stop: StopSignal())
        return (reusing, full)
    }

    /// Every shape, several seeds, grid sizes, windows and update intervals:
    /// the same trades, updates, optimisation history, summary and open
    /// position, bit for bit.
    @Test(arguments: Shape.allCases)
    func equalsFullSearch(shape: Shape) throws {
        let settings: [(steps: Int, windowHours: Double, intervalSeconds: Int64, holdMinutes: Int)] = [
            (8, 2, 300, 45), (16, 1.5, 60, 30), (5, 3, 900, 60),
        ]
        var optimised = 0, trades = 0
        for seed in 1...2 as ClosedRange<UInt64> {
            let data = try Self.data(shape, seed: seed)
            for s in settings {
                var optimizer = DeltaArbitrageOptimizer(config: testConfig(holdMinutes: s.holdMinutes))
                optimizer.config.targetHitRate = 0.6
                optimizer.config.minDailyTrades = 3
                optimizer.defaultGridSteps = s.steps
                optimizer.wallClock = { 0 }
                let (reusing, full) = try Self.both(data, optimizer, windowHours: s.windowHours,
                                                    intervalSeconds: s.intervalSeconds)
                #expect(Self.fingerprint(reusing) == Self.fingerprint(full),
                        "\(shape) seed \(seed) \(s)")
                optimised += full.optimizationHistory.count
                trades += full.trades.count
            }
        }
        #expect(optimised > 50, "the comparison should cover optimisations")
        #expect(trades > 20, "the comparison should cover trades")
    }

    /// A fixed grid (the thresholds do not move between windows) and a grid
    /// with unsafe points, over a long run of short updates.
    @Test func fixedGridEqualsFullSearch() throws {
        let data = try mock(hours: 12, seed: 7, halfLifeMinutes: 8, tick: 1)
        var optimizer = DeltaArbitrageOptimizer(config: testConfig(holdMinutes: 40))
        optimizer.entryGrid = try ThresholdAxis(from: 0.05, to: 0.6, steps: 12)
        optimizer.exitGrid = try ThresholdAxis(from: 0.01, to: 0.5, steps: 10)  // some exits ≥ entries: unsafe
        optimizer.wallClock = { 0 }
        let (reusing, full) = try Self.both(data, optimizer, windowHours: 2, intervalSeconds: 120)
        #expect(Self.fingerprint(reusing) == Self.fingerprint(full))
        #expect(full.optimizationHistory.count > 200)
        #expect(full.trades.count > 10)
    }

    /// With thresholds that stay put (a fixed grid), the reusing search takes
    /// most trades over from the previous window (otherwise the equality above
    /// would prove nothing about reuse). A derived grid moves with every
    /// window, and a trade whose exit only just crossed the old threshold is
    /// simulated again: fewer are taken over there.
    @Test func reusesMostTrades() throws {
        let data = try mock(hours: 8, seed: 3, halfLifeMinutes: 5, tick: 1)
        var optimizer = DeltaArbitrageOptimizer(config: testConfig(holdMinutes: 30))
        optimizer.entryGrid = try ThresholdAxis(from: 0.05, to: 0.6, steps: 8)
        optimizer.exitGrid = try ThresholdAxis(from: 0.05, to: 0.3, steps: 8)
        try data.withBookColumns { columns in
            let config = optimizer.config
            let index = FirstPassageBacktest(columns: columns, maxHours: config.maxHoldHours,
                                             spotFee: config.spotFee, futFee: config.futFee)
            let cache = TradeChainCache()
            var reused = 0, stored = 0
            var end = columns.firstRow(atOrAfter: columns.timestamps[0] + 3 * 3_600_000_000_000, in: 0..<columns.count)
            while end < columns.count {
                let window = optimizer.trailingWindow(columns, end: end, hours: 2)
                _ = try optimizer.optimizeWindow(index, rows: window, lookbackHours: 2, rowOffset: 0, indexReused: true,
                                                 started: ContinuousClock.now, stop: StopSignal(), chains: cache)
                reused += cache.reusedTrades
                stored += cache.storedTrades
                end += 300
            }
            #expect(stored > 1000)
            // 44 % here: a chain started later can run beside the old one for several trades before they meet.
            #expect(Double(reused) > 0.35 * Double(stored), "\(reused) of \(stored) trades taken over")
        }
    }
}
