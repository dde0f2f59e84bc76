/// Quoting input in error messages, and recognising input that is not CSV
/// text. Off the hot path: used only once an error has been found.
enum CSVInputText {
    /// Characters of input quoted in an error message at most; longer text ends in `…`
    /// so that one huge line cannot flood the terminal.
    static let excerptLimit = 80

    /// `bytes` as printable text: valid UTF-8 as it is, except `\`
    /// (doubled), tab, CR, LF and NUL (`\t`, `\r`, `\n`, `\0`), and
    /// other control or invalid bytes as `\xNN`; once about `limit`
    /// characters are shown (an escape is not cut), the rest is `…`.
    static func excerpt(_ bytes: UnsafeBufferPointer<UInt8>, limit: Int = excerptLimit) -> String {
        var text = ""
        var i = 0
        while i < bytes.count {
            // Counted in characters shown, escapes at their full width.
            if text.unicodeScalars.count >= limit { return text + "…" }
            let byte = bytes[i]
            switch byte {
            case 0x09: text += "\\t"
            case 0x0A: text += "\\n"
            case 0x0D: text += "\\r"
            case 0x00: text += "\\0"
            case 0x5C: text += "\\\\"
            case 0x20..<0x7F: text.unicodeScalars.append(Unicode.Scalar(byte))
            case 0x80...:
                let length = validUTF8Length(bytes, at: i)
                if length > 0 {
                    text += String(decoding: UnsafeBufferPointer(rebasing: bytes[i..<(i + length)]), as: UTF8.self)
                    i += length
                    continue
                }
                text += hexEscape(byte)
            default: text += hexEscape(byte)
            }
            i += 1
        }
        return text
    }

    /// `excerpt` of a Swift string's UTF-8.
    static func excerpt(_ string: String, limit: Int = excerptLimit) -> String {
        var copy = string
        return copy.withUTF8 { excerpt($0, limit: limit) }
    }

    /// Why the input starting with `start` (its first bytes, from the very
    /// first byte of the file) is not CSV text at all, or nil when it may be.
    static func notTextReason(_ start: UnsafeBufferPointer<UInt8>) -> String? {
        func begins(_ magic: [UInt8]) -> Bool {
            start.count >= magic.count && zip(start, magic).allSatisfy { $0 == $1 }
        }
        if begins([0x1F, 0x8B]) { return "the file is gzip-compressed (it starts with 1f 8b); decompress it first" }
        if begins([0x50, 0x4B, 0x03, 0x04]) { return "the file is a zip archive (it starts with PK); extract the CSV first" }
        if begins([0x28, 0xB5, 0x2F, 0xFD]) { return "the file is zstd-compressed; decompress it first" }
        if begins([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return "the file is xz-compressed; decompress it first" }
        if begins([0x42, 0x5A, 0x68]) && start.count > 3 && (0x31...0x39).contains(start[3]) {
            return "the file is bzip2-compressed; decompress it first"
        }
        if begins([0xFF, 0xFE]) || begins([0xFE, 0xFF]) {
            return "the text is UTF-16 (it starts with a UTF-16 byte-order mark); convert it to UTF-8"
        }
        let sample = UnsafeBufferPointer(rebasing: start[0..<min(start.count, 512)])
        var evenNULs = 0, oddNULs = 0
        for (i, byte) in sample.enumerated() where byte == 0 {
            if i % 2 == 0 { evenNULs += 1 } else { oddNULs += 1 }
        }
        if evenNULs + oddNULs == 0 { return nil }
        // UTF-16 of ASCII text has a NUL in every other byte, and only there.
        let pairs = sample.count / 2
        if pairs > 0 && (evenNULs == 0 || oddNULs == 0) && max(evenNULs, oddNULs) * 10 >= pairs * 8 {
            return "the text looks UTF-16 encoded (every other byte is NUL); convert it to UTF-8"
        }
        return "the input contains NUL bytes: binary data, not CSV text"
    }

    /// Why a text header line (without its line end) names no known columns,
    /// when a common cause shows, or nil.
    static func headerReason(_ line: UnsafeBufferPointer<UInt8>) -> String? {
        if line.first == UInt8(ascii: "#") {
            return "it is a comment line (starts with '#'); remove comment lines so that the header is line 1"
        }
        let commas = line.count(where: { $0 == UInt8(ascii: ",") })
        let separators: [(byte: UInt8, name: String)] = [(0x3B, "';'"), (0x09, "tabs"), (0x7C, "'|'")]
        let best = separators.map { separator in (separator.name, line.count(where: { $0 == separator.byte })) }
            .max { $0.1 < $1.1 }
        if let (name, count) = best, count > commas {
            return "columns appear separated by \(name); only ',' separates columns"
        }
        return nil
    }

    private static func hexEscape(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return "\\x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0xF)])
    }

    /// Length of the well-formed UTF-8 sequence of a non-ASCII, printable
    /// character at `i`, or 0.
    private static func validUTF8Length(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
        let lead = bytes[i]
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0
        guard length > 0, lead <= 0xF4, i + length <= bytes.count else { return 0 }
        var decoder = UTF8()
        var iterator = UnsafeBufferPointer(rebasing: bytes[i..<(i + length)]).makeIterator()
        guard case .scalarValue(let scalar) = decoder.decode(&iterator),
              !scalar.properties.generalCategory.isControlOrFormat else { return 0 }
        return length
    }
}

private extension Unicode.GeneralCategory {
    var isControlOrFormat: Bool { self == .control || self == .format }
}

extension CSVInputText {
    /// The `.lineTooLong` error for line `line`, which starts with `start` and
    /// is `length` bytes long (or, unless `lengthKnown`, at least that: the
    /// rest is unread). `atFileStart` adds why the input looks like no CSV
    /// text at all.
    static func lineTooLong(file: String?, line: Int, limit: Int, length: Int, lengthKnown: Bool,
                            start: UnsafeBufferPointer<UInt8>, atFileStart: Bool) -> MarketDataError {
        let size = lengthKnown ? "\(length) bytes" : "no line end in its first \(length) bytes"
        var detail = "line longer than the limit of \(limit) bytes (\(size))"
        if atFileStart, let reason = notTextReason(start) { detail += ": " + reason }
        detail += "; it starts '\(excerpt(start))'"
        return MarketDataError(kind: .lineTooLong, file: file, line: line, detail: detail)
    }
}
