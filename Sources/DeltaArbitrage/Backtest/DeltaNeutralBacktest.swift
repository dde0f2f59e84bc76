import SpreadKernels

extension BacktestRule {
    /// Checks the rule against the domain of the seed's formulas.
    ///
    /// - `max_entry_cost_pct`, `min_profit_pct`: finite (a NaN threshold would
    ///   silently never trade, an infinite one always/never).
    /// - `max_hours`: `> 0` and not NaN; `+∞` is allowed and means "no timeout".
    /// - `spot_fee`, `fut_fee`: in `[0, 1)` — a fee of 100 % or more makes the
    ///   fee-adjusted entry cost meaningless.
    ///
    /// - Throws: `ParameterValidationError` naming the first offending
    ///   parameter by its seed name.
    public func validate() throws(ParameterValidationError) {
        guard entryThresholdPct.isFinite else {
            throw ParameterValidationError(parameter: "max_entry_cost_pct", value: entryThresholdPct, rule: "must be finite")
        }
        guard exitThresholdPct.isFinite else {
            throw ParameterValidationError(parameter: "min_profit_pct", value: exitThresholdPct, rule: "must be finite")
        }
        guard maxHours > 0 else {  // false for NaN too
            throw ParameterValidationError(parameter: "max_hours", value: maxHours, rule: "must be > 0")
        }
        for (name, fee) in [("spot_fee", spotFee), ("fut_fee", futFee)] where !(fee >= 0 && fee < 1) {
            throw ParameterValidationError(parameter: name, value: fee, rule: "must be a fraction in [0, 1)")
        }
    }
}

/// The seed's `delta_neutral_backtest(df, max_entry_cost_pct, min_profit_pct,
/// max_hours, spot_fee, fut_fee)`.
///
/// One position at a time, rows in order. Flat: open at the first row with
/// `(spot_ask − fut_bid)/spot_ask · 100 < maxEntryCostPct`. Holding: on each
/// later row close with `profit_target` when `net_pnl_pct ≥ minProfitPct`,
/// else with `timeout` when `hours ≥ maxHours`; the closing row never opens
/// a position. See `Trade` for the P&L formulas and docs/design.md for the text.
///
/// - Parameters:
///   - data: the market data, rows in time order.
///   - maxEntryCostPct: entry threshold, percent (0.5 = 0.5 %).
///   - minProfitPct: exit threshold on net P&L, percent.
///   - maxHours: hold limit in hours.
///   - spotFee: spot taker fee per side, a fraction (0.0005 = 5 bp).
///   - futFee: futures taker fee per side, a fraction.
/// - Throws: `ParameterValidationError` for parameters outside their domain
///   (see `BacktestRule.validate()`).
public func deltaNeutralBacktest(
    _ data: MarketData, maxEntryCostPct: Double = 0.5, minProfitPct: Double = 0.1,
    maxHours: Double = 6, spotFee: Double = 0.0005, futFee: Double = 0.0005
) throws -> BacktestResult {
    try deltaNeutralBacktest(
        data,
        rule: BacktestRule(
            entryThresholdPct: maxEntryCostPct, exitThresholdPct: minProfitPct,
            maxHours: maxHours, spotFee: spotFee, futFee: futFee))
}

/// `deltaNeutralBacktest` with the parameters as a `BacktestRule`.
///
/// - Throws: `ParameterValidationError` when `rule.validate()` does.
public func deltaNeutralBacktest(_ data: MarketData, rule: BacktestRule) throws -> BacktestResult {
    try rule.validate()
    return data.withBookColumns { columns in
        let (indices, open) = BacktestKernel.run(columns, rule: rule)
        let trades = indices.map { Trade($0, columns: columns, rule: rule) }
        return BacktestResult(
            trades: trades,
            summary: BacktestSummary(trades: trades, spanNanoseconds: data.spanNanoseconds),
            openPosition: open.map { OpenPositionReport($0, columns: columns, rule: rule) })
    }
}
