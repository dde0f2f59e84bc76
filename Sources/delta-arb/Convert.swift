import ArgumentParser
import DeltaArbitrage

struct Convert: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write market data as an Arrow IPC file (Feather v2).",
        discussion: """
            Reads what the other commands read (a CSV or Arrow file, --spot/--futures files, or --db) and writes the \
            merged nine columns to --out as an uncompressed Arrow IPC file: timestamp as \
            timestamp[UNIT, tz=UTC], then spot_ask_price, spot_bid_price, spot_ask_quantity, \
            spot_bid_quantity, fut_ask_price, fut_bid_price, fut_ask_quantity, \
            fut_bid_quantity as float64 (a quantity the input lacked is NaN), in one record \
            batch unless --rows-per-batch says otherwise. pyarrow (pyarrow.feather.read_table), \
            polars (read_ipc) and pandas (read_feather) read it, and every command here reads \
            it instead of CSV: give the .arrow file where a CSV file goes; the format is told \
            by the content, not the name. A file in one batch with ns timestamps is read in \
            place (memory-mapped, nothing parsed or copied: loading is one pass of row checks); \
            with ms timestamps only the times are converted; a file of several batches is \
            copied. The file is written under a temporary name and renamed, so a failed \
            write leaves no partial file, and commands using the old file are not disturbed.
            """
    )

    enum Unit: String, ExpressibleByArgument, CaseIterable {
        case ms, ns
        var arrow: ArrowTimestampUnit { self == .ms ? .millisecond : .nanosecond }
    }

    @OptionGroup var input: InputOptions

    @Option(name: [.short, .long], help: ArgumentHelp("Arrow file to write (replaced if it exists).", valueName: "file"))
    var out: String

    @Option(help: ArgumentHelp("Unit of the timestamp column: ns keeps every time; ms is refused (exit 64, naming the first row) when a time is not a whole millisecond.",
                               valueName: "ms|ns"))
    var timestampUnit: Unit = .ns

    @Option(help: ArgumentHelp("Rows per Arrow record batch (default: all rows in one batch, which is read in place; smaller batches suit readers that stream a file batch by batch).",
                               valueName: "rows"))
    var rowsPerBatch: Int?

    func validate() throws {
        try input.refuseSplit(command: "convert")
        if let rowsPerBatch, rowsPerBatch < 1 {
            throw ValidationError("--rows-per-batch \(rowsPerBatch): must be at least 1")
        }
    }

    func run() async throws {
        try await reportingFailures {
            let data = try await input.load()
            _ = try input.checkGaps(data)
            let writer = ArrowFileWriter(timestampUnit: timestampUnit.arrow, rowsPerBatch: rowsPerBatch ?? .max)
            do {
                try ProgressIndicator.run("writing \(out)") { try writer.write(data, to: out) }
            } catch let error as MarketDataError where error.kind == .invalidTimestamp {
                throw UsageFailure("--timestamp-unit \(timestampUnit.rawValue): \(error.detail)"
                    .replacingOccurrences(of: "(timestamp unit ns)", with: "(--timestamp-unit ns)"))
            }
            StandardError.write("wrote \(Format.count(data.count)) rows to \(out) (\(DataSpan(data).text))\n")
        }
    }
}
