import Dispatch

/// One closed trade of a grid point's chain, with what it takes to tell,
/// for other thresholds, whether the same backtest would make the same trade.
///
/// A backtest from flat is a chain of stretches: flat from row `a` until the
/// first row whose `−entry_cost_pct` reaches the entry level, then held until
/// the first row that reaches the profit target or the hold limit. The
/// stretch bounds depend on the thresholds only through those comparisons, so
/// a trade recorded once stays the trade of any thresholds for which every
/// comparison comes out the same — which `entryHigh` / `entryValue` (the
/// flat stretch) and `interiorMax` / `exitValue` / `netPnlPct` (the held
/// stretch) decide without reading the rows again.
@usableFromInline
struct ChainTrade: Sendable {
    @usableFromInline var entry: Int
    @usableFromInline var exit: Int
    @usableFromInline var reason: ExitReason
    /// Largest `−entry_cost_pct` of the flat rows before `entry` (−∞ when none).
    @usableFromInline var entryHigh: Double
    /// `−entry_cost_pct` at `entry`.
    @usableFromInline var entryValue: Double
    /// Largest `v` (the exit series) of the held rows strictly between `entry` and `exit` (−∞ when none).
    @usableFromInline var interiorMax: Double
    /// `v` at `exit`.
    @usableFromInline var exitValue: Double
    /// Entry legs: spot cost and futures receipt, fees included.
    @usableFromInline var cost: Double
    @usableFromInline var receive: Double
    /// The trade's outcome, as `TradeTally.outcome` computes it.
    @usableFromInline var netPnlPct: Double
    @usableFromInline var hours: Double
}

/// A grid point's trades over the window of its last evaluation.
@usableFromInline
struct PointChain: Sendable {
    /// The window the trades were computed on; empty before the first evaluation.
    @usableFromInline var rows: Range<Int> = 0..<0
    @usableFromInline var trades: [ChainTrade] = []
    /// How many of `trades` the last evaluation took over from the chain before.
    @usableFromInline var reused = 0
}

/// The previous trade chain of every grid point of a walk-forward, so that
/// the next window's grid search recomputes only what changed.
///
/// Consecutive walk-forward windows share almost all their rows. A grid
/// point's backtest from the later start usually re-enters at one of the
/// entry rows it had before within a trade or two, and from an identical
/// entry row the backtest is identical as long as each later decision comes
/// out the same under the new thresholds (the derived grid moves a little
/// with every window). `ThresholdGridSearch.evaluate(_:entries:exits:rows:split:mask:chains:shouldStop:)`
/// checks that trade by trade against the values each trade keeps
/// (`ChainTrade`), reuses the trades that pass, simulates the rest with the
/// first-passage searches, and adds every trade to the tallies in trade
/// order, so the totals are bit for bit those of a full run.
///
/// Whether a trade is reused depends only on the data and the new
/// thresholds, never on which thresholds produced it, so a chain may serve
/// any grid point; the cache keeps one per grid index. A cache belongs to one
/// `FirstPassageBacktest` (the rows its chains index).
///
/// Memory: 88 bytes per trade per grid point over one window.
public final class TradeChainCache: @unchecked Sendable {
    // Each slot is read and written by one worker at a time (the grid search
    // hands every point to exactly one worker).
    @usableFromInline var chains: [PointChain] = []

    /// An empty cache.
    public init() {}

    /// Trades held over all grid points: the last evaluation's trades.
    public var storedTrades: Int { chains.reduce(0) { $0 + $1.trades.count } }

    /// How many of `storedTrades` the last evaluation of each point took over
    /// from the chain before instead of simulating them.
    public var reusedTrades: Int { chains.reduce(0) { $0 + $1.reused } }
}

extension FirstPassageBacktest {
    /// The seed backtest of `(entry, exit)` from flat over `rows`, reusing
    /// whatever of `previous` the same backtest would repeat; writes the new
    /// chain into `out` (emptied first) and returns the tallies
    /// `tally(entryThresholdPct:exitThresholdPct:rows:split:)` returns.
    @usableFromInline
    func chainTally(
        entryThresholdPct entry: Double, exitThresholdPct exit: Double, rows: Range<Int>, split: Int,
        previous: PointChain, into out: inout [ChainTrade]
    ) -> (all: TradeTally, beforeSplit: TradeTally, reused: Int) {
        precondition(rows.lowerBound >= 0 && rows.upperBound <= count, "rows out of range")
        out.removeAll(keepingCapacity: true)
        var all = TradeTally(), early = TradeTally()
        var reused = 0
        let entryLevel = Self.entryLevel(entryThresholdPct: entry)
        let end = rows.upperBound
        let old = previous.trades
        // Index of the first old trade that may still be met; old trades end before `previous.rows.upperBound`.
        var i = old.partitionPoint(in: 0..<old.count) { $0.entry >= rows.lowerBound }
        var flatStart = rows.lowerBound

        func record(_ t: ChainTrade) {
            out.append(t)
            all.add(netPnlPct: t.netPnlPct, hours: t.hours, reason: t.reason)
            // Trades come in exit order, so those closing before the split are a prefix.
            if t.exit < split { early = all }
        }

        while flatStart < end {
            // Entry: the old trade's, when its flat stretch starts here and no decision changes.
            while i < old.count && old[i].entry < flatStart { i += 1 }
            let e: Int, high: Double
            let oldStart = i == 0 ? previous.rows.lowerBound : old[i - 1].exit + 1
            if i < old.count, oldStart == flatStart, old[i].exit < end,
               old[i].entryHigh < entryLevel, old[i].entryValue >= entryLevel {
                e = old[i].entry
                high = old[i].entryHigh
            } else {
                guard let found = entrySeries.firstIndex(atLeast: entryLevel, from: flatStart, to: end) else { break }
                e = found
                high = entrySeries.maxValue(from: flatStart, to: e)
            }

            // Exit: the old trade's from the same entry row, when every held row decides the same.
            while i < old.count && old[i].entry < e { i += 1 }
            if i < old.count, old[i].entry == e, old[i].exit < end, sameExit(old[i], exitThresholdPct: exit) {
                var t = old[i]
                t.entryHigh = high
                record(t)
                reused += 1
                flatStart = t.exit + 1
                i += 1
                continue
            }
            let held = OpenPosition(entryIndex: e, entryTime: columns.timestamps[e],
                                    entrySpotAsk: columns.spotAsk[e], entryFutBid: columns.futBid[e])
            guard let (x, reason) = nextExit(held, exitThresholdPct: exit, from: e + 1, to: end) else { break }
            let (pnl, hours) = TradeTally.outcome(entry: e, exit: x, columns: columns, spotFee: spotFee, futFee: futFee)
            record(ChainTrade(
                entry: e, exit: x, reason: reason, entryHigh: high, entryValue: entrySeries[e],
                interiorMax: exitSeries.maxValue(from: e + 1, to: x), exitValue: exitSeries[x],
                cost: SpreadFormulas.entrySpotCost(spotAsk: held.entrySpotAsk, spotFee: spotFee),
                receive: SpreadFormulas.entryFutReceive(futBid: held.entryFutBid, futFee: futFee),
                netPnlPct: pnl, hours: hours))
            flatStart = x + 1
        }
        return (all, early, reused)
    }

    /// True when `nextExit` from `t.entry + 1` with exit threshold `x` returns
    /// `t`'s exit row and reason: no held row before it is a candidate, and
    /// the exit row decides as before (confirmed profit, or not, at the
    /// timeout row — the timeout row does not depend on the thresholds).
    @inlinable @inline(__always)
    func sameExit(_ t: ChainTrade, exitThresholdPct x: Double) -> Bool {
        let bound = exitSearchLevel(cost: t.cost, receive: t.receive, exitThresholdPct: x)
        guard t.interiorMax < bound else { return false }
        // `netPnlPct` is the exact test's left-hand side at the exit row (`TradeDecision.reachesProfitTarget`).
        let hit = t.exitValue >= bound && t.netPnlPct >= x
        return hit == (t.reason == .profitTarget)
    }
}

extension ThresholdGridSearch {
    /// `evaluate(_:entries:exits:rows:split:mask:shouldStop:)` reusing the
    /// trade chains `chains` kept from the previous call and leaving this
    /// call's chains there: the same tallies, bit for bit, at the cost of the
    /// trades that changed (see `TradeChainCache`). `concurrently` as for the
    /// plain `evaluate`.
    public static func evaluate(
        _ backtest: FirstPassageBacktest, entries: [Double], exits: [Double], rows: Range<Int>, split: Int,
        mask: [Bool] = [], chains cache: TradeChainCache, concurrently: Bool = true,
        shouldStop: @Sendable () -> Bool = { false }
    ) -> Evaluation {
        let total = entries.count * exits.count
        precondition(mask.isEmpty || mask.count == total, "mask must have one entry per grid point")
        if cache.chains.count != total { cache.chains = [PointChain](repeating: PointChain(), count: total) }
        var results = [GridPointTally?](repeating: nil, count: total)
        let stopped = UnsafeMutableBufferPointer<Bool>.allocate(capacity: total)
        stopped.initialize(repeating: false)
        defer { stopped.deallocate() }
        results.withUnsafeMutableBufferPointer { out in
            cache.chains.withUnsafeMutableBufferPointer { chains in
                let sink = UncheckedSendable(out), slots = UncheckedSendable(chains), stopSink = UncheckedSendable(stopped)
                let exitCount = exits.count
                // Runs of points per worker call, so one scratch buffer serves a run (its storage
                // swaps with each point's previous chain: no allocation once warm).
                let run = 8
                forEachIteration((total + run - 1) / run, concurrently: concurrently) { r in
                    var scratch: [ChainTrade] = []
                    for point in r * run..<min((r + 1) * run, total) {
                        guard mask.isEmpty || mask[point] else { continue }
                        if shouldStop() {
                            stopSink.value[point] = true
                            continue
                        }
                        let tally = backtest.chainTally(
                            entryThresholdPct: entries[point / exitCount], exitThresholdPct: exits[point % exitCount],
                            rows: rows, split: split, previous: slots.value[point], into: &scratch)
                        swap(&slots.value[point].trades, &scratch)
                        slots.value[point].rows = rows
                        slots.value[point].reused = tally.reused
                        sink.value[point] = GridPointTally(all: tally.all, beforeSplit: tally.beforeSplit)
                    }
                }
            }
        }
        let evaluated = results.reduce(0) { $0 + ($1 == nil ? 0 : 1) }
        return Evaluation(points: results, evaluated: evaluated, stopped: stopped.contains(true))
    }
}
