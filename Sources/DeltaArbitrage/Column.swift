/// One field of `MarketData`: its values for every row, contiguous in memory.
///
/// A column either owns its values (an array) or views memory that another
/// object owns and keeps alive: an Arrow file's mapped pages, read in place
/// instead of copied (`ArrowFileReader`), or a caller's buffer that outlives
/// every use of the column (the C interface's `unsafeBorrowing`). Either way
/// it works like an array: indexed from 0, mutable and resizable
/// (`MutableCollection`, `RangeReplaceableCollection`), `Array(column)`
/// copies it out. The first write to a view copies its values into the
/// column, which owns them from then on; the viewed memory is never written.
///
/// Hot loops take the whole buffer once with `withUnsafeBufferPointer`
/// rather than subscripting, which decides between the two storages per call.
public struct Column<Element: BitwiseCopyable & Sendable>: Sendable {
    @usableFromInline
    enum Storage: @unchecked Sendable {
        // `@unchecked`: a view's memory is never written while columns view it
        // (the owner's contract), so sharing the pointer across threads is safe.
        case owned([Element])
        case view(base: UnsafePointer<Element>?, count: Int, owner: (any AnyObject & Sendable)?)
    }

    @usableFromInline
    var storage: Storage

    /// A column that owns `values` (no copy).
    @inlinable
    public init(_ values: [Element]) {
        storage = .owned(values)
    }

    /// A column that owns a copy of `values`.
    @inlinable
    public init(_ values: some Sequence<Element>) {
        storage = .owned(Array(values))
    }

    /// A column of `count` copies of `value`.
    public init(repeating value: Element, count: Int) {
        storage = .owned([Element](repeating: value, count: count))
    }

    /// A column that reads `buffer` in place, without copying it.
    ///
    /// The memory must stay valid and unchanged for as long as this column or
    /// any copy of it (a copied `MarketData`, a slice from `rows`) lives;
    /// `owner` is retained for that long, so an owner that releases the
    /// memory in its `deinit` (a mapped file) makes the view safe. With no
    /// owner the caller guarantees it, e.g. by using the column only within
    /// a call that borrowed the buffer.
    public init(unsafeBorrowing buffer: UnsafeBufferPointer<Element>, owner: (any AnyObject & Sendable)?) {
        storage = .view(base: buffer.baseAddress, count: buffer.count, owner: owner)
    }

    /// Whether the values are viewed in memory owned elsewhere (see
    /// `init(unsafeBorrowing:owner:)`) rather than held by the column.
    public var isView: Bool {
        if case .view = storage { return true }
        return false
    }

    /// Calls `body` with the values as one buffer, valid only during the call.
    @inlinable
    public func withUnsafeBufferPointer<R, E: Error>(_ body: (UnsafeBufferPointer<Element>) throws(E) -> R) throws(E) -> R {
        switch storage {
        case .owned(let values):
            // `Array.withUnsafeBufferPointer` rethrows untyped; keep the error's type.
            var result: Result<R, E>?
            values.withUnsafeBufferPointer { buffer in
                do throws(E) { result = .success(try body(buffer)) } catch { result = .failure(error) }
            }
            return try result.unsafelyUnwrapped.get()
        case .view(let base, let count, let owner):
            return try withExtendedLifetime(owner) { () throws(E) -> R in
                try body(UnsafeBufferPointer(start: base, count: count))
            }
        }
    }

    /// Calls `body` with the values' bytes as they lie in memory, valid only during the call.
    @inlinable
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withUnsafeBufferPointer { (buffer) throws(E) -> R in try body(UnsafeRawBufferPointer(buffer)) }
    }

    /// `residency` for rows `range` when the column views a memory-mapped
    /// file (`MappedFile.adviseResident`: mapped in ahead of a read, or
    /// dropped from resident memory while the file and the page cache keep
    /// them, so a later read maps them back unchanged); nothing otherwise.
    func adviseResident(_ residency: MappedFile.Residency, rows range: Range<Int>) {
        guard case .view(let base?, let count, let owner as MappedFile) = storage else { return }
        let rows = range.clamped(to: 0..<count)
        guard !rows.isEmpty else { return }
        owner.adviseResident(residency, UnsafeRawPointer(base + rows.lowerBound),
                             byteCount: rows.count * MemoryLayout<Element>.stride)
    }

    /// Rows `range` as a column: a slice of the same memory for a view, a
    /// copy for an owned column.
    public func rows(_ range: Range<Int>) -> Column {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "rows \(range) outside 0..<\(count)")
        switch storage {
        case .owned(let values):
            return Column(Array(values[range]))
        case .view(let base, _, let owner):
            return Column(unsafeBorrowing: UnsafeBufferPointer(start: base.map { $0 + range.lowerBound }, count: range.count),
                          owner: owner)
        }
    }
}

extension Column: RandomAccessCollection {
    public typealias Index = Int

    @inlinable public var startIndex: Int { 0 }

    @inlinable
    public var endIndex: Int {
        switch storage {
        case .owned(let values): values.count
        case .view(_, let count, _): count
        }
    }

    @inlinable
    public subscript(position: Int) -> Element {
        get {
            switch storage {
            case .owned(let values):
                return values[position]
            case .view(let base, let count, _):
                precondition(position >= 0 && position < count, "index \(position) outside 0..<\(count)")
                return base.unsafelyUnwrapped[position]
            }
        }
        set {
            withOwnedValues { $0[position] = newValue }
        }
    }

    @inlinable
    public func withContiguousStorageIfAvailable<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R? {
        switch storage {
        case .owned(let values):
            return try values.withUnsafeBufferPointer(body)
        case .view(let base, let count, let owner):
            return try withExtendedLifetime(owner) { try body(UnsafeBufferPointer(start: base, count: count)) }
        }
    }
}

extension Column: MutableCollection, RangeReplaceableCollection {
    /// An empty column.
    public init() {
        storage = .owned([])
    }

    /// The values as an owned array for `body` to change in place (a view's
    /// values are copied first).
    @inlinable
    mutating func withOwnedValues<R>(_ body: (inout [Element]) throws -> R) rethrows -> R {
        var values: [Element]
        switch storage {
        case .owned(let owned): values = owned
        case .view(let base, let count, let owner):
            values = withExtendedLifetime(owner) { Array(UnsafeBufferPointer(start: base, count: count)) }
        }
        // Leave the storage empty meanwhile so that `values` is the array's only reference.
        storage = .owned([])
        defer { storage = .owned(values) }
        return try body(&values)
    }

    public mutating func replaceSubrange<C: Collection<Element>>(_ subrange: Range<Int>, with newElements: C) {
        withOwnedValues { $0.replaceSubrange(subrange, with: newElements) }
    }

    public mutating func reserveCapacity(_ n: Int) {
        withOwnedValues { $0.reserveCapacity(n) }
    }
}

extension Column: ExpressibleByArrayLiteral {
    /// A column that owns `elements`.
    public init(arrayLiteral elements: Element...) {
        self.init(elements)
    }
}

extension Column: Equatable where Element: Equatable {
    /// Equal when both have the same values in the same order (`==` per
    /// element, so a NaN differs from itself, as for arrays) or are the same
    /// memory.
    public static func == (lhs: Column, rhs: Column) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return lhs.withUnsafeBufferPointer { a in
            rhs.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress || a.elementsEqual(b) }
        }
    }
}

extension Column where Element: Equatable {
    /// Whether the column holds exactly `array`'s values, in order (`==` per element).
    public static func == (lhs: Column, rhs: [Element]) -> Bool {
        lhs.count == rhs.count && lhs.withUnsafeBufferPointer { $0.elementsEqual(rhs) }
    }

    /// Whether the column holds exactly `array`'s values, in order (`==` per element).
    public static func == (lhs: [Element], rhs: Column) -> Bool { rhs == lhs }
}

extension Column: CustomStringConvertible {
    /// The values, written as an array's.
    public var description: String { Array(self).description }
}
