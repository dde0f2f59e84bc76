import CIntrinsics

/// Digit parsing eight bytes at a time in a 64-bit register (SWAR), for the
/// CSV loader's fast row path. Each function either gives exactly what the
/// byte-by-byte parser it stands in for gives, or nil so that the caller
/// takes that parser: the fast path changes speed, never results.
///
/// Every function reads whole 8-byte words from its start pointer on; the
/// caller guarantees the bytes it names (`readable`) exist. Bytes past the
/// field are read but only looked at up to the first non-digit.
enum SWARDigits {
    /// The 8 bytes at `p`, the first byte in the low bits.
    @inline(__always)
    static func load(_ p: UnsafePointer<UInt8>) -> UInt64 {
        UInt64(littleEndian: UInt64(delta_arb_load64(p)))
    }

    /// How many of the first bytes of `word` are ASCII digits, 0...8.
    @inline(__always)
    static func leadingDigitCount(_ word: UInt64) -> Int {
        nonDigitBytes(word).trailingZeroBitCount >> 3
    }

    /// The top bit of each byte of `word` set where the byte is not an ASCII digit.
    @inline(__always)
    static func nonDigitBytes(_ word: UInt64) -> UInt64 {
        // A byte is a digit when its xor with "0" is at most 9: then adding
        // 0x76 to its low 7 bits leaves the top bit clear. Masking to 7 bits
        // first keeps carries inside each byte.
        let x = word ^ 0x3030_3030_3030_3030
        return (((x & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7676_7676_7676_7676) | x) & 0x8080_8080_8080_8080
    }

    /// The top `length` (1...8) bytes of a word set: where a field ending at the word's top lies.
    @inline(__always)
    static func fieldMask(_ length: Int) -> UInt64 {
        ~UInt64(0) &<< UInt64(truncatingIfNeeded: 64 &- 8 &* length)
    }

    /// The value of the first `count` (1...8) bytes of `word`, all ASCII digits.
    @inline(__always)
    static func value(_ word: UInt64, count: Int) -> UInt64 {
        // Move the digits to the top so that the bytes shifted in read as
        // leading zeros, then combine pairs, quads and octets of digits.
        var v = (word &<< UInt64(64 - 8 * count)) & 0x0F0F_0F0F_0F0F_0F0F
        v = (v &* 2561) &>> 8
        v = ((v & 0x00FF_00FF_00FF_00FF) &* 6_553_601) &>> 16
        return ((v & 0x0000_FFFF_0000_FFFF) &* 42_949_672_960_001) &>> 32
    }

    /// 10^e for 0 <= e <= 8.
    @inline(__always)
    static func power(_ e: Int) -> UInt64 {
        switch e {
        case 0: 1
        case 1: 10
        case 2: 100
        case 3: 1_000
        case 4: 10_000
        case 5: 100_000
        case 6: 1_000_000
        case 7: 10_000_000
        default: 100_000_000
        }
    }

    /// The index of the first byte of `word` equal to `a` or `b`, or 8.
    @inline(__always)
    static func firstIndex(of a: UInt8, or b: UInt8, in word: UInt64) -> Int {
        let hits = zeroBytes(word ^ (0x0101_0101_0101_0101 &* UInt64(a)))
            | zeroBytes(word ^ (0x0101_0101_0101_0101 &* UInt64(b)))
        return hits.trailingZeroBitCount >> 3
    }

    /// The top bit of each byte set where the byte is zero; exact up to the
    /// first zero byte (a borrow may mark bytes after it, never before).
    @inline(__always)
    private static func zeroBytes(_ x: UInt64) -> UInt64 {
        (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
    }

    /// `DecimalParser.parseUnsignedPrefix(base, from: p - base, end:)` for
    /// text of at most 8 integer and at most 8 fraction digits, which is
    /// found without a loop; nil for anything else (then that function
    /// decides). `p` must have 16 readable bytes.
    @inline(__always)
    static func unsignedDecimal(_ p: UnsafePointer<UInt8>) -> (value: Double, length: Int)? {
        guard let parts = unsignedDecimalParts(p) else { return nil }
        return (parts.significand / parts.divisor, parts.length)
    }

    /// `unsignedDecimal` before its one division: the value is
    /// `significand / divisor`, both exact (`significand` ≤ 2^53, `divisor` a
    /// power of ten ≤ 10^8), so the IEEE division rounds it correctly.
    @inline(__always)
    static func unsignedDecimalParts(_ p: UnsafePointer<UInt8>) -> (significand: Double, divisor: Double, length: Int)? {
        let first = load(p)
        let a = leadingDigitCount(first)
        if a == 8 { return nil }
        let integer = a == 0 ? 0 : value(first, count: a)
        if UInt8(truncatingIfNeeded: first &>> UInt64(8 * a)) != UInt8(ascii: ".") {
            return a == 0 ? nil : (Double(integer), 1, a)
        }
        let second = load(p + a + 1)
        let b = leadingDigitCount(second)
        if b == 8 || a + b == 0 { return nil }
        if b == 0 { return (Double(integer), 1, a + 1) }
        // At most 16 digits: no overflow, but possibly above 2^53.
        let significand = integer &* power(b) &+ value(second, count: b)
        if significand > 1 << 53 { return nil }
        return (Double(significand), DecimalParser.exactPowerOfTen(b), a + 1 + b)
    }

    /// A field of `length` (1...8) bytes that ends at the top of `word` (the
    /// 8 bytes before the field's end; bytes below the field are ignored) as
    /// `digits[.digits]`, `.digits` or `digits.`: its digits as an integer
    /// and how many follow the point. Nil for anything else (no digit, a
    /// second point, any other byte). The value is `significand /
    /// 10^fractionDigits`, exactly what `DecimalParser.parseUnsignedPrefix`
    /// divides for the same text (it counts leading zeros as digits too).
    ///
    /// Knowing where the field ends (`CSVSeparatorIndex`) is what makes this
    /// loop-free and independent of the field before: no scan for the end.
    @inline(__always)
    static func alignedDecimalParts(_ word: UInt64, length: Int) -> (significand: UInt64, fractionDigits: Int)? {
        let field = fieldMask(length)
        let nonDigit = nonDigitBytes(word) & field
        if nonDigit == 0 { return (digitsValue(word & field), 0) }
        let point = nonDigit.trailingZeroBitCount >> 3
        guard length >= 2, nonDigit & (nonDigit &- 1) == 0,
              UInt8(truncatingIfNeeded: word &>> UInt64(truncatingIfNeeded: 8 &* point)) == UInt8(ascii: ".") else { return nil }
        // Close the gap: the bytes below the point move up one byte.
        let below = ~UInt64(0) &>> UInt64(truncatingIfNeeded: 56 &- 8 &* point)
        let compact = (word & ~below) | ((word &<< 8) & below)
        let digits = ~UInt64(0) &<< UInt64(truncatingIfNeeded: 72 &- 8 &* length)
        return (digitsValue(compact & digits), 7 &- point)
    }

    /// A field of 9...16 ASCII digits ending at `end` (the 16 bytes before
    /// it readable), as an integer: the last eight digits and the ones
    /// before them each read from the word that ends where they end, so
    /// that no scan finds the field's length. Nil when any of its bytes is
    /// not a digit.
    @inline(__always)
    static func alignedInteger(_ base: UnsafePointer<UInt8>, end: Int, length: Int) -> UInt64? {
        let low = load(base + (end &- 8)), high = load(base + (end &- 16))
        let highField = fieldMask(length &- 8)
        guard nonDigitBytes(low) | (nonDigitBytes(high) & highField) == 0 else { return nil }
        return digitsValue(high & highField) &* 100_000_000 &+ digitsValue(low)
    }

    /// The value of the ASCII digits in the top bytes of `word`, the bytes
    /// below them zero (they read as leading zeros).
    @inline(__always)
    static func digitsValue(_ word: UInt64) -> UInt64 {
        var v = word & 0x0F0F_0F0F_0F0F_0F0F
        v = (v &* 2561) &>> 8
        v = ((v & 0x00FF_00FF_00FF_00FF) &* 6_553_601) &>> 16
        return ((v & 0x0000_FFFF_0000_FFFF) &* 42_949_672_960_001) &>> 32
    }

    /// The leading run of 1...19 ASCII digits at `p` as an integer, and its
    /// length; nil when there is no digit or more than 19 (the limit of
    /// `TimestampParser.parseEpoch`). `p` must have 24 readable bytes.
    @inline(__always)
    static func integerDigits(_ p: UnsafePointer<UInt8>) -> (value: UInt64, length: Int)? {
        let first = load(p)
        let a = leadingDigitCount(first)
        if a < 8 { return a == 0 ? nil : (value(first, count: a), a) }
        let high = value(first, count: 8)
        let second = load(p + 8)
        let b = leadingDigitCount(second)
        if b < 8 { return (b == 0 ? high : high &* power(b) &+ value(second, count: b), 8 + b) }
        let middle = value(second, count: 8)
        let third = load(p + 16)
        let c = leadingDigitCount(third)
        if c > 3 { return nil }
        var total = high &* 100_000_000 &+ middle
        if c > 0 { total = total &* power(c) &+ value(third, count: c) }
        return (total, 16 + c)
    }
}

extension TimestampParser {
    /// `parseEpoch` of an integer without sign or fraction (the unit told by
    /// its magnitude), for the fast row path.
    @inline(__always)
    static func epochNanoseconds(integer: UInt64) -> Int64? {
        let scale: Int64
        switch integer {
        case ..<100_000_000_000: scale = 1_000_000_000
        case ..<100_000_000_000_000: scale = 1_000_000
        case ..<100_000_000_000_000_000: scale = 1_000
        default: scale = 1
        }
        guard integer <= UInt64(Int64.max) else { return nil }
        let scaled = Int64(integer).multipliedReportingOverflow(by: scale)
        return scaled.overflow ? nil : scaled.partialValue
    }
}

extension TimestampParser {
    /// `parseISO` of the form writers produce, `YYYY-MM-DD` + `T`/`t`/space +
    /// `HH:MM:SS`, an optional fraction of 1–9 digits and an optional `Z`,
    /// when the date is the one `cache` holds (consecutive ticks share their
    /// date); the time and its length. Nil for anything else, including a
    /// new date, so that `parse` decides and refreshes the cache: this path
    /// only checks with whole words what `parseISO` checks byte by byte.
    /// `p` must have 32 readable bytes; what follows the returned length is
    /// the caller's to check (a zone offset there is not a field end).
    @inline(__always)
    static func cachedDateISO(_ p: UnsafePointer<UInt8>, cache: DateCache) -> (nanoseconds: Int64, length: Int)? {
        let raw = UnsafeRawPointer(p)
        guard cache.valid, raw.loadUnaligned(as: UInt64.self) == cache.text.0,
              raw.loadUnaligned(fromByteOffset: 8, as: UInt16.self) == cache.text.1 else { return nil }
        let separator = p[10]
        guard separator == UInt8(ascii: "T") || separator == UInt8(ascii: "t") || separator == UInt8(ascii: " ")
        else { return nil }
        // "HH:MM:SS": colons in bytes 2 and 5, digits elsewhere (checked with
        // the colons replaced by "0").
        let clock = SWARDigits.load(p + 11)
        let colons: UInt64 = 0x0000_FF00_00FF_0000
        guard clock & colons == 0x0000_3A00_003A_0000,
              SWARDigits.leadingDigitCount((clock & ~colons) | 0x0000_3000_0030_0000) == 8 else { return nil }
        let d = clock & 0x0F0F_000F_0F00_0F0F  // digit values, colons cleared
        @inline(__always) func byte(_ i: Int) -> Int { Int(truncatingIfNeeded: (d &>> UInt64(8 * i)) & 0xFF) }
        let hour = byte(0) * 10 + byte(1), minute = byte(3) * 10 + byte(4), second = byte(6) * 10 + byte(7)
        guard hour <= 23, minute <= 59, second <= 59 else { return nil }
        var length = 19
        var fractionNanos: Int64 = 0
        if p[19] == UInt8(ascii: ".") || p[19] == UInt8(ascii: ",") {
            let word = SWARDigits.load(p + 20)
            let digits = SWARDigits.leadingDigitCount(word)
            guard digits >= 1 else { return nil }
            if digits < 8 {
                fractionNanos = Int64(SWARDigits.value(word, count: digits) &* SWARDigits.power(9 - digits))
                length = 20 + digits
            } else {
                // Eight digits or more: nanoseconds have at most nine.
                let ninth = p[28] &- UInt8(ascii: "0"), tenth = p[29] &- UInt8(ascii: "0")
                if ninth > 9 {
                    fractionNanos = Int64(SWARDigits.value(word, count: 8) &* 10)
                    length = 28
                } else {
                    guard tenth > 9 else { return nil }
                    fractionNanos = Int64(SWARDigits.value(word, count: 8) &* 10 &+ UInt64(ninth))
                    length = 29
                }
            }
        }
        if p[length] == UInt8(ascii: "Z") || p[length] == UInt8(ascii: "z") { length += 1 }
        let seconds = Int64(cache.days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        let scaled = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if scaled.overflow { return nil }
        let total = scaled.partialValue.addingReportingOverflow(fractionNanos)
        return total.overflow ? nil : (total.partialValue, length)
    }
}

extension SWARDigits {
    /// `alignedDecimalParts` for four fields at once, one per lane: `words`
    /// holds the 8 bytes before each field's end, `fields` each field's
    /// `fieldMask` (1...8 bytes; the caller shifts in scalar registers, as a
    /// per-lane shift is not an instruction everywhere before AVX2). Where
    /// `declined` is zero, a lane's significand and fraction digits are
    /// exactly what `alignedDecimalParts` gives; where it is not zero,
    /// `alignedDecimalParts` gives nil.
    ///
    /// The scalar version finds the decimal point with a bit scan; here the
    /// point's top bit `b` is used directly (`(b << 1) - 1` covers the bytes
    /// up to the point, `(b >> 7) · 0x0706050403020100` has the count of
    /// bytes after it in its top byte), so every step is a plain lane-wise
    /// operation.
    @inline(__always)
    static func alignedDecimalLanes(_ words: SIMD4<UInt64>, fields field: SIMD4<UInt64>)
        -> (significands: SIMD4<UInt64>, fractionDigits: SIMD4<UInt64>, declined: SIMD4<UInt64>) {
        // Lane masks are built with arithmetic (0 or all ones) rather than
        // comparisons: the generic mask operations do not compile to single
        // vector instructions.
        let x = words ^ SIMD4(repeating: 0x3030_3030_3030_3030)
        let nonDigit = (((x & SIMD4(repeating: 0x7F7F_7F7F_7F7F_7F7F)) &+ SIMD4(repeating: 0x7676_7676_7676_7676)) | x)
            & SIMD4(repeating: 0x8080_8080_8080_8080) & field
        // All ones where the lane has a non-digit (taken to be the point).
        let pointLanes = nonZeroLanes(nonDigit)
        let pointByte = (nonDigit &<< 1) &- (nonDigit &>> 7)
        // A one-byte field leaves nothing once shifted up a byte.
        let longerThanOne = nonZeroLanes(field &<< 8)
        // Not zero where the lane is declined: more than one non-digit, a
        // non-digit other than '.', or a point with nothing else.
        let declined = (nonDigit & (nonDigit &- 1))
            | ((words ^ SIMD4(repeating: 0x2E2E_2E2E_2E2E_2E2E)) & pointByte)
            | (pointLanes & ~longerThanOne)
        // Close the gap: the bytes up to the point move up one byte.
        let below = ((nonDigit &<< 1) &- 1) & pointLanes
        let compact = (words & ~below) | ((words &<< 8) & below)
        let digits = ((field &<< 8) & pointLanes) | (field & ~pointLanes)
        let fractionDigits = ((nonDigit &>> 7) &* 0x0706_0504_0302_0100) &>> 56
        var v = compact & digits & SIMD4(repeating: 0x0F0F_0F0F_0F0F_0F0F)
        v = (v &* 2561) &>> 8
        v = ((v & SIMD4(repeating: 0x00FF_00FF_00FF_00FF)) &* 6_553_601) &>> 16
        v = ((v & SIMD4(repeating: 0x0000_FFFF_0000_FFFF)) &* 42_949_672_960_001) &>> 32
        return (v, fractionDigits, declined)
    }

    /// All ones in the lanes of `x` that are not zero, zero elsewhere.
    @inline(__always)
    static func nonZeroLanes(_ x: SIMD4<UInt64>) -> SIMD4<UInt64> {
        SIMD4(repeating: 0) &- ((x | (SIMD4(repeating: 0) &- x)) &>> 63)
    }
}
