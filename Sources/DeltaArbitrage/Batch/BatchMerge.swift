import Foundation
import SpreadKernels

/// The merged outcome of a sharded dataset: the walk-forward (equal to one
/// unsharded `optimizedDeltaNeutralBacktest` over the whole range, trades
/// and parameter history bit for bit) and each fixed-threshold backtest
/// (equal to `deltaNeutralBacktest` with that pair).
public struct BatchMergeResult: Sendable {
    /// The walk-forward; `elapsedSeconds` is the merge's own time.
    public var walkForward: WalkForwardResult
    /// One result per fixed pair, in the manifest's order.
    public var backtests: [BacktestResult]
    /// Shards whose assumed entering state was wrong, so that the merge
    /// re-ran part of their slice (walk-forward and backtests together).
    public var rerunShards: Int
}

extension BatchPlan {
    /// Rows between the merge's checks for a re-run chain rejoining the shard's own.
    static let rejoinCheckRows = 4096

    /// Carries the open position and the thresholds in force across every
    /// shard boundary, in order.
    ///
    /// Where the state entering a shard is the one the shard assumed (flat,
    /// the thresholds of the last update before it), its trades are taken as
    /// they are. Otherwise the merge loads the shard's rows (`load`, one shard
    /// at a time) and re-runs its slice from the true state until the re-run
    /// is flat where the shard's own chain is flat, with the same thresholds
    /// in force: from there both chains are the same, so the rest is the
    /// shard's. `results[k]` must be shard k's.
    ///
    /// - Throws: `BatchError` when a result is missing or belongs to another shard.
    public func merge(_ results: [BatchShardResult], optimizer: DeltaArbitrageOptimizer, backtests: [ThresholdPair],
                      load: (BatchShardSpec) throws -> MarketData) throws -> BatchMergeResult {
        let started = ContinuousClock.now
        guard results.count == shards.count else {
            throw BatchError("the merge has \(results.count) shard results; the plan has \(shards.count) shards")
        }
        for (k, result) in results.enumerated() where result.index != k || result.backtests.count != backtests.count {
            throw BatchError("shard result \(k) is shard \(result.index)'s with \(result.backtests.count) backtests, not shard \(k)'s with \(backtests.count)")
        }
        let config = optimizer.config
        var rerun = Set<Int>()
        var loaded: (index: Int, data: MarketData)?
        func rows(of spec: BatchShardSpec) throws -> MarketData {
            if let loaded, loaded.index == spec.index { return loaded.data }
            let data = try load(spec)
            guard data.count == spec.loadedRows.count else {
                throw BatchError("shard \(spec.index)'s rows: \(data.count) loaded, the plan says \(spec.loadedRows.count)")
            }
            loaded = (spec.index, data)
            return data
        }

        // The walk-forward: thresholds and position carried shard to shard.
        var walkTrades: [BatchTradeRecord] = []
        var position: BatchPositionRecord?
        var inForce: ThresholdPair?
        var history: [OptimizationResult] = []
        var updates: [WalkForwardUpdate] = []
        for (spec, result) in zip(shards, results) {
            let changes = try result.updates.map { ($0.row, try $0.thresholds()) }
            if position == nil && inForce == result.assumedThresholds {
                walkTrades += result.walkForward.trades
                position = result.walkForward.open
            } else {
                rerun.insert(spec.index)
                position = try continueChain(spec, own: result.walkForward, assumed: result.assumedThresholds, actual: inForce,
                                             changes: changes, from: position, data: rows(of: spec), config: config,
                                             into: &walkTrades)
            }
            for update in result.updates {
                if let record = update.result {
                    let r = try record.result()
                    history.append(r)
                    inForce = ThresholdPair(entryThresholdPct: r.entryThresholdPct, exitThresholdPct: r.exitThresholdPct)
                }
                updates.append(WalkForwardUpdate(timeNanoseconds: update.timeNanoseconds, row: update.row,
                                                 optimized: update.result != nil, thresholds: inForce,
                                                 confidenceScore: try update.result?.result().confidenceScore, error: update.error))
            }
        }

        // Each fixed pair: only the position is carried.
        var fixedTrades = [[BatchTradeRecord]](repeating: [], count: backtests.count)
        var fixedOpen = [BatchPositionRecord?](repeating: nil, count: backtests.count)
        for (spec, result) in zip(shards, results) {
            for (b, pair) in backtests.enumerated() {
                let own = result.backtests[b]
                if let carried = fixedOpen[b] {
                    rerun.insert(spec.index)
                    fixedOpen[b] = try continueChain(spec, own: own, assumed: pair, actual: pair, changes: [], from: carried,
                                                     data: rows(of: spec), config: config, into: &fixedTrades[b])
                } else {
                    fixedTrades[b] += own.trades
                    fixedOpen[b] = own.open
                }
            }
        }

        guard let mark = results.last?.lastRow else { throw BatchError("the last shard holds no rows") }
        let span = lastTimeNanoseconds - firstTimeNanoseconds
        func report(_ open: BatchPositionRecord?, rule: BacktestRule) -> OpenPositionReport? {
            open.map {
                OpenPositionReport($0.local(offset: 0), markIndex: mark.row, markTimeNanoseconds: mark.timeNanoseconds,
                                   markSpotBid: mark.spotBid, markFutAsk: mark.futAsk, rule: rule)
            }
        }
        let feesRule = config.rule(entryThresholdPct: 0, exitThresholdPct: 0)
        let trades = try walkTrades.map { try $0.trade(rule: feesRule) }
        let walk = WalkForwardResult(
            trades: trades, optimizationHistory: history, updates: updates,
            summary: BacktestSummary(trades: trades, spanNanoseconds: span), openPosition: report(position, rule: feesRule),
            windowHours: windowHours, updateIntervalSeconds: Double(updateIntervalNanoseconds) / 1e9, staticParams: nil,
            elapsedSeconds: (ContinuousClock.now - started).seconds)
        let fixed = try backtests.indices.map { b -> BacktestResult in
            let rule = config.rule(entryThresholdPct: backtests[b].entryThresholdPct, exitThresholdPct: backtests[b].exitThresholdPct)
            let trades = try fixedTrades[b].map { try $0.trade(rule: rule) }
            return BacktestResult(trades: trades, summary: BacktestSummary(trades: trades, spanNanoseconds: span),
                                  openPosition: report(fixedOpen[b], rule: rule))
        }
        return BatchMergeResult(walkForward: walk, backtests: fixed, rerunShards: rerun.count)
    }

    /// Re-runs shard `spec`'s slice from the true entering state (`position`,
    /// `actual` thresholds) until it rejoins the shard's own chain `own`
    /// (computed from flat with `assumed`), appending the trades; returns the
    /// position open at the slice's end.
    private func continueChain(_ spec: BatchShardSpec, own: BatchChain, assumed: ThresholdPair?, actual: ThresholdPair?,
                               changes: [(row: Int, thresholds: ThresholdPair?)], from position: BatchPositionRecord?,
                               data: MarketData, config: OptimizerConfig,
                               into trades: inout [BatchTradeRecord]) throws -> BatchPositionRecord? {
        let offset = spec.loadFirstRow
        return data.withBookColumns { columns in
            let runner = BatchChainRunner(columns: columns, config: config, offset: offset)
            var open = position?.local(offset: offset)
            var actual = actual, assumed = assumed
            var cursor = spec.sliceFirstRow
            var pending = changes[...]
            while cursor < spec.endRow {
                // Same state at `cursor` in both chains: the shard's own trades from here on are the true ones.
                if open == nil, actual == assumed, own.isFlat(enteringRow: cursor) {
                    trades += own.trades.filter { $0.entryRow >= cursor }
                    return own.open
                }
                let next = min(pending.first?.row ?? spec.endRow, cursor + Self.rejoinCheckRows, spec.endRow)
                open = runner.run((cursor - offset)..<(next - offset), thresholds: actual, from: open, into: &trades)
                cursor = next
                while let change = pending.first, change.row <= cursor {
                    if let pair = change.thresholds {
                        actual = pair
                        assumed = pair
                    }
                    pending = pending.dropFirst()
                }
            }
            return open.map { BatchPositionRecord($0, offset: offset) }
        }
    }
}
