extension CSVChunkParser {
    /// Parses the line at `p` into row `n` when it has the plain form that
    /// writers produce: unquoted, untrimmed fields, numbers as
    /// `digits[.digits]`, the timestamp as epoch digits or ISO-8601, and a
    /// line end of LF or CRLF. Returns where the next line starts, or nil for
    /// any other line (blank, bad, quoted, signed, exponent, the input's last
    /// line without a line end, ...), which `parse` then reads with the
    /// general code from scratch, so that this path decides nothing on its
    /// own: it gives the same values as the general code or none.
    ///
    /// Row `n` may be written to (partly) even when it returns nil.
    @inline(__always)
    func fastRow(_ base: UnsafePointer<UInt8>, _ p: Int, end: Int, row n: Int,
                 timestamps: UnsafeMutablePointer<Int64>, values: UnsafeMutablePointer<UnsafeMutablePointer<Double>>,
                 fieldStore: UnsafeBufferPointer<Int>, dateCache: inout TimestampParser.DateCache) -> Int? {
        let lastField = fieldStore.count - 1
        var q = p
        var field = 0
        while true {
            guard q < end else { return nil }
            let store = fieldStore[field]
            var stop: Int
            if store >= 0 {
                let c = base[q]
                if c == Byte.comma || c == Byte.lf || c == Byte.cr {
                    values[store][n] = .nan  // empty: carried forward by the validator
                    stop = q
                } else {
                    let significand: Double, divisor: Double
                    if q + 16 <= end, let fast = SWARDigits.unsignedDecimalParts(base + q) {
                        (significand, divisor) = (fast.significand, fast.divisor)
                        stop = q + fast.length
                    } else if let scalar = DecimalParser.parseUnsignedPrefix(base, from: q, end: end) {
                        (significand, divisor) = (scalar.value, 1)
                        stop = scalar.end
                    } else {
                        return nil
                    }
                    // The quotient of a positive divisor has the significand's sign.
                    if store < 4 && !(significand > 0) { return nil }
                    values[store][n] = significand / divisor
                }
            } else if store == -1 {
                if q + 32 <= end, let iso = TimestampParser.cachedDateISO(base + q, cache: dateCache) {
                    timestamps[n] = iso.nanoseconds
                    stop = q + iso.length
                } else {
                    guard let next = timestamp(base, q, end: end, into: timestamps + n, dateCache: &dateCache) else { return nil }
                    stop = next
                }
            } else {
                // An ignored field: anything without quotes up to the comma.
                stop = q
                while stop < end {
                    let c = base[stop]
                    if c == Byte.comma || c == Byte.lf || c == Byte.cr { break }
                    if c == Byte.quote { return nil }
                    stop += 1
                }
            }
            guard stop < end else { return nil }
            let terminator = base[stop]
            if field < lastField {
                guard terminator == Byte.comma else { return nil }
                q = stop + 1
                field += 1
                continue
            }
            var next = stop + 1
            if terminator == Byte.cr {
                guard next < end && base[next] == Byte.lf else { return nil }
                next += 1
            } else if terminator != Byte.lf {
                return nil
            }
            // Over-long lines are the general code's to report.
            return stop - p <= maxLineBytes ? next : nil
        }
    }

    /// `fastRow` with the row's field bounds taken from `separators` (the
    /// piece's structural index): each field is parsed from its known
    /// bounds, with no scan for its end, so the fields of a row do not wait
    /// for each other. Takes the same plain rows as `fastRow` (up to 128
    /// bytes with the line end), gives the same values, and returns nil for
    /// anything else (then `fastRow`, and after it the general code, decide).
    ///
    /// Row `n` may be written to (partly) even when it returns nil.
    @inline(__always)
    func indexedRow(_ base: UnsafePointer<UInt8>, _ p: Int, end: Int, row n: Int, separators: CSVSeparatorIndex,
                    timestamps: UnsafeMutablePointer<Int64>, values: UnsafeMutablePointer<UnsafeMutablePointer<Double>>,
                    fieldStore: UnsafeBufferPointer<Int>, dateCache: inout TimestampParser.DateCache) -> Int? {
        // One 128-bit word, so that taking the next separator needs no branch on which half it is in.
        let (low, high) = separators.window(at: p)
        var bits = UInt128(high) &<< 64 | UInt128(low)
        let lastField = fieldStore.count - 1
        var s = p
        var field = 0
        while true {
            guard bits != 0 else { return nil }  // a line over 128 bytes, or no line end in the piece
            let stop = p &+ bits.trailingZeroBitCount
            bits &= bits &- 1
            var e = stop
            if field < lastField {
                guard base[stop] == Byte.comma else { return nil }
            } else {
                guard base[stop] == Byte.lf else { return nil }
                if e > s && base[e - 1] == Byte.cr { e -= 1 }
            }
            let length = e &- s
            let store = fieldStore[field]
            if store >= 0 {
                if length == 0 {
                    values[store][n] = .nan  // empty: carried forward by the validator
                } else if length <= 8 && e >= 8 {
                    guard let parts = SWARDigits.alignedDecimalParts(SWARDigits.load(base + (e &- 8)), length: length),
                          store >= 4 || parts.significand > 0 else { return nil }
                    // Both exact (below 10^8 and at most 10^8): the one division rounds correctly.
                    values[store][n] = Double(parts.significand) / DecimalParser.exactPowerOfTen(parts.fractionDigits)
                } else {
                    guard s + 16 <= end, let fast = SWARDigits.unsignedDecimalParts(base + s), fast.length == length,
                          store >= 4 || fast.significand > 0 else { return nil }
                    values[store][n] = fast.significand / fast.divisor
                }
            } else if store == -1 {
                if s + 32 <= end, let iso = TimestampParser.cachedDateISO(base + s, cache: dateCache), iso.length == length {
                    timestamps[n] = iso.nanoseconds
                } else if length <= 19 && s + 24 <= end, let digits = SWARDigits.integerDigits(base + s),
                          digits.length == length, let t = TimestampParser.epochNanoseconds(integer: digits.value) {
                    timestamps[n] = t
                } else {
                    // Any other form: the general parser on the untrimmed field, as the general code would call it.
                    guard length > 0, !Self.trimmed(base[s]), !Self.trimmed(base[e - 1]),
                          let t = TimestampParser.parse(base + s, count: length, cache: &dateCache) else { return nil }
                    timestamps[n] = t
                }
            } else {
                // An ignored field: anything without quotes.
                var i = s
                while i < e {
                    if base[i] == Byte.quote { return nil }
                    i += 1
                }
            }
            s = stop &+ 1
            if field == lastField {
                // Over-long lines are the general code's to report.
                return e - p <= maxLineBytes ? s : nil
            }
            field += 1
        }
    }

    /// Whether the general code would trim or unquote a field starting or ending with `byte`.
    @inline(__always)
    private static func trimmed(_ byte: UInt8) -> Bool {
        byte == Byte.space || byte == Byte.tab || byte == Byte.quote
    }

    /// The timestamp field at `q`, epoch digits or any ISO-8601 form, into
    /// `slot`; where the field ends, or nil for the general code to decide.
    @inline(__always)
    private func timestamp(_ base: UnsafePointer<UInt8>, _ q: Int, end: Int, into slot: UnsafeMutablePointer<Int64>,
                           dateCache: inout TimestampParser.DateCache) -> Int? {
        guard q + 24 <= end, let digits = SWARDigits.integerDigits(base + q) else { return nil }
        var stop = q + digits.length
        if digits.length == 4 && base[stop] == Byte.dash {
            stop = Self.fieldEnd(base, from: stop, end: end)
            guard stop < end else { return nil }
            if base[stop] == Byte.lf && base[stop - 1] == Byte.cr { stop -= 1 }
            let tail = base[stop - 1]
            guard tail != Byte.space && tail != Byte.tab && tail != Byte.quote,
                  let t = TimestampParser.parse(base + q, count: stop - q, cache: &dateCache)
            else { return nil }
            slot.pointee = t
        } else {
            guard let t = TimestampParser.epochNanoseconds(integer: digits.value) else { return nil }
            slot.pointee = t
        }
        return stop
    }

    /// The first `,` or LF at or after `from`, or `end`.
    @inline(__always)
    private static func fieldEnd(_ base: UnsafePointer<UInt8>, from: Int, end: Int) -> Int {
        var i = from
        while i + 8 <= end {
            let hit = SWARDigits.firstIndex(of: Byte.comma, or: Byte.lf, in: SWARDigits.load(base + i))
            if hit < 8 { return i + hit }
            i += 8
        }
        while i < end && base[i] != Byte.comma && base[i] != Byte.lf { i += 1 }
        return i
    }
}

/// The bytes the fast row path looks for.
private enum Byte {
    static let comma = UInt8(ascii: ","), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
    static let dash = UInt8(ascii: "-"), space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")
    static let quote = UInt8(ascii: "\"")
}
