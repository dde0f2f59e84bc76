/// The backtest's two decisions (docs/design.md, "Backtest semantics"), one row at a time — the code the
/// live strategy runs on every tick and the backtest kernel runs at the
/// rows its SIMD scan stops at, so that a replay with fixed thresholds
/// produces exactly the backtest's trades.
public enum TradeDecision {
    /// Flat: open at this row when `entry_cost_pct < entry threshold` (strict).
    @inlinable @inline(__always)
    public static func opens(spotAsk: Double, futBid: Double, rule: BacktestRule) -> Bool {
        opens(spotAsk: spotAsk, futBid: futBid, entryThresholdPct: rule.entryThresholdPct)
    }

    /// `opens(spotAsk:futBid:rule:)` with the threshold alone.
    @inlinable @inline(__always)
    public static func opens(spotAsk: Double, futBid: Double, entryThresholdPct: Double) -> Bool {
        SpreadFormulas.entryCostPct(spotAsk: spotAsk, futBid: futBid) < entryThresholdPct
    }

    /// In a position: the exit this row triggers, if any — `profit_target`
    /// when `net_pnl_pct ≥ exit threshold` (checked first), else `timeout`
    /// when the position has been held `cutoff` nanoseconds
    /// (`SpreadFormulas.timeoutCutoffNanoseconds(maxHours:)`).
    @inlinable @inline(__always)
    public static func exit(
        _ held: OpenPosition, spotBid: Double, futAsk: Double, time: Int64, rule: BacktestRule, cutoff: Int64
    ) -> ExitReason? {
        if reachesProfitTarget(
            entrySpotCost: SpreadFormulas.entrySpotCost(spotAsk: held.entrySpotAsk, spotFee: rule.spotFee),
            entryFutReceive: SpreadFormulas.entryFutReceive(futBid: held.entryFutBid, futFee: rule.futFee),
            spotBid: spotBid, futAsk: futAsk, exitThresholdPct: rule.exitThresholdPct,
            spotFee: rule.spotFee, futFee: rule.futFee) {
            return .profitTarget
        }
        // Wrapping: in time order with a span that fits Int64 (what every
        // caller checks before keeping a result) it is the exact difference,
        // and on unchecked rows it cannot trap.
        if time &- held.entryTime >= cutoff { return .timeout }
        return nil
    }

    /// The profit-target test `net_pnl_pct ≥ exit threshold` of a position
    /// whose entry legs cost `entrySpotCost` and received `entryFutReceive`
    /// (`SpreadFormulas.entrySpotCost` / `entryFutReceive`), closed at these tops.
    @inlinable @inline(__always)
    public static func reachesProfitTarget(
        entrySpotCost: Double, entryFutReceive: Double, spotBid: Double, futAsk: Double,
        exitThresholdPct: Double, spotFee: Double, futFee: Double
    ) -> Bool {
        SpreadFormulas.netPnlPct(
            entrySpotCost: entrySpotCost, entryFutReceive: entryFutReceive,
            exitSpotReceive: SpreadFormulas.exitSpotReceive(spotBid: spotBid, spotFee: spotFee),
            exitFutCost: SpreadFormulas.exitFutCost(futAsk: futAsk, futFee: futFee)) >= exitThresholdPct
    }
}
