import DeltaArbitrage

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

    /// Runs the schema files (`BookTickerSchema.files`) in order, each in one
    /// round trip; harmless on a store that has them, and brings an older one
    /// up to `BookTickerSchema.version`.
    public static func initialize(_ url: PostgresURL) async throws {
        try await PostgresStore.withConnection(url) { connection in
            // One initializer at a time: concurrent CREATE … IF NOT EXISTS can still collide.
            try connection.query("SELECT pg_advisory_lock(4720190)")
            for file in BookTickerSchema.files {
                do {
                    try connection.query(file.sql)
                } catch var error as BookTickerStoreError {
                    error.detail = "db/schema/\(file.name): " + error.detail
                    throw error
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
    /// (an `exchanges.enum_value`) in one transaction. The market's type is
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
                                    marketType: String? = nil, sequenceNumbers: [Int64]? = nil) async throws -> ImportCounts {
        @Sendable func failure(_ detail: String) -> BookTickerStoreError {
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
        // The store's NUMERIC columns take finite numbers only; the loaders
        // refuse other rows, so this guards library callers.
        for i in 0..<quotes.count {
            if !quotes.bidPrice[i].isFinite || !quotes.askPrice[i].isFinite
                || quotes.bidQuantity[i].isInfinite || quotes.askQuantity[i].isInfinite {
                throw BookTickerStoreError(source: url.description, symbol: symbol, market: market,
                                           timestamp: UTCTime.iso8601(nanoseconds: quotes.timestamps[i]),
                                           detail: "quote \(i) has a price that is not a finite number or an infinite quantity")
            }
        }
        let (quotes, sequenceNumbers, superseded) = lastPerMicrosecond(quotes, sequenceNumbers)
        let stream = binaryCopyStream(quotes, sequenceNumbers: sequenceNumbers)
        return try await PostgresStore.withConnection(url) { connection in
            try PostgresStore.run(symbol: symbol, market: market) {
                let exchangeName = market.hasSuffix("_" + type) ? String(market.dropLast(type.count + 1)) : market
                // All or nothing: a failure leaves the store as it was.
                try connection.query("BEGIN")
                try connection.query("""
                    INSERT INTO exchanges (enum_value, exchange_name, market_type) VALUES ($1, $2, $3)
                    ON CONFLICT (enum_value) DO NOTHING
                    """, [market, exchangeName, type])
                guard let exchange = try connection.query("SELECT id, market_type FROM exchanges WHERE enum_value = $1", [market]).first,
                      let exchangeID = exchange[0], let storedType = exchange[1] else {
                    throw failure("exchange row missing after insert")
                }
                guard storedType == type else { throw failure("is stored as a \(storedType) market") }
                try connection.query("""
                    INSERT INTO symbols (exchange_id, symbol_base, symbol_quote, exchange_symbol, symbol_type)
                    VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (exchange_id, symbol_base, symbol_quote, symbol_type) DO NOTHING
                    """, [exchangeID, parts[0], parts[1], parts[0] + parts[1], type])
                guard let symbolID = try connection.integer("""
                    SELECT id FROM symbols WHERE exchange_id = $1 AND symbol_base = $2 AND symbol_quote = $3 AND symbol_type = $4
                    """, [exchangeID, parts[0], parts[1], type]) else {
                    throw failure("symbol row missing after insert")
                }
                // The rows go in by binary COPY to a temporary table, then on
                // to the store skipping those already there (COPY itself
                // cannot skip). Prices travel as the shortest decimal text of
                // the double and become NUMERIC on the server, exactly.
                try connection.query("""
                    CREATE TEMPORARY TABLE delta_arb_import (t timestamptz, bp text, bq text, ap text, aq text, s bigint)
                    ON COMMIT DROP
                    """)
                try connection.copyIn("COPY delta_arb_import FROM STDIN (FORMAT binary)", data: stream)
                guard let inserted = try connection.integer("""
                    WITH inserted AS (
                      INSERT INTO book_ticker_snapshots
                        ("timestamp", symbol_id, bid_price, bid_qty, ask_price, ask_qty, sequence_number, update_type)
                      SELECT t, \(symbolID), bp::numeric, bq::numeric, ap::numeric, aq::numeric, s, 'import'
                      FROM delta_arb_import
                      ON CONFLICT ("timestamp", symbol_id) DO NOTHING
                      RETURNING 1)
                    SELECT count(*) FROM inserted
                    """) else {
                    throw failure("the insert returned no count")
                }
                try connection.query("COMMIT")
                return ImportCounts(inserted: inserted, skipped: quotes.count - inserted, superseded: superseded)
            }
        }
    }

    /// The quotes as PostgreSQL's binary COPY stream for the temporary
    /// table `(t timestamptz, bp, bq, ap, aq text, s bigint)`: signature,
    /// zero flags and extension, then per row the field count and each
    /// field's length and big-endian bytes, then the −1 trailer. A NaN
    /// quantity is written as 0; `s` is NULL without sequence numbers.
    static func binaryCopyStream(_ quotes: MarketQuotes, sequenceNumbers: [Int64]?) -> [UInt8] {
        var out = BinaryCopyDecoder.signature + [0, 0, 0, 0, 0, 0, 0, 0]
        out.reserveCapacity(19 + quotes.count * 110 + 2)
        func append<I: FixedWidthInteger>(_ value: I) {
            withUnsafeBytes(of: value.bigEndian) { out.append(contentsOf: $0) }
        }
        func appendText(_ value: Double) {
            let text = value.isNaN ? "0" : "\(value)"
            append(Int32(text.utf8.count))
            out.append(contentsOf: text.utf8)
        }
        for i in 0..<quotes.count {
            append(Int16(6))
            append(Int32(8))
            append(PostgresBookTickerSource.microsecondsFloor(quotes.timestamps[i]) - PostgresBinary.postgresEpochMicroseconds)
            appendText(quotes.bidPrice[i])
            appendText(quotes.bidQuantity[i])
            appendText(quotes.askPrice[i])
            appendText(quotes.askQuantity[i])
            if let sequenceNumbers {
                append(Int32(8))
                append(sequenceNumbers[i])
            } else {
                append(Int32(-1))
            }
        }
        append(Int16(-1))
        return out
    }

    /// The quotes without those followed by another at the same microsecond
    /// (the last of each instant stays), and how many were left out.
    static func lastPerMicrosecond(_ quotes: MarketQuotes, _ sequenceNumbers: [Int64]?)
        -> (MarketQuotes, [Int64]?, superseded: Int) {
        let micros = quotes.timestamps.map(PostgresBookTickerSource.microsecondsFloor)
        let kept = micros.indices.filter { $0 == micros.count - 1 || micros[$0 + 1] != micros[$0] }
        guard kept.count < quotes.count else { return (quotes, sequenceNumbers, 0) }
        return (quotes.rows(kept), sequenceNumbers.map { s in kept.map { s[$0] } }, quotes.count - kept.count)
    }
}
