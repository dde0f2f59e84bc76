// The seed's `delta_neutral_backtest`, transcribed row by row from the text of
// docs/design.md ("Backtest semantics"). It deliberately shares no code with the
// library — no SpreadFormulas, no kernel, no cutoff precomputation — so the
// parity tests compare two independent readings of the specification.

/// One book-ticker series as plain arrays.
struct Series: Sendable, CustomStringConvertible {
    var t: [Int64] = []
    var spotAsk: [Double] = []
    var spotBid: [Double] = []
    var futAsk: [Double] = []
    var futBid: [Double] = []
    var label = ""

    var count: Int { t.count }
    var description: String { "\(label) (\(count) rows)" }
}

/// A closed trade as the reference reports it.
struct ReferenceTrade: Hashable, CustomStringConvertible {
    var entry: Int
    var exit: Int
    var reason: String  // "profit_target" or "timeout", as in the seed
    var description: String { "(\(entry)→\(exit) \(reason))" }
}

/// Plain loop over rows with the seed's formulas written inline.
///
/// - Returns: the closed trades in order, and the entry row of a position
///   still open after the last row.
func referenceBacktest(
    _ s: Series, maxEntryCostPct: Double, minProfitPct: Double, maxHours: Double,
    spotFee: Double, futFee: Double
) -> (trades: [ReferenceTrade], openEntry: Int?) {
    var trades: [ReferenceTrade] = []
    var inPosition = false
    var entryIndex = 0
    var entryTime: Int64 = 0
    var entrySpotAsk = 0.0, entryFutBid = 0.0
    for i in 0..<s.count {
        if !inPosition {
            let entryCostPct = (s.spotAsk[i] - s.futBid[i]) / s.spotAsk[i] * 100
            if entryCostPct < maxEntryCostPct {
                inPosition = true
                entryIndex = i
                entryTime = s.t[i]
                entrySpotAsk = s.spotAsk[i]
                entryFutBid = s.futBid[i]
            }
        } else {
            let entrySpotCost = entrySpotAsk * (1 + spotFee)
            let entryFutReceive = entryFutBid * (1 - futFee)
            let exitSpotReceive = s.spotBid[i] * (1 - spotFee)
            let exitFutCost = s.futAsk[i] * (1 + futFee)
            let spotPnlPts = exitSpotReceive - entrySpotCost
            let futPnlPts = entryFutReceive - exitFutCost
            let totalPnlPts = spotPnlPts + futPnlPts
            let netPnlPct = totalPnlPts / entrySpotCost * 100
            let hours = Double(s.t[i] - entryTime) / 1e9 / 3600
            if netPnlPct >= minProfitPct {
                trades.append(ReferenceTrade(entry: entryIndex, exit: i, reason: "profit_target"))
                inPosition = false
            } else if hours >= maxHours {
                trades.append(ReferenceTrade(entry: entryIndex, exit: i, reason: "timeout"))
                inPosition = false
            }
            // A closing row never opens a position: the next check is on row i + 1.
        }
    }
    return (trades, inPosition ? entryIndex : nil)
}

/// `net_pnl_pct` of closing at row `exit` a position opened at row `entry`,
/// inline as above (used to build exit thresholds that tie exactly).
func referenceNetPnlPct(_ s: Series, entry: Int, exit: Int, spotFee: Double, futFee: Double) -> Double {
    let entrySpotCost = s.spotAsk[entry] * (1 + spotFee)
    let entryFutReceive = s.futBid[entry] * (1 - futFee)
    let spotPnlPts = s.spotBid[exit] * (1 - spotFee) - entrySpotCost
    let futPnlPts = entryFutReceive - s.futAsk[exit] * (1 + futFee)
    return (spotPnlPts + futPnlPts) / entrySpotCost * 100
}

/// `entry_cost_pct` of row `i`, inline.
func referenceEntryCostPct(_ s: Series, _ i: Int) -> Double {
    (s.spotAsk[i] - s.futBid[i]) / s.spotAsk[i] * 100
}
