import SpreadKernels

/// A position still open after the last row. It is not a trade (docs/design.md),
/// so it is reported beside the trade list, marked to the last row's quotes.
///
/// JSON (the one `open_position` shape of backtest, walk-forward and paper):
/// `entry_index, entry_time` (ISO-8601 UTC), `entry_spot_ask, entry_fut_bid,
/// entry_spread_pct, mark_index, mark_time, hours_held, mark_net_pnl_pct`.
public struct OpenPositionReport: Sendable, Hashable, Codable {
    /// Row at which the position was opened.
    public var entryIndex: Int
    /// Entry time, nanoseconds since the Unix epoch.
    public var entryTimeNanoseconds: Int64
    /// Spot ask paid at entry (`A`).
    public var entrySpotAsk: Double
    /// Futures bid received at entry (`B`).
    public var entryFutBid: Double
    /// Entry cost `(A − B)/A · 100`, in percent.
    public var entrySpreadPct: Double
    /// The last row of the data, where the position is marked.
    public var markIndex: Int
    /// Time of the last row, nanoseconds since the Unix epoch.
    public var markTimeNanoseconds: Int64
    /// Hours held up to the last row.
    public var hoursHeld: Double
    /// `net_pnl_pct` if both legs were unwound at the last row's quotes.
    public var markNetPnlPct: Double

    /// The kernel state, to continue this position over later rows.
    public var position: OpenPosition {
        OpenPosition(entryIndex: entryIndex, entryTime: entryTimeNanoseconds,
                     entrySpotAsk: entrySpotAsk, entryFutBid: entryFutBid)
    }

    /// Marks `position` at the last row of `columns`.
    ///
    /// - Precondition: `columns` is not empty.
    public init(_ position: OpenPosition, columns: BookColumns, rule: BacktestRule) {
        let last = columns.count - 1
        precondition(last >= 0, "an open position needs at least one row")
        self.init(position, markIndex: last, markTimeNanoseconds: columns.timestamps[last],
                  markSpotBid: columns.spotBid[last], markFutAsk: columns.futAsk[last], rule: rule)
    }

    /// Marks `position` at the quotes of row (or feed sequence) `markIndex`:
    /// the `net_pnl_pct` of unwinding both legs at `markSpotBid` and
    /// `markFutAsk` with `rule`'s fees. The live strategy's open position is
    /// reported through this too, so every command shows one shape.
    public init(_ position: OpenPosition, markIndex: Int, markTimeNanoseconds: Int64, markSpotBid: Double,
                markFutAsk: Double, rule: BacktestRule) {
        entryIndex = position.entryIndex
        entryTimeNanoseconds = position.entryTime
        entrySpotAsk = position.entrySpotAsk
        entryFutBid = position.entryFutBid
        entrySpreadPct = SpreadFormulas.entryCostPct(spotAsk: position.entrySpotAsk, futBid: position.entryFutBid)
        self.markIndex = markIndex
        self.markTimeNanoseconds = markTimeNanoseconds
        hoursHeld = SpreadFormulas.hours(fromNanoseconds: markTimeNanoseconds - position.entryTime)
        markNetPnlPct = SpreadFormulas.netPnlPct(
            entrySpotCost: SpreadFormulas.entrySpotCost(spotAsk: position.entrySpotAsk, spotFee: rule.spotFee),
            entryFutReceive: SpreadFormulas.entryFutReceive(futBid: position.entryFutBid, futFee: rule.futFee),
            exitSpotReceive: SpreadFormulas.exitSpotReceive(spotBid: markSpotBid, spotFee: rule.spotFee),
            exitFutCost: SpreadFormulas.exitFutCost(futAsk: markFutAsk, futFee: rule.futFee))
    }

    enum CodingKeys: String, CodingKey {
        case entryIndex = "entry_index", entryTime = "entry_time"
        case entrySpotAsk = "entry_spot_ask", entryFutBid = "entry_fut_bid"
        case entrySpreadPct = "entry_spread_pct"
        case markIndex = "mark_index", markTime = "mark_time"
        case hoursHeld = "hours_held", markNetPnlPct = "mark_net_pnl_pct"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(entryIndex, forKey: .entryIndex)
        try c.encode(UTCTime.iso8601(nanoseconds: entryTimeNanoseconds), forKey: .entryTime)
        try c.encodeFinite(entrySpotAsk, forKey: .entrySpotAsk)
        try c.encodeFinite(entryFutBid, forKey: .entryFutBid)
        try c.encodeFinite(entrySpreadPct, forKey: .entrySpreadPct)
        try c.encode(markIndex, forKey: .markIndex)
        try c.encode(UTCTime.iso8601(nanoseconds: markTimeNanoseconds), forKey: .markTime)
        try c.encodeFinite(hoursHeld, forKey: .hoursHeld)
        try c.encodeFinite(markNetPnlPct, forKey: .markNetPnlPct)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func time(_ key: CodingKeys) throws -> Int64 {
            let text = try c.decode(String.self, forKey: key)
            guard let ns = parseBacktestJSONTime(text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "bad time '\(text)'")
            }
            return ns
        }
        entryIndex = try c.decode(Int.self, forKey: .entryIndex)
        entryTimeNanoseconds = try time(.entryTime)
        entrySpotAsk = try c.decodeFinite(forKey: .entrySpotAsk)
        entryFutBid = try c.decodeFinite(forKey: .entryFutBid)
        entrySpreadPct = try c.decodeFinite(forKey: .entrySpreadPct)
        markIndex = try c.decode(Int.self, forKey: .markIndex)
        markTimeNanoseconds = try time(.markTime)
        hoursHeld = try c.decodeFinite(forKey: .hoursHeld)
        markNetPnlPct = try c.decodeFinite(forKey: .markNetPnlPct)
    }
}

/// What `deltaNeutralBacktest` returns: the closed trades in exit order, their
/// summary, and the position left open at the end (if any), which is not
/// counted in the trades or the summary.
///
/// JSON: `{"trades": [...], "summary": {...}, "open_position": {...} | null}`.
public struct BacktestResult: Sendable, Hashable, Codable {
    /// Closed trades, in exit order.
    public var trades: [Trade]
    /// Summary of `trades`.
    public var summary: BacktestSummary
    /// Position still open after the last row (not in `trades` or `summary`); nil when flat.
    public var openPosition: OpenPositionReport?

    /// A result from its trades, their summary and the open position.
    public init(trades: [Trade], summary: BacktestSummary, openPosition: OpenPositionReport?) {
        self.trades = trades
        self.summary = summary
        self.openPosition = openPosition
    }

    enum CodingKeys: String, CodingKey {
        case trades, summary, openPosition = "open_position"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(trades, forKey: .trades)
        try c.encode(summary, forKey: .summary)
        // An explicit null says "flat at the end"; a missing key would be ambiguous.
        if let openPosition { try c.encode(openPosition, forKey: .openPosition) } else { try c.encodeNil(forKey: .openPosition) }
    }
}
