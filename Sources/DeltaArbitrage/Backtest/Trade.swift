import SpreadKernels

/// One closed round trip of the seed's delta-neutral backtest: long spot
/// bought at the ask and short futures sold at the bid on the entry row,
/// both legs unwound on the exit row.
///
/// Every number is one of docs/design.md's formulas evaluated in `Double` through
/// `SpreadFormulas`, with `A` = `entrySpotAsk`, `B` = `entryFutBid`, spot fee
/// `f_s` and futures fee `f_f`:
///
/// - `spot_pnl_pts  = exit_spot_bid·(1 − f_s) − A·(1 + f_s)`
/// - `fut_pnl_pts   = B·(1 − f_f) − exit_fut_ask·(1 + f_f)`
/// - `total_pnl_pts = spot_pnl_pts + fut_pnl_pts`
/// - `net_pnl_pct   = total_pnl_pts / (A·(1 + f_s)) · 100`
/// - `entry_spread_pct = (A − B) / A · 100` (the entry cost)
/// - `exit_spread_pct  = (exit_fut_ask − exit_spot_bid) / exit_fut_ask · 100`
/// - `spread_improvement = entry_spread_pct − exit_spread_pct`
/// - `hours = (exit_time − entry_time) / 1e9 / 3600` (nanoseconds → hours)
///
/// JSON uses the seed's snake_case keys; `entry_time`/`exit_time` are ISO-8601
/// UTC text, and non-finite numbers are written as `null`. The nanosecond
/// timestamps are kept as Swift properties so nothing is lost to formatting.
public struct Trade: Sendable, Hashable, Codable {
    /// 0-based row of the entry in the data the backtest ran on.
    public var entryIndex: Int
    /// 0-based row of the exit.
    public var exitIndex: Int
    /// Entry time, nanoseconds since the Unix epoch (UTC).
    public var entryTimeNanoseconds: Int64
    /// Exit time, nanoseconds since the Unix epoch (UTC).
    public var exitTimeNanoseconds: Int64
    /// Holding time in hours.
    public var hours: Double
    /// Spot ask paid at entry (`A`).
    public var entrySpotAsk: Double
    /// Futures bid received at entry (`B`).
    public var entryFutBid: Double
    /// Spot bid received at exit.
    public var exitSpotBid: Double
    /// Futures ask paid at exit.
    public var exitFutAsk: Double
    /// Fee-adjusted P&L of the spot leg, in price points.
    public var spotPnlPts: Double
    /// Fee-adjusted P&L of the futures leg, in price points.
    public var futPnlPts: Double
    /// `spotPnlPts + futPnlPts`.
    public var totalPnlPts: Double
    /// Net P&L in percent of the fee-adjusted entry spot cost.
    public var netPnlPct: Double
    /// Entry cost `(A − B)/A · 100` at the entry row, in percent.
    public var entrySpreadPct: Double
    /// `(fut_ask − spot_bid)/fut_ask · 100` at the exit row, in percent.
    public var exitSpreadPct: Double
    /// `entrySpreadPct − exitSpreadPct`, in percentage points.
    public var spreadImprovement: Double
    /// Why the position was closed.
    public var exitReason: ExitReason
    /// Whether a data gap lies between the entry and exit rows (the position
    /// was carried across a stretch with no quotes); nil when the trade was
    /// not checked against a `DataGapReport` (see `DataGapReport.marking`).
    /// JSON `spans_gap`, present only when checked.
    public var spansGap: Bool?

    /// Entry time as ISO-8601 UTC text (millisecond precision, or nanosecond
    /// when the time is not a whole millisecond).
    public var entryTime: String { UTCTime.iso8601(nanoseconds: entryTimeNanoseconds) }
    /// Exit time as ISO-8601 UTC text.
    public var exitTime: String { UTCTime.iso8601(nanoseconds: exitTimeNanoseconds) }

    /// Builds the trade a kernel found, reading the quotes of its entry and
    /// exit rows from `columns` (the same columns the kernel ran on).
    ///
    /// - Precondition: both indices are rows of `columns`.
    public init(_ indices: TradeIndices, columns: BookColumns, rule: BacktestRule) {
        let entry = indices.entryIndex, exit = indices.exitIndex
        precondition(entry >= 0 && exit < columns.count && entry <= exit, "trade indices out of range")
        self.init(indices, entryTimeNanoseconds: columns.timestamps[entry], exitTimeNanoseconds: columns.timestamps[exit],
                  entrySpotAsk: columns.spotAsk[entry], entryFutBid: columns.futBid[entry],
                  exitSpotBid: columns.spotBid[exit], exitFutAsk: columns.futAsk[exit], rule: rule)
    }

    /// Builds a trade from the quotes of its entry and exit (the live
    /// strategy's journal: the tops it decided on), with the seed's formulas.
    public init(_ indices: TradeIndices, entryTimeNanoseconds: Int64, exitTimeNanoseconds: Int64,
                entrySpotAsk spotAsk: Double, entryFutBid futBid: Double, exitSpotBid spotBid: Double,
                exitFutAsk futAsk: Double, rule: BacktestRule) {
        let entrySpotCost = SpreadFormulas.entrySpotCost(spotAsk: spotAsk, spotFee: rule.spotFee)
        let entryFutReceive = SpreadFormulas.entryFutReceive(futBid: futBid, futFee: rule.futFee)
        let exitSpotReceive = SpreadFormulas.exitSpotReceive(spotBid: spotBid, spotFee: rule.spotFee)
        let exitFutCost = SpreadFormulas.exitFutCost(futAsk: futAsk, futFee: rule.futFee)
        let entrySpread = SpreadFormulas.entryCostPct(spotAsk: spotAsk, futBid: futBid)
        let exitSpread = SpreadFormulas.exitSpreadPct(spotBid: spotBid, futAsk: futAsk)
        self.entryIndex = indices.entryIndex
        self.exitIndex = indices.exitIndex
        self.entryTimeNanoseconds = entryTimeNanoseconds
        self.exitTimeNanoseconds = exitTimeNanoseconds
        self.hours = SpreadFormulas.hours(fromNanoseconds: exitTimeNanoseconds - entryTimeNanoseconds)
        self.entrySpotAsk = spotAsk
        self.entryFutBid = futBid
        self.exitSpotBid = spotBid
        self.exitFutAsk = futAsk
        // The same leg functions `netPnlPct` uses, so the reported legs add
        // up to exactly the P&L the exit decision saw.
        self.spotPnlPts = SpreadFormulas.spotPnlPts(entrySpotCost: entrySpotCost, exitSpotReceive: exitSpotReceive)
        self.futPnlPts = SpreadFormulas.futPnlPts(entryFutReceive: entryFutReceive, exitFutCost: exitFutCost)
        self.totalPnlPts = spotPnlPts + futPnlPts
        self.netPnlPct = SpreadFormulas.netPnlPct(
            entrySpotCost: entrySpotCost, entryFutReceive: entryFutReceive,
            exitSpotReceive: exitSpotReceive, exitFutCost: exitFutCost)
        self.entrySpreadPct = entrySpread
        self.exitSpreadPct = exitSpread
        self.spreadImprovement = entrySpread - exitSpread
        self.exitReason = indices.reason
        self.spansGap = nil
    }

    /// Builds the trade a kernel found in `data`.
    public init(_ indices: TradeIndices, data: MarketData, rule: BacktestRule) {
        self = data.withBookColumns { Trade(indices, columns: $0, rule: rule) }
    }

    /// The row indices and reason, as the kernel reports them.
    public var indices: TradeIndices {
        TradeIndices(entryIndex: entryIndex, exitIndex: exitIndex, reason: exitReason)
    }

    enum CodingKeys: String, CodingKey {
        case entryIndex = "entry_index", exitIndex = "exit_index"
        case entryTime = "entry_time", exitTime = "exit_time"
        case hours
        case entrySpotAsk = "entry_spot_ask", entryFutBid = "entry_fut_bid"
        case exitSpotBid = "exit_spot_bid", exitFutAsk = "exit_fut_ask"
        case spotPnlPts = "spot_pnl_pts", futPnlPts = "fut_pnl_pts", totalPnlPts = "total_pnl_pts"
        case netPnlPct = "net_pnl_pct"
        case entrySpreadPct = "entry_spread_pct", exitSpreadPct = "exit_spread_pct"
        case spreadImprovement = "spread_improvement"
        case exitReason = "exit_reason"
        case spansGap = "spans_gap"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(entryIndex, forKey: .entryIndex)
        try c.encode(exitIndex, forKey: .exitIndex)
        try c.encode(entryTime, forKey: .entryTime)
        try c.encode(exitTime, forKey: .exitTime)
        try c.encodeFinite(hours, forKey: .hours)
        try c.encodeFinite(entrySpotAsk, forKey: .entrySpotAsk)
        try c.encodeFinite(entryFutBid, forKey: .entryFutBid)
        try c.encodeFinite(exitSpotBid, forKey: .exitSpotBid)
        try c.encodeFinite(exitFutAsk, forKey: .exitFutAsk)
        try c.encodeFinite(spotPnlPts, forKey: .spotPnlPts)
        try c.encodeFinite(futPnlPts, forKey: .futPnlPts)
        try c.encodeFinite(totalPnlPts, forKey: .totalPnlPts)
        try c.encodeFinite(netPnlPct, forKey: .netPnlPct)
        try c.encodeFinite(entrySpreadPct, forKey: .entrySpreadPct)
        try c.encodeFinite(exitSpreadPct, forKey: .exitSpreadPct)
        try c.encodeFinite(spreadImprovement, forKey: .spreadImprovement)
        try c.encode(exitReason.rawValue, forKey: .exitReason)
        try c.encodeIfPresent(spansGap, forKey: .spansGap)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        entryIndex = try c.decode(Int.self, forKey: .entryIndex)
        exitIndex = try c.decode(Int.self, forKey: .exitIndex)
        entryTimeNanoseconds = try Self.decodeTime(c, .entryTime)
        exitTimeNanoseconds = try Self.decodeTime(c, .exitTime)
        hours = try c.decodeFinite(forKey: .hours)
        entrySpotAsk = try c.decodeFinite(forKey: .entrySpotAsk)
        entryFutBid = try c.decodeFinite(forKey: .entryFutBid)
        exitSpotBid = try c.decodeFinite(forKey: .exitSpotBid)
        exitFutAsk = try c.decodeFinite(forKey: .exitFutAsk)
        spotPnlPts = try c.decodeFinite(forKey: .spotPnlPts)
        futPnlPts = try c.decodeFinite(forKey: .futPnlPts)
        totalPnlPts = try c.decodeFinite(forKey: .totalPnlPts)
        netPnlPct = try c.decodeFinite(forKey: .netPnlPct)
        entrySpreadPct = try c.decodeFinite(forKey: .entrySpreadPct)
        exitSpreadPct = try c.decodeFinite(forKey: .exitSpreadPct)
        spreadImprovement = try c.decodeFinite(forKey: .spreadImprovement)
        let reason = try c.decode(String.self, forKey: .exitReason)
        guard let parsed = ExitReason.allCases.first(where: { $0.rawValue == reason }) else {
            throw DecodingError.dataCorruptedError(
                forKey: .exitReason, in: c, debugDescription: "unknown exit_reason '\(reason)'")
        }
        exitReason = parsed
        spansGap = try c.decodeIfPresent(Bool.self, forKey: .spansGap)
    }

    private static func decodeTime(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> Int64 {
        let text = try c.decode(String.self, forKey: key)
        guard let ns = parseBacktestJSONTime(text) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: c, debugDescription: "expected ISO-8601 UTC time like 2025-10-12T06:17:00.123Z, got '\(text)'")
        }
        return ns
    }
}

/// Reads back exactly the shape `UTCTime.iso8601(nanoseconds:)` writes:
/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z`. The CSV loader's `TimestampParser`
/// does the parsing; this only narrows it to that shape, so JSON with an
/// offset, a space separator or an epoch number is refused rather than
/// read as something it was not written as.
func parseBacktestJSONTime(_ text: String) -> Int64? {
    let bytes = Array(text.utf8)
    guard bytes.count >= 20, bytes[10] == UInt8(ascii: "T"), bytes.last == UInt8(ascii: "Z") else { return nil }
    return TimestampParser.parse(text)
}
