import ArgumentParser
import DeltaArbitrage
#if !DELTA_ARB_NO_DATABASE
import DeltaArbitrageSources
#endif
import Foundation

/// Options shared by the commands that read market data: a CSV file, or one
/// symbol's spot and futures markets from the PostgreSQL book-ticker store.
struct InputOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("CSV book-ticker file to read (or read the database with --db).", valueName: "file"))
    var file: String?

    @Option(name: .customLong("db"), help: ArgumentHelp(
        "PostgreSQL book-ticker store to read instead of a file: postgres://user[:password]@host[:port]/database[?sslmode=require] (default: $DELTA_ARB_DB when no file is given; password also from PGPASSWORD or ~/.pgpass)."
            + (InputOptions.databaseBuilt ? "" : " Not in this build (the CMake build has no database support; build with SwiftPM)."),
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
        "With --db: drop merged rows where either market's quote is older than this many milliseconds (reporting how many); default: keep all.",
        valueName: "ms"))
    var maxQuoteAgeMs: Double?

    @Flag(help: "Skip malformed rows (reporting how many, by kind, on stderr) instead of stopping at the first. An unrecognised header and a line over \(MarketDataCSVOptions.defaultMaxLineBytes >> 10) KiB still stop the load.")
    var skipBadRows = false

    @Option(name: .customLong("max-gap"), help: ArgumentHelp(
        "Intervals between rows longer than this are data gaps: seconds (90) or with a unit (90s, 15m, 2h, 1d); 'auto' is max(60 s, 50 × the median interval); 'off' checks nothing.",
        valueName: "duration"), transform: MaxGap.parse)
    var maxGap: MaxGap = .auto

    @Option(name: .customLong("on-gap"), help: ArgumentHelp(
        "What to do about data gaps: 'error' exits 1 naming them; 'warn' warns once and reports them (count, longest, where) in the output; 'split' treats each continuous segment on its own (not every command offers it).",
        valueName: "error|warn|split"))
    var onGap: GapPolicy = .warn

    #if DELTA_ARB_NO_DATABASE
    static let databaseBuilt = false
    #else
    static let databaseBuilt = true
    #endif

    /// Where the data comes from, after the options are checked.
    enum Source {
        case file(String)
        case database(url: String, symbol: String, spotMarket: String, futuresMarket: String,
                      from: Int64?, to: Int64?, maxQuoteAgeNanoseconds: Int64?)
    }

    /// The source the options name: exactly one of FILE or --db (or
    /// DELTA_ARB_DB when neither is given); a usage error otherwise.
    func source(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Source {
        let url = file == nil ? (db ?? environment["DELTA_ARB_DB"].flatMap { $0.isEmpty ? nil : $0 }) : db
        if let file {
            if db != nil { throw ValidationError("give either a file or --db, not both") }
            let databaseOnly: [(String, Bool)] = [("--symbol", symbol != nil), ("--spot-market", spotMarket != nil),
                                                  ("--futures-market", futuresMarket != nil), ("--from", from != nil),
                                                  ("--to", to != nil), ("--max-quote-age-ms", maxQuoteAgeMs != nil)]
            if let (name, _) = databaseOnly.first(where: { $0.1 }) {
                throw ValidationError("\(name) applies to --db only, not to a file")
            }
            return .file(file)
        }
        guard let url else {
            throw ValidationError("missing input: give a CSV file, or --db URL (or set DELTA_ARB_DB) with --symbol, --spot-market and --futures-market")
        }
        guard Self.databaseBuilt else {
            throw ValidationError("--db: this build of delta-arb has no database support (the CMake build leaves it out); use the SwiftPM build")
        }
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
        var age: Int64?
        if let maxQuoteAgeMs {
            guard maxQuoteAgeMs.isFinite, maxQuoteAgeMs >= 0, maxQuoteAgeMs < 1e12 else {
                throw ValidationError("--max-quote-age-ms \(NumberText.plain(maxQuoteAgeMs)): expected milliseconds, 0 or more")
            }
            age = Int64((maxQuoteAgeMs * 1e6).rounded())
        }
        return .database(url: url, symbol: symbol, spotMarket: spotMarket, futuresMarket: futuresMarket,
                         from: fromNs, to: toNs, maxQuoteAgeNanoseconds: age)
    }

    func validate() throws { _ = try source() }

    /// What the data is called in reports and diagnostics: the file, or
    /// `SYMBOL SPOT+FUTURES @ host:port/db`.
    var sourceName: String {
        switch try? source() {
        case .file(let path): return path
        case .database(let url, let symbol, let spot, let futures, _, _, _):
            #if DELTA_ARB_NO_DATABASE
            return "\(symbol) \(spot)+\(futures)"
            #else
            let place = (try? PostgresURL(url)).map { " @ \($0)" } ?? ""
            return "\(symbol) \(spot)+\(futures)\(place)"
            #endif
        case nil: return file ?? "<input>"
        }
    }

    /// Loads the data, turning a data error into a one-line message and exit status 1.
    func load() async throws -> MarketData {
        switch try source() {
        case .file(let file):
            return try loadFile(file)
        case .database(let url, let symbol, let spot, let futures, let from, let to, let age):
            #if DELTA_ARB_NO_DATABASE
            _ = (url, symbol, spot, futures, from, to, age)
            throw ValidationError("--db: this build of delta-arb has no database support")
            #else
            return try await loadDatabase(url: url, symbol: symbol, spot: spot, futures: futures, from: from, to: to, age: age)
            #endif
        }
    }

    private func loadFile(_ file: String) throws -> MarketData {
        do {
            let loaded = try ProgressIndicator.run("loading \(file)") {
                try MarketDataCSVLoader(options: .init(skipBadRows: skipBadRows)).load(path: file)
            }
            if loaded.leadingRowsDropped > 0 {
                StandardError.write("note: \(loaded.leadingRowsDropped) leading rows dropped (prices not yet known)\n")
            }
            if loaded.rowsSkipped > 0 {
                let kinds = loaded.skippedByKind.sorted { $0.key.rawValue < $1.key.rawValue }
                    .map { "\($0.value) \($0.key.rawValue)" }.joined(separator: ", ")
                StandardError.write("warning: skipped \(loaded.rowsSkipped) bad rows (\(kinds)); first:\n")
                for error in loaded.firstErrors { StandardError.write("  \(error)\n") }
            }
            return loaded.data
        } catch {
            throw CommandFailure(error)
        }
    }

    #if !DELTA_ARB_NO_DATABASE
    private func loadDatabase(url text: String, symbol: String, spot: String, futures: String,
                              from: Int64?, to: Int64?, age: Int64?) async throws -> MarketData {
        let url: PostgresURL
        do { url = try PostgresURL(text) } catch { throw ValidationError("--db: \(error)") }
        let source = PostgresBookTickerSource(url: url, symbol: symbol, spotMarket: spot, futuresMarket: futures,
                                              from: from, to: to, maxQuoteAgeNanoseconds: age, skipBadRows: skipBadRows)
        do {
            let loaded = try await source.loadWithDetails()
            for (market, read) in [(spot, loaded.spot), (futures, loaded.futures)] where read.skippedRows > 0 {
                StandardError.write("warning: skipped \(read.skippedRows) bad rows of \(market); first:\n")
                for error in read.firstSkipped { StandardError.write("  \(error)\n") }
            }
            let merged = loaded.merged
            StandardError.write("note: \(merged.data.count) merged rows from \(merged.spotQuotes) \(spot) and \(merged.futuresQuotes) \(futures) quotes"
                + (merged.leadingQuotesBeforeBoth > 0 ? "; \(merged.leadingQuotesBeforeBoth) quotes before both markets had one" : "")
                + (age != nil ? "; \(merged.droppedStale) rows dropped by --max-quote-age-ms" : "") + "\n")
            return merged.data
        } catch {
            throw CommandFailure(error)
        }
    }
    #endif
}

extension InputOptions {
    /// Finds the gaps of `data` under `--max-gap` and applies `--on-gap`:
    /// throws under `error` when there are any, warns under `warn`.
    func checkGaps(_ data: MarketData) throws -> GapCheck {
        let report: DataGapReport?
        switch maxGap {
        case .off: report = nil
        case .auto: report = DataGapReport(data)
        case .nanoseconds(let ns): report = DataGapReport(data, thresholdNanoseconds: ns)
        }
        let check = GapCheck(report: report, policy: onGap, derived: maxGap == .auto)
        try check.enforce(file: sourceName)
        return check
    }

    /// A usage error (exit 64) when `--on-gap split` was asked of a command that does not offer it.
    func refuseSplit(command: String) throws {
        if onGap == .split {
            throw ValidationError("--on-gap split is not offered by \(command) (a position there runs through the whole feed): "
                + "use --on-gap error or warn, or split the file and run each part")
        }
    }
}
