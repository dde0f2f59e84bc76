/// A bounds-checked reader of one flatbuffer (the metadata encoding of Arrow
/// IPC files) lying at `range` of a mapped file.
///
/// Every position read is checked against `range` before the bytes are
/// touched, so a corrupt or hostile file can only produce a `.malformedFile`
/// error, never a read outside the mapping. Only what Arrow's footer and
/// messages need is supported: tables, scalars, strings, vectors of structs
/// and vectors of tables.
struct FlatBufferView {
    let base: UnsafeRawPointer
    /// Absolute byte positions of the flatbuffer within the file.
    let range: Range<Int>
    /// The file, for errors.
    let file: String?
    /// What this flatbuffer is ("the footer", "the message at byte 1024"), for errors.
    let what: String

    /// Throws unless `count` bytes from `position` lie inside the flatbuffer.
    func require(_ position: Int, _ count: Int, _ item: @autoclosure () -> String) throws(MarketDataError) {
        guard count >= 0, position >= range.lowerBound, position <= range.upperBound,
              count <= range.upperBound - position else {
            throw corrupt("\(item()) at byte \(position) (\(count) bytes) lies outside \(what) "
                + "(bytes \(range.lowerBound)..<\(range.upperBound))")
        }
    }

    /// A little-endian integer at `position`, which the caller has checked.
    func load<T: FixedWidthInteger>(_ position: Int, as type: T.Type) -> T {
        T(littleEndian: base.loadUnaligned(fromByteOffset: position, as: T.self))
    }

    /// The `.malformedFile` error for a broken flatbuffer.
    func corrupt(_ detail: String) -> MarketDataError {
        MarketDataError(kind: .malformedFile, file: file, detail: "corrupt Arrow metadata in \(what): \(detail)")
    }

    /// The root table.
    func root() throws(MarketDataError) -> FlatTable {
        try require(range.lowerBound, 4, "the root offset")
        return try table(at: range.lowerBound + Int(load(range.lowerBound, as: UInt32.self)))
    }

    /// The table starting at `position`, with its vtable checked.
    func table(at position: Int) throws(MarketDataError) -> FlatTable {
        try require(position, 4, "a table")
        let vtable = position - Int(load(position, as: Int32.self))
        try require(vtable, 4, "a vtable")
        let vtableSize = Int(load(vtable, as: UInt16.self))
        let tableSize = Int(load(vtable + 2, as: UInt16.self))
        guard vtableSize >= 4, vtableSize % 2 == 0, tableSize >= 4 else {
            throw corrupt("the vtable at byte \(vtable) has sizes \(vtableSize)/\(tableSize)")
        }
        try require(vtable, vtableSize, "a vtable")
        try require(position, tableSize, "a table")
        return FlatTable(buffer: self, position: position, vtable: vtable,
                         fieldCount: (vtableSize - 4) / 2, tableSize: tableSize)
    }
}

/// One table of a `FlatBufferView`; fields are numbered as in the schema
/// (a union takes two: its type, then its value).
struct FlatTable {
    let buffer: FlatBufferView
    let position: Int
    let vtable: Int
    let fieldCount: Int
    let tableSize: Int

    /// Absolute position of field `index` (`size` bytes inline), or nil when absent.
    func fieldPosition(_ index: Int, size: Int) throws(MarketDataError) -> Int? {
        guard index < fieldCount else { return nil }
        let offset = Int(buffer.load(vtable + 4 + 2 * index, as: UInt16.self))
        if offset == 0 { return nil }
        guard offset + size <= tableSize else {
            throw buffer.corrupt("field \(index) of the table at byte \(position) lies outside the table")
        }
        return position + offset
    }

    /// A scalar field, or `defaultValue` when absent.
    func scalar<T: FixedWidthInteger>(_ index: Int, default defaultValue: T) throws(MarketDataError) -> T {
        guard let at = try fieldPosition(index, size: MemoryLayout<T>.size) else { return defaultValue }
        return buffer.load(at, as: T.self)
    }

    /// Where an offset field points, or nil when absent.
    private func target(_ index: Int) throws(MarketDataError) -> Int? {
        guard let at = try fieldPosition(index, size: 4) else { return nil }
        return at + Int(buffer.load(at, as: UInt32.self))
    }

    /// A table field, or nil when absent.
    func table(_ index: Int) throws(MarketDataError) -> FlatTable? {
        guard let at = try target(index) else { return nil }
        return try buffer.table(at: at)
    }

    /// A string field (UTF-8, invalid sequences replaced), or nil when absent.
    func string(_ index: Int) throws(MarketDataError) -> String? {
        guard let at = try target(index) else { return nil }
        try buffer.require(at, 4, "a string length")
        let count = Int(buffer.load(at, as: UInt32.self))
        try buffer.require(at + 4, count, "a string")
        return String(decoding: UnsafeRawBufferPointer(start: buffer.base + at + 4, count: count), as: UTF8.self)
    }

    /// A vector field of `elementSize`-byte elements: the position of its first
    /// element and its count (both checked), or nil when absent.
    func vector(_ index: Int, elementSize: Int) throws(MarketDataError) -> (start: Int, count: Int)? {
        guard let at = try target(index) else { return nil }
        try buffer.require(at, 4, "a vector length")
        let count = Int(buffer.load(at, as: UInt32.self))
        let (bytes, overflow) = count.multipliedReportingOverflow(by: elementSize)
        guard !overflow else { throw buffer.corrupt("a vector of \(count) elements at byte \(at) is too long") }
        try buffer.require(at + 4, bytes, "a vector of \(count) elements")
        return (at + 4, count)
    }

    /// The tables of a vector-of-tables field (empty when absent).
    func tables(_ index: Int) throws(MarketDataError) -> [FlatTable] {
        guard let (start, count) = try vector(index, elementSize: 4) else { return [] }
        var tables: [FlatTable] = []
        tables.reserveCapacity(count)
        for i in 0..<count {
            let slot = start + 4 * i
            tables.append(try buffer.table(at: slot + Int(buffer.load(slot, as: UInt32.self))))
        }
        return tables
    }
}
