import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads market data from CSV text (see DESIGN.md, "Market data (input)").
///
/// The first line is the header; it names the columns in any order. Required:
/// `timestamp`, `spot_ask_price`, `spot_bid_price`, `fut_ask_price`,
/// `fut_bid_price`. Optional: `spot_ask_quantity`, `spot_bid_quantity`,
/// `fut_ask_quantity`, `fut_bid_quantity` (absent columns load as NaN).
/// Other columns are ignored. A UTF-8 byte-order mark, CRLF line ends, a
/// missing final newline and blank lines are accepted.
///
/// * Timestamps: ISO-8601 or epoch seconds / ms / µs / ns, see `TimestampParser`
///   for the exact grammar and the magnitude cut-offs (10^11, 10^14, 10^17).
/// * Numbers: plain decimal text, correctly rounded to `Double`; `nan`,
///   `inf` and hexadecimal are errors.
/// * An empty price or quantity field repeats the value from the row above.
///   Rows before all four prices are known are dropped and counted. A
///   quantity never seen stays NaN.
/// * Quoting: a field wholly enclosed in double quotes with no quote or comma
///   inside is accepted; other quoting is `.invalidQuoting`.
///
/// Errors name the file, the 1-based line (the header is line 1), the column
/// and its 1-based field number. By default the first bad row throws; with
/// `MarketDataCSVOptions.skipBadRows` bad rows are counted instead.
///
/// The text is parsed in place from one buffer, straight into column
/// buffers; large inputs are split at line boundaries and parsed on several
/// cores, then checked in file order, so the result never depends on the split.
public struct MarketDataCSVLoader: Sendable {
    public var options: MarketDataCSVOptions
    /// Smallest chunk worth a thread of its own. Internal so that tests can
    /// exercise chunk boundaries on small inputs.
    var minimumChunkBytes = 4 << 20
    /// Chunk count cap; nil means one per core (at most 8). Internal for tests.
    var maximumChunks: Int? = nil

    public init(options: MarketDataCSVOptions = MarketDataCSVOptions()) {
        self.options = options
    }

    /// Loads the CSV file at `path`.
    public func load(path: String) throws(MarketDataError) -> MarketDataCSVLoadResult {
        let name = path
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            throw MarketDataError(kind: .unreadableFile, file: name, detail: "cannot open: \(Self.errnoText())")
        }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) != 0 {
            throw MarketDataError(kind: .unreadableFile, file: name, detail: "cannot stat: \(Self.errnoText())")
        }
        let size = Int(info.st_size)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 16)
        defer { buffer.deallocate() }
        var filled = 0
        while filled < size {
            let got = read(fd, buffer.baseAddress! + filled, size - filled)
            if got < 0 {
                if errno == EINTR { continue }
                throw MarketDataError(kind: .unreadableFile, file: name, detail: "read failed: \(Self.errnoText())")
            }
            if got == 0 { break }  // file shrank while reading: use what is there
            filled += got
        }
        return try load(buffer: UnsafeRawBufferPointer(rebasing: buffer[0..<filled]), name: name)
    }

    /// Loads CSV bytes; `name` stands in for the file name in errors.
    public func load(bytes: [UInt8], name: String? = nil) throws(MarketDataError) -> MarketDataCSVLoadResult {
        // `withUnsafeBytes` rethrows untyped errors; carry the typed one out in a Result.
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(MarketDataError) -> MarketDataCSVLoadResult in try load(buffer: raw, name: name) }
        }
        return try result.get()
    }

    /// Loads CSV text; `name` stands in for the file name in errors.
    public func load(text: String, name: String? = nil) throws(MarketDataError) -> MarketDataCSVLoadResult {
        try load(bytes: Array(text.utf8), name: name)
    }

    /// Loads CSV bytes from memory the caller owns for the duration of the call
    /// (a file read or mapped by the caller, a network buffer).
    public func load(buffer: UnsafeRawBufferPointer, name: String? = nil) throws(MarketDataError) -> MarketDataCSVLoadResult {
        let bytes = buffer.bindMemory(to: UInt8.self)
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            throw MarketDataError(kind: .emptyInput, file: name, detail: "the input is empty; expected a header row")
        }
        var start = 0
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { start = 3 }
        let end = bytes.count

        var headerEnd = start
        while headerEnd < end && bytes[headerEnd] != 0x0A { headerEnd += 1 }
        let dataStart = min(headerEnd + 1, end)
        var headerTextEnd = headerEnd
        if headerTextEnd > start && bytes[headerTextEnd - 1] == 0x0D { headerTextEnd -= 1 }
        if headerTextEnd == start && dataStart == end {
            throw MarketDataError(kind: .emptyInput, file: name, detail: "the input is empty; expected a header row")
        }
        let layout = try CSVColumnLayout(header: UnsafeBufferPointer(rebasing: bytes[start..<headerTextEnd]), file: name)
        let parser = CSVChunkParser(layout: layout, file: name, skipBadRows: options.skipBadRows,
                                    maxErrors: max(0, options.maxReportedErrors))

        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let chunkCount = options.parallel
            ? min(maximumChunks ?? min(max(cores, 1), 8), (end - dataStart) / max(minimumChunkBytes, 1))
            : 1
        let ranges = Self.chunkRanges(base, dataStart..<end, count: chunkCount)
        let rowsPerByte = Self.estimatedRowsPerByte(base, dataStart..<end)
        var chunks: [CSVChunk] = []
        if ranges.count == 1 {
            chunks = [parser.parse(base, range: ranges[0], estimatedRows: Int(Double(ranges[0].count) * rowsPerByte))]
        } else {
            let results = ChunkSlots(count: ranges.count)
            let input = InputBytes(base: base)
            DispatchQueue.concurrentPerform(iterations: ranges.count) { index in
                let range = ranges[index]
                results.set(index, parser.parse(input.base, range: range,
                                                estimatedRows: Int(Double(range.count) * rowsPerByte)))
            }
            chunks = results.all()
        }

        // Check rows in file order; in strict mode stop at the first chunk that failed to
        // parse, after validating the rows before its bad line (an earlier error wins).
        var validator = CSVRowValidator(parser: parser)
        var firstLine = 2
        var parseErrors: [MarketDataError] = []
        var parseSkipped = 0
        var parseSkippedByKind: [MarketDataError.Kind: Int] = [:]
        var blankLines = 0
        var dataLines = 0
        for chunk in chunks {
            try validator.validate(chunk, firstLine: firstLine)
            if var fatal = chunk.fatal {
                fatal.line = (fatal.line ?? 0) + firstLine
                throw fatal
            }
            for var error in chunk.errors {
                error.line = (error.line ?? 0) + firstLine
                parseErrors.append(error)
            }
            parseSkipped += chunk.skipped
            parseSkippedByKind.merge(chunk.skippedByKind, uniquingKeysWith: +)
            blankLines += chunk.blankLines
            dataLines += chunk.lineCount - chunk.blankLines
            firstLine += chunk.lineCount
        }

        let total = chunks.reduce(0) { $0 + $1.columns.count }
        if total == 0 {
            if dataLines == 0 {
                throw MarketDataError(kind: .emptyInput, file: name, line: 1, detail: "header row but no data rows")
            }
            throw MarketDataError(kind: .noCompleteRows, file: name,
                                  detail: "no row has all four prices: \(dataLines) data lines, "
                                      + "\(validator.leadingDropped) dropped before every price was known, "
                                      + "\(validator.skipped + parseSkipped) skipped as bad")
        }

        let timestamps = [Int64](unsafeUninitializedCapacity: total) { buffer, count in
            for chunk in chunks {
                (buffer.baseAddress! + count).update(from: chunk.columns.timestamps, count: chunk.columns.count)
                count += chunk.columns.count
            }
        }
        func column(_ slot: Int) -> [Double] {
            guard let k = parser.storeSlot.firstIndex(of: slot) else { return [] }
            return [Double](unsafeUninitializedCapacity: total) { buffer, count in
                for chunk in chunks {
                    (buffer.baseAddress! + count).update(from: chunk.columns.values[k], count: chunk.columns.count)
                    count += chunk.columns.count
                }
            }
        }
        let data = try MarketData(
            timestamps: timestamps,
            spotAskPrice: column(1), spotBidPrice: column(2),
            futAskPrice: column(3), futBidPrice: column(4),
            spotAskQuantity: column(5), spotBidQuantity: column(6),
            futAskQuantity: column(7), futBidQuantity: column(8))

        var errors = parseErrors + validator.errors
        errors.sort { ($0.line ?? 0) < ($1.line ?? 0) }
        return MarketDataCSVLoadResult(
            data: data,
            leadingRowsDropped: validator.leadingDropped,
            rowsSkipped: parseSkipped + validator.skipped,
            skippedByKind: parseSkippedByKind.merging(validator.skippedByKind, uniquingKeysWith: +),
            firstErrors: Array(errors.prefix(max(0, options.maxReportedErrors))),
            blankLines: blankLines)
    }

    /// `count` chunks of about equal size, each ending just after a newline.
    static func chunkRanges(_ base: UnsafePointer<UInt8>, _ range: Range<Int>, count: Int) -> [Range<Int>] {
        if count <= 1 { return [range] }
        var ranges: [Range<Int>] = []
        var start = range.lowerBound
        for i in 1..<count {
            var cut = max(start, range.lowerBound + range.count / count * i)
            while cut < range.upperBound && base[cut] != 0x0A { cut += 1 }
            cut = min(cut + 1, range.upperBound)
            if cut > start {
                ranges.append(start..<cut)
                start = cut
            }
        }
        if start < range.upperBound { ranges.append(start..<range.upperBound) }
        return ranges
    }

    /// Rows per byte from the first 64 KiB, padded, to reserve column capacity
    /// once (reserved pages that are never written cost nothing).
    static func estimatedRowsPerByte(_ base: UnsafePointer<UInt8>, _ range: Range<Int>) -> Double {
        let sample = min(range.count, 1 << 16)
        guard sample > 0 else { return 0 }
        var lines = 1
        for i in range.lowerBound..<(range.lowerBound + sample) where base[i] == 0x0A { lines += 1 }
        return Double(lines) / Double(sample) * 1.1
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}

/// The input buffer, shared read-only by the parsing threads. `@unchecked
/// Sendable`: nobody writes to it while they run, and it outlives them.
private struct InputBytes: @unchecked Sendable {
    let base: UnsafePointer<UInt8>
}

/// One result slot per parallel chunk. `@unchecked Sendable`: each slot is
/// written by exactly one `concurrentPerform` iteration and read only after
/// `concurrentPerform` has returned.
private final class ChunkSlots: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<CSVChunk?>

    init(count: Int) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: nil)
    }

    deinit {
        _ = storage.deinitialize()
        storage.deallocate()
    }

    func set(_ index: Int, _ chunk: CSVChunk) { storage[index] = chunk }

    func all() -> [CSVChunk] { storage.compactMap { $0 } }
}

extension MarketData {
    /// Loads a CSV file with `MarketDataCSVLoader`; see there for the format.
    public static func loadCSV(at path: String,
                               options: MarketDataCSVOptions = MarketDataCSVOptions()) throws(MarketDataError) -> MarketDataCSVLoadResult {
        try MarketDataCSVLoader(options: options).load(path: path)
    }
}
