import Testing
@testable import DeltaArbitrage

/// `Column`: owned and viewed storage behave as one array type.
@Suite struct ColumnTests {
    /// An owner that counts how many of it live, standing in for a mapped file.
    final class Owner: @unchecked Sendable {
        let buffer: UnsafeMutableBufferPointer<Double>
        init(_ values: [Double]) {
            buffer = .allocate(capacity: values.count)
            _ = buffer.initialize(from: values)
        }
        deinit { buffer.deallocate() }
    }

    static let values: [Double] = (0..<100).map { Double($0) * 1.5 - 20 }

    @Test func viewsAndOwnedColumnsReadAlike() {
        let owner = Owner(Self.values)
        let view = Column(unsafeBorrowing: UnsafeBufferPointer(owner.buffer), owner: owner)
        let owned = Column(Self.values)
        #expect(view.isView && !owned.isView)
        #expect(view == owned && owned == Self.values && Self.values == view)
        #expect(Array(view) == Self.values && view.count == 100 && view.first == -20 && view.last == Self.values[99])
        for range in [0..<0, 0..<100, 7..<8, 13..<77, 99..<100] {
            let viewRows = view.rows(range), ownedRows = owned.rows(range)
            #expect(viewRows.isView && !ownedRows.isView)
            #expect(viewRows == Array(Self.values[range]) && ownedRows == Array(Self.values[range]))
            viewRows.withUnsafeBufferPointer { buffer in
                #expect(buffer.count == range.count)
                #expect(range.isEmpty || buffer.baseAddress == UnsafePointer(owner.buffer.baseAddress! + range.lowerBound))
            }
        }
        #expect(view.description == Self.values.description)
    }

    /// The owner lives as long as any column or slice viewing it, and no longer.
    @Test func theOwnerLivesWithItsViews() {
        weak var watched: Owner?
        var slice: Column<Double>?
        do {
            let owner = Owner(Self.values)
            watched = owner
            let view = Column(unsafeBorrowing: UnsafeBufferPointer(owner.buffer), owner: owner)
            slice = view.rows(10..<20)
        }
        #expect(watched != nil)
        #expect(slice.map { Array($0) } == Array(Self.values[10..<20]))
        slice = nil
        #expect(watched == nil)
    }

    /// Writes copy a view first (its memory is never written) and leave
    /// other copies of an owned column alone (copy on write).
    @Test func writesCopyOnWrite() {
        let owner = Owner(Self.values)
        let view = Column(unsafeBorrowing: UnsafeBufferPointer(owner.buffer), owner: owner)
        var edited = view
        edited[3] = 1e9
        edited.append(7)
        edited.removeFirst()
        #expect(!edited.isView && edited.count == 100 && edited[2] == 1e9 && edited.last == 7)
        #expect(view.isView && view == Self.values && owner.buffer[3] == Self.values[3])

        let owned: Column<Double> = Column(Self.values)
        var copy = owned
        copy[0] = 42
        copy.append(contentsOf: [1, 2])
        #expect(owned == Self.values && copy.count == 102 && copy[0] == 42)
    }

    /// `==` compares values with `==` (a NaN differs from itself, as for
    /// arrays) unless both are the same memory.
    @Test func equalityIsPerElementOrSameMemory() {
        let nan: Column<Double> = [1, .nan]
        #expect(nan == nan)
        #expect(nan != Column([1, .nan]))
        #expect(Column<Double>([1, 2]) != Column([1, 2, 3]))
        #expect(Column<Int64>() == [] && Column<Int64>(repeating: 5, count: 3) == [5, 5, 5])
    }
}
