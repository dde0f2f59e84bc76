/// Decimal text to `Double`, correctly rounded (the same value as Swift's
/// `Double(String)`), without building a `String` in the common case.
///
/// Accepted syntax: `[+-] digits [. digits] [(e|E) [+-] digits]`, or a
/// mantissa that starts with the point (`.5`). No whitespace, no `nan`,
/// `inf`, hexadecimal or digit separators: a CSV field holding those is bad
/// data, not a number. Results that overflow to infinity are rejected.
///
/// Fast path (Clinger, 1990): when the decimal significand has at most 19
/// digits, fits in 53 bits, and the power of ten is within ±22, both the
/// significand and 10^|e| are exact doubles, so one IEEE multiply or divide
/// gives the correctly rounded result. Everything else goes to the standard
/// library's locale-independent `strtod`, which is slower but exact.
enum DecimalParser {
    /// Parses `count` bytes at `start`; nil when the text is not a finite decimal number.
    @inline(__always)
    static func parse(_ start: UnsafePointer<UInt8>, count n: Int) -> Double? {
        if n == 0 { return nil }
        var i = 0
        var negative = false
        if start[0] == UInt8(ascii: "-") { negative = true; i = 1 }
        else if start[0] == UInt8(ascii: "+") { i = 1 }

        var significand: UInt64 = 0
        var digits = 0           // significant digits kept in `significand`
        var exponent = 0         // power of ten applied to `significand`
        var sawDigit = false
        var tooManyDigits = false

        while i < n {
            let d = start[i] &- UInt8(ascii: "0")
            if d > 9 { break }
            sawDigit = true
            if significand == 0 && d == 0 {
                // leading zero: contributes nothing
            } else if digits < 19 {
                significand = significand &* 10 &+ UInt64(d)
                digits += 1
            } else {
                tooManyDigits = true
                exponent += 1
            }
            i += 1
        }
        if i < n && start[i] == UInt8(ascii: ".") {
            i += 1
            while i < n {
                let d = start[i] &- UInt8(ascii: "0")
                if d > 9 { break }
                sawDigit = true
                if significand == 0 && d == 0 {
                    exponent -= 1
                } else if digits < 19 {
                    significand = significand &* 10 &+ UInt64(d)
                    digits += 1
                    exponent -= 1
                } else {
                    tooManyDigits = true
                }
                i += 1
            }
        }
        if !sawDigit { return nil }
        if i < n && (start[i] | 0x20) == UInt8(ascii: "e") {
            i += 1
            var expNegative = false
            if i < n && start[i] == UInt8(ascii: "-") { expNegative = true; i += 1 }
            else if i < n && start[i] == UInt8(ascii: "+") { i += 1 }
            var explicit = 0
            var sawExpDigit = false
            while i < n {
                let d = start[i] &- UInt8(ascii: "0")
                if d > 9 { break }
                sawExpDigit = true
                // Clamp: anything this large is already 0 or infinity.
                if explicit < 100_000 { explicit = explicit * 10 + Int(d) }
                i += 1
            }
            if !sawExpDigit { return nil }
            exponent += expNegative ? -explicit : explicit
        }
        if i != n { return nil }

        if significand == 0 && !tooManyDigits { return negative ? -0.0 : 0.0 }
        if !tooManyDigits && significand <= 1 << 53 {
            var value = Double(significand)
            if exponent == 0 {
                return negative ? -value : value
            } else if exponent > 0 && exponent <= 22 {
                value *= exactPowerOfTen(exponent)
                return negative ? -value : value
            } else if exponent < 0 && exponent >= -22 {
                value /= exactPowerOfTen(-exponent)
                return negative ? -value : value
            } else if exponent > 22 && exponent <= 22 + 15 {
                // 123e30 = (123 * 10^8) * 10^22 when the first product is still exact.
                let scaled = significand.multipliedReportingOverflow(by: UInt64(exactPowerOfTen(exponent - 22)))
                if !scaled.overflow && scaled.partialValue <= 1 << 53 {
                    value = Double(scaled.partialValue) * 1e22
                    return negative ? -value : value
                }
            }
        }
        return slowPath(start, count: n)
    }

    /// The common CSV case, fused with field scanning: unsigned `digits[.digits]`
    /// starting at `i`, stopping at the first other byte (or `end`). Returns the
    /// value and where it stopped, or nil when the text needs the general
    /// `parse` (sign, exponent, no digits, more than 19 significant digits, or
    /// outside the exact fast path). The caller checks what follows.
    @inline(__always)
    static func parseUnsignedPrefix(_ base: UnsafePointer<UInt8>, from start: Int, end: Int) -> (value: Double, end: Int)? {
        var i = start
        var significand: UInt64 = 0
        var digits = 0
        while i < end {
            let d = base[i] &- UInt8(ascii: "0")
            if d > 9 { break }
            significand = significand &* 10 &+ UInt64(d)
            digits &+= 1
            i += 1
        }
        var fractionDigits = 0
        if i < end && base[i] == UInt8(ascii: ".") {
            i += 1
            let fractionStart = i
            while i < end {
                let d = base[i] &- UInt8(ascii: "0")
                if d > 9 { break }
                significand = significand &* 10 &+ UInt64(d)
                i += 1
            }
            fractionDigits = i - fractionStart
            digits &+= fractionDigits
        }
        // Leading zeros count as digits here, so 19 digits can never overflow UInt64.
        guard digits > 0, digits <= 19, fractionDigits <= 22, significand <= 1 << 53 else { return nil }
        let value = Double(significand)
        return (fractionDigits == 0 ? value : value / exactPowerOfTen(fractionDigits), i)
    }

    /// 10^e for 0 <= e <= 22, all exactly representable.
    @inline(__always)
    static func exactPowerOfTen(_ e: Int) -> Double {
        switch e {
        case 0: 1e0
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        case 15: 1e15
        case 16: 1e16
        case 17: 1e17
        case 18: 1e18
        case 19: 1e19
        case 20: 1e20
        case 21: 1e21
        default: 1e22
        }
    }

    /// The exact but slower route; only reached for syntactically valid text.
    @inline(never)
    static func slowPath(_ start: UnsafePointer<UInt8>, count n: Int) -> Double? {
        let text = String(decoding: UnsafeBufferPointer(start: start, count: n), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// Convenience for tests and non-hot callers.
    static func parse(_ text: String) -> Double? {
        var copy = text
        return copy.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return nil }
            return parse(base, count: bytes.count)
        }
    }
}

/// `Double(significand) / 10^k`, correctly rounded, for `significand < 10^8`
/// and `k` in 0...7, without the divider. With `y` the double nearest to
/// 10^-k, `q = a·y` is within about an ulp of `a / 10^k`; the residual
/// `a - q·10^k` is then computed exactly, splitting `q` into a high half of
/// 26 bits and a low half (Veltkamp) so that each product with 10^k
/// (< 2^24) is exact and each subtraction is of near-equal values; one
/// correction step `q + residual·y` then rounds to the nearest double
/// (Markstein's correction, here without fused multiply-add, so that builds
/// for CPUs without FMA make no library calls). Division is the slowest
/// step of a field's parse and does not pipeline; these ten operations do.
/// The result equals the division for every one of the 8·10^8 inputs of
/// this domain (checked exhaustively by
/// `scripts/check-decimal-quotients.swift`, and on samples by the tests).
///
/// The constants are read from memory by index. Written as a switch, the
/// compiler turns the lookup into a jump on `k`, which mispredicts on
/// every change of decimals from one field to the next.
struct DecimalQuotients: @unchecked Sendable {
    /// 10^k and the double nearest to 10^-k, k = 0...7. Lives as long as the process.
    private let factors: UnsafePointer<SIMD2<Double>>

    /// The one table, built on first use.
    static let shared = DecimalQuotients()

    private init() {
        let table = UnsafeMutablePointer<SIMD2<Double>>.allocate(capacity: 8)
        var power = 1.0
        for k in 0..<8 {
            // 10^k is exact; 1 / 10^k is the correctly rounded reciprocal.
            table[k] = SIMD2(power, 1 / power)
            power *= 10
        }
        factors = UnsafePointer(table)
    }

    /// 2^27 + 1: multiplying by it splits a double's significand in halves.
    private static let splitter = 134_217_729.0

    /// `Double(significand) / 10^k` (`significand < 10^8`, `k` in 0...7).
    @inline(__always)
    func quotient(_ significand: UInt64, byPowerOfTen k: Int) -> Double {
        let pair = factors[k & 7]
        let a = Double(significand), power = pair.x, reciprocal = pair.y
        let q = a * reciprocal
        let t = q * Self.splitter
        let high = t - (t - q), low = q - high
        let residual = (a - high * power) - low * power
        return q + residual * reciprocal
    }

    /// `quotient` lane by lane (`significands` below 10^8, `powers` in 0...7).
    @inline(__always)
    func quotients(_ significands: SIMD4<UInt64>, byPowersOfTen powers: SIMD4<UInt64>) -> SIMD4<Double> {
        // Below 2^52, OR-ing the integer into the significand of 2^52 and
        // subtracting 2^52 converts it exactly, with no integer conversion.
        // (The bits as a literal: `Double.bitPattern` is a call here, not a constant.)
        let magic = 4_503_599_627_370_496.0, magicBits: UInt64 = 0x4330_0000_0000_0000
        let a = unsafeBitCast(significands | magicBits, to: SIMD4<Double>.self) - magic
        let p0 = factors[Int(truncatingIfNeeded: powers[0]) & 7], p1 = factors[Int(truncatingIfNeeded: powers[1]) & 7]
        let p2 = factors[Int(truncatingIfNeeded: powers[2]) & 7], p3 = factors[Int(truncatingIfNeeded: powers[3]) & 7]
        let power = SIMD4(p0.x, p1.x, p2.x, p3.x), reciprocal = SIMD4(p0.y, p1.y, p2.y, p3.y)
        let q = a * reciprocal
        let t = q * Self.splitter
        let high = t - (t - q), low = q - high
        let residual = (a - high * power) - low * power
        return q + residual * reciprocal
    }
}
