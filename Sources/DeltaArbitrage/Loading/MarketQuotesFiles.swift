/// One market's quotes from several files (a month of daily captures), read
/// with `MarketQuotesCSVReader` and put end to end in time order.
///
/// The files may be given in any order: they are ordered by their first
/// quote's time. Files must not overlap: a file whose first quote is earlier
/// than the previous file's last is a `.timeRangesConflict` error naming both
/// files and both times. One instant may end a file and begin the next (a
/// daily capture's midnight quote can be in both days' files): both quotes
/// are kept, the later file's last, so the merge takes the later file's.
/// Files without quotes add nothing. Each file may have its own layout and
/// compression.
public enum MarketQuotesFiles {
    /// What one file contributed.
    public struct File: Sendable, Equatable {
        /// The path as given.
        public var path: String
        /// The layout its header named.
        public var layout: MarketQuotesCSVReader.Layout
        /// How it was stored.
        public var compression: FileCompression
        /// Quotes read.
        public var count: Int
        /// Its first quote's time (ns since the epoch), nil when it has none.
        public var first: Int64?
        /// Its last quote's time (ns since the epoch), nil when it has none.
        public var last: Int64?
        /// Tardis rows with an empty side, left out.
        public var oneSidedRows: Int
        /// Rows put back in the layout's order.
        public var reorderedRows: Int
        /// Bad rows left out under `skipBadRows`, by kind.
        public var skippedByKind: [MarketDataError.Kind: Int] = [:]
        /// The first few bad rows left out.
        public var firstSkipped: [MarketDataError] = []
    }

    /// Reads every file of `paths` and joins them; `files` lists them in the order used.
    /// `skipBadRows` applies to every file (`MarketQuotesCSVReader.read`).
    public static func read(paths: [String], skipBadRows: Bool = false) throws(MarketDataError) -> (quotes: MarketQuotes, files: [File]) {
        var loaded: [(path: String, result: MarketQuotesCSVReader.Loaded)] = []
        for path in paths {
            loaded.append((path, try MarketQuotesCSVReader.read(path: path, skipBadRows: skipBadRows)))
        }
        // Stable: files without quotes keep their place among the others' order.
        loaded.sort { ($0.result.quotes.timestamps.first ?? .min) < ($1.result.quotes.timestamps.first ?? .min) }
        var previous: (path: String, last: Int64)?
        for (path, result) in loaded {
            guard let first = result.quotes.timestamps.first, let last = result.quotes.timestamps.last else { continue }
            if let previous, first < previous.last {
                throw MarketDataError(kind: .timeRangesConflict, file: path,
                                      detail: "overlaps \(previous.path): its first quote (\(UTCTime.iso8601(nanoseconds: first))) is earlier than the last quote of \(previous.path) (\(UTCTime.iso8601(nanoseconds: previous.last))); give each stretch of time once")
            }
            previous = (path, last)
        }
        let files = loaded.map { path, result in
            File(path: path, layout: result.layout, compression: result.compression, count: result.quotes.count,
                 first: result.quotes.timestamps.first, last: result.quotes.timestamps.last,
                 oneSidedRows: result.oneSidedRows, reorderedRows: result.reorderedRows,
                 skippedByKind: result.skippedByKind, firstSkipped: result.firstSkipped)
        }
        if loaded.count == 1 { return (loaded[0].result.quotes, files) }
        var quotes = MarketQuotes()
        quotes.reserveCapacity(loaded.reduce(0) { $0 + $1.result.quotes.count })
        for index in loaded.indices {
            let part = loaded[index].result.quotes
            quotes.timestamps.append(contentsOf: part.timestamps)
            quotes.bidPrice.append(contentsOf: part.bidPrice)
            quotes.bidQuantity.append(contentsOf: part.bidQuantity)
            quotes.askPrice.append(contentsOf: part.askPrice)
            quotes.askQuantity.append(contentsOf: part.askQuantity)
            // Let each file's columns go as soon as they are copied.
            loaded[index].result.quotes = MarketQuotes()
        }
        return (quotes, files)
    }
}
