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
        var lo = 0, hi = anchors.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if anchors[mid].row <= row { lo = mid + 1 } else { hi = mid }
        }
        let anchor = anchors[lo - 1]
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

    init(layout: CSVColumnLayout, file: String?, skipBadRows: Bool, maxErrors: Int) {
        self.layout = layout
        self.file = file
        self.skipBadRows = skipBadRows
        self.maxErrors = maxErrors
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

    /// Parses the lines in `range` of `base` (the range starts at a line start).
    func parse(_ base: UnsafePointer<UInt8>, range: Range<Int>, estimatedRows: Int) -> CSVChunk {
        let chunk = CSVChunk(columns: CSVRawColumns(storeCount: storeCount, capacity: estimatedRows))
        let columns = chunk.columns
        let storeCount = self.storeCount
        let fieldCount = layout.fieldCount
        let row = UnsafeMutablePointer<Double>.allocate(capacity: storeCount)
        defer { row.deallocate() }

        var p = range.lowerBound
        let end = range.upperBound
        var line = 0
        var lastStoredLine = Int.min

        fieldStore.withUnsafeBufferPointer { fieldStore in
            while p < end {
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
                if e == lineStart {
                    chunk.blankLines += 1
                    continue
                }

                for k in 0..<storeCount { row[k] = .nan }
                var timestamp: Int64 = 0
                var field = 0
                var fieldStart = lineStart
                var failure: MarketDataError? = nil
                while true {
                    var q = fieldStart
                    while q < e && base[q] != 0x2C { q += 1 }
                    if field >= fieldCount {
                        failure = error(.extraField, line: thisLine, field: field, base, fieldStart, e,
                                        "more fields than the \(fieldCount) header columns")
                        break
                    }
                    var a = fieldStart, b = q
                    while a < b && (base[a] == 0x20 || base[a] == 0x09) { a += 1 }
                    while b > a && (base[b - 1] == 0x20 || base[b - 1] == 0x09) { b -= 1 }
                    if a < b && (base[a] == 0x22 || base[b - 1] == 0x22) {
                        if let bad = unquote(base, &a, &b, line: thisLine, field: field, lineEnd: e) {
                            failure = bad
                            break
                        }
                    }
                    let store = fieldStore[field]
                    if store >= 0 {
                        if a < b {
                            guard let value = DecimalParser.parse(base + a, count: b - a) else {
                                failure = error(.invalidNumber, line: thisLine, field: field, base, a, b,
                                                "not a finite decimal number")
                                break
                            }
                            if store < 4 {
                                if !(value > 0) {
                                    failure = error(.nonPositivePrice, line: thisLine, field: field, base, a, b,
                                                    "price must be positive")
                                    break
                                }
                            } else if value < 0 {
                                failure = error(.negativeQuantity, line: thisLine, field: field, base, a, b,
                                                "quantity must not be negative")
                                break
                            }
                            row[store] = value
                        }
                    } else if store == -1 {
                        guard a < b, let t = TimestampParser.parse(base + a, count: b - a) else {
                            failure = error(.invalidTimestamp, line: thisLine, field: field, base, a, b,
                                            "not an ISO-8601 time or epoch number in range")
                            break
                        }
                        timestamp = t
                    }
                    field += 1
                    if q >= e { break }
                    fieldStart = q + 1
                }
                if failure == nil && field < fieldCount {
                    failure = error(.missingField, line: thisLine, field: field, base, e, e,
                                    "row has \(field) fields, the header has \(fieldCount)")
                }
                if let failure {
                    if skipBadRows {
                        chunk.skipped += 1
                        chunk.skippedByKind[failure.kind, default: 0] += 1
                        if chunk.errors.count < maxErrors { chunk.errors.append(failure) }
                        continue
                    }
                    chunk.fatal = failure
                    break
                }
                if thisLine != lastStoredLine &+ 1 { chunk.anchors.append((columns.count, thisLine)) }
                lastStoredLine = thisLine
                columns.append(timestamp: timestamp, row: row)
            }
        }
        chunk.lineCount = line
        return chunk
    }

    /// Strips one pair of enclosing quotes, or explains why the field's quoting is unsupported.
    private func unquote(_ base: UnsafePointer<UInt8>, _ a: inout Int, _ b: inout Int,
                         line: Int, field: Int, lineEnd: Int) -> MarketDataError? {
        let enclosed = b - a >= 2 && base[a] == 0x22 && base[b - 1] == 0x22
        var inner = enclosed ? a + 1 : b
        while inner < b - 1 && base[inner] != 0x22 { inner += 1 }
        if enclosed && inner == b - 1 {
            a += 1
            b -= 1
            return nil
        }
        // Show the rest of the line: an embedded comma splits the quoted text across fields.
        return error(.invalidQuoting, line: line, field: field, base, a, lineEnd,
                     "quoted fields with embedded commas or quotes are not supported")
    }

    /// Builds an error for field `field` (0-based) with the offending text; only on the error path.
    @inline(never)
    private func error(_ kind: MarketDataError.Kind, line: Int, field: Int,
                       _ base: UnsafePointer<UInt8>, _ a: Int, _ b: Int, _ why: String) -> MarketDataError {
        let text = String(decoding: UnsafeBufferPointer(start: base + a, count: min(b - a, 80)), as: UTF8.self)
        let column: String?
        if field < layout.fieldCount {
            column = layout.fieldNames[field]
        } else {
            column = nil
        }
        let detail = kind == .missingField ? why : "\(why): '\(text)'"
        return MarketDataError(kind: kind, file: file, line: line, column: column, field: field + 1, detail: detail)
    }
}
