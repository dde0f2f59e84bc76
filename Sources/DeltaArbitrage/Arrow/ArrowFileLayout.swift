/// Where the market-data columns of an Arrow IPC file lie, read from its
/// footer and record-batch messages, every offset, length and count checked
/// against the file before any column byte is touched.
///
/// Columns are found by name (ASCII case-insensitive, the CSV header's
/// names); other columns are skipped, which needs their buffer and node
/// counts, known for every type but the variadic view types.
struct ArrowFileLayout {
    /// The type of a column the loader reads.
    enum ValueType: Equatable {
        case timestamp(ArrowTimestampUnit)
        case float64
        case float32

        var width: Int {
            switch self {
            case .timestamp, .float64: return 8
            case .float32: return 4
            }
        }
    }

    /// One column of one record batch.
    struct Chunk {
        /// The values, `rows × width` bytes (not necessarily aligned).
        let values: UnsafeRawPointer
        /// The validity bitmap (bit `i` set: row `i` has a value), nil when the
        /// batch has no nulls in this column.
        let validity: UnsafeRawPointer?
    }

    /// One record batch.
    struct Batch {
        let rows: Int
        /// Row number of the batch's first row in the file.
        let firstRow: Int
        /// Per slot of `CSVColumnLayout.slotNames`; nil when the column is absent.
        let chunks: [Chunk?]
    }

    /// Per slot of `CSVColumnLayout.slotNames`: the column's type, nil when absent.
    let types: [ValueType?]
    let batches: [Batch]
    let rowCount: Int

    /// Reads the layout of the file `bytes` (`file` names it in errors).
    init(bytes: UnsafeRawBufferPointer, file: String?) throws(MarketDataError) {
        guard let base = bytes.baseAddress else {
            throw MarketDataError(kind: .malformedFile, file: file, detail: "the file is empty, not an Arrow file")
        }
        let reader = Reader(bytes: bytes, base: base, file: file)
        let footer = try reader.footer()
        let columns = try reader.columns(schema: footer.schema)
        types = columns.map { $0?.type }
        var batches: [Batch] = []
        var rowCount = 0
        for (index, block) in footer.blocks.enumerated() {
            let batch = try reader.batch(block, index: index, count: footer.blocks.count,
                                         columns: columns, firstRow: rowCount)
            rowCount += batch.rows  // cannot overflow: batches do not overlap and each row takes 8 bytes of one
            batches.append(batch)
        }
        self.batches = batches
        self.rowCount = rowCount
    }

    /// Where a used column's node and buffers are in every record batch.
    struct Column {
        let type: ValueType
        let node: Int
        let buffer: Int
    }

    /// A `Block` of the footer: where one record batch's message lies.
    struct Block {
        let offset: Int
        let metadataLength: Int
        let bodyLength: Int
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        let base: UnsafeRawPointer
        let file: String?

        func malformed(_ detail: String) -> MarketDataError {
            MarketDataError(kind: .malformedFile, file: file, detail: detail)
        }

        func unsupported(_ detail: String) -> MarketDataError {
            MarketDataError(kind: .unsupportedFormat, file: file, detail: detail)
        }

        func int32(_ at: Int) -> Int32 { Int32(littleEndian: base.loadUnaligned(fromByteOffset: at, as: Int32.self)) }

        /// The footer: schema and record batch blocks.
        func footer() throws(MarketDataError) -> (schema: FlatTable, blocks: [Block]) {
            let size = bytes.count
            let magic = ArrowFormat.magic
            guard size >= 6, zip(bytes.prefix(6), magic).allSatisfy({ $0 == $1 }) else {
                if size >= 8 && bytes.prefix(4).allSatisfy({ $0 == 0xFF }) {
                    throw unsupported("this is an Arrow IPC stream (no footer), not an Arrow file; write the file "
                        + "format: pyarrow.feather.write_feather(table, DST, compression='uncompressed') "
                        + "or pyarrow.ipc.new_file")
                }
                throw malformed("not an Arrow file: it does not start with ARROW1")
            }
            guard size >= 8 + 4 + 6, zip(bytes.suffix(6), magic).allSatisfy({ $0 == $1 }) else {
                throw malformed("truncated Arrow file (\(size) bytes): it does not end with ARROW1, so the footer is missing")
            }
            let footerLength = Int(int32(size - 10))
            let footerStart = size - 10 - footerLength
            guard footerLength > 0, footerStart >= 8 else {
                throw malformed("corrupt Arrow file: footer length \(footerLength) does not fit in a file of \(size) bytes")
            }
            let view = FlatBufferView(base: base, range: footerStart..<(size - 10), file: file, what: "the footer")
            let root = try view.root()
            guard let schema = try root.table(1) else { throw view.corrupt("no schema") }
            var blocks: [Block] = []
            if let (start, count) = try root.vector(3, elementSize: 24) {
                blocks.reserveCapacity(count)
                for i in 0..<count {
                    let at = start + 24 * i
                    let offset = view.load(at, as: Int64.self)
                    let metadataLength = Int(view.load(at + 8, as: Int32.self))
                    let bodyLength = view.load(at + 16, as: Int64.self)
                    // Every message lies between the leading magic and the footer.
                    guard offset >= 8, metadataLength >= 8, bodyLength >= 0,
                          offset <= Int64(footerStart), Int64(metadataLength) <= Int64(footerStart) - offset,
                          bodyLength <= Int64(footerStart) - offset - Int64(metadataLength) else {
                        throw malformed("corrupt Arrow file: record batch \(i) of \(count) (offset \(offset), "
                            + "metadata \(metadataLength) bytes, body \(bodyLength) bytes) lies outside the data "
                            + "section (bytes 8..<\(footerStart))")
                    }
                    blocks.append(Block(offset: Int(offset), metadataLength: metadataLength, bodyLength: Int(bodyLength)))
                }
            }
            // Batches sharing bytes would let a small file claim any number of rows.
            let ordered = blocks.sorted { $0.offset < $1.offset }
            for (a, b) in zip(ordered, ordered.dropFirst()) where a.offset + a.metadataLength + a.bodyLength > b.offset {
                throw malformed("corrupt Arrow file: the record batches at bytes \(a.offset) and \(b.offset) overlap")
            }
            return (schema, blocks)
        }

        /// The used columns by slot, with their node and buffer indices.
        func columns(schema: FlatTable) throws(MarketDataError) -> [Column?] {
            if try schema.scalar(0, default: Int16(0)) != 0 {
                throw unsupported("the file is big-endian; this reader takes little-endian Arrow files only")
            }
            var columns = [Column?](repeating: nil, count: CSVColumnLayout.slotNames.count)
            var names = [String?](repeating: nil, count: columns.count)
            var node = 0, buffer = 0
            for field in try schema.tables(1) {
                let name = try field.string(0) ?? ""
                let typeID = try field.scalar(2, default: UInt8(0))
                let type = try field.table(3)
                let dictionary = try field.table(4)
                let lowered = String(decoding: name.utf8.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }, as: UTF8.self)
                if let slot = CSVColumnLayout.slotNames.firstIndex(of: lowered) {
                    if let first = names[slot] {
                        throw MarketDataError(kind: .duplicateColumn, file: file, column: name,
                                              detail: "named again (first as '\(first)')")
                    }
                    names[slot] = name
                    if dictionary != nil {
                        throw unsupported("column '\(name)' is dictionary-encoded; decode it first, e.g. "
                            + "table.set_column(i, name, table.column(i).cast(table.column(i).type.value_type)) in pyarrow")
                    }
                    columns[slot] = Column(type: try valueType(name: name, slot: slot, typeID: typeID, type: type),
                                           node: node, buffer: buffer)
                }
                let (nodes, buffers) = try counts(field, name: name, depth: 0)
                node += nodes
                buffer += buffers
            }
            for slot in 0...4 where columns[slot] == nil {
                let present = names.compactMap { $0 }
                throw MarketDataError(kind: .missingColumn, file: file, column: CSVColumnLayout.slotNames[slot],
                                      detail: "required column missing from the Arrow schema"
                                          + (present.isEmpty ? "" : " (found \(present.joined(separator: ", ")))"))
            }
            return columns
        }

        private func valueType(name: String, slot: Int, typeID: UInt8, type: FlatTable?) throws(MarketDataError) -> ValueType {
            if slot == CSVColumnLayout.timestampSlot {
                guard typeID == ArrowFormat.TypeID.timestamp.rawValue else {
                    throw unsupported("type \(try typeName(typeID, type)) not supported for column '\(name)' "
                        + "(expected timestamp with unit s, ms, us or ns)")
                }
                let code = try type?.scalar(0, default: Int16(0)) ?? 0
                guard let unit = ArrowTimestampUnit(code: code) else {
                    throw malformed("corrupt Arrow schema: column '\(name)' has time unit \(code)")
                }
                return .timestamp(unit)
            }
            if typeID == ArrowFormat.TypeID.floatingPoint.rawValue {
                switch try type?.scalar(0, default: Int16(0)) ?? 0 {
                case ArrowFormat.precisionDouble: return .float64
                case ArrowFormat.precisionSingle: return .float32
                default: break
                }
            }
            throw unsupported("type \(try typeName(typeID, type)) not supported for column '\(name)' (expected float64 or float32)")
        }

        /// The type as pyarrow names it (`int64`, `float16`, `string`, …).
        private func typeName(_ typeID: UInt8, _ type: FlatTable?) throws(MarketDataError) -> String {
            if typeID == ArrowFormat.TypeID.int.rawValue, let type {
                let bits = try type.scalar(0, default: Int32(0))
                return (try type.scalar(1, default: UInt8(0)) != 0 ? "int" : "uint") + "\(bits)"
            }
            if typeID == ArrowFormat.TypeID.floatingPoint.rawValue {
                switch try type?.scalar(0, default: Int16(0)) ?? 0 {
                case 0: return "float16"
                case ArrowFormat.precisionSingle: return "float32"
                default: return "float64"
                }
            }
            return ArrowFormat.TypeID(rawValue: typeID)?.name ?? "type \(typeID)"
        }

        /// Field nodes and buffers a field takes in a record batch, children included.
        private func counts(_ field: FlatTable, name: String, depth: Int) throws(MarketDataError) -> (Int, Int) {
            guard depth < 64 else { throw malformed("corrupt Arrow schema: column '\(name)' is nested over 64 levels deep") }
            if try field.table(4) != nil { return (1, 2) }  // dictionary indices: validity and values
            let typeID = try field.scalar(2, default: UInt8(0))
            guard let type = ArrowFormat.TypeID(rawValue: typeID) else {
                throw unsupported("column '\(name)' has Arrow type \(typeID), unknown to this reader")
            }
            let own: Int
            switch type {
            case .null, .runEndEncoded: own = 0
            case .structType, .fixedSizeList: own = 1
            case .int, .floatingPoint, .bool, .decimal, .date, .time, .timestamp, .interval, .duration,
                 .fixedSizeBinary, .list, .largeList, .map:
                own = 2
            case .binary, .utf8, .largeBinary, .largeUtf8, .listView, .largeListView: own = 3
            case .union:
                own = try field.table(3)?.scalar(0, default: Int16(0)) == 1 ? 2 : 1  // dense: types and offsets
            case .binaryView, .utf8View:
                throw unsupported("column '\(name)' has type \(type.name), which this reader cannot skip; drop the column "
                    + "or cast it to string")
            }
            var nodes = 1, buffers = own
            for child in try field.tables(5) {
                let (n, b) = try counts(child, name: name, depth: depth + 1)
                nodes += n
                buffers += b
            }
            return (nodes, buffers)
        }

        /// The record batch of `block`, its used columns located and checked.
        func batch(_ block: Block, index: Int, count: Int, columns: [Column?],
                   firstRow: Int) throws(MarketDataError) -> Batch {
            let at = block.offset
            let what = "record batch \(index) of \(count) (message at byte \(at))"
            func corrupt(_ detail: String) -> MarketDataError {
                malformed("corrupt Arrow file: \(what): \(detail)")
            }
            // An encapsulated message: 0xFFFFFFFF, then the flatbuffer's length
            // (files before Arrow 0.15 have the length alone).
            var flatStart = at + 4
            var flatLength = Int(int32(at))
            if UInt32(bitPattern: int32(at)) == ArrowFormat.continuation {
                flatStart = at + 8
                flatLength = Int(int32(at + 4))
            }
            guard flatLength > 0, flatLength <= at + block.metadataLength - flatStart else {
                throw corrupt("metadata length \(flatLength) does not fit in the block's \(block.metadataLength) bytes")
            }
            let view = FlatBufferView(base: base, range: flatStart..<(flatStart + flatLength), file: file, what: what)
            let message = try view.root()
            let headerType = try message.scalar(1, default: UInt8(0))
            guard headerType == ArrowFormat.MessageType.recordBatch.rawValue else {
                throw corrupt("the message is of type \(headerType), not a record batch (3)")
            }
            guard let batch = try message.table(2) else { throw corrupt("the message has no record batch") }
            let messageBody = try message.scalar(3, default: Int64(0))
            guard messageBody >= 0 && messageBody <= Int64(block.bodyLength) else {
                throw corrupt("body length \(messageBody) disagrees with the footer's \(block.bodyLength)")
            }
            if let compression = try batch.table(3) {
                let codec = try compression.scalar(0, default: UInt8(0))
                let name = codec == 0 ? "LZ4" : codec == 1 ? "ZSTD" : "codec \(codec)"
                throw unsupported("the record batches are \(name)-compressed; this reader takes uncompressed files only: "
                    + ArrowFormat.rewriteHint)
            }
            let rows64 = try batch.scalar(0, default: Int64(0))
            guard rows64 >= 0 && rows64 <= Int64(bytes.count) else { throw corrupt("row count \(rows64)") }
            let rows = Int(rows64)
            let bodyStart = at + block.metadataLength
            let bodyLength = Int(messageBody)
            let nodes = try batch.vector(1, elementSize: 16) ?? (0, 0)
            let buffers = try batch.vector(2, elementSize: 16) ?? (0, 0)

            // Every buffer and node, also those of skipped columns, must make sense.
            for b in 0..<buffers.count {
                let offset = view.load(buffers.start + 16 * b, as: Int64.self)
                let length = view.load(buffers.start + 16 * b + 8, as: Int64.self)
                guard offset >= 0, length >= 0, offset <= Int64(bodyLength), length <= Int64(bodyLength) - offset else {
                    throw corrupt("buffer \(b) (offset \(offset), \(length) bytes) lies outside the body of \(bodyLength) bytes")
                }
            }
            for n in 0..<nodes.count {
                let length = view.load(nodes.start + 16 * n, as: Int64.self)
                let nullCount = view.load(nodes.start + 16 * n + 8, as: Int64.self)
                guard length >= 0, nullCount >= 0, nullCount <= length else {
                    throw corrupt("field node \(n) has \(length) values and \(nullCount) nulls")
                }
            }
            var chunks = [Chunk?](repeating: nil, count: columns.count)
            for (slot, column) in columns.enumerated() {
                guard let column else { continue }
                let name = CSVColumnLayout.slotNames[slot]
                guard column.node < nodes.count, column.buffer + 1 < buffers.count else {
                    throw corrupt("column '\(name)' is field node \(column.node) and buffers \(column.buffer), "
                        + "\(column.buffer + 1) but the batch has \(nodes.count) nodes and \(buffers.count) buffers")
                }
                let nodeAt = nodes.start + 16 * column.node
                let length = view.load(nodeAt, as: Int64.self)
                let nullCount = view.load(nodeAt + 8, as: Int64.self)
                guard length == rows64, nullCount >= 0, nullCount <= length else {
                    throw corrupt("column '\(name)' has \(length) values and \(nullCount) nulls in a batch of \(rows) rows")
                }
                func buffer(_ i: Int, needs: Int) throws(MarketDataError) -> UnsafeRawPointer {
                    // In the body: checked above.
                    let bufferAt = buffers.start + 16 * (column.buffer + i)
                    let offset = view.load(bufferAt, as: Int64.self)
                    let length = view.load(bufferAt + 8, as: Int64.self)
                    guard length >= Int64(needs) else {
                        throw corrupt("buffer \(column.buffer + i) of column '\(name)' has \(length) bytes; "
                            + "\(rows) rows need \(needs)")
                    }
                    return base + bodyStart + Int(offset)
                }
                let (valueBytes, overflow) = rows.multipliedReportingOverflow(by: column.type.width)
                guard !overflow else { throw corrupt("row count \(rows)") }
                let values = try buffer(1, needs: valueBytes)
                let validity = nullCount > 0 ? try buffer(0, needs: (rows + 7) / 8) : nil
                chunks[slot] = Chunk(values: values, validity: validity)
            }
            return Batch(rows: rows, firstRow: firstRow, chunks: chunks)
        }
    }
}
