import DeltaArbitrage
import PostgresNIO

/// Reads one symbol's spot and futures markets from the book-ticker store
/// (db/schema/001_book_ticker_store.sql) and merges them with
/// `TwoMarketMerge`.
///
/// Each market is one binary-format extended query over the per-symbol time
/// index, `WHERE symbol_id = … AND timestamp BETWEEN from AND to` (inclusive
/// at both ends, as the seed's loader reads), ordered by `timestamp`,
/// `sequence_number`, `id`; the two run concurrently on two connections. The
/// rows' bytes are decoded straight into `MarketQuotes` columns: timestamps
/// to nanoseconds since the Unix epoch, NUMERIC to the nearest double.
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
            try await read(market: market, type: type, on: connection)
        }
    }

    private func read(market: String, type: String, on connection: PostgresConnection) async throws -> MarketRead {
        let parts = symbol.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw error(nil, "symbol must be BASE/QUOTE (e.g. BTC/USDT)")
        }
        let logger = PostgresStore.logger
        // The market first, so that an unknown one is told apart from a symbol it lacks.
        let exchangeRows = try await PostgresStore.run(url, symbol: symbol, market: market, on: connection) {
            try await connection.query("SELECT id, market_type FROM exchanges WHERE enum_value = \(market)", logger: logger)
                .collect()
        }
        guard let exchange = exchangeRows.first else {
            throw error(market, "no such market in exchanges.enum_value")
        }
        let (exchangeID, marketType) = try exchange.decode((Int32, String).self)
        guard marketType == type else {
            throw error(market, "is a \(marketType) market, expected \(type) here")
        }
        let symbolRows = try await PostgresStore.run(url, symbol: symbol, market: market, on: connection) {
            try await connection.query("""
                SELECT id FROM symbols
                WHERE exchange_id = \(exchangeID) AND symbol_base = \(parts[0])
                  AND symbol_quote = \(parts[1]) AND symbol_type = \(type)
                """, logger: logger).collect()
        }
        guard let symbolRow = symbolRows.first else {
            throw error(market, "no such symbol on this market")
        }
        let symbolID = try symbolRow.decode(Int32.self)

        var sql = """
            SELECT "timestamp", bid_price, bid_qty, ask_price, ask_qty FROM book_ticker_snapshots
            WHERE symbol_id = $1
            """
        var binds = PostgresBindings()
        binds.append(symbolID)
        // Microseconds since the Unix epoch, PostgreSQL's resolution; the
        // range stays inclusive: `from` rounds up, `to` rounds down.
        if let from {
            binds.append(Self.microsecondsCeiling(from))
            sql += " AND \"timestamp\" >= to_timestamp(0) + $\(binds.count) * INTERVAL '1 microsecond'"
        }
        if let to {
            binds.append(Self.microsecondsFloor(to))
            sql += " AND \"timestamp\" <= to_timestamp(0) + $\(binds.count) * INTERVAL '1 microsecond'"
        }
        sql += " ORDER BY \"timestamp\", sequence_number, id"

        var quotes = MarketQuotes()
        var skipped = 0
        var firstSkipped: [BookTickerStoreError] = []
        try await PostgresStore.run(url, symbol: symbol, market: market, on: connection) {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
            var values = [Double](repeating: 0, count: 4)
            for try await row in rows {
                var cells = row.makeIterator()
                guard let time = cells.next()?.bytes?.withUnsafeReadableBytes(PostgresBinary.timestampNanoseconds) else {
                    throw error(market, "a row's timestamp is NULL or infinite")
                }
                var problem: String?
                for k in 0..<4 {
                    guard let cell = cells.next() else { throw error(market, "row has too few columns", at: time) }
                    guard let bytes = cell.bytes else {
                        problem = problem ?? "\(cell.columnName) is NULL"
                        values[k] = .nan
                        continue
                    }
                    guard let value = bytes.withUnsafeReadableBytes(PostgresBinary.numeric) else {
                        problem = problem ?? "\(cell.columnName) is not a finite number"
                        values[k] = .nan
                        continue
                    }
                    values[k] = value
                }
                if problem == nil {
                    problem = Self.rowProblem(bidPrice: values[0], bidQuantity: values[1],
                                              askPrice: values[2], askQuantity: values[3])
                }
                if let problem {
                    let failure = error(market, problem, at: time)
                    guard skipBadRows else { throw failure }
                    skipped += 1
                    if firstSkipped.count < 5 { firstSkipped.append(failure) }
                    continue
                }
                quotes.append(timestamp: time, bidPrice: values[0], bidQuantity: values[1],
                              askPrice: values[2], askQuantity: values[3])
            }
        }
        if quotes.count == 0 {
            throw error(market, skipped > 0 ? "all \(skipped) quotes \(rangeText) are bad rows" : "no quotes \(rangeText)")
        }
        return MarketRead(quotes: quotes, skippedRows: skipped, firstSkipped: firstSkipped)
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
