#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Growable column buffers filled by one parsing chunk: a timestamp column
/// and `storeCount` value columns (the four prices, then the quantity columns
/// present in the header). An empty field is stored as NaN, meaning "carry
/// forward"; the text "NaN" itself never parses, so NaN is unambiguous.
///
/// Raw `malloc` memory rather than `Array` so that the hot loop writes
/// through plain pointers. One set is reused for every block of the input,
/// so it grows to the rows of one block and stays there.
///
/// The first `headroom` rows are left free by the parser: the validator puts
/// the rows it held back from the previous chunk there (see
/// `CSVRowValidator`), so that they are checked and output in file order
/// without copying the chunk.
///
/// `@unchecked Sendable`: a chunk is created, filled and read by one thread at
/// a time; `DispatchQueue.concurrentPerform` returns only after every chunk is
/// done, which orders the hand-over.
final class CSVRawColumns: @unchecked Sendable {
    let storeCount: Int
    /// Rows reserved in front of the parsed rows.
    let headroom: Int
    private(set) var capacity: Int
    /// The rows in use are `start..<count`. The parser stores rows from
    /// `headroom` on; the validator moves `start` down over the rows it puts
    /// in front and lowers `count` when it compacts rows in place.
    var start = 0
    var count = 0
    private(set) var timestamps: UnsafeMutablePointer<Int64>
    private(set) var values: UnsafeMutablePointer<UnsafeMutablePointer<Double>>
    /// Where the separators of the piece being parsed are (see `CSVChunkParser.indexedRow`).
    let separators = CSVSeparatorIndex()

    init(storeCount: Int, capacity: Int, headroom: Int) {
        self.storeCount = storeCount
        self.headroom = headroom
        self.capacity = max(capacity, 16) + headroom
        timestamps = Self.allocate(Int64.self, self.capacity)
        values = .allocate(capacity: storeCount)
        for k in 0..<storeCount {
            values[k] = Self.allocate(Double.self, self.capacity)
        }
    }

    deinit {
        free(timestamps)
        for k in 0..<storeCount {
            free(values[k])
        }
        values.deallocate()
    }

    /// Grows every column by half. Callers reload `timestamps` afterwards.
    @inline(never)
    func grow() {
        let newCapacity = capacity + capacity / 2 + 16
        timestamps = Self.reallocate(timestamps, newCapacity)
        for k in 0..<storeCount {
            values[k] = Self.reallocate(values[k], newCapacity)
        }
        capacity = newCapacity
    }

    private static func allocate<T>(_: T.Type, _ n: Int) -> UnsafeMutablePointer<T> {
        guard let raw = malloc(n * MemoryLayout<T>.stride) else { fatalOutOfMemory(n * MemoryLayout<T>.stride) }
        return raw.bindMemory(to: T.self, capacity: n)
    }

    private static func reallocate<T>(_ p: UnsafeMutablePointer<T>, _ n: Int) -> UnsafeMutablePointer<T> {
        guard let raw = realloc(p, n * MemoryLayout<T>.stride) else { fatalOutOfMemory(n * MemoryLayout<T>.stride) }
        return raw.bindMemory(to: T.self, capacity: n)
    }

    /// Out of memory is not a property of the user's data; Swift's own
    /// allocations trap in the same situation.
    private static func fatalOutOfMemory(_ bytes: Int) -> Never {
        preconditionFailure("out of memory allocating \(bytes) bytes for CSV columns")
    }
}
