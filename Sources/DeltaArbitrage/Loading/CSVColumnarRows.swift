import CIntrinsics

extension CSVChunkParser {
    /// Lines a columnar block takes at most: its text (~10 KiB) and
    /// separator offsets stay in the core's first-level cache.
    static let columnarBlockRows = 128

    /// Bytes of text the separator index keeps ready ahead of the parser
    /// (it goes on twice as far when it falls short): a block's worth and
    /// more, yet text and offsets both still in the first-level cache when
    /// the block reads them back.
    static let indexAhead = 16 << 10

    /// Fewest lines worth a columnar block; fewer go line by line.
    static let columnarMinimumRows = 8

    /// Parses the `rows` lines that start at `p` column by column: each
    /// field's bounds come from the piece's separator offsets
    /// (`separators`, pointing at the first separator at or after `p`; the
    /// one before it is the line end before `p`), so the loop over a column
    /// parses the same kind of field row after row with no dispatch on the
    /// field, and rows do not wait for each other.
    ///
    /// Takes the block only when every line is plain in the sense of
    /// `indexedRow` (the same fields, parsed by the same helpers, so the
    /// same values) and has exactly the header's field count; nil
    /// otherwise, and the caller then reads these lines one by one with
    /// the paths that decide. Returns where the line after the block starts.
    ///
    /// Rows `n..<n + rows` may be written to (partly) even when it returns nil.
    func columnarRows(_ base: UnsafePointer<UInt8>, _ p: Int, rows: Int, end: Int, row n: Int,
                      separators: UnsafePointer<Int32>, origin: Int, quotients: DecimalQuotients,
                      timestamps: UnsafeMutablePointer<Int64>, values: UnsafeMutablePointer<UnsafeMutablePointer<Double>>,
                      fieldStore: UnsafeBufferPointer<Int>, dateCache: inout TimestampParser.DateCache) -> Int? {
        let fieldCount = fieldStore.count
        let lastField = fieldCount - 1
        // The AVX2 kernel reads the 8 bytes before each field's end: here
        // every field ends 8 bytes or more into the input.
        let wordsBeforeEnds = vectorInstructions && p >= 8
        // Field `field` of row r ends at separator `r * fieldCount + field` and starts after the one before.
        @inline(__always)
        func bounds(_ field: Int, _ r: Int) -> (start: Int, end: Int)? {
            let index = r &* fieldCount &+ field
            let s = origin &+ Int(separators[index &- 1]) &+ 1
            let stop = origin &+ Int(separators[index])
            if field < lastField { return base[stop] == CSVByte.comma ? (s, stop) : nil }
            guard base[stop] == CSVByte.lf else { return nil }
            let e = stop > s && base[stop - 1] == CSVByte.cr ? stop - 1 : stop
            // Over-long lines are the general code's to report.
            let lineStart = origin &+ Int(separators[r &* fieldCount &- 1]) &+ 1
            return e - lineStart <= maxLineBytes ? (s, e) : nil
        }
        /// Field `field` of row `r`, one at a time.
        @inline(__always)
        func cell(_ field: Int, _ store: Int, _ r: Int, dateCache: inout TimestampParser.DateCache) -> Bool {
            guard let (s, e) = bounds(field, r) else { return false }
            if store >= 0 {
                return plainValue(base, s, e, end: end, store: store, quotients: quotients, into: values[store] + n + r)
            } else if store == -1 {
                return plainTimestamp(base, s, e, end: end, into: timestamps + n + r, dateCache: &dateCache)
            }
            return Self.unquoted(base, s, e)
        }
        /// Field `field` of rows `r..<r + 4` when all four are short plain
        /// decimals (`alignedDecimalLanes`); false leaves them to `cell`.
        @inline(__always)
        func fourValues(_ field: Int, _ store: Int, _ r: Int) -> Bool {
            if wordsBeforeEnds {
                // The same values and declines, with the instructions AVX2 has for them; the kernel
                // checks the lengths, so each lane is two separator loads and a word load.
                @inline(__always)
                func lane(_ k: Int) -> (word: UInt64, length: Int64)? {
                    guard let (s, e) = bounds(field, r &+ k) else { return nil }
                    return (SWARDigits.load(base + (e &- 8)), Int64(truncatingIfNeeded: e &- s))
                }
                guard let a = lane(0), let b = lane(1), let c = lane(2), let d = lane(3) else { return false }
                return delta_arb_decimals4_avx2(a.word, b.word, c.word, d.word, a.length, b.length, c.length, d.length,
                                                store < 4 ? 1 : 0, values[store] + n + r) == 0
            }
            // Built from four scalars at once: setting lanes one by one goes
            // through memory and stalls on every lane.
            @inline(__always)
            func lane(_ k: Int) -> (word: UInt64, field: UInt64)? {
                guard let (s, e) = bounds(field, r &+ k), UInt(bitPattern: e &- s &- 1) < 8, e >= 8 else { return nil }
                return (SWARDigits.load(base + (e &- 8)), SWARDigits.fieldMask(e &- s))
            }
            guard let a = lane(0), let b = lane(1), let c = lane(2), let d = lane(3) else { return false }
            let parts = SWARDigits.alignedDecimalLanes(SIMD4(a.word, b.word, c.word, d.word),
                                                       fields: SIMD4(a.field, b.field, c.field, d.field))
            var declined = parts.declined
            // A price must be positive.
            if store < 4 { declined |= ~SWARDigits.nonZeroLanes(parts.significands) }
            guard declined[0] | declined[1] | declined[2] | declined[3] == 0 else { return false }
            let quotients = quotients.quotients(parts.significands, byPowersOfTen: parts.fractionDigits)
            UnsafeMutableRawPointer(values[store] + n + r).storeBytes(of: quotients, as: SIMD4<Double>.self)
            return true
        }
        for field in 0..<fieldCount {
            let store = fieldStore[field]
            var r = 0
            if store >= 0 {
                while r &+ 4 <= rows {
                    if !fourValues(field, store, r) {
                        for lane in r..<(r &+ 4) {
                            guard cell(field, store, lane, dateCache: &dateCache) else { return nil }
                        }
                    }
                    r &+= 4
                }
            }
            while r < rows {
                guard cell(field, store, r, dateCache: &dateCache) else { return nil }
                r &+= 1
            }
        }
        return origin &+ Int(separators[rows &* fieldCount &- 1]) &+ 1
    }
}
