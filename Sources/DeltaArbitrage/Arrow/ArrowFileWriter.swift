#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `MarketData` as an Arrow IPC file (Feather v2), uncompressed.
///
/// Layout: the magic `ARROW1\0\0`; the schema message; one record batch per
/// `rowsPerBatch` rows; an end-of-stream marker; the footer (schema and the
/// batches' positions), its length and `ARROW1`. Columns are the nine of
/// `MarketData.csvColumnNames` in that order: `timestamp` as
/// `timestamp[unit, tz=UTC]`, the prices and quantities as `float64`, no
/// nulls (a quantity the input lacked is written as the value NaN, so the
/// round trip is bit for bit). Every buffer starts at a multiple of 64 bytes
/// in the file, as Arrow recommends for SIMD and memory mapping.
///
/// The file is written beside `path` under a temporary name, flushed to disk
/// and renamed over `path`, so a failed write never leaves a partial file
/// under the final name.
public struct ArrowFileWriter: Sendable {
    /// The unit of the timestamp column. Coarser than nanoseconds refuses data
    /// that is not whole units (no silent rounding).
    public var timestampUnit: ArrowTimestampUnit
    /// Rows per record batch. By default every row is in one batch, so that
    /// each column is one contiguous buffer that a memory-mapping reader
    /// (`ArrowFileReader`) uses in place; a smaller size suits readers that
    /// stream a file batch by batch.
    public var rowsPerBatch: Int

    /// A writer with `timestampUnit` (nanoseconds by default) and batches of
    /// `rowsPerBatch` rows (all rows in one batch by default).
    public init(timestampUnit: ArrowTimestampUnit = .nanosecond, rowsPerBatch: Int = .max) {
        self.timestampUnit = timestampUnit
        self.rowsPerBatch = max(rowsPerBatch, 1)
    }

    /// Writes `data` to `path`, replacing any file there.
    ///
    /// - Throws: `MarketDataError` `.invalidTimestamp` naming the first row
    ///   whose time is not a whole `timestampUnit` (before anything is
    ///   written); `.unwritableFile` with the path and the system's reason
    ///   when creating, writing, flushing or renaming fails.
    public func write(_ data: MarketData, to path: String) throws(MarketDataError) {
        try checkUnit(data, path: path)
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        if fd < 0 {
            throw MarketDataError(kind: .unwritableFile, file: path,
                                  detail: "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        var sink = FileSink(fd: fd)
        var failure: MarketDataError?
        do throws(MarketDataError) {
            try writeContents(data, to: &sink, path: path)
            if fsync(fd) != 0 { throw sink.failure(path: path, doing: "flush") }
        } catch {
            failure = error
        }
        if close(fd) != 0 && failure == nil { failure = sink.failure(path: path, doing: "close") }
        if failure == nil && rename(temporary, path) != 0 {
            failure = MarketDataError(kind: .unwritableFile, file: path,
                                      detail: "cannot rename \(temporary) to it: \(String(cString: strerror(errno)))")
        }
        if let failure {
            unlink(temporary)
            throw failure
        }
    }

    /// The file's bytes (for tests and small data).
    public func bytes(_ data: MarketData) throws(MarketDataError) -> [UInt8] {
        try checkUnit(data, path: nil)
        var sink = MemorySink()
        try writeContents(data, to: &sink, path: nil)
        return sink.bytes
    }

    private func checkUnit(_ data: MarketData, path: String?) throws(MarketDataError) {
        let per = timestampUnit.nanoseconds
        guard per > 1 else { return }
        if let row = data.timestamps.firstIndex(where: { $0 % per != 0 }) {
            throw MarketDataError(
                kind: .invalidTimestamp, file: path, column: "timestamp",
                detail: "row \(row): \(UTCTime.iso8601(nanoseconds: data.timestamps[row])) is not a whole "
                    + "\(Self.unitName(timestampUnit)); write the timestamps in nanoseconds (timestamp unit ns) "
                    + "to keep every digit")
        }
    }

    static func unitName(_ unit: ArrowTimestampUnit) -> String {
        switch unit {
        case .second: return "second"
        case .millisecond: return "millisecond"
        case .microsecond: return "microsecond"
        case .nanosecond: return "nanosecond"
        }
    }

    private func writeContents<Sink: ArrowByteSink>(_ data: MarketData, to sink: inout Sink,
                                                    path: String?) throws(MarketDataError) {
        let schema = schemaValue()
        try sink.write(ArrowFormat.magic + [0, 0], path: path)
        try writeMessage(header: schema, type: .schema, bodyLength: 0, to: &sink, path: path)

        var blocks: [UInt8] = []
        var blockCount = 0
        var start = 0
        repeat {
            let rows = min(rowsPerBatch, data.count - start)
            let offset = sink.position
            let (metadataLength, bodyLength) = try writeBatch(data, rows: start..<(start + rows), to: &sink, path: path)
            Self.append(Int64(offset), to: &blocks)
            Self.append(Int32(metadataLength), to: &blocks)
            Self.append(Int32(0), to: &blocks)
            Self.append(Int64(bodyLength), to: &blocks)
            blockCount += 1
            start += rows
        } while start < data.count

        // End of stream: a continuation marker and a zero length.
        try sink.write([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0], path: path)
        let footer = FlatBufferBuilder.encode(.table([
            .int16(ArrowFormat.metadataVersionV5),
            .child(schema),
            .child(.structs(bytes: [], count: 0)),
            .child(.structs(bytes: blocks, count: blockCount)),
        ]))
        try sink.write(footer, path: path)
        var tail: [UInt8] = []
        Self.append(Int32(footer.count), to: &tail)
        try sink.write(tail + ArrowFormat.magic, path: path)
    }

    private func schemaValue() -> FlatValue {
        let timestampType = FlatValue.table([.int16(timestampUnit.code), .child(.string("UTC"))])
        let doubleType = FlatValue.table([.int16(ArrowFormat.precisionDouble)])
        let fields = MarketData.csvColumnNames.enumerated().map { index, name in
            let isTime = index == 0
            return FlatValue.table([
                .child(.string(name)),
                .uint8(1),  // nullable, as pyarrow's own columns are
                .uint8(isTime ? ArrowFormat.TypeID.timestamp.rawValue : ArrowFormat.TypeID.floatingPoint.rawValue),
                .child(isTime ? timestampType : doubleType),
                .absent,
                .child(.tables([])),  // children: Arrow C++ requires the vector even when empty
            ])
        }
        return .table([.int16(0), .child(.tables(fields))])
    }

    /// Writes an encapsulated message: marker, metadata length, the Message
    /// flatbuffer padded so that the body after it starts 64-byte aligned.
    /// Returns the metadata length (marker and padding included).
    @discardableResult
    private func writeMessage<Sink: ArrowByteSink>(header: FlatValue, type: ArrowFormat.MessageType, bodyLength: Int,
                                                   to sink: inout Sink, path: String?) throws(MarketDataError) -> Int {
        let message = FlatBufferBuilder.encode(.table([
            .int16(ArrowFormat.metadataVersionV5),
            .uint8(type.rawValue),
            .child(header),
            .int64(Int64(bodyLength)),
        ]))
        let end = ArrowFormat.padded(sink.position + 8 + message.count, to: 64)
        let flatLength = end - sink.position - 8
        var prefix: [UInt8] = []
        Self.append(ArrowFormat.continuation, to: &prefix)
        Self.append(Int32(flatLength), to: &prefix)
        try sink.write(prefix + message + [UInt8](repeating: 0, count: flatLength - message.count), path: path)
        return 8 + flatLength
    }

    private func writeBatch<Sink: ArrowByteSink>(_ data: MarketData, rows: Range<Int>, to sink: inout Sink,
                                                 path: String?) throws(MarketDataError) -> (Int, Int) {
        let columnBytes = rows.count * 8
        let stride = ArrowFormat.padded(columnBytes, to: 64)
        var nodes: [UInt8] = [], buffers: [UInt8] = []
        for column in 0..<9 {
            Self.append(Int64(rows.count), to: &nodes)
            Self.append(Int64(0), to: &nodes)
            // No validity bitmap (no nulls): an empty buffer, then the values.
            Self.append(Int64(column * stride), to: &buffers)
            Self.append(Int64(0), to: &buffers)
            Self.append(Int64(column * stride), to: &buffers)
            Self.append(Int64(columnBytes), to: &buffers)
        }
        let bodyLength = 9 * stride
        let batch = FlatValue.table([
            .int64(Int64(rows.count)),
            .child(.structs(bytes: nodes, count: 9)),
            .child(.structs(bytes: buffers, count: 18)),
        ])
        let metadataLength = try writeMessage(header: batch, type: .recordBatch, bodyLength: bodyLength,
                                              to: &sink, path: path)
        let padding = [UInt8](repeating: 0, count: stride - columnBytes)
        let values = [data.spotAskPrice, data.spotBidPrice, data.spotAskQuantity, data.spotBidQuantity,
                      data.futAskPrice, data.futBidPrice, data.futAskQuantity, data.futBidQuantity]
        if timestampUnit == .nanosecond {
            try sink.write(data.timestamps, rows: rows, path: path)
        } else {
            let per = timestampUnit.nanoseconds
            try sink.write(Array(data.timestamps[rows].lazy.map { $0 / per })[...], path: path)
        }
        try sink.write(padding[...], path: path)
        for column in values {
            try sink.write(column, rows: rows, path: path)
            try sink.write(padding[...], path: path)
        }
        return (metadataLength, bodyLength)
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}

/// Where `ArrowFileWriter` puts bytes; tracks the file position for the footer's blocks.
protocol ArrowByteSink {
    var position: Int { get }
    mutating func write(_ bytes: UnsafeRawBufferPointer, path: String?) throws(MarketDataError)
}

extension ArrowByteSink {
    /// Writes the elements' bytes as they lie in memory (little-endian machines only, as Arrow files are).
    mutating func write<T>(_ elements: ArraySlice<T>, path: String?) throws(MarketDataError) {
        // `withUnsafeBytes` rethrows untyped errors; carry the typed one out in a Result.
        let result = elements.withUnsafeBytes { raw in
            Result { () throws(MarketDataError) in try write(raw, path: path) }
        }
        try result.get()
    }

    /// Writes rows `rows` of `column` as they lie in memory.
    mutating func write<T>(_ column: Column<T>, rows: Range<Int>, path: String?) throws(MarketDataError) {
        try column.withUnsafeBufferPointer { (buffer) throws(MarketDataError) in
            try write(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: buffer[rows])), path: path)
        }
    }

    mutating func write(_ bytes: [UInt8], path: String?) throws(MarketDataError) {
        try write(bytes[...], path: path)
    }
}

/// A file descriptor; every short or failed write is an error.
private struct FileSink: ArrowByteSink {
    let fd: Int32
    private(set) var position = 0

    init(fd: Int32) { self.fd = fd }

    mutating func write(_ bytes: UnsafeRawBufferPointer, path: String?) throws(MarketDataError) {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = systemWrite(fd, base + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw failure(path: path, doing: "write")
            }
            done += n
        }
        position += bytes.count
    }

    func failure(path: String?, doing: String) -> MarketDataError {
        MarketDataError(kind: .unwritableFile, file: path,
                        detail: "\(doing) failed at byte \(position): \(String(cString: strerror(errno)))")
    }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif

/// Bytes in memory.
private struct MemorySink: ArrowByteSink {
    var bytes: [UInt8] = []
    var position: Int { bytes.count }

    mutating func write(_ raw: UnsafeRawBufferPointer, path: String?) throws(MarketDataError) {
        bytes.append(contentsOf: raw)
    }
}
