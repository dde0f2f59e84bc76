import Foundation
import Testing
@testable import DeltaArbitrage
import SpreadKernels

@Suite("Walk-forward optimisation")
struct WalkForwardTests {
    /// The naive walk-forward: at every update time, a fresh optimisation of
    /// a copy of the rows before it; then one plain row loop over the whole
    /// series with the thresholds in force at each row.
    func naiveWalkForward(_ data: MarketData, optimizer: DeltaArbitrageOptimizer, windowHours: Double,
                          intervalNs: Int64) async throws -> (trades: [[Int]], history: [OptimizationResult]) {
        let t = data.timestamps
        var thresholdsFromRow: [(row: Int, pair: (Double, Double))] = []
        var history: [OptimizationResult] = []
        var time = t[0]
        while time + intervalNs <= t[t.count - 1] {
            time += intervalNs
            let end = t.firstIndex { $0 >= time } ?? t.count
            guard end > 0 else { continue }
            if let result = try? await optimizer.optimizeParameters(data.rows(0..<end), lookbackHours: windowHours) {
                history.append(result)
                thresholdsFromRow.append((end, (result.entryThresholdPct, result.exitThresholdPct)))
            }
        }
        let c = optimizer.config
        let sf = c.spotFee, ff = c.futFee, maxHours = Double(c.maxPositionHoldMinutes) / 60
        var trades: [[Int]] = []
        var inPosition = false
        var entryRow = 0
        var next = 0
        var current: (Double, Double)?
        for i in 0..<t.count {
            while next < thresholdsFromRow.count && thresholdsFromRow[next].row <= i {
                current = thresholdsFromRow[next].pair
                next += 1
            }
            guard let (entry, exit) = current else { continue }
            if !inPosition {
                if (data.spotAskPrice[i] - data.futBidPrice[i]) / data.spotAskPrice[i] * 100 < entry {
                    inPosition = true
                    entryRow = i
                }
            } else {
                let cost = data.spotAskPrice[entryRow] * (1 + sf)
                let receive = data.futBidPrice[entryRow] * (1 - ff)
                let net = ((data.spotBidPrice[i] * (1 - sf) - cost) + (receive - data.futAskPrice[i] * (1 + ff))) / cost * 100
                let hours = Double(t[i] - t[entryRow]) / 1e9 / 3600
                if net >= exit {
                    trades.append([entryRow, i, 0])
                    inPosition = false
                } else if hours >= maxHours {
                    trades.append([entryRow, i, 1])
                    inPosition = false
                }
            }
        }
        return (trades, history)
    }

    @Test(arguments: [(5, 1800), (9, 600)] as [(UInt64, Int64)])
    func equalsNaiveReference(seed: UInt64, intervalSeconds: Int64) async throws {
        let data = try mock(hours: 10, seed: seed, tick: 2)
        var optimizer = DeltaArbitrageOptimizer(config: testConfig(holdMinutes: 45))
        optimizer.config.targetHitRate = 0.6
        optimizer.config.minDailyTrades = 3
        optimizer.defaultGridSteps = 8
        let fast = try await optimizedDeltaNeutralBacktest(
            data, optimizer: optimizer, optimizationWindowHours: 2, updateInterval: .seconds(intervalSeconds))
        let naive = try await naiveWalkForward(data, optimizer: optimizer, windowHours: 2,
                                               intervalNs: intervalSeconds * 1_000_000_000)
        #expect(fast.optimizationHistory == naive.history)
        #expect(fast.trades.map { [$0.entryIndex, $0.exitIndex, $0.exitReason == .profitTarget ? 0 : 1] } == naive.trades)
        #expect(naive.trades.count > 5, "the comparison should cover trades")
        #expect(naive.history.count > 5)
        // Updates before a full hold period of data fail and keep nothing in force.
        let failed = fast.updates.filter { !$0.optimized }
        #expect(!failed.isEmpty)
        #expect(failed.allSatisfy { $0.error?.contains("insufficient data") == true })
        #expect(fast.updates.count == Int((data.spanNanoseconds) / (intervalSeconds * 1_000_000_000)))
        #expect(fast.summary == BacktestSummary(trades: fast.trades, spanNanoseconds: data.spanNanoseconds))
    }

    /// Cutting the updates into chunks (each with its own first-passage
    /// index over its windows' rows, the rows before it dropped from
    /// resident memory, its trades recorded as it ends) changes nothing,
    /// from an Arrow file read in place as from owned columns.
    @Test func chunksOfUpdatesEqualOneChunk() throws {
        let owned = try mock(hours: 8, seed: 12, tick: 2)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wf-chunks-\(getpid()).arrow").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ArrowFileWriter().write(owned, to: path)
        let mapped = try ArrowFileReader().load(path: path).data
        #expect(mapped.spotAskPrice.isView)
        var optimizer = DeltaArbitrageOptimizer(config: testConfig(holdMinutes: 45))
        optimizer.defaultGridSteps = 8
        func run(_ data: MarketData, chunk: Int) throws -> String {
            var result = try walkForward(data, optimizer: optimizer, windowHours: 2, updateInterval: .seconds(300),
                                         staticParams: nil, progress: nil, stop: StopSignal(), chunkUpdates: chunk)
            result.elapsedSeconds = 0
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            return String(decoding: try encoder.encode(result), as: UTF8.self)
        }
        let whole = try run(owned, chunk: walkForwardChunkUpdates)
        #expect(whole.contains("\"exit_reason\""), "the comparison should cover trades")
        for chunk in [1, 7, 40] {
            #expect(try run(owned, chunk: chunk) == whole, "owned, chunks of \(chunk)")
            #expect(try run(mapped, chunk: chunk) == whole, "mapped, chunks of \(chunk)")
        }
    }

    /// A walk-forward's windows optimised in parts side by side (each part
    /// with its own trade-chain cache and its windows' statistics swept
    /// together) give every window the outcome of a fresh optimisation of
    /// that window alone, however the windows are cut into parts: repeated
    /// windows (a data gap), failing ones and more parts than cores included.
    @Test func windowsInPartsEqualEachWindowAlone() throws {
        let data = try mock(hours: 6, seed: 4, tick: 2)
        var optimizer = DeltaArbitrageOptimizer(config: testConfig(holdMinutes: 45))
        optimizer.defaultGridSteps = 8
        try data.withBookColumns { columns in
            let c = optimizer.config
            let index = FirstPassageBacktest(columns: columns, maxHours: c.maxHoldHours, spotFee: c.spotFee, futFee: c.futFee)
            var ends = Array(stride(from: 200, to: columns.count, by: 97))
            ends.insert(ends[40], at: 41)
            ends.insert(ends[41], at: 42)
            let windows = [0..<3] + ends.map { optimizer.trailingWindow(columns, end: $0, hours: 2) }
            func text(_ outcome: Result<OptimizationResult, any Error>) -> String {
                switch outcome {
                case .success(let result): "\(result)"
                case .failure(let error): "failed: \(error)"
                }
            }
            let alone = windows.map { window in
                text(Result {
                    try optimizer.optimizeWindow(index, rows: window, lookbackHours: 2, rowOffset: 0, indexReused: true,
                                                 started: .now, stop: StopSignal()).result
                })
            }
            #expect(alone.filter { $0.hasPrefix("failed") }.count >= 2, "the comparison should cover failed windows")
            #expect(Set(alone.filter { !$0.hasPrefix("failed") }).count > 20, "and many different optimisations")
            for parts in [1, 2, 3, 7] {
                let together = try optimizer.optimizeWindows(index, windows: windows, lookbackHours: 2, parts: parts,
                                                             stop: StopSignal())
                #expect(together.map(text) == alone, "\(parts) parts")
            }
        }
    }

    /// A trade opened under one set of thresholds and closed after an update
    /// uses the exit threshold in force at its exit: covered by the naive
    /// reference; here, static thresholds reduce to the plain backtest.
    @Test func staticParamsEqualPlainBacktest() async throws {
        let data = try mock(hours: 6, seed: 3)
        let optimizer = DeltaArbitrageOptimizer(config: testConfig())
        let pair = ThresholdPair(entryThresholdPct: 0.45, exitThresholdPct: 0.08)
        let walk = try await optimizedDeltaNeutralBacktest(data, optimizer: optimizer, staticParams: pair)
        let plain = try deltaNeutralBacktest(data, rule: optimizer.config.rule(entryThresholdPct: 0.45, exitThresholdPct: 0.08))
        #expect(walk.trades == plain.trades)
        #expect(walk.optimizationHistory.isEmpty && walk.updates.isEmpty)
        #expect(!plain.trades.isEmpty)
    }

    @Test func badArgumentsAreTypedErrors() async throws {
        let data = try mock(hours: 1, seed: 3)
        let optimizer = DeltaArbitrageOptimizer(config: testConfig())
        await #expect(throws: ParameterValidationError.self) {
            try await optimizedDeltaNeutralBacktest(data, optimizer: optimizer, optimizationWindowHours: 0)
        }
        await #expect(throws: ParameterValidationError.self) {
            try await optimizedDeltaNeutralBacktest(data, optimizer: optimizer, updateInterval: .zero)
        }
        await #expect(throws: ParameterValidationError.self) {
            try await optimizedDeltaNeutralBacktest(data, optimizer: optimizer,
                                                    staticParams: ThresholdPair(entryThresholdPct: .nan, exitThresholdPct: 0.1))
        }
    }

    @Test func cancellationStopsTheWalk() async throws {
        let data = try mock(hours: 12, seed: 3)
        let optimizer = DeltaArbitrageOptimizer(config: testConfig())
        let task = Task { try await optimizedDeltaNeutralBacktest(data, optimizer: optimizer, optimizationWindowHours: 2) }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }
}
