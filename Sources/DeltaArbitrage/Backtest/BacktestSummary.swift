import SpreadKernels

/// Summary statistics of a trade list, as docs/design.md defines them.
///
/// With `p_k` the `netPnlPct` of the k-th trade (in exit order), `n` trades
/// and `D` the span of the data in days:
///
/// - `wins` = #{k : p_k > 0}; `hitRate` = wins / n
/// - `totalPnlPct` = Σ p_k; `avgPnlPct` = Σ p_k / n; best/worst = max/min p_k
/// - `avgHours` = mean holding time in hours
/// - `tradesPerDay` = n / D, `D = (t_last − t_first) / 86 400 s`
/// - `maxDrawdown` = max over k of (max_{j ≤ k} C_j − C_k), where
///   `C_0 = 0`, `C_k = Σ_{i ≤ k} p_i / 100` — a fraction, never negative.
///
/// Degenerate inputs never produce NaN, so an optimiser can compare and filter
/// summaries without special cases:
///
/// - **No trades**: every count, rate, sum, average, best, worst and the
///   drawdown are 0.
/// - **Zero span** (fewer than two rows, or all rows at one instant):
///   `tradesPerDay` is 0 — a rate over no time says nothing, and 0 is the
///   value a "minimum trades per day" filter should reject.
///
/// Non-finite P&L in the trades (only possible from non-finite prices)
/// propagates into the sums and is written as `null` in JSON.
public struct BacktestSummary: Sendable, Hashable, Codable {
    /// Number of closed trades.
    public var trades: Int
    /// Trades with `netPnlPct > 0`.
    public var wins: Int
    /// `wins / trades`, 0 without trades.
    public var hitRate: Double
    /// Sum of `netPnlPct`, in percent.
    public var totalPnlPct: Double
    /// Mean `netPnlPct`, in percent (0 without trades).
    public var avgPnlPct: Double
    /// Largest `netPnlPct` (0 without trades).
    public var bestPnlPct: Double
    /// Smallest `netPnlPct` (0 without trades).
    public var worstPnlPct: Double
    /// Mean holding time in hours (0 without trades).
    public var avgHours: Double
    /// Trades per day of data span (0 when the span is 0).
    public var tradesPerDay: Double
    /// Largest peak-to-trough fall of the cumulative `netPnlPct / 100`, from 0.
    public var maxDrawdown: Double
    /// The span the rate is taken over, in days.
    public var spanDays: Double
    /// Trades closed at the profit target.
    public var profitTargetExits: Int
    /// Trades closed at the hold limit.
    public var timeoutExits: Int

    /// Number of trades closed for `reason`.
    public func exits(_ reason: ExitReason) -> Int {
        switch reason {
        case .profitTarget: profitTargetExits
        case .timeout: timeoutExits
        }
    }

    /// Summarises `trades` (in exit order, as the backtest returns them) over
    /// data spanning `spanNanoseconds`.
    public init(trades: [Trade], spanNanoseconds: Int64) {
        var totals = TradeTally()
        for trade in trades { totals.add(netPnlPct: trade.netPnlPct, hours: trade.hours, reason: trade.exitReason) }
        self.init(totals, spanNanoseconds: spanNanoseconds)
    }

    /// Summary of trades given as row indices into `columns`.
    public init(_ indices: [TradeIndices], columns: BookColumns, rule: BacktestRule, spanNanoseconds: Int64) {
        var totals = TradeTally()
        for trade in indices {
            totals.add(entry: trade.entryIndex, exit: trade.exitIndex, reason: trade.reason, columns: columns,
                       spotFee: rule.spotFee, futFee: rule.futFee)
        }
        self.init(totals, spanNanoseconds: spanNanoseconds)
    }

    /// Summary of the totals of a trade list over a span of data.
    public init(_ a: TradeTally, spanNanoseconds: Int64) {
        let n = a.trades
        trades = n
        wins = a.wins
        hitRate = a.hitRate
        totalPnlPct = a.totalPnlPct
        avgPnlPct = n > 0 ? a.totalPnlPct / Double(n) : 0
        bestPnlPct = n > 0 ? a.bestPnlPct : 0
        worstPnlPct = n > 0 ? a.worstPnlPct : 0
        avgHours = n > 0 ? a.totalHours / Double(n) : 0
        spanDays = Double(max(spanNanoseconds, 0)) / 86_400e9
        tradesPerDay = spanDays > 0 ? Double(n) / spanDays : 0
        maxDrawdown = a.maxDrawdown
        profitTargetExits = a.profitTargetExits
        timeoutExits = a.timeoutExits
    }

    enum CodingKeys: String, CodingKey {
        case trades, wins
        case hitRate = "hit_rate", totalPnlPct = "total_pnl_pct", avgPnlPct = "avg_pnl_pct"
        case bestPnlPct = "best_pnl_pct", worstPnlPct = "worst_pnl_pct", avgHours = "avg_hours"
        case tradesPerDay = "trades_per_day", maxDrawdown = "max_drawdown", spanDays = "span_days"
        case exitReasons = "exit_reasons"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(trades, forKey: .trades)
        try c.encode(wins, forKey: .wins)
        try c.encodeFinite(hitRate, forKey: .hitRate)
        try c.encodeFinite(totalPnlPct, forKey: .totalPnlPct)
        try c.encodeFinite(avgPnlPct, forKey: .avgPnlPct)
        try c.encodeFinite(bestPnlPct, forKey: .bestPnlPct)
        try c.encodeFinite(worstPnlPct, forKey: .worstPnlPct)
        try c.encodeFinite(avgHours, forKey: .avgHours)
        try c.encodeFinite(tradesPerDay, forKey: .tradesPerDay)
        try c.encodeFinite(maxDrawdown, forKey: .maxDrawdown)
        try c.encodeFinite(spanDays, forKey: .spanDays)
        // Both reasons always present, so consumers never test for a missing key.
        try c.encode(
            [ExitReason.profitTarget.rawValue: profitTargetExits, ExitReason.timeout.rawValue: timeoutExits],
            forKey: .exitReasons)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        trades = try c.decode(Int.self, forKey: .trades)
        wins = try c.decode(Int.self, forKey: .wins)
        hitRate = try c.decodeFinite(forKey: .hitRate)
        totalPnlPct = try c.decodeFinite(forKey: .totalPnlPct)
        avgPnlPct = try c.decodeFinite(forKey: .avgPnlPct)
        bestPnlPct = try c.decodeFinite(forKey: .bestPnlPct)
        worstPnlPct = try c.decodeFinite(forKey: .worstPnlPct)
        avgHours = try c.decodeFinite(forKey: .avgHours)
        tradesPerDay = try c.decodeFinite(forKey: .tradesPerDay)
        maxDrawdown = try c.decodeFinite(forKey: .maxDrawdown)
        spanDays = try c.decodeFinite(forKey: .spanDays)
        let reasons = try c.decode([String: Int].self, forKey: .exitReasons)
        profitTargetExits = reasons[ExitReason.profitTarget.rawValue] ?? 0
        timeoutExits = reasons[ExitReason.timeout.rawValue] ?? 0
    }
}
