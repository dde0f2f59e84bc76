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
                if c == CSVByte.comma || c == CSVByte.lf || c == CSVByte.cr {
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
                    if c == CSVByte.comma || c == CSVByte.lf || c == CSVByte.cr { break }
                    if c == CSVByte.quote { return nil }
                    stop += 1
                }
            }
            guard stop < end else { return nil }
            let terminator = base[stop]
            if field < lastField {
                guard terminator == CSVByte.comma else { return nil }
                q = stop + 1
                field += 1
                continue
            }
            var next = stop + 1
            if terminator == CSVByte.cr {
                guard next < end && base[next] == CSVByte.lf else { return nil }
                next += 1
            } else if terminator != CSVByte.lf {
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
                    quotients: DecimalQuotients, timestamps: UnsafeMutablePointer<Int64>,
                    values: UnsafeMutablePointer<UnsafeMutablePointer<Double>>, fieldStore: UnsafeBufferPointer<Int>,
                    dateCache: inout TimestampParser.DateCache) -> Int? {
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
                guard base[stop] == CSVByte.comma else { return nil }
            } else {
                guard base[stop] == CSVByte.lf else { return nil }
                if e > s && base[e - 1] == CSVByte.cr { e -= 1 }
            }
            let store = fieldStore[field]
            if store >= 0 {
                guard plainValue(base, s, e, end: end, store: store, quotients: quotients, into: values[store] + n)
                else { return nil }
            } else if store == -1 {
                guard plainTimestamp(base, s, e, end: end, into: timestamps + n, dateCache: &dateCache) else { return nil }
            } else {
                guard Self.unquoted(base, s, e) else { return nil }
            }
            s = stop &+ 1
            if field == lastField {
                // Over-long lines are the general code's to report.
                return e - p <= maxLineBytes ? s : nil
            }
            field += 1
        }
    }

    /// The value field `s..<e` (its separator at `e`, a CR before a line end
    /// already dropped) into `slot`, when it is plain: empty (NaN, carried
    /// forward by the validator) or unsigned `digits[.digits]` that
    /// `DecimalParser.parseUnsignedPrefix` takes whole (what the general code
    /// tries first), positive for a price. Up to 8 bytes are read from the
    /// word ending at `e`, up to 8 + 8 digits with one word each. False for
    /// anything else: the caller then leaves the line to the paths that decide.
    @inline(__always)
    func plainValue(_ base: UnsafePointer<UInt8>, _ s: Int, _ e: Int, end: Int, store: Int, quotients: DecimalQuotients,
                    into slot: UnsafeMutablePointer<Double>) -> Bool {
        let length = e &- s
        if length == 0 {
            slot.pointee = .nan
        } else if length <= 8 && e >= 8 {
            guard let parts = SWARDigits.alignedDecimalParts(SWARDigits.load(base + (e &- 8)), length: length),
                  store >= 4 || parts.significand > 0 else { return false }
            // Below 10^8 with at most 7 fraction digits: the quotient's domain.
            slot.pointee = quotients.quotient(parts.significand, byPowerOfTen: parts.fractionDigits)
        } else if s + 16 <= end, let fast = SWARDigits.unsignedDecimalParts(base + s), fast.length == length {
            guard store >= 4 || fast.significand > 0 else { return false }
            slot.pointee = fast.significand / fast.divisor
        } else {
            // Longer numbers: the scalar parser the general code tries first, on the same field.
            guard let (value, stop) = DecimalParser.parseUnsignedPrefix(base, from: s, end: e), stop == e,
                  store >= 4 || value > 0 else { return false }
            slot.pointee = value
        }
        return true
    }

    /// The timestamp field `s..<e` into `slot`: ISO-8601 on the cached date,
    /// epoch digits, or any other form the general parser takes from the
    /// untrimmed field. False when the general code would decide otherwise.
    @inline(__always)
    func plainTimestamp(_ base: UnsafePointer<UInt8>, _ s: Int, _ e: Int, end: Int, into slot: UnsafeMutablePointer<Int64>,
                        dateCache: inout TimestampParser.DateCache) -> Bool {
        let length = e &- s
        if UInt(bitPattern: length &- 9) < 8 && e >= 16, let value = SWARDigits.alignedInteger(base, end: e, length: length),
           let t = TimestampParser.epochNanoseconds(integer: value) {
            // Epoch seconds, milliseconds or microseconds: the common exchange forms.
            slot.pointee = t
        } else if s + 32 <= end, let iso = TimestampParser.cachedDateISO(base + s, cache: dateCache), iso.length == length {
            slot.pointee = iso.nanoseconds
        } else if length <= 19 && s + 24 <= end, let digits = SWARDigits.integerDigits(base + s),
                  digits.length == length, let t = TimestampParser.epochNanoseconds(integer: digits.value) {
            slot.pointee = t
        } else {
            // Any other form: the general parser on the untrimmed field, as the general code would call it.
            guard length > 0, !Self.trimmed(base[s]), !Self.trimmed(base[e - 1]),
                  let t = TimestampParser.parse(base + s, count: length, cache: &dateCache) else { return false }
            slot.pointee = t
        }
        return true
    }

    /// Whether an ignored field `s..<e` has no quote (a quoted one is the general code's).
    @inline(__always)
    static func unquoted(_ base: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
        var i = s
        while i < e {
            if base[i] == CSVByte.quote { return false }
            i += 1
        }
        return true
    }

    /// Whether the general code would trim or unquote a field starting or ending with `byte`.
    @inline(__always)
    private static func trimmed(_ byte: UInt8) -> Bool {
        byte == CSVByte.space || byte == CSVByte.tab || byte == CSVByte.quote
    }

    /// The timestamp field at `q`, epoch digits or any ISO-8601 form, into
    /// `slot`; where the field ends, or nil for the general code to decide.
    @inline(__always)
    private func timestamp(_ base: UnsafePointer<UInt8>, _ q: Int, end: Int, into slot: UnsafeMutablePointer<Int64>,
                           dateCache: inout TimestampParser.DateCache) -> Int? {
        guard q + 24 <= end, let digits = SWARDigits.integerDigits(base + q) else { return nil }
        var stop = q + digits.length
        if digits.length == 4 && base[stop] == CSVByte.dash {
            stop = Self.fieldEnd(base, from: stop, end: end)
            guard stop < end else { return nil }
            if base[stop] == CSVByte.lf && base[stop - 1] == CSVByte.cr { stop -= 1 }
            let tail = base[stop - 1]
            guard tail != CSVByte.space && tail != CSVByte.tab && tail != CSVByte.quote,
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
            let hit = SWARDigits.firstIndex(of: CSVByte.comma, or: CSVByte.lf, in: SWARDigits.load(base + i))
            if hit < 8 { return i + hit }
            i += 8
        }
        while i < end && base[i] != CSVByte.comma && base[i] != CSVByte.lf { i += 1 }
        return i
    }
}

/// The bytes the fast row path looks for.
enum CSVByte {
    static let comma = UInt8(ascii: ","), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
    static let dash = UInt8(ascii: "-"), space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")
    static let quote = UInt8(ascii: "\"")
}
