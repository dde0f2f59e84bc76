import Foundation
import SpreadKernels

/// A closed trade as a shard records it: rows of the whole dataset and the
/// entry and exit quotes, from which `Trade` recomputes every figure. Exact
/// through JSON (integers, and doubles written in their shortest round-trip form).
public struct BatchTradeRecord: Sendable, Hashable, Codable {
    public var entryRow: Int
    public var exitRow: Int
    public var reason: String
    public var entryTimeNanoseconds: Int64
    public var exitTimeNanoseconds: Int64
    public var entrySpotAsk: Double
    public var entryFutBid: Double
    public var exitSpotBid: Double
    public var exitFutAsk: Double

    enum CodingKeys: String, CodingKey {
        case entryRow = "entry_row", exitRow = "exit_row", reason, entryTimeNanoseconds = "entry_time_ns"
        case exitTimeNanoseconds = "exit_time_ns", entrySpotAsk = "entry_spot_ask", entryFutBid = "entry_fut_bid"
        case exitSpotBid = "exit_spot_bid", exitFutAsk = "exit_fut_ask"
    }

    /// The trade with `rule`'s fees (its thresholds do not enter the figures).
    func trade(rule: BacktestRule) throws -> Trade {
        guard let exitReason = ExitReason.allCases.first(where: { $0.rawValue == reason }) else {
            throw BatchError("a shard result names an unknown exit reason '\(reason)'")
        }
        return Trade(TradeIndices(entryIndex: entryRow, exitIndex: exitRow, reason: exitReason),
                     entryTimeNanoseconds: entryTimeNanoseconds, exitTimeNanoseconds: exitTimeNanoseconds,
                     entrySpotAsk: entrySpotAsk, entryFutBid: entryFutBid, exitSpotBid: exitSpotBid,
                     exitFutAsk: exitFutAsk, rule: rule)
    }
}

/// An open position in rows of the whole dataset (the kernel's `OpenPosition`).
public struct BatchPositionRecord: Sendable, Hashable, Codable {
    public var entryRow: Int
    public var entryTimeNanoseconds: Int64
    public var entrySpotAsk: Double
    public var entryFutBid: Double

    enum CodingKeys: String, CodingKey {
        case entryRow = "entry_row", entryTimeNanoseconds = "entry_time_ns", entrySpotAsk = "entry_spot_ask", entryFutBid = "entry_fut_bid"
    }

    init(_ p: OpenPosition, offset: Int) {
        entryRow = p.entryIndex + offset
        entryTimeNanoseconds = p.entryTime
        entrySpotAsk = p.entrySpotAsk
        entryFutBid = p.entryFutBid
    }

    func local(offset: Int) -> OpenPosition {
        OpenPosition(entryIndex: entryRow - offset, entryTime: entryTimeNanoseconds, entrySpotAsk: entrySpotAsk, entryFutBid: entryFutBid)
    }
}

/// The trades of one slice under an assumed entering state, and the position
/// open at its end.
public struct BatchChain: Sendable, Hashable, Codable {
    public var trades: [BatchTradeRecord]
    public var open: BatchPositionRecord?

    /// True when this chain, started flat at its slice's first row, holds no
    /// position as row `row` is visited (no trade opened before `row` closes at or after it).
    func isFlat(enteringRow row: Int) -> Bool {
        if let open, open.entryRow < row { return false }
        return !trades.contains { $0.entryRow < row && row <= $0.exitRow }
    }
}

/// An optimisation result stored exactly: the doubles as their IEEE bit
/// patterns (the JSON form of `OptimizationResult` writes ∞ as null).
public struct BatchOptimizationRecord: Sendable, Hashable, Codable {
    var bits: [UInt64]
    var analysisPeriodHours: Int

    init(_ r: OptimizationResult) {
        bits = [r.entryThresholdPct, r.exitThresholdPct, r.confidenceScore, r.meanReversionSpeed, r.spreadVolatility,
                r.optimizationTimestamp].map(\.bitPattern)
        analysisPeriodHours = r.analysisPeriodHours
    }

    func result() throws -> OptimizationResult {
        guard bits.count == 6 else { throw BatchError("a shard result's optimisation record has \(bits.count) numbers, not 6") }
        let v = bits.map(Double.init(bitPattern:))
        return OptimizationResult(entryThresholdPct: v[0], exitThresholdPct: v[1], confidenceScore: v[2],
                                  analysisPeriodHours: analysisPeriodHours, meanReversionSpeed: v[3], spreadVolatility: v[4],
                                  optimizationTimestamp: v[5])
    }
}

/// One scheduled update's outcome, independent of what came before it.
public struct BatchUpdateOutcome: Sendable, Hashable, Codable {
    /// Update time, nanoseconds since the Unix epoch.
    public var timeNanoseconds: Int64
    /// First row (of the whole dataset) at or after the update time.
    public var row: Int
    /// The optimisation's result; nil when it failed.
    public var result: BatchOptimizationRecord?
    /// Why it failed; nil when it succeeded.
    public var error: String?

    enum CodingKeys: String, CodingKey { case timeNanoseconds = "time_ns", row, result, error }

    /// The thresholds the update put in force; nil when it failed. Throws
    /// for a damaged record rather than reading it as a failed update.
    func thresholds() throws -> ThresholdPair? {
        guard let result else { return nil }
        let r = try result.result()
        return ThresholdPair(entryThresholdPct: r.entryThresholdPct, exitThresholdPct: r.exitThresholdPct)
    }
}

/// The quotes of a dataset's last row, where an open position is marked.
public struct BatchMarkRow: Sendable, Hashable, Codable {
    public var row: Int
    public var timeNanoseconds: Int64
    public var spotBid: Double
    public var futAsk: Double

    enum CodingKeys: String, CodingKey { case row, timeNanoseconds = "time_ns", spotBid = "spot_bid", futAsk = "fut_ask" }
}

/// What one shard computed on its own (docs/design.md, "Batch runs"): every
/// update of its slice, and the walk-forward's and each fixed backtest's
/// trades over the slice assuming the slice starts flat with
/// `assumedThresholds` in force (the outcome of the last update before it,
/// which the shard re-runs; nil when it failed or there is none).
public struct BatchShardResult: Sendable, Hashable, Codable {
    public var index: Int
    public var updates: [BatchUpdateOutcome]
    public var assumedThresholds: ThresholdPair?
    public var walkForward: BatchChain
    public var backtests: [BatchChain]
    /// The slice's last row; nil when the slice holds no rows.
    public var lastRow: BatchMarkRow?

    enum CodingKeys: String, CodingKey {
        case index, updates, assumedThresholds = "assumed_thresholds", walkForward = "walk_forward", backtests, lastRow = "last_row"
    }
}

/// A batch failure: a message naming what is wrong.
public struct BatchError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Runs the walk-forward's trading over local rows `rows`, thresholds
/// changing at the given local rows, from `position`; appends the trades
/// (whole-dataset rows) and returns the position open at the end.
struct BatchChainRunner {
    let columns: BookColumns
    let config: OptimizerConfig
    /// Whole-dataset row of local row 0.
    let offset: Int

    func run(_ rows: Range<Int>, thresholds: ThresholdPair?, from position: OpenPosition?,
             into trades: inout [BatchTradeRecord]) -> OpenPosition? {
        guard let pair = thresholds, !rows.isEmpty else { return position }
        let rule = config.rule(entryThresholdPct: pair.entryThresholdPct, exitThresholdPct: pair.exitThresholdPct)
        var indices: [TradeIndices] = []
        let open = BacktestKernel.run(columns, rule: rule, rows: rows, from: position, trades: &indices)
        for (k, t) in indices.enumerated() {
            // Only the first trade can close a position carried in; its entry
            // row may lie before the loaded rows, so its quotes come from the position.
            let entry: (time: Int64, ask: Double, bid: Double)
            if k == 0, let position, position.entryIndex == t.entryIndex {
                entry = (position.entryTime, position.entrySpotAsk, position.entryFutBid)
            } else {
                entry = (columns.timestamps[t.entryIndex], columns.spotAsk[t.entryIndex], columns.futBid[t.entryIndex])
            }
            trades.append(BatchTradeRecord(
                entryRow: t.entryIndex + offset, exitRow: t.exitIndex + offset, reason: t.reason.rawValue,
                entryTimeNanoseconds: entry.time, exitTimeNanoseconds: columns.timestamps[t.exitIndex],
                entrySpotAsk: entry.ask, entryFutBid: entry.bid,
                exitSpotBid: columns.spotBid[t.exitIndex], exitFutAsk: columns.futAsk[t.exitIndex]))
        }
        return open
    }
}

extension BatchPlan {
    /// Runs shard `spec` on its loaded rows (`data` = rows `spec.loadedRows`
    /// of the dataset): its updates' optimisations, and the walk-forward's and
    /// each fixed pair's trades over its slice from the assumed entering state.
    ///
    /// - Throws: `BatchError` when `data` is not the shard's rows;
    ///   `CancellationError` when `stop` is set.
    public func runShard(_ spec: BatchShardSpec, data: MarketData, optimizer: DeltaArbitrageOptimizer,
                         backtests: [ThresholdPair], stop: StopSignal = StopSignal()) throws -> BatchShardResult {
        guard data.count == spec.loadedRows.count else {
            throw BatchError("shard \(spec.index) was given \(data.count) rows; its plan says \(spec.loadedRows.count) "
                + "(rows \(spec.loadFirstRow)..<\(spec.endRow))")
        }
        let config = optimizer.config
        try config.validate()
        for pair in backtests {
            try config.rule(entryThresholdPct: pair.entryThresholdPct, exitThresholdPct: pair.exitThresholdPct).validate()
        }
        let offset = spec.loadFirstRow
        let sliceFirst = spec.sliceFirstRow - offset
        return try data.withBookColumns { columns -> Result<BatchShardResult, any Error> in
            Result(catching: {
                let n = columns.count
                let index = FirstPassageBacktest(columns: columns, maxHours: config.maxHoldHours,
                                                 spotFee: config.spotFee, futFee: config.futFee)
                // The update before the slice (whose thresholds are in force at its start), then the slice's updates.
                let before = BatchPlan.lastUpdate(before: spec.sliceStartNanoseconds, first: firstTimeNanoseconds,
                                                  interval: updateIntervalNanoseconds)
                let times = (before.map { [$0] } ?? []) + updateTimes(from: spec.sliceStartNanoseconds, to: spec.sliceEndNanoseconds)
                let ends = times.map { columns.firstRow(atOrAfter: $0, in: 0..<n) }
                // A thread per core on its own windows, as in the walk-forward: faster than one window at a
                // time with its grid spread over the cores, also while the batch runs a shard per core.
                let results = try optimizer.optimizeWindows(
                    index, windows: ends.map { optimizer.trailingWindow(columns, end: $0, hours: windowHours) },
                    lookbackHours: windowHours, parts: walkForwardParts, stop: stop)
                var outcomes = zip(zip(times, ends), results).map { timeAndEnd, result in
                    switch result {
                    case .success(let made):
                        BatchUpdateOutcome(timeNanoseconds: timeAndEnd.0, row: timeAndEnd.1 + offset,
                                           result: BatchOptimizationRecord(made), error: nil)
                    case .failure(let error):
                        BatchUpdateOutcome(timeNanoseconds: timeAndEnd.0, row: timeAndEnd.1 + offset, result: nil, error: "\(error)")
                    }
                }
                var assumed: ThresholdPair?
                if before != nil { assumed = try outcomes.removeFirst().thresholds() }
                let updates = outcomes

                let runner = BatchChainRunner(columns: columns, config: config, offset: offset)
                var walkTrades: [BatchTradeRecord] = []
                var position: OpenPosition?
                var inForce = assumed, cursor = sliceFirst
                for update in updates {
                    let row = update.row - offset
                    position = runner.run(cursor..<row, thresholds: inForce, from: position, into: &walkTrades)
                    cursor = row
                    if let pair = try update.thresholds() { inForce = pair }
                }
                position = runner.run(cursor..<n, thresholds: inForce, from: position, into: &walkTrades)
                let walk = BatchChain(trades: walkTrades, open: position.map { BatchPositionRecord($0, offset: offset) })

                let fixed = backtests.map { pair -> BatchChain in
                    var trades: [BatchTradeRecord] = []
                    let open = runner.run(sliceFirst..<n, thresholds: pair, from: nil, into: &trades)
                    return BatchChain(trades: trades, open: open.map { BatchPositionRecord($0, offset: offset) })
                }
                let last = n > sliceFirst
                    ? BatchMarkRow(row: n - 1 + offset, timeNanoseconds: columns.timestamps[n - 1],
                                   spotBid: columns.spotBid[n - 1], futAsk: columns.futAsk[n - 1])
                    : nil
                return BatchShardResult(index: spec.index, updates: updates, assumedThresholds: assumed,
                                        walkForward: walk, backtests: fixed, lastRow: last)
            })
        }.get()
    }
}
