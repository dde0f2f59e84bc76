/// A flatbuffer object for `FlatBufferBuilder`: the few shapes Arrow's
/// metadata needs.
indirect enum FlatValue: Sendable {
    /// A table; `fields[i]` is field `i` of the schema (a union takes two slots).
    case table([FlatField])
    /// A UTF-8 string.
    case string(String)
    /// A vector of structs whose size and alignment are 8 bytes or a multiple
    /// (`bytes` is the elements back to back, little-endian).
    case structs(bytes: [UInt8], count: Int)
    /// A vector of tables.
    case tables([FlatValue])
}

/// One field of a `FlatValue.table`.
enum FlatField: Sendable {
    case absent
    case uint8(UInt8)
    case int16(Int16)
    case int32(Int32)
    case int64(Int64)
    case child(FlatValue)

    /// Inline size in the table.
    var size: Int {
        switch self {
        case .absent: return 0
        case .uint8: return 1
        case .int16: return 2
        case .int32, .child: return 4
        case .int64: return 8
        }
    }
}

/// Encodes a tree of `FlatValue`s front to back: each object is written
/// before the objects it points to, so every offset points forward as the
/// format requires. The result is padded to 8 bytes and assumes it will be
/// placed at an 8-byte aligned position (true of Arrow metadata).
struct FlatBufferBuilder {
    private var bytes: [UInt8] = []

    /// The encoded flatbuffer with `root` as its root table.
    static func encode(_ root: FlatValue) -> [UInt8] {
        var builder = FlatBufferBuilder()
        builder.bytes = [0, 0, 0, 0]
        let at = builder.write(root)
        builder.patchOffset(at: 0, to: at)
        builder.align(8)
        return builder.bytes
    }

    private mutating func align(_ alignment: Int) {
        while bytes.count % alignment != 0 { bytes.append(0) }
    }

    private mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private mutating func store<T: FixedWidthInteger>(_ value: T, at position: Int) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for (i, byte) in raw.enumerated() { bytes[position + i] = byte }
        }
    }

    /// Sets the `uoffset` at `position` to point at `target` (always later).
    private mutating func patchOffset(at position: Int, to target: Int) {
        store(UInt32(target - position), at: position)
    }

    /// Writes `value` and the objects it refers to; returns its position.
    private mutating func write(_ value: FlatValue) -> Int {
        switch value {
        case .string(let text):
            align(4)
            let at = bytes.count
            append(UInt32(text.utf8.count))
            bytes.append(contentsOf: text.utf8)
            bytes.append(0)
            return at
        case .structs(let elements, let count):
            while bytes.count % 8 != 4 { bytes.append(0) }
            let at = bytes.count
            append(UInt32(count))
            bytes.append(contentsOf: elements)
            return at
        case .tables(let tables):
            align(4)
            let at = bytes.count
            append(UInt32(tables.count))
            let slots = bytes.count
            for _ in tables { append(UInt32(0)) }
            for (i, table) in tables.enumerated() {
                let target = write(table)
                patchOffset(at: slots + 4 * i, to: target)
            }
            return at
        case .table(let fields):
            return writeTable(fields)
        }
    }

    private mutating func writeTable(_ fields: [FlatField]) -> Int {
        // The vtable first (behind the table, so its soffset is positive),
        // then the table: its soffset, then the fields, widest first so
        // that each lies at its natural alignment.
        align(2)
        let vtable = bytes.count
        append(UInt16(4 + 2 * fields.count))
        append(UInt16(0))  // table size, patched below
        for _ in fields { append(UInt16(0)) }
        align(8)
        let table = bytes.count
        append(Int32(table - vtable))
        var childSlots: [(slot: Int, value: FlatValue)] = []
        for index in fields.indices.sorted(by: { fields[$0].size > fields[$1].size }) {
            let field = fields[index]
            if field.size == 0 { continue }
            align(field.size)
            let at = bytes.count
            store(UInt16(at - table), at: vtable + 4 + 2 * index)
            switch field {
            case .absent: break
            case .uint8(let v): append(v)
            case .int16(let v): append(v)
            case .int32(let v): append(v)
            case .int64(let v): append(v)
            case .child(let child):
                append(UInt32(0))
                childSlots.append((at, child))
            }
        }
        store(UInt16(bytes.count - table), at: vtable + 2)
        for (slot, child) in childSlots {
            let target = write(child)
            patchOffset(at: slot, to: target)
        }
        return table
    }
}
