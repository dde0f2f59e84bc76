import ArgumentParser
import DeltaArbitrage
import DeltaArbitrageSources
import Foundation

/// `--db URL`: the store, for the commands that need nothing else of it (`db init`, `db import`).
struct StoreURLOption: ParsableArguments {
    static let help = "PostgreSQL book-ticker store: postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require] (default: $DELTA_ARB_DB; the password may also come from PGPASSWORD or ~/.pgpass)."

    @Option(name: .customLong("db"), help: ArgumentHelp(StoreURLOption.help, valueName: "url"))
    var db: String?

    /// `--db`, else DELTA_ARB_DB; a usage error when neither is given.
    func url(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        guard let url = db ?? StoreRangeOptions.environmentURL(environment) else {
            throw ValidationError("missing --db URL (or set DELTA_ARB_DB)")
        }
        return url
    }
}

/// One symbol's spot and futures markets over a time range of the store:
/// the options of every command that reads it (`--db` with the data
/// commands, `db export`).
struct StoreRangeOptions: ParsableArguments {
    @Option(name: .customLong("db"), help: ArgumentHelp(
        "PostgreSQL book-ticker store to read (instead of a FILE): postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require] (default: $DELTA_ARB_DB when no FILE is given; the password may also come from PGPASSWORD or ~/.pgpass)."
           ,
        valueName: "url"))
    var db: String?

    @Option(help: ArgumentHelp("With --db: the symbol, BASE/QUOTE (as symbols.symbol_base/symbol_quote spell it).", valueName: "BASE/QUOTE"))
    var symbol: String?

    @Option(name: .customLong("spot-market"), help: ArgumentHelp("With --db: the spot market, an exchanges.enum_value of market_type SPOT (e.g. MEXC_SPOT).", valueName: "enum"))
    var spotMarket: String?

    @Option(name: .customLong("futures-market"), help: ArgumentHelp("With --db: the futures market, an exchanges.enum_value of market_type FUTURES (e.g. GATEIO_FUTURES).", valueName: "enum"))
    var futuresMarket: String?

    @Option(help: ArgumentHelp("With --db: first instant read, inclusive (ISO 8601, UTC unless an offset is given, or epoch seconds/ms/µs/ns).", valueName: "time"))
    var from: String?

    @Option(help: ArgumentHelp("With --db: last instant read, inclusive (same forms as --from).", valueName: "time"))
    var to: String?

    @Option(name: .customLong("max-quote-age-ms"), help: ArgumentHelp(
        "With --db or --spot/--futures: drop merged rows where either market's quote is older than this many milliseconds (reporting how many on stderr); default: keep all.",
        valueName: "ms"))
    var maxQuoteAgeMs: Double?

    /// DELTA_ARB_DB when set and not empty.
    static func environmentURL(_ environment: [String: String]) -> String? {
        environment["DELTA_ARB_DB"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The options other than --db that were given, as the user types them.
    var givenOptionNames: [String] {
        [("--symbol", symbol != nil), ("--spot-market", spotMarket != nil), ("--futures-market", futuresMarket != nil),
         ("--from", from != nil), ("--to", to != nil), ("--max-quote-age-ms", maxQuoteAgeMs != nil)]
            .filter(\.1).map(\.0)
    }

    /// The range the options name on the store at `url`; a usage error naming
    /// the option when one is missing or malformed.
    func range(url: String) throws -> StoreRange {
        guard let symbol else { throw ValidationError("--db needs --symbol BASE/QUOTE") }
        let parts = symbol.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ValidationError("--symbol '\(symbol)': expected BASE/QUOTE, e.g. BTC/USDT")
        }
        guard let spotMarket else { throw ValidationError("--db needs --spot-market ENUM (e.g. MEXC_SPOT)") }
        guard let futuresMarket else { throw ValidationError("--db needs --futures-market ENUM (e.g. GATEIO_FUTURES)") }
        func instant(_ text: String?, _ name: String) throws -> Int64? {
            guard let text else { return nil }
            guard let ns = UTCTime.nanoseconds(parsing: text) else {
                throw ValidationError("\(name) '\(text)': not an ISO-8601 time (2025-10-01T00:00:00Z) or epoch number")
            }
            return ns
        }
        let fromNs = try instant(from, "--from"), toNs = try instant(to, "--to")
        if let fromNs, let toNs, fromNs > toNs {
            throw ValidationError("--from \(from ?? "") is after --to \(to ?? "")")
        }
        return StoreRange(url: url, symbol: symbol, spotMarket: spotMarket, futuresMarket: futuresMarket,
                          from: fromNs, to: toNs, maxQuoteAgeNanoseconds: try maxQuoteAgeNanoseconds())
    }

    /// `--max-quote-age-ms` in nanoseconds, nil when not given; a usage error when malformed.
    func maxQuoteAgeNanoseconds() throws -> Int64? {
        guard let maxQuoteAgeMs else { return nil }
        guard maxQuoteAgeMs.isFinite, maxQuoteAgeMs >= 0, maxQuoteAgeMs < 1e12 else {
            throw ValidationError("--max-quote-age-ms \(NumberText.plain(maxQuoteAgeMs)): expected milliseconds, 0 or more")
        }
        return Int64((maxQuoteAgeMs * 1e6).rounded())
    }
}

/// A checked `StoreRangeOptions`: what to read from the store.
struct StoreRange {
    var url: String
    var symbol: String
    var spotMarket: String
    var futuresMarket: String
    var from: Int64?
    var to: Int64?
    var maxQuoteAgeNanoseconds: Int64?

    /// `SYMBOL SPOT+FUTURES @ host:port/db`, what reports call the data.
    var name: String {
        let place = (try? PostgresURL(url)).map { " @ \($0)" } ?? ""
        return "\(symbol) \(spotMarket)+\(futuresMarket)\(place)"
    }

    /// Reads both markets and merges them, noting on stderr how many rows
    /// came from how many quotes and what was left out; a data error becomes
    /// a one-line `CommandFailure` (exit status 1).
    func load(skipBadRows: Bool) async throws -> MarketData {
        let source = PostgresBookTickerSource(url: try parsedURL(), symbol: symbol, spotMarket: spotMarket,
                                              futuresMarket: futuresMarket, from: from, to: to,
                                              maxQuoteAgeNanoseconds: maxQuoteAgeNanoseconds, skipBadRows: skipBadRows)
        do {
            let loaded = try await source.loadWithDetails()
            for (market, read) in [(spotMarket, loaded.spot), (futuresMarket, loaded.futures)] where read.skippedRows > 0 {
                StandardError.write("warning: skipped \(read.skippedRows) bad rows of \(market); first:\n")
                for error in read.firstSkipped { StandardError.write("  \(error)\n") }
            }
            let merged = loaded.merged
            StandardError.write(mergeNote(merged, spotName: spotMarket, futuresName: futuresMarket,
                                          ageBounded: maxQuoteAgeNanoseconds != nil))
            return merged.data
        } catch {
            throw CommandFailure(error)
        }
    }

    /// The URL, parsed; a malformed one is a usage error naming --db.
    func parsedURL() throws -> PostgresURL {
        do { return try PostgresURL(url) } catch { throw ValidationError("--db: \(error)") }
    }
}
