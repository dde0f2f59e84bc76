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
/// * Columns are read in place, not copied, where the file holds them as
///   `MarketData` does (one record batch, `float64` or `timestamp[ns]`
///   without nulls, 8-byte aligned, as `convert --timestamp-unit ns` writes
///   them): the loaded columns are views of the mapped file (`Column.isView`),
///   which stays mapped while any of them lives, and loading costs one pass
///   of checks over the rows. The file must then not be truncated or written
///   in place while the data is in use (replacing it by a rename, as
///   `ArrowFileWriter` does, is safe). Other columns, and every column of a
///   file with a bad row, are copied.
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

    /// Loads the Arrow file at `path` (memory-mapped; columns read in place
    /// where they can be, see the type's description).
    public func load(path: String) throws(MarketDataError) -> MarketDataCSVLoadResult {
        // Not populated, and each block of rows dropped from resident memory once checked: the
        // columns read in place become resident as they are read, not all at load.
        let mapped = try MappedFile(path: path, populate: false)
        let layout = try Self.layout(of: mapped.bytes, name: path)
        if let data = Self.columnsInPlace(layout, owner: mapped),
           ArrowRowValidator.allRowsGood(data, parallel: options.parallel, releasing: true) {
            return MarketDataCSVLoadResult(data: data, leadingRowsDropped: 0, rowsSkipped: 0, skippedByKind: [:],
                                           firstErrors: [], blankLines: 0)
        }
        return try withExtendedLifetime(mapped) { () throws(MarketDataError) -> MarketDataCSVLoadResult in
            try copy(layout, name: path)
        }
    }

    /// Loads an Arrow file held in memory (copying its columns); `name`
    /// stands in for the file in errors.
    public func load(bytes: UnsafeRawBufferPointer, name: String? = nil) throws(MarketDataError) -> MarketDataCSVLoadResult {
        try copy(Self.layout(of: bytes, name: name), name: name)
    }

    private static func layout(of bytes: UnsafeRawBufferPointer, name: String?) throws(MarketDataError) -> ArrowFileLayout {
        let layout = try ArrowFileLayout(bytes: bytes, file: name)
        if layout.rowCount == 0 {
            throw MarketDataError(kind: .emptyInput, file: name, detail: "the Arrow file has a schema but no rows")
        }
        return layout
    }

    /// The market data with every column that the file holds as `MarketData`
    /// does viewed in place (`owner` keeps the memory), the others copied;
    /// nil when the timestamps have a null or overflow (the copying path
    /// reports those). The rows are not checked.
    private static func columnsInPlace(_ layout: ArrowFileLayout, owner: MappedFile) -> MarketData? {
        guard layout.batches.count == 1, let batch = layout.batches.first else { return nil }
        let n = layout.rowCount
        func inPlace<T>(_ slot: Int, as: T.Type) -> Column<T>? {
            guard let chunk = batch.chunks[slot], chunk.validity == nil,
                  Int(bitPattern: chunk.values) % MemoryLayout<T>.alignment == 0 else { return nil }
            switch layout.types[slot] {
            case .float64?, .timestamp(.nanosecond)?:
                return Column(unsafeBorrowing: UnsafeBufferPointer(start: chunk.values.assumingMemoryBound(to: T.self), count: n),
                              owner: owner)
            default:
                return nil
            }
        }
        let timestamps: Column<Int64>
        if let viewed = inPlace(CSVColumnLayout.timestampSlot, as: Int64.self) {
            timestamps = viewed
        } else {
            var bad = false
            let copied = [Int64](unsafeUninitializedCapacity: n) { buffer, count in
                bad = !copyTimestamps(layout, into: buffer).isEmpty
                count = n
            }
            if bad { return nil }
            timestamps = Column(copied)
        }
        let values = (1..<CSVColumnLayout.slotNames.count).map { slot in
            inPlace(slot, as: Double.self) ?? Column([Double](unsafeUninitializedCapacity: n) { buffer, count in
                copyValues(layout, slot: slot, into: buffer)
                count = n
            })
        }
        var data = MarketData()  // every column has the file's `n` rows
        data.timestamps = timestamps
        data.spotAskPrice = values[0]; data.spotBidPrice = values[1]
        data.futAskPrice = values[2]; data.futBidPrice = values[3]
        data.spotAskQuantity = values[4]; data.spotBidQuantity = values[5]
        data.futAskQuantity = values[6]; data.futBidQuantity = values[7]
        return data
    }

    /// Copies the columns of `layout` into new storage and checks every row.
    private func copy(_ layout: ArrowFileLayout, name: String?) throws(MarketDataError) -> MarketDataCSVLoadResult {
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
