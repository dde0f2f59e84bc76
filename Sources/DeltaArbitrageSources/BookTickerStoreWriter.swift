import DeltaArbitrage
import PostgresNIO

/// Fills the book-ticker store: creates the schema, and writes one market's
/// quotes, creating its `exchanges` and `symbols` rows as needed.
public enum BookTickerStoreWriter {
    /// Rows written, rows that were already there (same `timestamp` and
    /// symbol), and quotes superseded by a later quote of the same input at
    /// the same microsecond (the store holds one quote per market per instant).
    public struct ImportCounts: Sendable, Equatable {
        public var inserted: Int
        public var skipped: Int
        public var superseded: Int
        public init(inserted: Int, skipped: Int, superseded: Int = 0) {
            self.inserted = inserted
            self.skipped = skipped
            self.superseded = superseded
        }
    }

    /// Runs the schema (`BookTickerSchema.sql`); harmless on a store that has it.
    public static func initialize(_ url: PostgresURL) async throws {
        try await PostgresStore.withConnection(url) { connection in
            // One initializer at a time: concurrent CREATE … IF NOT EXISTS can still collide.
            try await PostgresStore.run(url, symbol: nil, market: nil, on: connection) {
                try await connection.query("SELECT pg_advisory_lock(4720190)", logger: PostgresStore.logger).collect()
            }
            for statement in BookTickerSchema.statements {
                try await PostgresStore.run(url, symbol: nil, market: nil, on: connection) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: PostgresStore.logger)
                }
            }
        }
    }

    /// The market type an enum value names by its suffix (`…_SPOT`, `…_FUTURES`), or nil.
    public static func marketType(of market: String) -> String? {
        if market.hasSuffix("_SPOT") { return "SPOT" }
        if market.hasSuffix("_FUTURES") { return "FUTURES" }
        return nil
    }

    /// Writes `quotes` as the rows of `symbol` (BASE/QUOTE) on `market`
    /// (an `exchanges.enum_value`), in batches. The market's type is
    /// `marketType` (`SPOT` or `FUTURES`) when given, else told by the
    /// name's suffix (`_SPOT`, `_FUTURES`); a new `exchanges` row is named
    /// after the market without that suffix.
    /// A row whose (timestamp, symbol) is already stored is skipped, so a
    /// re-import inserts nothing. Timestamps are stored to the microsecond
    /// (PostgreSQL's resolution); prices as the shortest decimal that reads
    /// back as the same double. `sequenceNumbers`, when given, has one per quote.
    ///
    /// The primary key holds one quote per market per microsecond, so of
    /// several quotes at one microsecond only the last is written — the one
    /// the two-market merge would use — and the others are counted in
    /// `superseded`, not lost silently.
    public static func importQuotes(_ quotes: MarketQuotes, into url: PostgresURL, symbol: String, market: String,
                                    marketType: String? = nil, sequenceNumbers: [Int64]? = nil,
                                    batchSize: Int = 20_000) async throws -> ImportCounts {
        func failure(_ detail: String) -> BookTickerStoreError {
            BookTickerStoreError(source: url.description, symbol: symbol, market: market, detail: detail)
        }
        let parts = symbol.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw failure("symbol must be BASE/QUOTE") }
        if let marketType, marketType != "SPOT" && marketType != "FUTURES" {
            throw failure("market type '\(marketType)' is neither SPOT nor FUTURES")
        }
        guard let type = marketType ?? Self.marketType(of: market) else {
            throw failure("market must end in _SPOT or _FUTURES (e.g. MEXC_SPOT), or its type be given")
        }
        if let sequenceNumbers, sequenceNumbers.count != quotes.count {
            throw failure("\(sequenceNumbers.count) sequence numbers for \(quotes.count) quotes")
        }
        let (quotes, sequenceNumbers, superseded) = lastPerMicrosecond(quotes, sequenceNumbers)
        return try await PostgresStore.withConnection(url) { connection in
            try await PostgresStore.run(url, symbol: symbol, market: market, on: connection) {
                let exchangeName = market.hasSuffix("_" + type) ? String(market.dropLast(type.count + 1)) : market
                try await connection.query("""
                    INSERT INTO exchanges (enum_value, exchange_name, market_type) VALUES (\(market), \(exchangeName), \(type))
                    ON CONFLICT (enum_value) DO NOTHING
                    """, logger: PostgresStore.logger)
                let exchangeID = try await connection.query("SELECT id, market_type FROM exchanges WHERE enum_value = \(market)",
                                                            logger: PostgresStore.logger).collect()
                guard let row = exchangeID.first else { throw failure("exchange row missing after insert") }
                let (eid, storedType) = try row.decode((Int32, String).self)
                guard storedType == type else { throw failure("is stored as a \(storedType) market") }
                let exchangeSymbol = parts[0] + parts[1]
                try await connection.query("""
                    INSERT INTO symbols (exchange_id, symbol_base, symbol_quote, exchange_symbol, symbol_type)
                    VALUES (\(eid), \(parts[0]), \(parts[1]), \(exchangeSymbol), \(type))
                    ON CONFLICT (exchange_id, symbol_base, symbol_quote, symbol_type) DO NOTHING
                    """, logger: PostgresStore.logger)
                guard let sid = try await connection.query("""
                    SELECT id FROM symbols WHERE exchange_id = \(eid) AND symbol_base = \(parts[0])
                      AND symbol_quote = \(parts[1]) AND symbol_type = \(type)
                    """, logger: PostgresStore.logger).collect().first?.decode(Int32.self) else {
                    throw failure("symbol row missing after insert")
                }
                var counts = ImportCounts(inserted: 0, skipped: 0, superseded: superseded)
                var start = 0
                while start < quotes.count {
                    let end = min(start + batchSize, quotes.count)
                    let micros = quotes.timestamps[start..<end].map { PostgresBookTickerSource.microsecondsFloor($0) }
                    func text(_ column: [Double]) -> [String] { column[start..<end].map { $0.isNaN ? "0" : "\($0)" } }
                    let sequence: [Int64] = sequenceNumbers.map { Array($0[start..<end]) } ?? Array(repeating: 0, count: end - start)
                    let hasSequence = sequenceNumbers != nil
                    guard let inserted = try await connection.query("""
                        WITH inserted AS (
                          INSERT INTO book_ticker_snapshots
                            ("timestamp", symbol_id, bid_price, bid_qty, ask_price, ask_qty, sequence_number, update_type)
                          SELECT to_timestamp(0) + t * INTERVAL '1 microsecond', \(sid), bp::numeric, bq::numeric, ap::numeric, aq::numeric, CASE WHEN \(hasSequence) THEN s END, 'import'
                          FROM unnest(\(micros)::bigint[], \(text(quotes.bidPrice))::text[], \(text(quotes.bidQuantity))::text[],
                                      \(text(quotes.askPrice))::text[], \(text(quotes.askQuantity))::text[], \(sequence)::bigint[])
                               AS r(t, bp, bq, ap, aq, s)
                          ON CONFLICT ("timestamp", symbol_id) DO NOTHING
                          RETURNING 1)
                        SELECT count(*) FROM inserted
                        """, logger: PostgresStore.logger).collect().first?.decode(Int64.self) else {
                        throw failure("the insert returned no count")
                    }
                    counts.inserted += Int(inserted)
                    counts.skipped += end - start - Int(inserted)
                    start = end
                }
                return counts
            }
        }
    }

    /// The quotes without those followed by another at the same microsecond
    /// (the last of each instant stays), and how many were left out.
    static func lastPerMicrosecond(_ quotes: MarketQuotes, _ sequenceNumbers: [Int64]?)
        -> (MarketQuotes, [Int64]?, superseded: Int) {
        let micros = quotes.timestamps.map(PostgresBookTickerSource.microsecondsFloor)
        let kept = micros.indices.filter { $0 == micros.count - 1 || micros[$0 + 1] != micros[$0] }
        guard kept.count < quotes.count else { return (quotes, sequenceNumbers, 0) }
        let out = MarketQuotes(timestamps: kept.map { quotes.timestamps[$0] }, bidPrice: kept.map { quotes.bidPrice[$0] },
                               bidQuantity: kept.map { quotes.bidQuantity[$0] }, askPrice: kept.map { quotes.askPrice[$0] },
                               askQuantity: kept.map { quotes.askQuantity[$0] })
        return (out, sequenceNumbers.map { s in kept.map { s[$0] } }, quotes.count - kept.count)
    }
}
