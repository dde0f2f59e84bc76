import DeltaArbitrage
import Foundation

/// Reads one symbol's spot and futures markets from the book-ticker store
/// (db/schema/001_book_ticker_store.sql) and merges them with
/// `TwoMarketMerge`.
///
/// Each market is one binary `COPY (SELECT …) TO STDOUT` over the per-symbol
/// time index, `WHERE symbol_id = … AND timestamp BETWEEN from AND to`
/// (inclusive at both ends, as the seed's loader reads), ordered by
/// `timestamp`, `sequence_number`, `id`; the two run concurrently on two
/// connections. The rows' bytes are decoded straight into `MarketQuotes`
/// columns: timestamps to nanoseconds since the Unix epoch, NUMERIC to the
/// nearest double.
///
/// Every row is checked as the CSV loader checks one: a NULL or non-positive
/// price, a negative quantity or a bid above its ask stops the load with an
/// error naming the market and the row's time, or with `skipBadRows` is
/// left out and counted in `skippedRows`.
public struct PostgresBookTickerSource: MarketDataSource {
    public var url: PostgresURL
    /// `BASE/QUOTE`, as `symbols.symbol_base` / `symbols.symbol_quote` spell it.
    public var symbol: String
    /// `exchanges.enum_value` of the spot market (its `market_type` must be SPOT).
    public var spotMarket: String
    /// `exchanges.enum_value` of the futures market (its `market_type` must be FUTURES).
    public var futuresMarket: String
    /// First instant read, ns since the Unix epoch (inclusive); nil: from the first row.
    public var from: Int64?
    /// Last instant read, ns since the Unix epoch (inclusive); nil: to the last row.
    public var to: Int64?
    /// Rows where either side's quote is older than this (ns) are dropped by the merge and counted.
    public var maxQuoteAgeNanoseconds: Int64?
    /// Leave bad rows out (counting them) instead of stopping at the first.
    public var skipBadRows: Bool

    public init(url: PostgresURL, symbol: String, spotMarket: String, futuresMarket: String,
                from: Int64? = nil, to: Int64? = nil, maxQuoteAgeNanoseconds: Int64? = nil,
                skipBadRows: Bool = false) {
        self.url = url
        self.symbol = symbol
        self.spotMarket = spotMarket
        self.futuresMarket = futuresMarket
        self.from = from
        self.to = to
        self.maxQuoteAgeNanoseconds = maxQuoteAgeNanoseconds
        self.skipBadRows = skipBadRows
    }

    /// One market's quotes and the bad rows left out of them.
    public struct MarketRead: Sendable {
        public var quotes: MarketQuotes
        /// Rows left out under `skipBadRows`.
        public var skippedRows: Int
        /// The first few rows left out, as error lines.
        public var firstSkipped: [BookTickerStoreError]
    }

    /// Reads both markets (concurrently) and merges them.
    public func load() async throws -> MergedMarkets {
        try await loadWithDetails().merged
    }

    /// `load()`, also returning each market's read (for the bad-row counts).
    public func loadWithDetails() async throws -> (merged: MergedMarkets, spot: MarketRead, futures: MarketRead) {
        try validateRange()
        async let spot = read(market: spotMarket, type: "SPOT")
        async let futures = read(market: futuresMarket, type: "FUTURES")
        let (s, f) = try await (spot, futures)
        let merged = try TwoMarketMerge.merge(spot: s.quotes, futures: f.quotes,
                                              maxQuoteAgeNanoseconds: maxQuoteAgeNanoseconds)
        if merged.data.isEmpty {
            throw BookTickerStoreError(source: url.description, symbol: symbol,
                                       detail: "\(spotMarket) and \(futuresMarket) have no quotes at a common time \(rangeText)"
                                           + (merged.droppedStale > 0 ? " (\(merged.droppedStale) rows dropped by the quote-age bound)" : ""))
        }
        return (merged, s, f)
    }

    // MARK: - Reading one market

    private var rangeText: String {
        "in [\(from.map(UTCTime.iso8601(nanoseconds:)) ?? "first row"), \(to.map(UTCTime.iso8601(nanoseconds:)) ?? "last row")]"
    }

    private func validateRange() throws {
        if let from, let to, from > to {
            throw BookTickerStoreError(source: url.description, symbol: symbol,
                                       detail: "empty range: from \(UTCTime.iso8601(nanoseconds: from)) is after to \(UTCTime.iso8601(nanoseconds: to))")
        }
    }

    private func error(_ market: String?, _ detail: String, at nanoseconds: Int64? = nil) -> BookTickerStoreError {
        BookTickerStoreError(source: url.description, symbol: symbol, market: market,
                             timestamp: nanoseconds.map(UTCTime.iso8601(nanoseconds:)), detail: detail)
    }

    private func read(market: String, type: String) async throws -> MarketRead {
        try await PostgresStore.withConnection(url) { connection in
            try PostgresStore.run(symbol: symbol, market: market) {
                try read(market: market, type: type, on: connection)
            }
        }
    }

    private func read(market: String, type: String, on connection: PostgresConnection) throws -> MarketRead {
        let parts = symbol.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw error(nil, "symbol must be BASE/QUOTE (e.g. BTC/USDT)")
        }
        // The market first, so that an unknown one is told apart from a symbol it lacks.
        guard let exchange = try connection.query("SELECT id, market_type FROM exchanges WHERE enum_value = $1", [market]).first,
              let exchangeID = exchange[0], let marketType = exchange[1] else {
            throw error(market, "no such market in exchanges.enum_value")
        }
        guard marketType == type else {
            throw error(market, "is a \(marketType) market, expected \(type) here")
        }
        guard let symbolID = try connection.integer("""
            SELECT id FROM symbols
            WHERE exchange_id = $1 AND symbol_base = $2 AND symbol_quote = $3 AND symbol_type = $4
            """, [exchangeID, parts[0], parts[1], type]) else {
            throw error(market, "no such symbol on this market")
        }

        let select = Self.selectSQL(symbolID: symbolID, from: from, to: to)
        var quotes = MarketQuotes()
        // The planner's row estimate sizes the columns once, instead of
        // growing them by copying as rows arrive; a wrong estimate costs
        // only a regrowth (or untouched address space).
        if let estimate = try Self.plannedRows(select, on: connection) {
            let rows = min(estimate, 1 << 27)
            quotes.reserveCapacity(rows + rows / 16 + 1024)
        }
        var skipped = 0
        var firstSkipped: [BookTickerStoreError] = []
        let names = ["bid_price", "bid_qty", "ask_price", "ask_qty"]
        try connection.copyOut("COPY (\(select)) TO STDOUT (FORMAT binary)",
                               fields: 5) { fields in
            guard let timeBytes = fields[0], let time = PostgresBinary.timestampNanoseconds(timeBytes) else {
                throw error(market, "a row's timestamp is NULL or infinite")
            }
            var problem: String?
            // Field k + 1 as a number; NaN with the first problem noted when it is NULL or not finite.
            func value(_ k: Int) -> Double {
                guard let bytes = fields[k + 1] else {
                    problem = problem ?? "\(names[k]) is NULL"
                    return .nan
                }
                guard let number = PostgresBinary.numeric(bytes) else {
                    problem = problem ?? "\(names[k]) is not a finite number"
                    return .nan
                }
                return number
            }
            let bidPrice = value(0), bidQuantity = value(1), askPrice = value(2), askQuantity = value(3)
            if problem == nil {
                problem = Self.rowProblem(bidPrice: bidPrice, bidQuantity: bidQuantity, askPrice: askPrice, askQuantity: askQuantity)
            }
            if let problem {
                let failure = error(market, problem, at: time)
                guard skipBadRows else { throw failure }
                skipped += 1
                if firstSkipped.count < 5 { firstSkipped.append(failure) }
                return
            }
            if quotes.count % Self.preparedRows == 0 { quotes.prepareRoom(for: Self.preparedRows) }
            quotes.append(timestamp: time, bidPrice: bidPrice, bidQuantity: bidQuantity,
                          askPrice: askPrice, askQuantity: askQuantity)
        }
        if quotes.count == 0 {
            throw error(market, skipped > 0 ? "all \(skipped) quotes \(rangeText) are bad rows" : "no quotes \(rangeText)")
        }
        return MarketRead(quotes: quotes, skippedRows: skipped, firstSkipped: firstSkipped)
    }

    /// Rows whose column room is mapped in bulk at a time (`prepareRoom`):
    /// 1 Mi rows, 8 MiB per column.
    static let preparedRows = 1 << 20

    /// The planner's estimate of the rows `select` returns (`EXPLAIN`'s
    /// top "Plan Rows"), or nil when there is none to read.
    static func plannedRows(_ select: String, on connection: PostgresConnection) throws -> Int? {
        guard let plan = try connection.query("EXPLAIN (FORMAT JSON) " + select).first?.first ?? nil,
              let json = try? JSONSerialization.jsonObject(with: Data(plan.utf8)) as? [[String: Any]],
              let rows = (json.first?["Plan"] as? [String: Any])?["Plan Rows"] as? Int, rows >= 0 else { return nil }
        return rows
    }

    /// The rows of one market: a time-range read on the per-symbol index
    /// `(symbol_id, timestamp)`, in the merge's order. The bounds are
    /// microseconds since the Unix epoch, PostgreSQL's resolution, and the
    /// range stays inclusive: `from` rounds up, `to` rounds down. (COPY takes
    /// no parameters; every value written in is an integer.)
    public static func selectSQL(symbolID: Int, from: Int64?, to: Int64?) -> String {
        var sql = """
            SELECT "timestamp", bid_price, bid_qty, ask_price, ask_qty FROM book_ticker_snapshots \
            WHERE symbol_id = \(symbolID)
            """
        if let from {
            sql += " AND \"timestamp\" >= to_timestamp(0) + \(microsecondsCeiling(from)) * INTERVAL '1 microsecond'"
        }
        if let to {
            sql += " AND \"timestamp\" <= to_timestamp(0) + \(microsecondsFloor(to)) * INTERVAL '1 microsecond'"
        }
        return sql + " ORDER BY \"timestamp\", sequence_number, id"
    }

    /// What is wrong with a row's values, as the CSV loader words it, or nil.
    static func rowProblem(bidPrice: Double, bidQuantity: Double, askPrice: Double, askQuantity: Double) -> String? {
        if !(bidPrice > 0) { return "bid_price \(NumberText.plain(bidPrice)) is not positive" }
        if !(askPrice > 0) { return "ask_price \(NumberText.plain(askPrice)) is not positive" }
        if bidQuantity < 0 { return "bid_qty \(NumberText.plain(bidQuantity)) is negative" }
        if askQuantity < 0 { return "ask_qty \(NumberText.plain(askQuantity)) is negative" }
        if bidPrice > askPrice {
            return "bid \(NumberText.plain(bidPrice)) above ask \(NumberText.plain(askPrice))"
        }
        return nil
    }

    static func microsecondsCeiling(_ nanoseconds: Int64) -> Int64 {
        let (q, r) = nanoseconds.quotientAndRemainder(dividingBy: 1000)
        return r > 0 ? q + 1 : q
    }

    static func microsecondsFloor(_ nanoseconds: Int64) -> Int64 {
        let (q, r) = nanoseconds.quotientAndRemainder(dividingBy: 1000)
        return r < 0 ? q - 1 : q
    }
}
