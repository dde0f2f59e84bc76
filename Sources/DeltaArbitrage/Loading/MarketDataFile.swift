#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Market-data files in every format the engine reads, told apart by their
/// first bytes, never by the file name: an Arrow IPC file (`ARROW1`, or the
/// Arrow stream marker, refused with a clear error) goes to
/// `ArrowFileReader`, anything else to `MarketDataCSVLoader` (which explains
/// compressed or binary input it cannot read). Pipes and devices are read
/// as CSV: peeking at them would consume their bytes.
public enum MarketDataFile {
    /// A file format the loaders read.
    public enum Format: String, Sendable, Equatable {
        case csv
        case arrow
    }

    /// The format of the file at `path`, from its first 8 bytes (CSV when it
    /// cannot be read here: the CSV loader then reports why).
    public static func format(ofFileAt path: String) -> Format {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return .csv }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return .csv }
        var prefix = [UInt8](repeating: 0, count: 8)
        let got = prefix.withUnsafeMutableBytes { read(fd, $0.baseAddress, 8) }
        return got > 0 && ArrowFileReader.looksLikeArrow(prefix[0..<got]) ? .arrow : .csv
    }

    /// Loads the file at `path` with the loader its format needs; `options`
    /// apply to both (bad rows, reported errors, threads).
    public static func load(path: String,
                            options: MarketDataCSVOptions = MarketDataCSVOptions()) throws(MarketDataError) -> MarketDataCSVLoadResult {
        switch format(ofFileAt: path) {
        case .arrow: return try ArrowFileReader(options: options).load(path: path)
        case .csv: return try MarketDataCSVLoader(options: options).load(path: path)
        }
    }
}
