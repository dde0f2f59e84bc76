import SpreadKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What one chunk of data lines produced: raw columns plus the bookkeeping
/// needed to give errors their file line numbers afterwards.
///
/// Line numbers inside a chunk are local (0 = the chunk's first line); the
/// loader adds the chunk's first file line once earlier chunks have counted
/// theirs. `@unchecked Sendable` for the same reason as `CSVRawColumns`.
final class CSVChunk: @unchecked Sendable {
    let columns: CSVRawColumns
    /// Lines started in this chunk (data, bad and blank).
    var lineCount = 0
    var blankLines = 0
    /// (row index, local line) whenever a stored row does not directly follow
    /// the previous stored row's line (blank or bad lines in between).
    var anchors: [(row: Int, line: Int)] = []
    /// Bad rows: counts per kind and the first few errors (local line numbers).
    var skippedByKind: [MarketDataError.Kind: Int] = [:]
    var skipped = 0
    var errors: [MarketDataError] = []
    /// In strict mode, the error that stopped this chunk.
    var fatal: MarketDataError?

    init(columns: CSVRawColumns) { self.columns = columns }

    /// Local line of stored row `row` (before the validator compacts rows).
    func localLine(ofRow row: Int) -> Int {
        let anchor = anchors[anchors.partitionPoint(in: anchors.indices) { $0.row > row } - 1]
        return anchor.line + (row - anchor.row)
    }
}

/// Parses data lines into raw columns: one pass over the bytes, no per-row
/// or per-field objects. Only checks what a single field can show (syntax,
/// quoting, sign of prices and quantities, field count); carry-forward,
/// order and crossed books are the validator's job, run afterwards in file
/// order so that chunks can be parsed in parallel.
///
/// Fields are trimmed of spaces and tabs. A field in double quotes is
/// accepted when the quotes enclose the whole field and nothing inside is a
/// quote or comma; anything else with a quote is `.invalidQuoting`. A line
/// that is empty (after removing a trailing `\r`) is skipped as blank.
struct CSVChunkParser: Sendable {
    let layout: CSVColumnLayout
    /// Per field: -2 ignored, -1 timestamp, k >= 0 value column k of `CSVRawColumns`.
    let fieldStore: [Int]
    /// Per value column: its slot in `CSVColumnLayout.slotNames`.
    let storeSlot: [Int]
    let file: String?
    let skipBadRows: Bool
    let maxErrors: Int
    /// `MarketDataCSVOptions.maxLineBytes`.
    let maxLineBytes: Int
    /// Whether plain lines take `fastRow` first (off only to test that path).
    let fastRows: Bool
    /// Whether the fast paths call the AVX2 kernels: asked for, and the
    /// processor has AVX2 (the one place that checks).
    let vectorInstructions: Bool

    init(layout: CSVColumnLayout, file: String?, skipBadRows: Bool, maxErrors: Int, maxLineBytes: Int,
         fastRows: Bool = true, vectorInstructions: Bool = true) {
        self.fastRows = fastRows
        self.vectorInstructions = vectorInstructions && ProcessorFeatures.avx2
        self.layout = layout
        self.file = file
        self.skipBadRows = skipBadRows
        self.maxErrors = maxErrors
        self.maxLineBytes = maxLineBytes
        var storeSlot = [1, 2, 3, 4]
        for slot in 5...8 where layout.fieldOfSlot[slot] != 0 { storeSlot.append(slot) }
        self.storeSlot = storeSlot
        fieldStore = layout.slotOfField.map { slot in
            if slot < 0 { return -2 }
            if slot == 0 { return -1 }
            return storeSlot.firstIndex(of: Int(slot)) ?? -2
        }
    }

    var storeCount: Int { storeSlot.count }

    /// A bad field, described by positions only; the error text is built later, off the hot path.
    private struct RowFailure {
        var kind: MarketDataError.Kind
        var field: Int
        var start: Int
        var end: Int
    }

    /// Parses the lines in `range` of `base` (the range starts at a line start)
    /// into `columns` from row `columns.headroom` on. A line over
    /// `maxLineBytes` stops the chunk (`fatal`) even when skipping bad rows.
    ///
    /// Plain lines take the fast paths in turn: `indexedRow`, with the field
    /// bounds from the piece's separator index (`CSVSeparatorIndex`, built
    /// first), then `fastRow`, which scans for each field's end. Any other
    /// line (signs, exponents, spaces, quotes, bad text) takes the general
    /// path, which decides acceptance on its own. The row's values are
    /// written straight into the columns at the next index, which only
    /// advances when the whole row is good.
    func parse(_ base: UnsafePointer<UInt8>, range: Range<Int>, into columns: CSVRawColumns) -> CSVChunk {
        columns.start = columns.headroom
        columns.count = columns.headroom
        let chunk = CSVChunk(columns: columns)
        let storeCount = self.storeCount
        let fieldCount = layout.fieldCount

        var p = range.lowerBound
        let end = range.upperBound
        var line = 0
        var lastStoredLine = Int.min
        var blankLines = 0
        var dateCache = TimestampParser.DateCache()
        var n = columns.count
        var capacity = columns.capacity
        var timestamps = columns.timestamps
        let values = columns.values
        let separators = columns.separators
        if fastRows { separators.begin(base, range, vectorInstructions: vectorInstructions) }
        let quotients = DecimalQuotients.shared
        // The first separator at or after `p` is offsets[cursor] (index 0 is the -1 before the piece).
        var cursor = 1
        // Lines left to read one by one after a columnar block declined them,
        // and how many blocks in a row declined: each doubles the lines read
        // one by one before the next try (up to 64 blocks' worth), so that a
        // file whose every block declines does not parse each block twice.
        var lineByLine = 0
        var declines = 0

        fieldStore.withUnsafeBufferPointer { fieldStore in
            while p < end {
                // Index a little ahead of the rows: the columnar blocks then read their
                // text and separators from the first-level cache.
                if fastRows && separators.indexedEnd < min(p &+ Self.indexAhead, end) {
                    separators.extend(through: p &+ 2 &* Self.indexAhead)
                }
                let offsets = separators.offsets, offsetCount = separators.offsetCount
                if fastRows && lineByLine == 0 && offsetCount > 0 {
                    let relative = p - range.lowerBound
                    while cursor <= offsetCount && Int(offsets[cursor]) < relative { cursor += 1 }
                    let rows = min((offsetCount + 1 - cursor) / fieldCount, Self.columnarBlockRows, capacity - n)
                    if rows >= Self.columnarMinimumRows {
                        if let next = columnarRows(base, p, rows: rows, end: end, row: n, separators: offsets + cursor,
                                                   origin: range.lowerBound, quotients: quotients, timestamps: timestamps,
                                                   values: values, fieldStore: fieldStore, dateCache: &dateCache) {
                            if line != lastStoredLine &+ 1 { chunk.anchors.append((n, line)) }
                            line += rows
                            lastStoredLine = line - 1
                            n += rows
                            p = next
                            cursor += rows * fieldCount
                            declines = 0
                            continue
                        }
                        lineByLine = rows << min(declines, 6)
                        declines += 1
                    }
                }
                if lineByLine > 0 { lineByLine -= 1 }
                if fastRows && n < capacity,
                   let next = indexedRow(base, p, end: end, row: n, separators: separators, quotients: quotients,
                                         timestamps: timestamps,
                                         values: values, fieldStore: fieldStore, dateCache: &dateCache)
                    ?? fastRow(base, p, end: end, row: n, timestamps: timestamps, values: values,
                               fieldStore: fieldStore, dateCache: &dateCache) {
                    if line != lastStoredLine &+ 1 { chunk.anchors.append((n, line)) }
                    lastStoredLine = line
                    line += 1
                    n += 1
                    p = next
                    continue
                }
                let lineEnd: Int
                if let hit = memchr(base + p, 0x0A, end - p) {
                    lineEnd = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - base
                } else {
                    lineEnd = end
                }
                let thisLine = line
                line += 1
                var e = lineEnd
                if e > p && base[e - 1] == 0x0D { e -= 1 }
                let lineStart = p
                p = lineEnd + 1
                if e - lineStart > maxLineBytes {
                    chunk.fatal = tooLong(line: thisLine, base, lineStart, e, ended: lineEnd < end)
                    break
                }
                if e == lineStart {
                    blankLines += 1
                    continue
                }
                if n == capacity {
                    columns.count = n
                    columns.grow()
                    capacity = columns.capacity
                    timestamps = columns.timestamps
                }
                for k in 0..<storeCount { values[k][n] = .nan }

                var field = 0
                var q = lineStart
                var failure: RowFailure? = nil
                while true {
                    if field >= fieldCount {
                        failure = RowFailure(kind: .extraField, field: field, start: q, end: e)
                        break
                    }
                    let store = fieldStore[field]
                    var next = q
                    if store >= 0 {
                        if q < e && base[q] != 0x2C {
                            if let (value, stop) = DecimalParser.parseUnsignedPrefix(base, from: q, end: e),
                               stop == e || base[stop] == 0x2C, store >= 4 || value > 0 {
                                values[store][n] = value
                                next = stop
                            } else {
                                while next < e && base[next] != 0x2C { next += 1 }
                                if let bad = generalValue(base, q, next, store: store, field: field, lineEnd: e,
                                                          into: values[store] + n) {
                                    failure = bad
                                    break
                                }
                            }
                        }
                    } else {
                        while next < e && base[next] != 0x2C { next += 1 }
                        if store == -1 {
                            var a = q, b = next
                            if a == b || Self.needsTrim(base[a]) || Self.needsTrim(base[b - 1]) {
                                if let bad = trimAndUnquote(base, &a, &b, field: field, lineEnd: e) {
                                    failure = bad
                                    break
                                }
                            }
                            guard a < b, let t = TimestampParser.parse(base + a, count: b - a, cache: &dateCache) else {
                                failure = RowFailure(kind: .invalidTimestamp, field: field, start: a, end: b)
                                break
                            }
                            timestamps[n] = t
                        } else if q < next && (base[q] == 0x22 || base[next - 1] == 0x22) {
                            var a = q, b = next
                            if let bad = trimAndUnquote(base, &a, &b, field: field, lineEnd: e) {
                                failure = bad
                                break
                            }
                        }
                    }
                    field += 1
                    if next >= e { break }
                    q = next + 1
                }
                if failure == nil && field < fieldCount {
                    failure = RowFailure(kind: .missingField, field: field, start: e, end: e)
                }
                if let failure {
                    let error = makeError(failure, line: thisLine, base)
                    if skipBadRows {
                        chunk.skipped += 1
                        chunk.skippedByKind[error.kind, default: 0] += 1
                        if chunk.errors.count < maxErrors { chunk.errors.append(error) }
                        continue
                    }
                    chunk.fatal = error
                    break
                }
                if thisLine != lastStoredLine &+ 1 { chunk.anchors.append((n, thisLine)) }
                lastStoredLine = thisLine
                n += 1
            }
        }
        columns.count = n
        chunk.blankLines = blankLines
        chunk.lineCount = line
        return chunk
    }

    @inline(__always)
    private static func needsTrim(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x22 }

    /// Any value field the fused fast path did not take: trims, unquotes,
    /// parses with the general decimal parser and checks the sign.
    @inline(never)
    private func generalValue(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, store: Int, field: Int,
                              lineEnd: Int, into slot: UnsafeMutablePointer<Double>) -> RowFailure? {
        var a = start, b = end
        if let bad = trimAndUnquote(base, &a, &b, field: field, lineEnd: lineEnd) { return bad }
        if a == b { return nil }  // blank after trimming: no update, like an empty field
        guard let value = DecimalParser.parse(base + a, count: b - a) else {
            return RowFailure(kind: .invalidNumber, field: field, start: a, end: b)
        }
        if store < 4 ? !(value > 0) : value < 0 {
            return RowFailure(kind: store < 4 ? .nonPositivePrice : .negativeQuantity, field: field, start: a, end: b)
        }
        slot.pointee = value
        return nil
    }

    /// Trims spaces and tabs, then strips one pair of enclosing quotes, or
    /// explains why the field's quoting is unsupported.
    private func trimAndUnquote(_ base: UnsafePointer<UInt8>, _ a: inout Int, _ b: inout Int,
                                field: Int, lineEnd: Int) -> RowFailure? {
        while a < b && (base[a] == 0x20 || base[a] == 0x09) { a += 1 }
        while b > a && (base[b - 1] == 0x20 || base[b - 1] == 0x09) { b -= 1 }
        guard a < b && (base[a] == 0x22 || base[b - 1] == 0x22) else { return nil }
        return unquote(base, &a, &b, field: field, lineEnd: lineEnd)
    }

    /// Strips one pair of enclosing quotes, or explains why the field's quoting is unsupported.
    private func unquote(_ base: UnsafePointer<UInt8>, _ a: inout Int, _ b: inout Int,
                         field: Int, lineEnd: Int) -> RowFailure? {
        let enclosed = b - a >= 2 && base[a] == 0x22 && base[b - 1] == 0x22
        var inner = enclosed ? a + 1 : b
        while inner < b - 1 && base[inner] != 0x22 { inner += 1 }
        if enclosed && inner == b - 1 {
            a += 1
            b -= 1
            return nil
        }
        // Show the rest of the line: an embedded comma splits the quoted text across fields.
        return RowFailure(kind: .invalidQuoting, field: field, start: a, end: lineEnd)
    }

    /// `ended`: whether the line's end is in the piece (a piece may end inside an over-long line).
    @inline(never)
    private func tooLong(line: Int, _ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, ended: Bool) -> MarketDataError {
        CSVInputText.lineTooLong(file: file, line: line, limit: maxLineBytes, length: end - start, lengthKnown: ended,
                                 start: UnsafeBufferPointer(start: base + start, count: min(end - start, 256)),
                                 atFileStart: false)
    }

    /// The error for a bad field (`field` is 0-based), quoting the offending text (capped).
    @inline(never)
    private func makeError(_ failure: RowFailure, line: Int, _ base: UnsafePointer<UInt8>) -> MarketDataError {
        let field = failure.field
        let text = CSVInputText.excerpt(UnsafeBufferPointer(start: base + failure.start,
                                                            count: failure.end - failure.start))
        let why: String
        switch failure.kind {
        case .missingField: why = "row has \(field) fields, the header has \(layout.fieldCount)"
        case .extraField: why = "more fields than the \(layout.fieldCount) header columns: '\(text)'"
        case .invalidQuoting: why = "quoted fields with embedded commas or quotes are not supported: '\(text)'"
        case .invalidNumber: why = "not a finite decimal number: '\(text)'"
        case .nonPositivePrice: why = "price must be positive: '\(text)'"
        case .negativeQuantity: why = "quantity must not be negative: '\(text)'"
        case .invalidTimestamp: why = "not an ISO-8601 time or epoch number in range: '\(text)'"
        default: why = "'\(text)'"
        }
        let column = field < layout.fieldCount ? layout.fieldNames[field] : nil
        return MarketDataError(kind: failure.kind, file: file, line: line, column: column, field: field + 1, detail: why)
    }
}
