import DeltaArbitrage

/// Decoders for the binary wire format of the two column types the store
/// reads, straight from the bytes the server sends (no per-value objects).
enum PostgresBinary {
    /// Microseconds from 1970-01-01 to 2000-01-01, PostgreSQL's epoch.
    static let postgresEpochMicroseconds: Int64 = 946_684_800_000_000

    /// A `timestamptz` (big-endian Int64 microseconds since 2000-01-01 UTC) as
    /// nanoseconds since the Unix epoch; nil for ±infinity or a wrong length.
    static func timestampNanoseconds(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        guard bytes.count == 8 else { return nil }
        let micros = Int64(bigEndian: bytes.loadUnaligned(as: Int64.self))
        guard micros != .max, micros != .min else { return nil }
        let (unix, o1) = micros.addingReportingOverflow(postgresEpochMicroseconds)
        let (nanos, o2) = unix.multipliedReportingOverflow(by: 1000)
        return o1 || o2 ? nil : nanos
    }

    /// The nearest double to a `numeric` value, or nil for NaN, ±infinity or
    /// malformed bytes.
    ///
    /// The wire format is `ndigits, weight, sign, dscale` (Int16/UInt16, big
    /// endian) then `ndigits` base-10000 digits `d[i]`; the value is
    /// Σ d[i] · 10000^(weight − i). Those digits are written out as decimal
    /// text `d0d1…e<4·(weight − ndigits + 1)>` (each digit four decimal
    /// places wide) and parsed by the CSV loader's correctly rounded parser,
    /// so 0.1 gives the same double as the text `0.1` would: no rounding of
    /// our own on the way.
    ///
    /// The common case takes a shortcut to the same double: when the digits
    /// form an integer M < 2^53 and the decimal exponent e has |e| ≤ 22, both
    /// M and 10^|e| are exact doubles, so the one IEEE multiplication or
    /// division M · 10^e is the correctly rounded result (Clinger's fast
    /// path). NUMERIC(20,8) prices and quantities up to 9·10^7 take it.
    static func numeric(_ bytes: UnsafeRawBufferPointer) -> Double? {
        guard bytes.count >= 8 else { return nil }
        func int16(_ offset: Int) -> Int {
            Int(Int16(bitPattern: UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])))
        }
        let ndigits = int16(0), weight = int16(2)
        let sign = UInt16(bytes[4]) << 8 | UInt16(bytes[5])
        guard ndigits >= 0, bytes.count == 8 + 2 * ndigits else { return nil }
        guard sign == 0x0000 || sign == 0x4000 else { return nil }   // NaN, ±Infinity
        if ndigits == 0 { return 0 }
        if let exact = exactNumeric(bytes, ndigits: ndigits, weight: weight, negative: sign == 0x4000) { return exact }
        // "-" + 4 per digit + "e-" + up to 6 exponent digits.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4 * ndigits + 10) { text in
            var n = 0
            if sign == 0x4000 { text[n] = UInt8(ascii: "-"); n += 1 }
            for i in 0..<ndigits {
                var digit = int16(8 + 2 * i)
                guard digit >= 0, digit < 10_000 else { return nil }
                for place in stride(from: 3, through: 0, by: -1) {
                    text[n + place] = UInt8(ascii: "0") + UInt8(digit % 10)
                    digit /= 10
                }
                n += 4
            }
            var exponent = 4 * (weight - ndigits + 1)
            if exponent != 0 {
                text[n] = UInt8(ascii: "e"); n += 1
                if exponent < 0 { text[n] = UInt8(ascii: "-"); n += 1; exponent = -exponent }
                let start = n
                repeat { text[n] = UInt8(ascii: "0") + UInt8(exponent % 10); n += 1; exponent /= 10 } while exponent > 0
                text[start..<n].reverse()
            }
            return DecimalText.double(UnsafeBufferPointer(rebasing: text[0..<n]))
        }
    }

    /// Exact powers of ten, 10^0 … 10^22 (every one a double without rounding).
    private static let exactPowersOfTen: [Double] = (0...22).map { k in (0..<k).reduce(1.0) { acc, _ in acc * 10 } }

    /// Clinger's fast path for `numeric`; nil when it does not apply (or a digit is malformed).
    @inline(__always)
    static func exactNumeric(_ bytes: UnsafeRawBufferPointer, ndigits: Int, weight: Int, negative: Bool) -> Double? {
        // At most four base-10000 digits fit below 2^53 (10^16 > 2^53, so
        // four are checked against the bound after).
        guard ndigits <= 4 else { return nil }
        var mantissa: UInt64 = 0
        for i in 0..<ndigits {
            let digit = UInt64(UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: 8 + 2 * i, as: UInt16.self)))
            guard digit < 10_000 else { return nil }
            mantissa = mantissa &* 10_000 &+ digit
        }
        let exponent = 4 * (weight - ndigits + 1)
        guard mantissa < 1 << 53, exponent >= -22, exponent <= 22 else { return nil }
        let magnitude = exactPowersOfTen.withUnsafeBufferPointer { powers in
            exponent >= 0 ? Double(mantissa) * powers[exponent] : Double(mantissa) / powers[-exponent]
        }
        return negative ? -magnitude : magnitude
    }
}
