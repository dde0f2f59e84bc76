@testable import DeltaArbitrage
import Testing

/// `LineBlockReader`: whole-line blocks of the size asked for, whatever the line limit.
@Suite("Line block reader")
struct LineBlockReaderTests {
    /// Feeds `text` through the reader in reads of at most `chunk` bytes; returns the blocks handed on.
    static func blocks(_ text: [UInt8], blockBytes: Int, maxLineBytes: Int, chunk: Int = 4096) throws(MarketDataError) -> [[UInt8]] {
        var offset = 0
        var out: [[UInt8]] = []
        try LineBlockReader.read(
            file: "t.csv", blockBytes: blockBytes, maxLineBytes: maxLineBytes,
            read: { (into, capacity) throws(MarketDataError) -> Int in
                let n = min(capacity, chunk, text.count - offset)
                for i in 0..<n { into[i] = text[offset + i] }
                offset += n
                return n
            },
            nextLine: { out.reduce(1) { $0 + $1.filter { $0 == 0x0A }.count } },
            consume: { (buffer, range) throws(MarketDataError) in out.append(Array(UnsafeBufferPointer(start: buffer + range.lowerBound, count: range.count))) })
        return out
    }

    @Test func blocksAreAsLargeAsAskedAndEndAtLineEnds() throws {
        let text = Array((0..<5000).map { "line \($0),1,2\n" }.joined().utf8)
        let blocks = try Self.blocks(text, blockBytes: 20_000, maxLineBytes: 1_000)
        #expect(blocks.joined().elementsEqual(text))
        #expect(blocks.dropLast().allSatisfy { $0.last == 0x0A && $0.count > 19_000 && $0.count <= 20_000 },
                "block sizes \(blocks.map(\.count))")   // not capped at the line limit
    }

    @Test func aLineOverTheLimitStopsTheReadAfterGrowingToIt() {
        let text = Array(("ok\n" + String(repeating: "x", count: 5_000) + "\n").utf8)
        #expect { _ = try Self.blocks(text, blockBytes: 64, maxLineBytes: 1_000) } throws: { error in
            guard let error = error as? MarketDataError else { return false }
            return error.kind == .lineTooLong && error.line == 2
        }
        // A long line within the limit grows the buffer and reads whole.
        let fits = Array(("ok\n" + String(repeating: "y", count: 900) + "\nend\n").utf8)
        #expect((try? Self.blocks(fits, blockBytes: 64, maxLineBytes: 1_000).joined().elementsEqual(fits)) == true)
    }
}
