/// The backtest's arithmetic (docs/design.md, "Backtest semantics"), written once.
///
/// Every decision the engine takes (open, take profit, time out) and every
/// number it reports for a trade is one of these expressions evaluated in
/// `Double` in exactly this order. The vectorised kernel evaluates the same
/// expressions lane by lane (IEEE-754 division, multiplication and subtraction
/// are correctly rounded in SIMD registers too, and Swift never contracts them
/// into fused multiply-adds), so its decisions equal a row-by-row loop bit for bit.
public enum SpreadFormulas {
    /// Cost of opening the hedge, in percent of the spot ask:
    /// `(spot_ask − fut_bid) / spot_ask · 100`.
    @inlinable @inline(__always)
    public static func entryCostPct(spotAsk: Double, futBid: Double) -> Double {
        (spotAsk - futBid) / spotAsk * 100
    }

    /// Spread at which the hedge is unwound, in percent of the futures ask:
    /// `(fut_ask − spot_bid) / fut_ask · 100`.
    @inlinable @inline(__always)
    public static func exitSpreadPct(spotBid: Double, futAsk: Double) -> Double {
        (futAsk - spotBid) / futAsk * 100
    }

    /// Fee-adjusted quote paid for the spot leg at entry: `A · (1 + spot_fee)`.
    @inlinable @inline(__always)
    public static func entrySpotCost(spotAsk: Double, spotFee: Double) -> Double {
        spotAsk * (1 + spotFee)
    }

    /// Fee-adjusted quote received for the futures leg at entry: `B · (1 − fut_fee)`.
    @inlinable @inline(__always)
    public static func entryFutReceive(futBid: Double, futFee: Double) -> Double {
        futBid * (1 - futFee)
    }

    /// Fee-adjusted quote received when selling the spot leg: `spot_bid · (1 − spot_fee)`.
    @inlinable @inline(__always)
    public static func exitSpotReceive(spotBid: Double, spotFee: Double) -> Double {
        spotBid * (1 - spotFee)
    }

    /// Fee-adjusted quote paid when buying back the futures leg: `fut_ask · (1 + fut_fee)`.
    @inlinable @inline(__always)
    public static func exitFutCost(futAsk: Double, futFee: Double) -> Double {
        futAsk * (1 + futFee)
    }

    /// P&L of the spot leg in price points: `exit_spot_receive − entry_spot_cost`.
    @inlinable @inline(__always)
    public static func spotPnlPts(entrySpotCost: Double, exitSpotReceive: Double) -> Double {
        exitSpotReceive - entrySpotCost
    }

    /// P&L of the futures leg in price points: `entry_fut_receive − exit_fut_cost`.
    @inlinable @inline(__always)
    public static func futPnlPts(entryFutReceive: Double, exitFutCost: Double) -> Double {
        entryFutReceive - exitFutCost
    }

    /// Net P&L of closing now, in percent of the entry spot cost:
    /// `((exit_spot_receive − entry_spot_cost) + (entry_fut_receive − exit_fut_cost)) / entry_spot_cost · 100`.
    @inlinable @inline(__always)
    public static func netPnlPct(
        entrySpotCost: Double, entryFutReceive: Double,
        exitSpotReceive: Double, exitFutCost: Double
    ) -> Double {
        let spotPnl = spotPnlPts(entrySpotCost: entrySpotCost, exitSpotReceive: exitSpotReceive)
        let futPnl = futPnlPts(entryFutReceive: entryFutReceive, exitFutCost: exitFutCost)
        return (spotPnl + futPnl) / entrySpotCost * 100
    }

    /// Hours between two nanosecond timestamps, as pandas computes
    /// `(t − t₀).total_seconds() / 3600`: nanoseconds → seconds → hours,
    /// two correctly rounded divisions.
    @inlinable @inline(__always)
    public static func hours(fromNanoseconds elapsed: Int64) -> Double {
        Double(elapsed) / 1e9 / 3600
    }

    /// The smallest elapsed time `d` (nanoseconds, `d ≥ 0`) for which
    /// `hours(fromNanoseconds: d) >= maxHours`, or `Int64.max` when no
    /// representable time reaches it (`maxHours` infinite or NaN).
    ///
    /// `hours(fromNanoseconds:)` is monotone in `d`, so the timeout rule
    /// `hours >= max_hours` is exactly the integer comparison `d >= cutoff`.
    public static func timeoutCutoffNanoseconds(maxHours: Double) -> Int64 {
        if maxHours.isNaN { return .max }
        if maxHours <= 0 { return 0 }
        let estimate = maxHours * 3600 * 1e9
        guard estimate < 9.2e18 else { return .max }
        var cutoff = Int64(estimate.rounded(.down))
        // Step down past every value that already qualifies, then up to the first that does.
        while cutoff > 0 && hours(fromNanoseconds: cutoff - 1) >= maxHours { cutoff -= 1 }
        while hours(fromNanoseconds: cutoff) < maxHours { cutoff += 1 }
        return cutoff
    }
}
