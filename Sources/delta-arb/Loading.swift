import ArgumentParser
import DeltaArbitrage

/// Options shared by the commands that read a CSV file.
struct InputOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("CSV book-ticker file to read.", valueName: "file"))
    var file: String

    @Flag(help: "Skip malformed rows (reporting how many, by kind, on stderr) instead of stopping at the first.")
    var skipBadRows = false

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
