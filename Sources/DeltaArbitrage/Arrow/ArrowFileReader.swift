import Dispatch
import SpreadKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads market data from an Arrow IPC file (Feather v2), uncompressed, as
/// pyarrow, polars and pandas write it and `ArrowFileWriter` writes it.
///
/// * Columns are found by name like the CSV header's (ASCII case-insensitive;
///   others are ignored): `timestamp` of type `timestamp` in s, ms, us or ns,
///   any or no time zone (times are UTC instants either way), converted
///   exactly to nanoseconds (a time outside 1677–2262 is an error); the four
///   prices required and the four quantities optional (absent: NaN), each
///   `float64` or `float32`. Any number of record batches.
/// * Rows are checked as the CSV loader checks them (`ArrowRowValidator`):
///   a null price or timestamp is an error naming the row, a null quantity
///   is NaN. `MarketDataCSVOptions.skipBadRows` skips bad rows instead.
/// * The file is memory-mapped; every offset, length and count in the footer
///   and the batch metadata is checked against the file before a column byte
///   is read, so a truncated or corrupt file is a `.malformedFile` error.
///   Compressed batches, dictionary-encoded columns, the stream format (no
///   footer) and big-endian files are `.unsupportedFormat` errors saying how
///   to rewrite the file.
public struct ArrowFileReader: Sendable {
    /// Strict or skipping; `parallel` copies the columns on several threads.
    public var options: MarketDataCSVOptions

    /// A reader with `options` (strict and parallel by default).
    public init(options: MarketDataCSVOptions = MarketDataCSVOptions()) {
        self.options = options
    }

    /// Whether `prefix`, the first bytes of a file, begin like an Arrow IPC file
    /// (`ARROW1`) or an Arrow IPC stream (a 0xFFFFFFFF continuation marker).
    public static func looksLikeArrow(_ prefix: some Collection<UInt8>) -> Bool {
        prefix.starts(with: ArrowFormat.magic) || (prefix.count >= 8 && prefix.prefix(4).allSatisfy { $0 == 0xFF })
    }

    /// Loads the Arrow file at `path` (memory-mapped).
    public func load(path: String) throws(MarketDataError) -> MarketDataCSVLoadResult {
        let mapped = try MappedFile(path: path, populate: true)
        return try withExtendedLifetime(mapped) { () throws(MarketDataError) -> MarketDataCSVLoadResult in
            try load(bytes: mapped.bytes, name: path)
        }
    }

    /// Loads an Arrow file held in memory; `name` stands in for the file in errors.
    public func load(bytes: UnsafeRawBufferPointer, name: String? = nil) throws(MarketDataError) -> MarketDataCSVLoadResult {
        let layout = try ArrowFileLayout(bytes: bytes, file: name)
        if layout.rowCount == 0 {
            throw MarketDataError(kind: .emptyInput, file: name, detail: "the Arrow file has a schema but no rows")
        }
        var failure: MarketDataError?
        var validator = ArrowRowValidator(file: name, skipBadRows: options.skipBadRows,
                                          maxErrors: max(0, options.maxReportedErrors), parallel: options.parallel,
                                          badTimestamps: [])
        let data = MarketData(newColumns: layout.rowCount, readyPages: false) { columns in
            let copied = Self.copy(layout, into: columns, parallel: options.parallel)
            validator = ArrowRowValidator(file: name, skipBadRows: options.skipBadRows,
                                          maxErrors: max(0, options.maxReportedErrors), parallel: options.parallel,
                                          badTimestamps: copied.badTimestamps)
            do throws(MarketDataError) {
                return try validator.validate(columns, rows: layout.rowCount, allGood: copied.allGood)
            } catch {
                failure = error
                return 0
            }
        }
        if let failure { throw failure }
        if data.isEmpty {
            throw MarketDataError(kind: .noCompleteRows, file: name,
                                  detail: "no good row: all \(layout.rowCount) rows skipped as bad")
        }
        return MarketDataCSVLoadResult(data: data, leadingRowsDropped: 0, rowsSkipped: validator.skipped,
                                       skippedByKind: validator.skippedByKind, firstErrors: validator.errors,
                                       blankLines: 0)
    }

    /// Copies every batch into `columns` (NaN for absent and null values);
    /// returns the rows whose timestamp is null or out of range, and whether
    /// every row passes `ArrowRowValidator.allRowsGood`'s checks.
    ///
    /// Large files are split into one row range per core. Each task readies
    /// the pages of its share of all nine columns (the kernel zeroes fresh
    /// memory, as costly as the copy: done in parallel, not up front), copies
    /// it in blocks of rows that stay in cache, and checks each block while
    /// it is there, so the rows are not read back from memory for the check.
    private static func copy(_ layout: ArrowFileLayout, into columns: MarketDataOutputColumns,
                             parallel: Bool) -> (badTimestamps: [(row: Int, detail: String)], allGood: Bool) {
        let n = layout.rowCount
        let parts = parallel && n >= 1 << 16 ? min(max(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 1), 8) : 1
        let targets = OutputColumns(columns)
        let source = SharedLayout(layout: layout)
        let results = PartResults(count: parts)
        let copyPart = { @Sendable (part: Int) in
            let range = (n * part / parts)..<(n * (part + 1) / parts)
            FreshPages.prepare(UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: targets.timestamps[range])))
            for column in targets.values {
                FreshPages.prepare(UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: column[range])))
            }
            var bad: [(row: Int, detail: String)] = []
            var good = true
            var start = range.lowerBound
            while start < range.upperBound {
                let end = min(start + 8_192, range.upperBound)  // 9 columns x 64 KiB: in L2
                copyTimestamps(source.layout, rows: start..<end, taskStart: range.lowerBound, into: targets.timestamps,
                               bad: &bad)
                for slot in 1..<CSVColumnLayout.slotNames.count {
                    copyValues(source.layout, slot: slot, rows: start..<end, into: targets.values[slot - 1])
                }
                // From the row before the block (when this task copied it), so
                // that the time check sees the pair across the block edge.
                if good { good = ArrowRowValidator.rangeGood(targets.columns, max(start - 1, range.lowerBound)..<end) }
                start = end
            }
            results.set(part, bad: bad, good: good)
        }
        if parts > 1 {
            DispatchQueue.concurrentPerform(iterations: parts, execute: copyPart)
        } else {
            copyPart(0)
        }
        // The time pairs across the tasks' edges, read once every task is done.
        var allGood = results.allGood
        for part in 1..<parts where allGood {
            let edge = n * part / parts
            if edge > 0 && targets.timestamps[edge] < targets.timestamps[edge - 1] { allGood = false }
        }
        return (results.allBad, allGood)
    }

    /// Copies the timestamps of `rows`, converted to nanoseconds, appending
    /// to `bad` the rows whose timestamp is null or out of range. The task
    /// copying them copied the rows from `taskStart` on already.
    private static func copyTimestamps(_ layout: ArrowFileLayout, rows: Range<Int>, taskStart: Int,
                                       into out: UnsafeMutableBufferPointer<Int64>,
                                       bad: inout [(row: Int, detail: String)]) {
        guard case .timestamp(let unit) = layout.types[CSVColumnLayout.timestampSlot], let target = out.baseAddress else { return }
        let scale = unit.nanoseconds
        for batch in layout.batches(overlapping: rows) {
            guard let chunk = batch.chunks[CSVColumnLayout.timestampSlot] else { continue }
            let first = batch.firstRow
            let from = max(rows.lowerBound, first) - first, to = min(rows.upperBound, first + batch.rows) - first
            if scale == 1 && chunk.validity == nil {
                memcpy(target + first + from, chunk.values + 8 * from, (to - from) * 8)
                continue
            }
            for i in from..<to {
                let value = chunk.values.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)
                let (ns, overflow) = Int64(littleEndian: value).multipliedReportingOverflow(by: scale)
                var problem: String?
                if let validity = chunk.validity, !isValid(validity, i) {
                    problem = "no timestamp (null)"
                } else if overflow {
                    problem = "timestamp \(value) \(unit.rawValue) is outside the range of nanosecond times (1677–2262)"
                }
                if let problem {
                    bad.append((first + i, problem))
                    // Carried on so that the time-order check sees no break
                    // here. A row before this task's rows is read from the
                    // file, as another task may be copying it.
                    let row = first + i
                    target[row] = row > taskStart ? target[row - 1] : previousTime(layout, row: row - 1)
                } else {
                    target[first + i] = ns
                }
            }
        }
    }

    /// The time the copy gives row `row`: its nanoseconds, or for a null or
    /// out-of-range time, that of the row before (`Int64.min` before row 0).
    private static func previousTime(_ layout: ArrowFileLayout, row: Int) -> Int64 {
        guard case .timestamp(let unit) = layout.types[CSVColumnLayout.timestampSlot] else { return Int64.min }
        var row = row
        while row >= 0 {
            for batch in layout.batches(overlapping: row..<(row + 1)) {
                guard let chunk = batch.chunks[CSVColumnLayout.timestampSlot] else { return Int64.min }
                let i = row - batch.firstRow
                let value = chunk.values.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)
                let (ns, overflow) = Int64(littleEndian: value).multipliedReportingOverflow(by: unit.nanoseconds)
                if !overflow && (chunk.validity.map { isValid($0, i) } ?? true) { return ns }
            }
            row -= 1
        }
        return Int64.min
    }

    private static func copyValues(_ layout: ArrowFileLayout, slot: Int, rows: Range<Int>,
                                   into out: UnsafeMutableBufferPointer<Double>) {
        guard let target = out.baseAddress else { return }
        guard let type = layout.types[slot] else {
            (target + rows.lowerBound).initialize(repeating: .nan, count: rows.count)
            return
        }
        for batch in layout.batches(overlapping: rows) {
            guard let chunk = batch.chunks[slot] else { continue }
            let first = batch.firstRow
            let from = max(rows.lowerBound, first) - first, to = min(rows.upperBound, first + batch.rows) - first
            if type == .float64 {
                memcpy(target + first + from, chunk.values + 8 * from, (to - from) * 8)
            } else {
                for i in from..<to {
                    let bits = UInt32(littleEndian: chunk.values.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
                    target[first + i] = Double(Float(bitPattern: bits))
                }
            }
            if let validity = chunk.validity {
                for i in from..<to where !isValid(validity, i) { target[first + i] = .nan }
            }
        }
    }

    @inline(__always)
    private static func isValid(_ bitmap: UnsafeRawPointer, _ i: Int) -> Bool {
        bitmap.load(fromByteOffset: i >> 3, as: UInt8.self) & (1 << UInt8(i & 7)) != 0
    }
}

/// The output columns, shared by the copying tasks. `@unchecked Sendable`:
/// each task writes its own rows only, and `concurrentPerform` returns
/// after every task is done.
private struct OutputColumns: @unchecked Sendable {
    let columns: MarketDataOutputColumns
    let timestamps: UnsafeMutableBufferPointer<Int64>
    /// The eight value columns in slot order (slot − 1).
    let values: [UnsafeMutableBufferPointer<Double>]

    init(_ columns: MarketDataOutputColumns) {
        self.columns = columns
        timestamps = columns.timestamps
        values = [columns.spotAskPrice, columns.spotBidPrice, columns.futAskPrice, columns.futBidPrice,
                  columns.spotAskQuantity, columns.spotBidQuantity, columns.futAskQuantity, columns.futBidQuantity]
    }
}

/// The file's layout, read by the copying tasks. `@unchecked Sendable`: its
/// pointers are into the mapped file, which nobody writes and which outlives them.
private struct SharedLayout: @unchecked Sendable {
    let layout: ArrowFileLayout
}

/// Each copying task's bad timestamps and verdict. `@unchecked Sendable`:
/// each slot is written by one task, read after `concurrentPerform` returns.
/// Fixed storage, not an array, which concurrent writers would race on.
private final class PartResults: @unchecked Sendable {
    private let bad: UnsafeMutableBufferPointer<[(row: Int, detail: String)]>
    private let good: UnsafeMutableBufferPointer<Bool>

    init(count: Int) {
        bad = .allocate(capacity: count)
        bad.initialize(repeating: [])
        good = .allocate(capacity: count)
        good.initialize(repeating: false)
    }

    deinit {
        _ = bad.deinitialize()
        bad.deallocate()
        good.deallocate()
    }

    func set(_ part: Int, bad rows: [(row: Int, detail: String)], good verdict: Bool) {
        bad[part] = rows
        good[part] = verdict
    }

    /// The bad timestamps of every task, in row order (tasks cover rows in order).
    var allBad: [(row: Int, detail: String)] { bad.flatMap { $0 } }
    var allGood: Bool { good.allSatisfy { $0 } }
}

extension ArrowFileLayout {
    /// The batches holding any of `rows`, in order.
    func batches(overlapping rows: Range<Int>) -> ArraySlice<Batch> {
        let first = batches.partitionPoint(in: batches.indices) { $0.firstRow + $0.rows > rows.lowerBound }
        var last = first
        while last < batches.count && batches[last].firstRow < rows.upperBound { last += 1 }
        return batches[first..<last]
    }
}
