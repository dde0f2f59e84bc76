@testable import DeltaArbitrage
import Testing

/// `LineBlockReader.readAhead` hands on the blocks and errors that `read` does.
@Suite struct LineBlockReadAheadTests {
    /// The blocks (or the error) of either reader over `text`, read in pieces of at most `chunk` bytes.
    static func blocks(_ text: [UInt8], ahead: Bool, blockBytes: Int, maxLineBytes: Int,
                       chunk: Int = 997) -> Result<[[UInt8]], MarketDataError> {
        let source = Source(text: text, chunk: chunk)
        var out: [[UInt8]] = []
        let read = { @Sendable (into: UnsafeMutablePointer<UInt8>, capacity: Int) throws(MarketDataError) -> Int in
            source.read(into, capacity)
        }
        let nextLine = { out.reduce(1) { $0 + $1.filter { $0 == 0x0A }.count } }
        let consume = { (buffer: UnsafeMutablePointer<UInt8>, range: Range<Int>) throws(MarketDataError) in
            out.append(Array(UnsafeBufferPointer(start: buffer + range.lowerBound, count: range.count)))
        }
        return Result { () throws(MarketDataError) -> [[UInt8]] in
            if ahead {
                try LineBlockReader.readAhead(file: "t.csv", blockBytes: blockBytes, maxLineBytes: maxLineBytes,
                                              read: read, nextLine: nextLine, consume: consume)
            } else {
                try LineBlockReader.read(file: "t.csv", blockBytes: blockBytes, maxLineBytes: maxLineBytes,
                                         read: read, nextLine: nextLine, consume: consume)
            }
            return out
        }
    }

    @Test func sameBlocksAndErrorsAsRead() {
        let lines = (0..<3_000).map { "line \($0),1,2" + ($0 % 500 == 7 ? String(repeating: "z", count: 700) : "") }
        let texts = [lines.joined(separator: "\n") + "\n", lines.joined(separator: "\n"), "",
                     "ok\n" + String(repeating: "x", count: 5_000) + "\nend\n"]
        for text in texts {
            for (block, limit) in [(64, 1_000), (4_096, 1_000), (20_000, 100_000), (1 << 20, 1_000)] {
                let bytes = Array(text.utf8)
                let reference = Self.blocks(bytes, ahead: false, blockBytes: block, maxLineBytes: limit)
                let ahead = Self.blocks(bytes, ahead: true, blockBytes: block, maxLineBytes: limit)
                switch (reference, ahead) {
                case (.success(let a), .success(let b)): #expect(a == b, "blocks of \(block), limit \(limit)")
                case (.failure(let a), .failure(let b)): #expect(a.description == b.description)
                default: Issue.record("blocks of \(block), limit \(limit): \(reference) vs \(ahead)")
                }
            }
        }
    }
}

/// Bytes handed out in reads of at most `chunk`. `@unchecked Sendable`:
/// the readers call `read` from one thread at a time, in order.
private final class Source: @unchecked Sendable {
    let text: [UInt8]
    let chunk: Int
    var offset = 0

    init(text: [UInt8], chunk: Int) {
        self.text = text
        self.chunk = chunk
    }

    func read(_ into: UnsafeMutablePointer<UInt8>, _ capacity: Int) -> Int {
        let n = min(capacity, chunk, text.count - offset)
        for i in 0..<n { into[i] = text[offset + i] }
        offset += n
        return n
    }
}
