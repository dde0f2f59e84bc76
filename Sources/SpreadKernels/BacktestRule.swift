/// The parameters of the seed's `delta_neutral_backtest`.
public struct BacktestRule: Sendable, Hashable {
    /// Open when `entry_cost_pct < entryThresholdPct` (strict), in percent.
    public var entryThresholdPct: Double
    /// Take profit when `net_pnl_pct >= exitThresholdPct`, in percent.
    public var exitThresholdPct: Double
    /// Time out when the position has been held `>= maxHours` hours.
    public var maxHours: Double
    /// Spot taker fee as a fraction (0.0005 = 5 bp).
    public var spotFee: Double
    /// Futures taker fee as a fraction.
    public var futFee: Double

    /// The seed's defaults are 0.5 %, 0.1 %, 6 h and 5 bp per leg.
    public init(
        entryThresholdPct: Double = 0.5, exitThresholdPct: Double = 0.1,
        maxHours: Double = 6, spotFee: Double = 0.0005, futFee: Double = 0.0005
    ) {
        self.entryThresholdPct = entryThresholdPct
        self.exitThresholdPct = exitThresholdPct
        self.maxHours = maxHours
        self.spotFee = spotFee
        self.futFee = futFee
    }
}

/// Why a position was closed. Profit is checked before time.
///
/// The raw values are the names JSON and text use, the original system's
/// strings (docs/design.md, "Compatibility with the original Python system").
public enum ExitReason: String, Sendable, Hashable, CaseIterable {
    /// `net_pnl_pct` reached the exit threshold.
    case profitTarget = "profit_target"
    /// The position was held `maxHours` hours or longer.
    case timeout
}

/// A closed round trip, as row indices into the columns it was found in.
public struct TradeIndices: Sendable, Hashable {
    /// Row at which the position was opened.
    public var entryIndex: Int
    /// Row at which it was closed (after `entryIndex`).
    public var exitIndex: Int
    /// Why it was closed.
    public var reason: ExitReason

    /// A round trip from its entry row, exit row and exit reason.
    public init(entryIndex: Int, exitIndex: Int, reason: ExitReason) {
        self.entryIndex = entryIndex
        self.exitIndex = exitIndex
        self.reason = reason
    }
}
