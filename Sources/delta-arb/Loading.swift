import ArgumentParser
import DeltaArbitrage
import Foundation

/// Options shared by the commands that read market data: a merged CSV file,
/// each market's own capture files (`--spot`/`--futures`), or one symbol's
/// spot and futures markets from the PostgreSQL book-ticker store.
struct InputOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("Merged two-market book-ticker file to read: CSV, or an Arrow IPC file (Feather v2, told by its content; see 'convert'). Or give --spot/--futures files, or read the database with --db.", valueName: "file"))
    var file: String?

    @Option(name: .customLong("spot"), parsing: .upToNextOption, help: ArgumentHelp(
        "The spot market's files, instead of a FILE: Binance bookTicker, Tardis quotes/book_ticker or one-market CSV (timestamp,bid_price,bid_qty,ask_price,ask_qty), plain, .gz or .zip; several files (or a quoted glob such as 'spot-*.csv.gz') are read in time order and must not overlap.",
        valueName: "file"))
    var spot: [String] = []

    @Option(name: .customLong("futures"), parsing: .upToNextOption, help: ArgumentHelp(
        "The futures market's files, as --spot; the two markets are merged as of each quote (the same merge as --db).",
        valueName: "file"))
    var futures: [String] = []

    @OptionGroup var store: StoreRangeOptions

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

    /// Where the data comes from, after the options are checked.
    enum Source {
        case file(String)
        case perMarket(PerMarketFiles)
        case database(StoreRange)
    }

    /// The source the options name: exactly one of FILE, --spot/--futures or
    /// --db (or DELTA_ARB_DB when none is given); a usage error otherwise.
    func source(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Source {
        if !spot.isEmpty || !futures.isEmpty {
            if file != nil { throw ValidationError("give either a FILE or --spot/--futures files, not both") }
            if store.db != nil { throw ValidationError("give either --db or --spot/--futures files, not both") }
            if spot.isEmpty { throw ValidationError("--futures needs --spot FILE… too (the spot market's files)") }
            if futures.isEmpty { throw ValidationError("--spot needs --futures FILE… too (the futures market's files)") }
            if let name = store.givenOptionNames.first(where: { $0 != "--max-quote-age-ms" }) {
                throw ValidationError("\(name) applies to --db only, not to --spot/--futures files")
            }
            return .perMarket(PerMarketFiles(spot: try PerMarketFiles.expand(spot, option: "--spot"),
                                             futures: try PerMarketFiles.expand(futures, option: "--futures"),
                                             maxQuoteAgeNanoseconds: try store.maxQuoteAgeNanoseconds()))
        }
        if let file {
            if store.db != nil { throw ValidationError("give either a file or --db, not both") }
            if let name = store.givenOptionNames.first { throw ValidationError("\(name) applies to --db only, not to a file") }
            return .file(file)
        }
        guard let url = store.db ?? StoreRangeOptions.environmentURL(environment) else {
            throw ValidationError("missing input: give a CSV file, or --spot FILE… --futures FILE…, or --db URL (or set DELTA_ARB_DB) with --symbol, --spot-market and --futures-market")
        }
        return .database(try store.range(url: url))
    }

    func validate() throws { _ = try source() }

    /// What the data is called in reports and diagnostics: the file,
    /// `SPOT+FUTURES` files, or `SYMBOL SPOT+FUTURES @ host:port/db`.
    var sourceName: String {
        switch try? source() {
        case .file(let path): return path
        case .perMarket(let files): return files.name
        case .database(let range): return range.name
        case nil: return file ?? "<input>"
        }
    }

    /// Loads the data, turning a data error into a one-line message and exit status 1.
    func load() async throws -> MarketData {
        switch try source() {
        case .file(let file):
            return try loadFile(file)
        case .perMarket(let files):
            return try await files.load(skipBadRows: skipBadRows)
        case .database(let range):
            return try await range.load(skipBadRows: skipBadRows)
        }
    }

    /// The `--skip-bad-rows` warning: how many rows were left out, by kind,
    /// and the first few as the errors they would have been (nothing when none).
    static func warnSkipped(_ byKind: [MarketDataError.Kind: Int], first: [MarketDataError], of what: String? = nil) {
        let total = byKind.values.reduce(0, +)
        guard total > 0 else { return }
        let kinds = byKind.sorted { $0.key.rawValue < $1.key.rawValue }
            .map { "\($0.value) \($0.key.rawValue)" }.joined(separator: ", ")
        StandardError.write("warning: skipped \(total) bad rows\(what.map { " of \($0)" } ?? "") (\(kinds)); first:\n")
        for error in first { StandardError.write("  \(error)\n") }
    }

    private func loadFile(_ file: String) throws -> MarketData {
        do {
            let loaded = try ProgressIndicator.run("loading \(file)") {
                try MarketDataFile.load(path: file, options: .init(skipBadRows: skipBadRows))
            }
            if loaded.leadingRowsDropped > 0 {
                StandardError.write("note: \(loaded.leadingRowsDropped) leading rows dropped (prices not yet known)\n")
            }
            Self.warnSkipped(loaded.skippedByKind, first: loaded.firstErrors)
            return loaded.data
        } catch {
            throw CommandFailure(error)
        }
    }
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
