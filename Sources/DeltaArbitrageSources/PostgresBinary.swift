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
}
