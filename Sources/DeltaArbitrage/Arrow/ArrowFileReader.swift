import Dispatch
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
        let data = MarketData(newColumns: layout.rowCount) { columns in
            let badTimestamps = Self.copy(layout, into: columns, parallel: options.parallel)
            validator = ArrowRowValidator(file: name, skipBadRows: options.skipBadRows,
                                          maxErrors: max(0, options.maxReportedErrors), parallel: options.parallel,
                                          badTimestamps: badTimestamps)
            do throws(MarketDataError) {
                return try validator.validate(columns, rows: layout.rowCount)
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
    /// returns the rows whose timestamp is null or out of range. Each column
    /// is one task, so large files copy on several threads.
    private static func copy(_ layout: ArrowFileLayout, into columns: MarketDataOutputColumns,
                             parallel: Bool) -> [(row: Int, detail: String)] {
        let targets = OutputColumns(columns)   // mapped in bulk already by MarketData(newColumns:)
        let bad = BadTimestamps()
        let source = SharedLayout(layout: layout)
        let copyColumn = { @Sendable (slot: Int) in
            if slot == CSVColumnLayout.timestampSlot {
                bad.rows = copyTimestamps(source.layout, into: targets.timestamps)
            } else {
                copyValues(source.layout, slot: slot, into: targets.values[slot - 1])
            }
        }
        if parallel && layout.rowCount >= 1 << 16 {
            DispatchQueue.concurrentPerform(iterations: CSVColumnLayout.slotNames.count, execute: copyColumn)
        } else {
            for slot in CSVColumnLayout.slotNames.indices { copyColumn(slot) }
        }
        return bad.rows
    }

    private static func copyTimestamps(_ layout: ArrowFileLayout,
                                       into out: UnsafeMutableBufferPointer<Int64>) -> [(row: Int, detail: String)] {
        guard case .timestamp(let unit) = layout.types[CSVColumnLayout.timestampSlot] else { return [] }
        var bad: [(row: Int, detail: String)] = []
        let scale = unit.nanoseconds
        for batch in layout.batches {
            guard let chunk = batch.chunks[CSVColumnLayout.timestampSlot], let target = out.baseAddress else { continue }
            let first = batch.firstRow
            if scale == 1 && chunk.validity == nil {
                memcpy(target + first, chunk.values, batch.rows * 8)
                continue
            }
            for i in 0..<batch.rows {
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
                    // Carried on so that the time-order check sees no break here.
                    target[first + i] = first + i > 0 ? target[first + i - 1] : Int64.min
                } else {
                    target[first + i] = ns
                }
            }
        }
        return bad
    }

    private static func copyValues(_ layout: ArrowFileLayout, slot: Int, into out: UnsafeMutableBufferPointer<Double>) {
        guard let target = out.baseAddress else { return }
        guard let type = layout.types[slot] else {
            target.initialize(repeating: .nan, count: layout.rowCount)
            return
        }
        for batch in layout.batches {
            guard let chunk = batch.chunks[slot] else { continue }
            let first = batch.firstRow
            if type == .float64 {
                memcpy(target + first, chunk.values, batch.rows * 8)
            } else {
                for i in 0..<batch.rows {
                    let bits = UInt32(littleEndian: chunk.values.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
                    target[first + i] = Double(Float(bitPattern: bits))
                }
            }
            if let validity = chunk.validity {
                for i in 0..<batch.rows where !isValid(validity, i) { target[first + i] = .nan }
            }
        }
    }

    @inline(__always)
    private static func isValid(_ bitmap: UnsafeRawPointer, _ i: Int) -> Bool {
        bitmap.load(fromByteOffset: i >> 3, as: UInt8.self) & (1 << UInt8(i & 7)) != 0
    }
}

/// The output columns, shared by the copying tasks. `@unchecked Sendable`:
/// each task writes its own column only, and `concurrentPerform` returns
/// after every task is done.
private struct OutputColumns: @unchecked Sendable {
    let timestamps: UnsafeMutableBufferPointer<Int64>
    /// The eight value columns in slot order (slot − 1).
    let values: [UnsafeMutableBufferPointer<Double>]

    init(_ columns: MarketDataOutputColumns) {
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

/// The timestamp task's result. `@unchecked Sendable`: written by that task
/// only, read after `concurrentPerform` returns.
private final class BadTimestamps: @unchecked Sendable {
    var rows: [(row: Int, detail: String)] = []
}
