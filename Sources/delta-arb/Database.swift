import ArgumentParser
import DeltaArbitrage
import DeltaArbitrageSources
import Foundation

/// `delta-arb db`: fill the PostgreSQL book-ticker store and export from it.
struct Database: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Create, fill and export the PostgreSQL book-ticker store.",
        discussion: """
            The store is the normalized schema of db/schema/001_book_ticker_store.sql: \
            exchanges, symbols and book_ticker_snapshots, one row per top-of-book update \
            per market. The data commands read it with --db URL --symbol BASE/QUOTE \
            --spot-market ENUM --futures-market ENUM [--from] [--to].

            The URL is postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require], \
            from --db or else $DELTA_ARB_DB; the password comes from the URL, else \
            PGPASSWORD, else ~/.pgpass (or PGPASSFILE).

            Typical use: db init once, db import each market's file, then analyze, \
            optimize or walk-forward with --db; db export writes a merged range as the \
            CSV every command reads.
            """,
        subcommands: [Init.self, Import.self, Export.self]
    )

    /// `db init`: creates the schema.
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Create the store's tables and indexes (schema version \(Database.schemaVersion)); harmless on a store that has them.",
            discussion: """
                Runs db/schema/001_book_ticker_store.sql (carried in the binary). Every \
                statement is CREATE … IF NOT EXISTS, so running it again changes nothing. \
                On TimescaleDB, turn book_ticker_snapshots into a hypertable afterwards, \
                while it is empty (see the README).
                """)

        @OptionGroup var store: StoreURLOption

        func validate() throws {
            _ = try store.url()
        }

        func run() async throws {
            let url = try Database.parse(try store.url())
            try await reportingFailures {
                do { try await BookTickerStoreWriter.initialize(url) } catch { throw CommandFailure(error) }
                try StandardOutput.writeLine("schema version \(BookTickerSchema.version) ready at \(url)")
            }
        }
    }

    /// `db import`: one market's quotes from a one-market CSV file.
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Write one market's quotes from a CSV file into the store.",
            discussion: """
                FILE is one market's book tickers, plain, gzip (.gz) or a zip holding one \
                CSV (told by the file's first bytes), in one of the layouts --spot/--futures \
                read, told by the header: a Binance bookTicker archive \
                (update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,\
                transaction_time,event_time; event_time in epoch ms), a Tardis quotes or \
                book_ticker file (exchange,symbol,timestamp,local_timestamp,ask_amount,\
                ask_price,bid_price,bid_amount; timestamp in epoch µs), or the one-market CSV \
                timestamp,bid_price,bid_qty,ask_price,ask_qty (any order, any case; \
                bid_quantity/ask_quantity also accepted; other columns ignored), timestamps \
                as the data commands read them (ISO 8601, UTC unless an offset is given, or \
                epoch seconds/ms/µs/ns), in time order. A bad row stops the import before \
                anything is written, naming the line and column (with --skip-bad-rows bad \
                rows are left out and counted instead).

                The exchanges and symbols rows are created when missing. The market's type \
                is told by the --market suffix (_SPOT, _FUTURES) or given by --market-type. \
                Rows whose timestamp the store already holds for this symbol and market are \
                skipped, so importing a file again inserts nothing; the counts of inserted \
                and skipped rows are printed. The store keeps one quote per market per \
                microsecond: of several quotes at one microsecond the last is written and \
                the others are counted as superseded.
                """)

        @Argument(help: ArgumentHelp("One market's file: Binance bookTicker, Tardis quotes/book_ticker or timestamp,bid_price,bid_qty,ask_price,ask_qty; plain, .gz or .zip.", valueName: "file"))
        var file: String

        @OptionGroup var store: StoreURLOption

        @Option(help: ArgumentHelp("The symbol, BASE/QUOTE (stored as symbols.symbol_base/symbol_quote).", valueName: "BASE/QUOTE"))
        var symbol: String

        @Option(help: ArgumentHelp("The market, an exchanges.enum_value (e.g. MEXC_SPOT, GATEIO_FUTURES).", valueName: "enum"))
        var market: String

        @Option(name: .customLong("market-type"), help: ArgumentHelp(
            "SPOT or FUTURES, for a --market whose name does not end in _SPOT or _FUTURES (default: told by that suffix).",
            valueName: "type"))
        var marketType: MarketType?

        @Flag(help: "Leave out rows with a bad field (unparsable, missing, non-positive price, negative quantity, bid above ask), reporting how many on stderr, instead of stopping at the first. A generic-layout row earlier than the row above, an unrecognised header and an over-long line still stop the import.")
        var skipBadRows = false

        enum MarketType: String, ExpressibleByArgument, CaseIterable {
            case spot = "SPOT", futures = "FUTURES"
            init?(argument: String) { self.init(rawValue: argument.uppercased()) }
        }

        /// The market's type: `--market-type`, else the `--market` suffix.
        func resolvedMarketType() throws -> MarketType {
            let suffix: MarketType? = market.hasSuffix("_SPOT") ? .spot : market.hasSuffix("_FUTURES") ? .futures : nil
            switch (marketType, suffix) {
            case (let given?, let told?) where given != told:
                throw ValidationError("--market-type \(given.rawValue) contradicts --market '\(market)' (a \(told.rawValue) name)")
            case (let given?, _): return given
            case (nil, let told?): return told
            case (nil, nil):
                throw ValidationError("--market '\(market)': cannot tell SPOT from FUTURES (no _SPOT or _FUTURES suffix); give --market-type")
            }
        }

        func validate() throws {
            _ = try store.url()
            try Database.checkSymbol(symbol)
            guard !market.isEmpty, market.count <= 30 else {
                throw ValidationError("--market '\(market)': expected an exchange enum of 1 to 30 characters (e.g. MEXC_SPOT)")
            }
            _ = try resolvedMarketType()
        }

        func run() async throws {
            let url = try Database.parse(try store.url())
            let type = try resolvedMarketType()
            try await reportingFailures {
                let loaded: MarketQuotesCSVReader.Loaded
                do {
                    loaded = try ProgressIndicator.run("reading \(file)") { try MarketQuotesCSVReader.read(path: file, skipBadRows: skipBadRows) }
                } catch {
                    throw CommandFailure(error)
                }
                let quotes = loaded.quotes
                InputOptions.warnSkipped(loaded.skippedByKind, first: loaded.firstSkipped, of: file)
                if loaded.oneSidedRows > 0 {
                    StandardError.write("note: \(file): \(loaded.oneSidedRows) one-sided rows (an empty bid or ask side) left out\n")
                }
                if loaded.reorderedRows > 0 {
                    StandardError.write("note: \(file): \(loaded.reorderedRows) rows were out of time order and were put in order\n")
                }
                if quotes.count == 0 { throw CommandFailure(MarketDataError(kind: .noCompleteRows, file: file, detail: "no quotes after the header")) }
                let counts: BookTickerStoreWriter.ImportCounts
                do {
                    counts = try await BookTickerStoreWriter.importQuotes(quotes, into: url, symbol: symbol, market: market,
                                                                          marketType: type.rawValue,
                                                                          sequenceNumbers: loaded.sequenceNumbers)
                } catch {
                    throw CommandFailure(error)
                }
                try StandardOutput.writeLine("\(market) \(symbol) @ \(url): \(counts.inserted) inserted, \(counts.skipped) skipped (already stored)"
                    + (counts.superseded > 0 ? ", \(counts.superseded) superseded (a later quote at the same microsecond)" : "")
                    + " of \(quotes.count) quotes in \(file)")
            }
        }
    }

    /// `db export`: a merged range as the CSV the data commands read.
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write one symbol's spot and futures markets, merged, as a CSV file.",
            discussion: """
                Reads the range as the data commands' --db does (the same two-market as-of \
                merge, --from/--to inclusive, --max-quote-age-ms and --skip-bad-rows alike) \
                and writes it with the header timestamp,spot_ask_price,spot_bid_price,\
                spot_ask_quantity,spot_bid_quantity,fut_ask_price,fut_bid_price,\
                fut_ask_quantity,fut_bid_quantity. Numbers round-trip exactly, so every \
                command gives the same result from this file as from the same --db range.
                """)

        @OptionGroup var range: StoreRangeOptions

        @Flag(help: "Leave out bad rows of the store (NULL or non-positive prices, bid above ask), reporting how many on stderr, instead of stopping at the first.")
        var skipBadRows = false

        @Flag(help: "Write timestamps as epoch nanoseconds instead of ISO-8601.")
        var epochTimestamps = false

        @Option(name: [.short, .long], help: ArgumentHelp("Output CSV file.", valueName: "file"))
        var out: String

        func validate() throws {
            _ = try storeRange()
        }

        func storeRange() throws -> StoreRange {
            guard let url = range.db ?? StoreRangeOptions.environmentURL(ProcessInfo.processInfo.environment) else {
                throw ValidationError("missing --db URL (or set DELTA_ARB_DB)")
            }
            return try range.range(url: url)
        }

        func run() async throws {
            let source = try storeRange()
            try await reportingFailures {
                let data = try await source.load(skipBadRows: skipBadRows)
                do {
                    try ProgressIndicator.run("writing \(out)") {
                        try data.writeCSV(to: out, timestampFormat: epochTimestamps ? .epochNanoseconds : .iso8601)
                    }
                } catch {
                    throw CommandFailure(error)
                }
                StandardError.write("wrote \(Format.count(data.count)) rows to \(out) (\(DataSpan(data).text))\n")
            }
        }
    }

    static var schemaVersion: Int {
        BookTickerSchema.version
    }

    static func checkSymbol(_ symbol: String) throws {
        let parts = symbol.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ValidationError("--symbol '\(symbol)': expected BASE/QUOTE, e.g. BTC/USDT")
        }
    }

    static func parse(_ text: String) throws -> PostgresURL {
        do { return try PostgresURL(text) } catch { throw ValidationError("--db: \(error)") }
    }
}
