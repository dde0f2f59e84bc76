#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads one market's book tickers from a CSV file into `MarketQuotes`. The
/// layout is told by the header (see `Layout`); the storage — plain, gzip or
/// a zip holding one file — by the file's first bytes (see `FileCompression`),
/// decompressed as it is read, never to disk.
///
/// The header follows `MarketDataCSVLoader`'s rules: names in any order,
/// matched ignoring ASCII case after trimming spaces, tabs and one pair of
/// double quotes; other columns ignored; a known column named twice is an
/// error. A UTF-8 byte-order mark, CRLF and blank lines are accepted; a field
/// wholly enclosed in double quotes is read without them. Numbers are parsed
/// by the loader's parser (correctly rounded). Each row is checked — positive
/// prices, non-negative quantities, bid at most ask — and the first bad row
/// throws a `MarketDataError` naming the file, the line and the column; a
/// header that is none of the layouts names the headers expected.
///
/// Time order: the generic layout must be in time order (a row earlier than
/// the one above is an error; equal timestamps are kept in file order). The
/// exchange captures are kept in the vendor's order key instead, because
/// their files are not always written in it (Binance's 2024 bookTicker files
/// interleave rows; Tardis writes rows in arrival order, so the exchange's
/// `timestamp` can step back): their rows are put in order by (`event_time`,
/// `update_id`) for Binance and by (`timestamp`, file order) for Tardis, and
/// `Loaded.reorderedRows` counts the rows that were out of it.
///
/// The text is read in blocks and parsed byte by byte straight into the
/// columns; nothing is allocated per row.
public enum MarketQuotesCSVReader {
    /// The one-market layouts, told apart by their header.
    public enum Layout: String, Sendable, Equatable, CaseIterable {
        /// `timestamp,bid_price,bid_qty,ask_price,ask_qty` (`bid_quantity`/`ask_quantity`
        /// also accepted): any timestamp form the loader accepts (ISO 8601 or an
        /// epoch number, its unit told by magnitude). Every field is required.
        case generic = "one-market CSV"
        /// Binance USD-M / COIN-M futures daily `bookTicker` archives:
        /// `update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time`.
        /// The quote's time is `event_time`, integer epoch milliseconds;
        /// `update_id` orders quotes of equal time. Files from before Binance
        /// added header rows (a first line of seven numbers) are read as this layout.
        case binanceBookTicker = "Binance bookTicker"
        /// Tardis.dev `quotes` / `book_ticker` datasets:
        /// `exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount`.
        /// The quote's time is `timestamp` (the exchange's), integer epoch
        /// microseconds. Tardis leaves a side's price and amount empty when the
        /// book has no order on that side: such one-sided rows cannot be a
        /// quote and are left out, counted in `Loaded.oneSidedRows`. One file
        /// must hold one market: `exchange` and `symbol`, when present, must not change.
        case tardisQuotes = "Tardis quotes"

        /// The header row the layout is named by.
        public var header: String {
            switch self {
            case .generic: "timestamp,bid_price,bid_qty,ask_price,ask_qty"
            case .binanceBookTicker: "update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time"
            case .tardisQuotes: "exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount"
            }
        }
    }

    /// A file's quotes and how they were read.
    public struct Loaded: Sendable, Equatable {
        /// The quotes, in time order.
        public var quotes: MarketQuotes
        /// The layout the header named.
        public var layout: Layout
        /// How the file was stored.
        public var compression: FileCompression
        /// False for a Binance file without a header row.
        public var hasHeader: Bool
        /// Tardis rows with an empty side, left out.
        public var oneSidedRows: Int
        /// Rows that were earlier (in the layout's order key) than a row above them and were put in order.
        public var reorderedRows: Int
        /// Bad rows left out under `skipBadRows`, by kind.
        public var skippedByKind: [MarketDataError.Kind: Int] = [:]
        /// The first few bad rows left out, as the errors they would have been.
        public var firstSkipped: [MarketDataError] = []
        /// Bad rows left out under `skipBadRows`.
        public var skippedRows: Int { skippedByKind.values.reduce(0, +) }
        /// The exchange's update id of each quote (Binance `update_id`), in
        /// the quotes' order; nil for layouts without one.
        public var sequenceNumbers: [Int64]? = nil
    }

    /// Reads the file at `path` (plain, gzip or zip).
    ///
    /// With `skipBadRows`, a row with a bad field (unparsable, missing, extra,
    /// non-positive price, negative quantity, bid above ask) is left out and
    /// counted instead of stopping the read, as `--skip-bad-rows` does for the
    /// merged CSV. A generic-layout row earlier than the row above, a line
    /// over the length limit, an unrecognised header and a file that changes
    /// market still stop it: those say the file is not what it seems.
    public static func read(path: String, maxLineBytes: Int = MarketDataCSVOptions.defaultMaxLineBytes,
                            skipBadRows: Bool = false) throws(MarketDataError) -> Loaded {
        let input = try FileInput(path: path)
        var parser = QuoteTextParser(name: path, maxLineBytes: maxLineBytes)
        parser.skipBadRows = skipBadRows
        parser.reserve(bytes: input.plainSize)
        try LineBlockReader.read(
            file: path, blockBytes: 1 << 20, maxLineBytes: maxLineBytes,
            read: { (into, capacity) throws(MarketDataError) -> Int in try input.read(into: into, capacity: capacity) },
            nextLine: { parser.line + 1 },
            consume: { (buffer, range) throws(MarketDataError) in try parser.consume(buffer, range) })
        return try parser.finish(compression: input.compression)
    }

    /// Reads CSV bytes (plain text); `name` stands in for the file name in errors.
    public static func read(bytes: [UInt8], name: String? = nil, skipBadRows: Bool = false) throws(MarketDataError) -> Loaded {
        var parser = QuoteTextParser(name: name, maxLineBytes: MarketDataCSVOptions.defaultMaxLineBytes)
        parser.skipBadRows = skipBadRows
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(MarketDataError) -> Loaded in
                if let base = buffer.baseAddress { try parser.consume(base, 0..<buffer.count) }
                return try parser.finish(compression: .none)
            }
        }
        return try result.get()
    }

    /// The quotes of the file at `path`, when how they were read does not matter.
    public static func load(path: String) throws(MarketDataError) -> MarketQuotes {
        try read(path: path).quotes
    }

    /// The quotes of CSV text; `name` stands in for the file name in errors.
    public static func load(text: String, name: String? = nil) throws(MarketDataError) -> MarketQuotes {
        try read(bytes: Array(text.utf8), name: name).quotes
    }
}

/// What a field of a one-market row is.
private enum QuoteField: UInt8 {
    case ignored, time, bidPrice, bidQuantity, askPrice, askQuantity, sequence, exchange, symbol
}

/// The parse of one file's text, block after block (each block a run of whole lines).
private struct QuoteTextParser {
    let name: String?
    let maxLineBytes: Int
    /// Lines seen so far (the header included).
    private(set) var line = 0

    private var layout: MarketQuotesCSVReader.Layout = .generic
    private var hasHeader = true
    private var started = false
    /// Per field: its role; the names errors use.
    private var roles: [QuoteField] = []
    private var fieldNames: [String] = []
    /// 0: any timestamp form; else the integer epoch unit in nanoseconds.
    private var timeScale: Int64 = 0
    private var unitName = ""

    private var quotes = MarketQuotes()
    private var sequences: [Int64] = []
    /// Leave bad rows out (counting them) instead of stopping at the first.
    var skipBadRows = false
    private var skippedByKind: [MarketDataError.Kind: Int] = [:]
    private var firstSkipped: [MarketDataError] = []
    /// The row problems `skipBadRows` leaves out; every other error stops the read.
    static let skippableKinds: Set<MarketDataError.Kind> = [
        .missingField, .extraField, .invalidNumber, .invalidTimestamp, .nonPositivePrice, .negativeQuantity, .crossedBook,
    ]
    private var lastTime = Int64.min
    private var lastSequence = Int64.min
    private var oneSided = 0
    private var reordered = 0
    /// Tardis: the first row's exchange and symbol, which no row may change.
    private var marketText: [[UInt8]?] = [nil, nil]
    private var dateCache = TimestampParser.DateCache()
    private var reserveBytes = 0

    init(name: String?, maxLineBytes: Int) {
        self.name = name
        self.maxLineBytes = maxLineBytes
    }

    mutating func reserve(bytes: Int) { reserveBytes = bytes }

    /// Parses the lines in `range` of `base`; the range ends after a line end or at the end of the input.
    mutating func consume(_ base: UnsafePointer<UInt8>, _ range: Range<Int>) throws(MarketDataError) {
        var p = range.lowerBound
        let end = range.upperBound
        if p >= end { return }
        if !started {
            if end - p >= 3 && base[p] == 0xEF && base[p + 1] == 0xBB && base[p + 2] == 0xBF { p += 3 }
            let lineEnd = Self.lineEnd(base, p, end)
            var e = lineEnd
            if e > p && base[e - 1] == 0x0D { e -= 1 }
            try readHeader(UnsafeBufferPointer(start: base + p, count: e - p))
            started = true
            if hasHeader {
                line = 1
                p = lineEnd + 1
            }
            if reserveBytes > 0 {
                // Rows are about as long as the first line.
                quotes.reserveCapacity(reserveBytes / max(lineEnd + 1 - range.lowerBound, 16))
            }
        }
        try roles.withUnsafeBufferPointer { roles throws(MarketDataError) in
            while p < end {
                let lineEnd = Self.lineEnd(base, p, end)
                var e = lineEnd
                if e > p && base[e - 1] == 0x0D { e -= 1 }
                line += 1
                let start = p
                p = lineEnd + 1
                if e == start { continue }
                if e - start > maxLineBytes {
                    throw CSVInputText.lineTooLong(file: name, line: line, limit: maxLineBytes, length: e - start, lengthKnown: true,
                                                   start: UnsafeBufferPointer(start: base + start, count: min(e - start, 256)),
                                                   atFileStart: false)
                }
                do throws(MarketDataError) {
                    try row(base, start, e, roles)
                } catch {
                    guard skipBadRows, Self.skippableKinds.contains(error.kind) else { throw error }
                    skippedByKind[error.kind, default: 0] += 1
                    if firstSkipped.count < 5 { firstSkipped.append(error) }
                }
            }
        }
    }

    @inline(__always)
    private static func lineEnd(_ base: UnsafePointer<UInt8>, _ p: Int, _ end: Int) -> Int {
        guard p < end, let hit = memchr(base + p, 0x0A, end - p) else { return end }
        return UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - base
    }

    /// One data line, `start..<e` of `base` (line end removed, not empty).
    @inline(__always)
    private mutating func row(_ base: UnsafePointer<UInt8>, _ start: Int, _ e: Int,
                              _ roles: UnsafeBufferPointer<QuoteField>) throws(MarketDataError) {
        let fieldCount = roles.count
        var time: Int64 = 0, sequence: Int64 = 0
        var bid = 0.0, bidQuantity = 0.0, ask = 0.0, askQuantity = 0.0
        var emptySide = false
        var field = 0
        var q = start
        while true {
            if field >= fieldCount {
                var total = field + 1
                for k in q..<e where base[k] == 0x2C { total += 1 }
                throw failure(.extraField, field: nil, "\(total) fields, the header names \(fieldCount)")
            }
            let role = roles[field]
            var next = q
            switch role {
            case .bidPrice, .bidQuantity, .askPrice, .askQuantity:
                var value = 0.0
                if let (parsed, stop) = DecimalParser.parseUnsignedPrefix(base, from: q, end: e),
                   stop == e || base[stop] == 0x2C {
                    value = parsed
                    next = stop
                } else {
                    next = Self.fieldEnd(base, q, e)
                    let (a, b) = Self.unquoted(base, q, next)
                    if a == b {
                        guard layout == .tardisQuotes else {
                            throw failure(.missingField, field: field, "empty (every field is required in a one-market file)")
                        }
                        emptySide = true
                    } else {
                        guard let parsed = DecimalParser.parse(base + a, count: b - a) else {
                            throw failure(.invalidNumber, field: field, "'\(Self.excerpt(base, a, b))' is not a decimal number")
                        }
                        value = parsed
                    }
                }
                switch role {
                case .bidPrice: bid = value
                case .bidQuantity: bidQuantity = value
                case .askPrice: ask = value
                default: askQuantity = value
                }
            case .time:
                if timeScale > 0 {
                    if let (v, stop) = Self.unsignedInteger(base, q, e), stop == e || base[stop] == 0x2C,
                       v <= Int64.max / timeScale {
                        time = v * timeScale
                        next = stop
                    } else {
                        next = Self.fieldEnd(base, q, e)
                        let (a, b) = Self.unquoted(base, q, next)
                        guard a < b, let (v, stop) = Self.unsignedInteger(base, a, b), stop == b, v <= Int64.max / timeScale else {
                            throw failure(a == b ? .missingField : .invalidTimestamp, field: field,
                                          a == b ? "empty (every row needs its time)"
                                                 : "'\(Self.excerpt(base, a, b))' is not an integer count of epoch \(unitName)")
                        }
                        time = v * timeScale
                    }
                } else if let (v, stop) = Self.unsignedInteger(base, q, e), stop == e || base[stop] == 0x2C,
                          case (let ns, false) = v.multipliedReportingOverflow(by: Self.epochScale(v)) {
                    // An integer epoch: the common case, without a second pass over the field.
                    time = ns
                    next = stop
                } else {
                    next = Self.fieldEnd(base, q, e)
                    let (a, b) = Self.unquoted(base, q, next)
                    guard a < b else {
                        throw failure(.missingField, field: field, "empty (every field is required in a one-market file)")
                    }
                    guard let ns = TimestampParser.parse(base + a, count: b - a, cache: &dateCache) else {
                        throw failure(.invalidTimestamp, field: field,
                                      "'\(Self.excerpt(base, a, b))' is neither ISO-8601 nor an epoch number")
                    }
                    time = ns
                }
            case .sequence:
                next = Self.fieldEnd(base, q, e)
                let (a, b) = Self.unquoted(base, q, next)
                guard a < b, let (v, stop) = Self.unsignedInteger(base, a, b), stop == b else {
                    throw failure(a == b ? .missingField : .invalidNumber, field: field,
                                  a == b ? "empty (every row needs its update id)" : "'\(Self.excerpt(base, a, b))' is not an integer update id")
                }
                sequence = v
            case .exchange, .symbol:
                next = Self.fieldEnd(base, q, e)
                try checkMarket(base, q, next, slot: role == .exchange ? 0 : 1, field: field)
            case .ignored:
                next = Self.fieldEnd(base, q, e)
            }
            field += 1
            if next >= e { break }
            q = next + 1
        }
        if field < fieldCount {
            throw failure(.missingField, field: nil, "\(field) fields, the header names \(fieldCount)")
        }
        if emptySide {
            oneSided += 1
            return
        }
        try check(bid: bid, bidQuantity: bidQuantity, ask: ask, askQuantity: askQuantity, roles)
        if time < lastTime || (time == lastTime && sequence < lastSequence) {
            guard layout != .generic else {
                throw failure(.timeWentBackwards, field: roles.firstIndex(of: .time),
                              "\(UTCTime.iso8601(nanoseconds: time)) is earlier than the row above (\(UTCTime.iso8601(nanoseconds: lastTime)))")
            }
            reordered += 1
        } else {
            lastTime = time
            lastSequence = sequence
        }
        quotes.append(timestamp: time, bidPrice: bid, bidQuantity: bidQuantity, askPrice: ask, askQuantity: askQuantity)
        if layout == .binanceBookTicker { sequences.append(sequence) }
    }

    private func check(bid: Double, bidQuantity: Double, ask: Double, askQuantity: Double,
                       _ roles: UnsafeBufferPointer<QuoteField>) throws(MarketDataError) {
        if bid > 0 && ask > 0 && bidQuantity >= 0 && askQuantity >= 0 && bid <= ask { return }
        let field = { (role: QuoteField) in roles.firstIndex(of: role) }
        if !(bid > 0) { throw failure(.nonPositivePrice, field: field(.bidPrice), "\(NumberText.plain(bid)) is not positive") }
        if !(ask > 0) { throw failure(.nonPositivePrice, field: field(.askPrice), "\(NumberText.plain(ask)) is not positive") }
        if bidQuantity < 0 { throw failure(.negativeQuantity, field: field(.bidQuantity), "\(NumberText.plain(bidQuantity)) is negative") }
        if askQuantity < 0 { throw failure(.negativeQuantity, field: field(.askQuantity), "\(NumberText.plain(askQuantity)) is negative") }
        throw failure(.crossedBook, field: field(.bidPrice), "bid \(NumberText.plain(bid)) above ask \(NumberText.plain(ask))")
    }

    /// Tardis: the exchange or symbol must be the first row's.
    private mutating func checkMarket(_ base: UnsafePointer<UInt8>, _ a: Int, _ b: Int, slot: Int, field: Int) throws(MarketDataError) {
        let text = UnsafeBufferPointer(start: base + a, count: b - a)
        guard let first = marketText[slot] else {
            marketText[slot] = Array(text)
            return
        }
        if first.elementsEqual(text) { return }
        let firstText = first.withUnsafeBufferPointer { CSVInputText.excerpt($0) }
        throw failure(.mixedMarkets, field: field,
                      "'\(CSVInputText.excerpt(text))' differs from the first row's '\(firstText)': a file must hold one market's quotes")
    }

    private func failure(_ kind: MarketDataError.Kind, field: Int?, _ detail: String) -> MarketDataError {
        MarketDataError(kind: kind, file: name, line: line, column: field.map { fieldNames[$0] },
                        field: field.map { $0 + 1 }, detail: detail)
    }

    @inline(__always)
    private static func fieldEnd(_ base: UnsafePointer<UInt8>, _ q: Int, _ e: Int) -> Int {
        var next = q
        while next < e && base[next] != 0x2C { next += 1 }
        return next
    }

    /// The field `a..<b` without surrounding spaces and tabs and one pair of enclosing double quotes.
    private static func unquoted(_ base: UnsafePointer<UInt8>, _ a: Int, _ b: Int) -> (Int, Int) {
        var a = a, b = b
        while a < b && (base[a] == 0x20 || base[a] == 0x09) { a += 1 }
        while b > a && (base[b - 1] == 0x20 || base[b - 1] == 0x09) { b -= 1 }
        if b - a >= 2 && base[a] == 0x22 && base[b - 1] == 0x22 { a += 1; b -= 1 }
        return (a, b)
    }

    /// Unsigned decimal digits from `a` (at most 18, so no overflow), and where they stop; nil without digits.
    @inline(__always)
    private static func unsignedInteger(_ base: UnsafePointer<UInt8>, _ a: Int, _ e: Int) -> (Int64, Int)? {
        var i = a
        var v: Int64 = 0
        while i < e {
            let d = base[i] &- 0x30
            if d > 9 { break }
            v = v &* 10 &+ Int64(d)
            i += 1
        }
        let digits = i - a
        return digits > 0 && digits <= 18 ? (v, i) : nil
    }

    /// Nanoseconds per unit of an integer epoch `v`, told by magnitude as `TimestampParser` tells it.
    @inline(__always)
    private static func epochScale(_ v: Int64) -> Int64 {
        v < 100_000_000_000 ? 1_000_000_000 : v < 100_000_000_000_000 ? 1_000_000 : v < 100_000_000_000_000_000 ? 1_000 : 1
    }

    private static func excerpt(_ base: UnsafePointer<UInt8>, _ a: Int, _ b: Int) -> String {
        CSVInputText.excerpt(UnsafeBufferPointer(start: base + a, count: b - a))
    }

    // MARK: header

    private static let genericNames: [(String, QuoteField)] = [
        ("timestamp", .time), ("bid_price", .bidPrice), ("bid_qty", .bidQuantity), ("bid_quantity", .bidQuantity),
        ("ask_price", .askPrice), ("ask_qty", .askQuantity), ("ask_quantity", .askQuantity),
    ]
    private static let binanceNames: [(String, QuoteField)] = [
        ("update_id", .sequence), ("best_bid_price", .bidPrice), ("best_bid_qty", .bidQuantity),
        ("best_ask_price", .askPrice), ("best_ask_qty", .askQuantity), ("event_time", .time),
    ]
    private static let tardisNames: [(String, QuoteField)] = [
        ("exchange", .exchange), ("symbol", .symbol), ("timestamp", .time), ("ask_amount", .askQuantity),
        ("ask_price", .askPrice), ("bid_price", .bidPrice), ("bid_amount", .bidQuantity),
    ]
    /// Names only one layout uses, which tell it.
    private static let binanceOnly: Set<String> = ["update_id", "best_bid_price", "best_bid_qty", "best_ask_price",
                                                   "best_ask_qty", "transaction_time", "event_time"]
    private static let tardisOnly: Set<String> = ["local_timestamp", "ask_amount", "bid_amount"]

    private mutating func readHeader(_ text: UnsafeBufferPointer<UInt8>) throws(MarketDataError) {
        guard let base = text.baseAddress, !text.isEmpty else {
            throw MarketDataError(kind: .emptyInput, file: name, line: 1, detail: "line 1 is empty; expected a header row")
        }
        var names: [String] = []
        var start = 0
        for i in 0...text.count where i == text.count || text[i] == 0x2C {
            let (a, b) = Self.unquoted(base, start, i)
            names.append(String(decoding: UnsafeBufferPointer(start: base + a, count: b - a), as: UTF8.self).lowercased())
            start = i + 1
        }
        let table: [(String, QuoteField)]
        if names.contains(where: Self.binanceOnly.contains) {
            layout = .binanceBookTicker; table = Self.binanceNames
        } else if names.contains(where: Self.tardisOnly.contains) {
            layout = .tardisQuotes; table = Self.tardisNames
        } else if names.contains(where: { name in Self.genericNames.contains { $0.0 == name } }) {
            layout = .generic; table = Self.genericNames
        } else if Self.isHeaderlessBinanceRow(text) {
            layout = .binanceBookTicker
            hasHeader = false
            names = MarketQuotesCSVReader.Layout.binanceBookTicker.header.split(separator: ",").map(String.init)
            table = Self.binanceNames
        } else {
            let read = CSVInputText.excerpt(text)
            if let reason = CSVInputText.notTextReason(text) ?? CSVInputText.headerReason(text) {
                throw MarketDataError(kind: .unrecognizedHeader, file: name, line: 1,
                                      detail: "not a CSV header: \(reason). Line 1 reads '\(read)'")
            }
            let expected = MarketQuotesCSVReader.Layout.allCases.map { "\($0.rawValue) (\($0.header))" }.joined(separator: "; ")
            throw MarketDataError(kind: .unrecognizedHeader, file: name, line: 1,
                                  detail: "header '\(read)' is none of the one-market layouts; expected one of: \(expected)")
        }
        roles = [QuoteField](repeating: .ignored, count: names.count)
        fieldNames = names
        var fieldOfRole: [QuoteField: Int] = [:]
        for (index, name) in names.enumerated() {
            guard let role = table.first(where: { $0.0 == name })?.1 else { continue }
            if let first = fieldOfRole[role] {
                throw MarketDataError(kind: .duplicateColumn, file: self.name, line: 1, column: name, field: index + 1,
                                      detail: "named again (first at field \(first + 1))")
            }
            fieldOfRole[role] = index
            roles[index] = role
        }
        let optional: Set<QuoteField> = [.exchange, .symbol]
        for (column, role) in table where fieldOfRole[role] == nil && !optional.contains(role) {
            throw MarketDataError(kind: .missingColumn, file: name, line: 1, column: column,
                                  detail: "required column missing from the \(layout.rawValue) header '\(CSVInputText.excerpt(text))' (expected \(layout.header))")
        }
        switch layout {
        case .generic: timeScale = 0
        case .binanceBookTicker: timeScale = 1_000_000; unitName = "milliseconds"
        case .tardisQuotes: timeScale = 1_000; unitName = "microseconds"
        }
    }

    /// A Binance bookTicker row with no header above it: seven fields, the
    /// first and last two integers, the others decimals.
    private static func isHeaderlessBinanceRow(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let fields = text.split(separator: 0x2C, omittingEmptySubsequences: false)
        guard fields.count == 7 else { return false }
        for (index, field) in fields.enumerated() {
            let integer = index == 0 || index >= 5
            var dots = 0
            guard !field.isEmpty, field.allSatisfy({ byte in
                if byte == 0x2E { dots += 1; return !integer && dots == 1 }
                return byte >= 0x30 && byte <= 0x39
            }) else { return false }
        }
        return true
    }

    // MARK: end

    /// The quotes, put in the layout's order when rows were out of it.
    mutating func finish(compression: FileCompression) throws(MarketDataError) -> MarketQuotesCSVReader.Loaded {
        if !started {
            throw MarketDataError(kind: .emptyInput, file: name,
                                  detail: "no header row (expected one of: \(MarketQuotesCSVReader.Layout.allCases.map(\.header).joined(separator: " | ")))")
        }
        if reordered > 0 { sortQuotes() }
        return MarketQuotesCSVReader.Loaded(quotes: quotes, layout: layout, compression: compression, hasHeader: hasHeader,
                                            oneSidedRows: oneSided, reorderedRows: reordered,
                                            skippedByKind: skippedByKind, firstSkipped: firstSkipped,
                                            sequenceNumbers: sequences.count == quotes.count && !sequences.isEmpty ? sequences : nil)
    }

    /// Sorts the quotes by (time, sequence, file order): a stable sort by the layout's order key.
    private mutating func sortQuotes() {
        let t = quotes.timestamps
        let s = sequences.count == t.count ? sequences : [Int64](repeating: 0, count: t.count)
        let order = t.indices.sorted { i, j in
            (t[i], s[i], i) < (t[j], s[j], j)
        }
        let old = quotes
        quotes = MarketQuotes(timestamps: order.map { old.timestamps[$0] }, bidPrice: order.map { old.bidPrice[$0] },
                              bidQuantity: order.map { old.bidQuantity[$0] }, askPrice: order.map { old.askPrice[$0] },
                              askQuantity: order.map { old.askQuantity[$0] })
        if sequences.count == t.count { sequences = order.map { s[$0] } }
    }
}
