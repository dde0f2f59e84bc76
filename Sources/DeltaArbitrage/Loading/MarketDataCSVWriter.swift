#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How `MarketData.writeCSV` writes timestamps.
public enum MarketDataCSVTimestampFormat: Sendable, Equatable {
    /// `2025-10-12T06:17:00.123Z` (nine fractional digits when not a whole millisecond).
    case iso8601
    /// Integer nanoseconds since the Unix epoch.
    case epochNanoseconds
}

extension MarketData {
    /// The columns in the seed's order, the header `writeCSV` emits.
    public static let csvColumnNames = [
        "timestamp", "spot_ask_price", "spot_bid_price", "spot_ask_quantity", "spot_bid_quantity",
        "fut_ask_price", "fut_bid_price", "fut_ask_quantity", "fut_bid_quantity",
    ]

    /// Writes the data as CSV to `path` (replacing the file): the header in
    /// the seed's column order, one line per row, `\n` line ends.
    ///
    /// Numbers use Swift's shortest round-trip form, so `MarketDataCSVLoader`
    /// reads back identical doubles. A NaN quantity is written as an empty
    /// field, which the loader reads as "same as the row above": the round
    /// trip is exact when each quantity column is either all NaN or has no
    /// NaN after its first value. An infinite quantity is written as `inf`,
    /// which the loader rejects as bad data.
    public func writeCSV(to path: String,
                         timestampFormat: MarketDataCSVTimestampFormat = .iso8601) throws(MarketDataError) {
        guard let file = fopen(path, "wb") else {
            throw MarketDataError(kind: .unwritableFile, file: path,
                                  detail: "cannot create: \(String(cString: strerror(errno)))")
        }
        var failed = false
        writeCSVBytes(timestampFormat: timestampFormat) { bytes in
            if !failed && !bytes.isEmpty && fwrite(bytes.baseAddress, 1, bytes.count, file) != bytes.count {
                failed = true
            }
        }
        let closed = fclose(file) == 0
        if failed || !closed {
            throw MarketDataError(kind: .unwritableFile, file: path,
                                  detail: "write failed: \(String(cString: strerror(errno)))")
        }
    }

    /// The CSV text `writeCSV` would write (for tests and small data).
    public func csvText(timestampFormat: MarketDataCSVTimestampFormat = .iso8601) -> String {
        var all: [UInt8] = []
        writeCSVBytes(timestampFormat: timestampFormat) { all.append(contentsOf: $0) }
        return String(decoding: all, as: UTF8.self)
    }

    /// Produces the CSV in blocks of about 1 MiB so that large data never
    /// exists as one string.
    func writeCSVBytes(timestampFormat: MarketDataCSVTimestampFormat,
                       _ sink: (UnsafeBufferPointer<UInt8>) -> Void) {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20 + 512)
        buffer.append(contentsOf: Self.csvColumnNames.joined(separator: ",").utf8)
        buffer.append(0x0A)
        let columns = [spotAskPrice, spotBidPrice, spotAskQuantity, spotBidQuantity,
                       futAskPrice, futBidPrice, futAskQuantity, futBidQuantity]
        var dayCache = (day: Int64.min, text: [UInt8]())
        for row in 0..<count {
            switch timestampFormat {
            case .iso8601: Self.appendISO8601(timestamps[row], to: &buffer, dayCache: &dayCache)
            case .epochNanoseconds: buffer.append(contentsOf: String(timestamps[row]).utf8)
            }
            for column in columns {
                buffer.append(0x2C)
                let value = column[row]
                if !value.isNaN { buffer.append(contentsOf: value.description.utf8) }
            }
            buffer.append(0x0A)
            if buffer.count >= 1 << 20 {
                buffer.withUnsafeBufferPointer(sink)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        if !buffer.isEmpty { buffer.withUnsafeBufferPointer(sink) }
    }

    /// Appends exactly the text of `UTCTime.iso8601(nanoseconds:)` without
    /// building a `String`; the date part is reused while the day stays the same.
    static func appendISO8601(_ nanoseconds: Int64, to buffer: inout [UInt8],
                              dayCache: inout (day: Int64, text: [UInt8])) {
        let perDay: Int64 = 86_400_000_000_000
        var days = nanoseconds / perDay
        var rest = nanoseconds % perDay
        if rest < 0 { rest += perDay; days -= 1 }
        if days != dayCache.day {
            let text = UTCTime.iso8601(nanoseconds: days * perDay)
            dayCache = (days, Array(text.utf8.prefix(while: { $0 != UInt8(ascii: "T") })))
        }
        buffer.append(contentsOf: dayCache.text)
        let seconds = rest / 1_000_000_000
        let fraction = rest % 1_000_000_000
        func digits(_ value: Int64, _ width: Int) {
            var divisor: Int64 = 1
            for _ in 1..<width { divisor *= 10 }
            while divisor > 0 {
                buffer.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        buffer.append(UInt8(ascii: "T"))
        digits(seconds / 3600, 2)
        buffer.append(UInt8(ascii: ":"))
        digits(seconds / 60 % 60, 2)
        buffer.append(UInt8(ascii: ":"))
        digits(seconds % 60, 2)
        buffer.append(UInt8(ascii: "."))
        if fraction % 1_000_000 == 0 { digits(fraction / 1_000_000, 3) } else { digits(fraction, 9) }
        buffer.append(UInt8(ascii: "Z"))
    }
}
