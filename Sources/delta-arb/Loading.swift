import ArgumentParser
import DeltaArbitrage

/// Options shared by the commands that read a CSV file.
struct InputOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("CSV book-ticker file to read.", valueName: "file"))
    var file: String

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

    /// Loads the file, turning a data error into a one-line message and exit status 1.
    func load() throws -> MarketData {
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
        try check.enforce(file: file)
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
