@testable import DeltaArbitrage
import Foundation
import Testing

/// `FreshPages`: the advice maps the pages it is asked to and changes nothing else.
@Suite("Fresh pages")
struct FreshPagesTests {
    /// Resident pages of `buffer`'s page-aligned interior, by mincore(2), and how many it has.
    static func residency(_ buffer: UnsafeMutableRawBufferPointer) -> (resident: Int, pages: Int) {
        let page = 4096
        let from = (Int(bitPattern: buffer.baseAddress) + page - 1) & ~(page - 1)
        let to = (Int(bitPattern: buffer.baseAddress) + buffer.count) & ~(page - 1)
        let pages = (to - from) / page
        var vector = [UInt8](repeating: 0, count: pages)
        guard let start = UnsafeMutableRawPointer(bitPattern: from), mincore(start, to - from, &vector) == 0 else { return (-1, pages) }
        return (vector.filter { $0 & 1 != 0 }.count, pages)
    }

    /// A fresh anonymous mapping (never resident before it is touched, unlike
    /// malloc's memory, which may reuse pages).
    static func freshMapping(_ bytes: Int) throws -> UnsafeMutableRawBufferPointer {
        let address = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        let base = try #require(address == MAP_FAILED ? nil : address)
        return UnsafeMutableRawBufferPointer(start: base, count: bytes)
    }

    #if os(Linux)
    @Test func preparedMemoryIsResidentBeforeItIsWritten() throws {
        let buffer = try Self.freshMapping(64 << 20)
        defer { munmap(buffer.baseAddress, buffer.count) }
        let before = Self.residency(buffer)
        try #require(before.resident >= 0)
        FreshPages.prepare(buffer)
        let after = Self.residency(buffer)
        // A kernel older than 5.14 declines MADV_POPULATE_WRITE; this project's machines have 6.x.
        #expect(after.resident == after.pages, "\(after.resident) of \(after.pages) pages resident (before: \(before.resident))")
    }

    @Test func preparingCapacityKeepsTheArray() {
        var values = (0..<1000).map(Double.init)
        values.reserveCapacity(2_000_000)
        let capacity = values.capacity
        FreshPages.prepareCapacity(&values, next: 1_500_000)
        #expect(values == (0..<1000).map(Double.init))
        #expect(values.capacity == capacity)
        values.append(contentsOf: repeatElement(7, count: 1_000_000))
        #expect(values.count == 1_001_000 && values.last == 7 && values.capacity == capacity)

        var quotes = MarketQuotes()
        quotes.reserveCapacity(1 << 20)
        quotes.prepareRoom(for: 1 << 20)
        for i in 0..<(1 << 20) {
            quotes.append(timestamp: Int64(i), bidPrice: 1, bidQuantity: 2, askPrice: 3, askQuantity: 4)
        }
        #expect(quotes.count == 1 << 20 && quotes.timestamps.last == Int64(1 << 20) - 1)
    }

    @Test func smallBuffersAreLeftAlone() throws {
        let buffer = try Self.freshMapping(FreshPages.minimumBytes - 4096)
        defer { munmap(buffer.baseAddress, buffer.count) }
        FreshPages.prepare(buffer)
        #expect(Self.residency(buffer).resident == 0)
    }
    #endif
}
