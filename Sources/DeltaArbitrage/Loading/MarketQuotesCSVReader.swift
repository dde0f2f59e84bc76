#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads one market's book tickers from a CSV file into `MarketQuotes`: the
/// generic one-market layout `timestamp,bid_price,bid_qty,ask_price,ask_qty`
/// (`bid_quantity`/`ask_quantity` also accepted).
///
/// The header follows `MarketDataCSVLoader`'s rules: names in any order,
/// matched ignoring ASCII case after trimming spaces, tabs and one pair of
/// double quotes; other columns ignored; a known column named twice is an
/// error. Timestamps and numbers are parsed by the loader's own parsers
/// (ISO 8601 or epoch numbers, exactly to the nanosecond; decimals correctly
/// rounded). A UTF-8 byte-order mark, CRLF and blank lines are accepted.
///
/// Unlike the two-market layout there is nothing to carry forward: every
/// field is required. Each row is checked — positive prices, non-negative
/// quantities, bid at most ask, time never going back (equal timestamps are
/// kept, in file order) — and the first bad row throws a `MarketDataError`
/// naming the file, the line and the column. The whole file is read into
/// memory; it is meant for imports, not for the engine's hot path.
public enum MarketQuotesCSVReader {
    /// Header names, in slot order (aliases share a slot).
    static let names: [(name: String, slot: Int)] = [
        ("timestamp", 0), ("bid_price", 1), ("bid_qty", 2), ("bid_quantity", 2),
        ("ask_price", 3), ("ask_qty", 4), ("ask_quantity", 4),
    ]
    static let slotNames = ["timestamp", "bid_price", "bid_qty", "ask_price", "ask_qty"]

    /// Reads the file at `path`.
    public static func load(path: String) throws(MarketDataError) -> MarketQuotes {
        guard let file = fopen(path, "rb") else {
            throw MarketDataError(kind: .unreadableFile, file: path, detail: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var block = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let got = fread(&block, 1, block.count, file)
            bytes.append(contentsOf: block[0..<got])
            if got < block.count { break }
        }
        if ferror(file) != 0 {
            throw MarketDataError(kind: .unreadableFile, file: path, detail: "read failed: \(String(cString: strerror(errno)))")
        }
        return try load(bytes: bytes, name: path)
    }

    /// Reads CSV text; `name` stands in for the file name in errors.
    public static func load(text: String, name: String? = nil) throws(MarketDataError) -> MarketQuotes {
        try load(bytes: Array(text.utf8), name: name)
    }

    /// Reads CSV bytes; `name` stands in for the file name in errors.
    public static func load(bytes: [UInt8], name: String? = nil) throws(MarketDataError) -> MarketQuotes {
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(MarketDataError) -> MarketQuotes in try parse(buffer, name: name) }
        }
        return try result.get()
    }

    private static func parse(_ all: UnsafeBufferPointer<UInt8>, name: String?) throws(MarketDataError) -> MarketQuotes {
        var start = all.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var lineNumber = 0
        var fieldOfSlot: [Int] = []   // 0-based field per slot
        var fieldCount = 0
        var quotes = MarketQuotes()
        var values = [Double](repeating: 0, count: 5)
        var time: Int64 = 0
        var fields: [Range<Int>] = []
        while start < all.count {
            var end = start
            while end < all.count && all[end] != 0x0A { end += 1 }
            let next = end + 1
            if end > start && all[end - 1] == 0x0D { end -= 1 }
            lineNumber += 1
            let line = UnsafeBufferPointer(rebasing: all[start..<end])
            start = next
            fields.removeAll(keepingCapacity: true)
            var fieldStart = 0
            for i in 0...line.count where i == line.count || line[i] == UInt8(ascii: ",") {
                fields.append(fieldStart..<i)
                fieldStart = i + 1
            }
            if fieldOfSlot.isEmpty {
                fieldOfSlot = try header(line, fields, file: name)
                fieldCount = fields.count
                continue
            }
            if line.isEmpty { continue }
            func failure(_ kind: MarketDataError.Kind, slot: Int? = nil, _ detail: String) -> MarketDataError {
                MarketDataError(kind: kind, file: name, line: lineNumber, column: slot.map { slotNames[$0] },
                                field: slot.map { fieldOfSlot[$0] + 1 }, detail: detail)
            }
            if fields.count < fieldCount {
                throw failure(.missingField, "\(fields.count) fields, the header names \(fieldCount)")
            }
            if fields.count > fieldCount {
                throw failure(.extraField, "\(fields.count) fields, the header names \(fieldCount)")
            }
            for slot in 0..<5 {
                var range = fields[fieldOfSlot[slot]]
                if range.count >= 2 && line[range.lowerBound] == 0x22 && line[range.upperBound - 1] == 0x22 {
                    range = (range.lowerBound + 1)..<(range.upperBound - 1)
                }
                let text = UnsafeBufferPointer(rebasing: line[range])
                guard let base = text.baseAddress, !text.isEmpty else {
                    throw failure(.missingField, slot: slot, "empty (every field is required in a one-market file)")
                }
                if slot == 0 {
                    guard let ns = TimestampParser.parse(base, count: text.count) else {
                        throw failure(.invalidTimestamp, slot: 0,
                                      "'\(CSVInputText.excerpt(text))' is neither ISO-8601 nor an epoch number")
                    }
                    if let last = quotes.timestamps.last, ns < last {
                        throw failure(.timeWentBackwards, slot: 0,
                                      "\(UTCTime.iso8601(nanoseconds: ns)) is earlier than the row above (\(UTCTime.iso8601(nanoseconds: last)))")
                    }
                    time = ns
                    continue
                }
                guard let value = DecimalParser.parse(base, count: text.count) else {
                    throw failure(.invalidNumber, slot: slot, "'\(CSVInputText.excerpt(text))' is not a decimal number")
                }
                values[slot] = value
            }
            let (bid, bidQty, ask, askQty) = (values[1], values[2], values[3], values[4])
            if !(bid > 0) { throw failure(.nonPositivePrice, slot: 1, "\(NumberText.plain(bid)) is not positive") }
            if !(ask > 0) { throw failure(.nonPositivePrice, slot: 3, "\(NumberText.plain(ask)) is not positive") }
            if bidQty < 0 { throw failure(.negativeQuantity, slot: 2, "\(NumberText.plain(bidQty)) is negative") }
            if askQty < 0 { throw failure(.negativeQuantity, slot: 4, "\(NumberText.plain(askQty)) is negative") }
            if bid > ask {
                throw failure(.crossedBook, slot: 1, "bid \(NumberText.plain(bid)) above ask \(NumberText.plain(ask))")
            }
            quotes.append(timestamp: time, bidPrice: bid, bidQuantity: bidQty, askPrice: ask, askQuantity: askQty)
        }
        if fieldOfSlot.isEmpty {
            throw MarketDataError(kind: .emptyInput, file: name, detail: "no header row (expected timestamp,bid_price,bid_qty,ask_price,ask_qty)")
        }
        return quotes
    }

    /// The 0-based field of each slot, from the header line.
    private static func header(_ line: UnsafeBufferPointer<UInt8>, _ fields: [Range<Int>],
                               file: String?) throws(MarketDataError) -> [Int] {
        var fieldOfSlot = [Int](repeating: -1, count: 5)
        for (index, range) in fields.enumerated() {
            var lo = range.lowerBound, hi = range.upperBound
            while lo < hi && (line[lo] == 0x20 || line[lo] == 0x09) { lo += 1 }
            while hi > lo && (line[hi - 1] == 0x20 || line[hi - 1] == 0x09) { hi -= 1 }
            if hi - lo >= 2 && line[lo] == 0x22 && line[hi - 1] == 0x22 { lo += 1; hi -= 1 }
            let name = String(decoding: UnsafeBufferPointer(rebasing: line[lo..<hi]), as: UTF8.self).lowercased()
            guard let slot = names.first(where: { $0.name == name })?.slot else { continue }
            if fieldOfSlot[slot] >= 0 {
                throw MarketDataError(kind: .duplicateColumn, file: file, line: 1, column: name, field: index + 1,
                                      detail: "named again (first at field \(fieldOfSlot[slot] + 1))")
            }
            fieldOfSlot[slot] = index
        }
        if let missing = fieldOfSlot.firstIndex(of: -1) {
            let read = CSVInputText.excerpt(line)
            if let reason = CSVInputText.notTextReason(line) ?? CSVInputText.headerReason(line) {
                throw MarketDataError(kind: .unrecognizedHeader, file: file, line: 1,
                                      detail: "not a CSV header: \(reason). Line 1 reads '\(read)'")
            }
            throw MarketDataError(kind: .missingColumn, file: file, line: 1, column: slotNames[missing],
                                  detail: "required column missing from the one-market header '\(read)' (expected timestamp,bid_price,bid_qty,ask_price,ask_qty)")
        }
        return fieldOfSlot
    }
}
