#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads market data from CSV text (see docs/design.md, "Market data (input)").
///
/// The first line is the header; it names the columns in any order. Required:
/// `timestamp`, `spot_ask_price`, `spot_bid_price`, `fut_ask_price`,
/// `fut_bid_price` (names match ignoring ASCII case). Optional: `spot_ask_quantity`, `spot_bid_quantity`,
/// `fut_ask_quantity`, `fut_bid_quantity` (absent columns load as NaN).
/// Other columns are ignored. A UTF-8 byte-order mark, CRLF line ends, a
/// missing final newline and blank lines are accepted.
///
/// * Timestamps, converted exactly to `Int64` nanoseconds (no `Double` on the way):
///   - ISO-8601: `YYYY-MM-DD`, then optionally `T`/`t`/space and `HH:MM:SS`,
///     a fraction of 1–9 digits after `.` or `,`, and a zone `Z`, `±HH:MM`,
///     `±HHMM` or `±HH`. No zone means UTC; a date alone means midnight UTC;
///     leap seconds are rejected.
///   - An epoch number `[-]digits[.digits]`, the unit told by the integer
///     part: below 10^11 seconds, below 10^14 milliseconds, below 10^17
///     microseconds, otherwise nanoseconds. A fraction may go down to the
///     nanosecond; finer non-zero digits are rejected, not rounded.
///   - Times outside the `Int64` nanosecond range (1677–2262) are rejected.
/// * Numbers: plain decimal text, correctly rounded to `Double`; `nan`,
///   `inf` and hexadecimal are errors.
/// * An empty price or quantity field repeats the value from the row above.
///   Rows before all four prices are known are dropped and counted. A
///   quantity never seen stays NaN.
/// * Quoting: a field wholly enclosed in double quotes with no quote or comma
///   inside is accepted; other quoting is `.invalidQuoting`.
///
/// * Time order: rows must not go back in time. A row out of order is judged
///   against the rows on both sides (see `CSVRowValidator`): a far-future
///   typo is the bad row, not every good row after it.
/// * Lines are at most `MarketDataCSVOptions.maxLineBytes` (64 KiB) long.
///
/// Errors name the file, the 1-based line (the header is line 1), the column
/// and its 1-based field number; quoted input is capped at 80 characters. A
/// header without the required columns is shown as read, with the cause when
/// it shows (gzip/zip/zstd/xz/bzip2 data, UTF-16 text, `;`, tab or `|`
/// separators, a `#` comment line). By default the first bad row throws; with
/// `MarketDataCSVOptions.skipBadRows` bad rows are counted instead.
///
/// The text is handled in blocks that end at line boundaries (a large file
/// is mapped and parsed in place as one block; otherwise blocks of 16 MiB,
/// the next read while one is parsed: two buffers), cut into pieces of
/// 512 KiB at line ends. Each piece is parsed straight into
/// small reused column buffers (several pieces at once on several cores when
/// the block is large), then checked and appended in file order by the
/// thread that parsed it while the others parse on, so the result never
/// depends on the split.
public struct MarketDataCSVLoader: Sendable {
    /// Strict or skipping, and whether to use several cores.
    public var options: MarketDataCSVOptions
    /// Smallest chunk worth a thread of its own. Internal so that tests can
    /// exercise chunk boundaries on small inputs.
    var minimumChunkBytes = 4 << 20
    /// Chunk count cap; nil means one per core (at most 8). Internal for tests.
    var maximumChunks: Int? = nil
    /// Bytes of text handled per block; blocks end at line boundaries. Internal for tests.
    /// 16 MiB: two of them (`LineBlockReader.readAhead`) take what one 32 MiB
    /// block took, keeping the peak memory of a load near the columns' bytes.
    var blockBytes = 16 << 20
    /// Bytes of text per piece, the unit the parsing threads take in turn
    /// (see `CSVLoadSession.consume`). Internal for tests.
    var pieceBytes = 512 << 10
    /// Regular files at least this large are memory-mapped and parsed in
    /// place (no copy into read buffers; each piece's pages are released
    /// once its rows are appended, so few file pages stay resident);
    /// smaller ones, pipes and devices are read. Internal for tests.
    var mappedMinimumBytes = 1 << 20
    /// Whether plain lines take the fast row path (`CSVChunkParser.fastRow`);
    /// off in tests only, to check that path against the general one.
    var fastRows = true
    /// Whether the fast paths use the AVX2 kernels of `CIntrinsics` (only
    /// where the processor has AVX2; the parser checks) or their portable
    /// Swift twins; tests run both. Internal for tests.
    var vectorInstructions = true

    /// A loader with `options` (strict and parallel by default).
    public init(options: MarketDataCSVOptions = MarketDataCSVOptions()) {
        self.options = options
    }

    /// Loads the CSV file at `path` (the text is never resident as a whole):
    /// a regular file of 1 MiB or more is memory-mapped and parsed in place,
    /// its pages released piece by piece once appended; smaller files, pipes
    /// and devices are read in blocks into two buffers, the next read while
    /// one is parsed. The memory taken is what the loaded rows need plus a
    /// block or two, whatever the input (a line over
    /// `MarketDataCSVOptions.maxLineBytes` stops the load). A mapped file
    /// must not be truncated while it loads, and a read error of the disk
    /// or network file system under it cannot be reported as an error: the
    /// system stops the process (`SIGBUS`), as for any mapped file.
    /// Appending to the file while it loads is harmless. A path
    /// that cannot be opened or read, or is a directory, is an
    /// `.unreadableFile` error with the system's reason.
    public func load(path: String) throws(MarketDataError) -> MarketDataCSVLoadResult {
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            throw MarketDataError(kind: .unreadableFile, file: path, detail: "cannot open: \(Self.errnoText())")
        }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) != 0 {
            throw MarketDataError(kind: .unreadableFile, file: path, detail: "cannot stat: \(Self.errnoText())")
        }
        if info.st_mode & S_IFMT == S_IFDIR {
            throw MarketDataError(kind: .unreadableFile, file: path, detail: "is a directory, not a CSV file")
        }
        // Pipes and devices report no size; they are read like files, in blocks.
        let isRegular = info.st_mode & S_IFMT == S_IFREG
        // A file system that cannot map the file is read like any other;
        // the read reports what really stops it.
        if isRegular && Int(info.st_size) >= mappedMinimumBytes,
           let file = try? MappedFile(descriptor: fd, size: Int(info.st_size), path: path, populate: false) {
            file.adviseSequential()
            return try load(buffer: file.bytes, name: path, release: file.release)
        }
        let session = makeSession(name: path, expectedBytes: isRegular ? Int(info.st_size) : 0)
        let maxLineBytes = CSVLoadSession.lineLimit(options)

        // The next block is read while this one is parsed (`readAhead`).
        try LineBlockReader.readAhead(
            file: path, blockBytes: blockBytes, maxLineBytes: maxLineBytes,
            read: { @Sendable (into, capacity) throws(MarketDataError) -> Int in
                while true {
                    let got = systemRead(fd, into, capacity)
                    if got >= 0 { return got }
                    if errno != EINTR {
                        throw MarketDataError(kind: .unreadableFile, file: path, detail: "read failed: \(Self.errnoText())")
                    }
                }
            },
            nextLine: { session.nextLineNumber },
            consume: { (buffer, range) throws(MarketDataError) in try session.consume(buffer, range) })
        return try session.finish()
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
        try load(buffer: buffer, name: name, release: nil)
    }

    /// `load(buffer:name:)`; with `release` (a mapped file), the buffer is
    /// taken as one block, whose pieces are released as they are appended:
    /// no pause between blocks, and only the pieces in flight resident.
    private func load(buffer: UnsafeRawBufferPointer, name: String?,
                      release: ((Range<Int>) -> Void)?) throws(MarketDataError) -> MarketDataCSVLoadResult {
        let session = makeSession(name: name, expectedBytes: buffer.count)
        let bytes = buffer.bindMemory(to: UInt8.self)
        if let base = bytes.baseAddress {
            var start = 0
            let end = bytes.count
            let step = release == nil ? max(blockBytes, 1) : end
            while start < end {
                var cut = min(start + step, end)
                if cut < end {
                    while cut < end && base[cut - 1] != 0x0A { cut += 1 }
                }
                try session.consume(base, start..<cut, release: release)
                start = cut
            }
        }
        return try session.finish()
    }

    private func makeSession(name: String?, expectedBytes: Int) -> CSVLoadSession {
        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return CSVLoadSession(name: name, options: options, minimumChunkBytes: minimumChunkBytes,
                              maximumChunks: maximumChunks ?? min(max(cores, 1), 8), expectedBytes: expectedBytes,
                              fastRows: fastRows, vectorInstructions: vectorInstructions, pieceBytes: pieceBytes)
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}

extension MarketData {
    /// Loads a CSV file with `MarketDataCSVLoader`; see there for the format.
    public static func loadCSV(at path: String,
                               options: MarketDataCSVOptions = MarketDataCSVOptions()) throws(MarketDataError) -> MarketDataCSVLoadResult {
        try MarketDataCSVLoader(options: options).load(path: path)
    }
}

/// read(2), named apart from the closure parameters called `read`.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutablePointer<UInt8>, _ count: Int) -> Int {
    read(fd, buffer, count)
}
