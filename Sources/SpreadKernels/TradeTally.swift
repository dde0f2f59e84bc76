/// Running totals of a trade list, in trade order — everything the summary
/// statistics and the optimizer's objective and targets need, without keeping
/// the trades.
///
/// `maxDrawdown` is the largest peak-to-trough fall of the running sum of
/// `net_pnl_pct / 100`, starting from 0 (docs/design.md, "Summary statistics").
public struct TradeTally: Sendable, Hashable {
    /// Trades added.
    public var trades = 0
    /// Trades with `net_pnl_pct > 0`.
    public var wins = 0
    /// Trades closed by the profit target.
    public var profitTargetExits = 0
    /// Trades closed by the hold limit.
    public var timeoutExits = 0
    /// Σ `net_pnl_pct`.
    public var totalPnlPct = 0.0
    /// Σ `hours`.
    public var totalHours = 0.0
    /// Largest `net_pnl_pct`, in percent; −∞ without trades.
    public var bestPnlPct = -Double.infinity
    /// Smallest `net_pnl_pct`, in percent; +∞ without trades.
    public var worstPnlPct = Double.infinity
    /// Running Σ `net_pnl_pct / 100` and its peak so far.
    public var cumulative = 0.0
    /// Largest value `cumulative` has reached, starting from 0.
    public var peak = 0.0
    /// Largest `peak − cumulative` so far, as a fraction (≥ 0; 0 without trades).
    public var maxDrawdown = 0.0

    /// Empty totals: no trades, drawdown 0.
    public init() {}

    /// Adds the next trade.
    @inlinable
    public mutating func add(netPnlPct p: Double, hours: Double, reason: ExitReason) {
        trades += 1
        if p > 0 { wins += 1 }
        switch reason {
        case .profitTarget: profitTargetExits += 1
        case .timeout: timeoutExits += 1
        }
        totalPnlPct += p
        totalHours += hours
        bestPnlPct = max(bestPnlPct, p)
        worstPnlPct = min(worstPnlPct, p)
        cumulative += p / 100
        peak = max(peak, cumulative)
        maxDrawdown = max(maxDrawdown, peak - cumulative)
    }

    /// Adds the trade closing at row `exit` a position opened at row `entry`,
    /// with the seed's formulas.
    @inlinable
    public mutating func add(
        entry: Int, exit: Int, reason: ExitReason, columns c: BookColumns, spotFee: Double, futFee: Double
    ) {
        let (pnl, hours) = Self.outcome(entry: entry, exit: exit, columns: c, spotFee: spotFee, futFee: futFee)
        add(netPnlPct: pnl, hours: hours, reason: reason)
    }

    /// `net_pnl_pct` and hours held of the trade from row `entry` to row
    /// `exit`, with the seed's formulas — the values `add(entry:…)` adds, so
    /// a caller that stores them and adds them later gets the same bits.
    @inlinable @inline(__always)
    public static func outcome(
        entry: Int, exit: Int, columns c: BookColumns, spotFee: Double, futFee: Double
    ) -> (netPnlPct: Double, hours: Double) {
        let pnl = SpreadFormulas.netPnlPct(
            entrySpotCost: SpreadFormulas.entrySpotCost(spotAsk: c.spotAsk[entry], spotFee: spotFee),
            entryFutReceive: SpreadFormulas.entryFutReceive(futBid: c.futBid[entry], futFee: futFee),
            exitSpotReceive: SpreadFormulas.exitSpotReceive(spotBid: c.spotBid[exit], spotFee: spotFee),
            exitFutCost: SpreadFormulas.exitFutCost(futAsk: c.futAsk[exit], futFee: futFee))
        return (pnl, SpreadFormulas.hours(fromNanoseconds: c.timestamps[exit] - c.timestamps[entry]))
    }

    /// `wins / trades`, 0 without trades.
    @inlinable public var hitRate: Double { trades > 0 ? Double(wins) / Double(trades) : 0 }
}
