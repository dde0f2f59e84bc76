import DeltaArbitrage

/// A forward-only reader of one JSON document in place, for exchange
/// messages: it hands out byte ranges of keys and values and never builds a
/// string or a dictionary, so the per-message path allocates nothing.
///
/// It reads what RFC 8259 allows (objects, arrays, strings with escapes,
/// numbers, `true`/`false`/`null`) and refuses anything else; values it is
/// not asked about are skipped with their nesting checked.
struct JSONScanner {
    /// What a value is, with the range of its bytes (strings: inside the quotes, escapes left as they are).
    enum Value: Equatable {
        case string(Range<Int>, escaped: Bool)
        case number(Range<Int>)
        case object(Range<Int>)
        case array(Range<Int>)
        case bool(Bool)
        case null
    }

    struct Malformed: Error, Equatable {
        /// Byte offset where reading stopped.
        var offset: Int
        var reason: String
    }

    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, from offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    /// Calls `body` with each key of the object that starts at the current
    /// offset and the key's value; `body` returns false to stop early.
    mutating func forEachMember(_ body: (Range<Int>, Value) throws -> Bool) throws {
        skipSpace()
        try expect(UInt8(ascii: "{"))
        skipSpace()
        if peek() == UInt8(ascii: "}") { offset += 1; return }
        while true {
            skipSpace()
            guard case .string(let key, _) = try value() else { throw Malformed(offset: offset, reason: "an object key is not a string") }
            skipSpace()
            try expect(UInt8(ascii: ":"))
            let member = try value()
            guard try body(key, member) else { return }
            skipSpace()
            guard let next = peek() else { throw Malformed(offset: offset, reason: "the object is cut short") }
            offset += 1
            if next == UInt8(ascii: "}") { return }
            guard next == UInt8(ascii: ",") else { throw Malformed(offset: offset - 1, reason: "expected ',' or '}' in an object") }
        }
    }

    /// Reads one value at the current offset.
    mutating func value() throws -> Value {
        skipSpace()
        guard let first = peek() else { throw Malformed(offset: offset, reason: "a value is missing") }
        switch first {
        case UInt8(ascii: "\""):
            offset += 1
            let start = offset
            var escaped = false
            while offset < bytes.count {
                let byte = bytes[offset]
                if byte == UInt8(ascii: "\\") { escaped = true; offset += 2; continue }
                if byte == UInt8(ascii: "\"") { offset += 1; return .string(start..<offset - 1, escaped: escaped) }
                if byte < 0x20 { throw Malformed(offset: offset, reason: "a control character inside a string") }
                offset += 1
            }
            throw Malformed(offset: start - 1, reason: "a string is not closed")
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let start = offset
            try skipNested()
            return first == UInt8(ascii: "{") ? .object(start..<offset) : .array(start..<offset)
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = offset
            while offset < bytes.count, Self.isNumberByte(bytes[offset]) { offset += 1 }
            return .number(start..<offset)
        default:
            throw Malformed(offset: offset, reason: "unexpected byte 0x\(String(first, radix: 16))")
        }
    }

    /// Whether the bytes `range` equal the ASCII `text`.
    func equals(_ range: Range<Int>, _ text: StaticString) -> Bool {
        guard range.count == text.utf8CodeUnitCount else { return false }
        let expected = text.utf8Start
        for i in 0..<range.count where bytes[range.lowerBound + i] != expected[i] { return false }
        return true
    }

    /// Whether the bytes `range` equal `other`.
    func equals(_ range: Range<Int>, _ other: [UInt8]) -> Bool {
        guard range.count == other.count else { return false }
        for i in 0..<range.count where bytes[range.lowerBound + i] != other[i] { return false }
        return true
    }

    /// The decimal number in `range` (a JSON number or the text of a string), correctly rounded.
    func double(_ range: Range<Int>) -> Double? {
        guard !range.isEmpty, let base = bytes.baseAddress else { return nil }
        return DecimalText.double(UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self) + range.lowerBound,
                                                      count: range.count))
    }

    /// The integer in `range`, or nil when it is not a plain integer that fits Int64.
    func integer(_ range: Range<Int>) -> Int64? {
        guard !range.isEmpty else { return nil }
        var i = range.lowerBound
        let negative = bytes[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        guard i < range.upperBound else { return nil }
        var value: Int64 = 0
        while i < range.upperBound {
            let digit = Int64(bytes[i]) - 48
            guard digit >= 0, digit <= 9 else { return nil }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(digit)
            guard !o1, !o2 else { return nil }
            value = sum
            i += 1
        }
        return negative ? -value : value
    }

    // MARK: - Internals

    private func peek() -> UInt8? { offset < bytes.count ? bytes[offset] : nil }

    private mutating func skipSpace() {
        while offset < bytes.count, bytes[offset] == 0x20 || bytes[offset] == 0x0A || bytes[offset] == 0x0D || bytes[offset] == 0x09 {
            offset += 1
        }
    }

    private mutating func expect(_ byte: UInt8) throws {
        guard peek() == byte else {
            throw Malformed(offset: offset, reason: "expected '\(Character(Unicode.Scalar(byte)))'")
        }
        offset += 1
    }

    private mutating func literal(_ text: StaticString) throws {
        let n = text.utf8CodeUnitCount
        guard offset + n <= bytes.count, equals(offset..<offset + n, text) else {
            throw Malformed(offset: offset, reason: "expected \(text)")
        }
        offset += n
    }

    /// Skips an object or array, checking that brackets pair up (strings may hold any bracket).
    private mutating func skipNested() throws {
        var depth = 0
        let start = offset
        while offset < bytes.count {
            let byte = bytes[offset]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                guard depth <= 64 else { throw Malformed(offset: offset, reason: "nested deeper than 64 levels") }
                offset += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                offset += 1
                if depth == 0 { return }
            case UInt8(ascii: "\""):
                _ = try value()
            default:
                offset += 1
            }
        }
        throw Malformed(offset: start, reason: "an object or array is not closed")
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
    }
}
