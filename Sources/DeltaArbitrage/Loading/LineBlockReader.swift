import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a byte stream in blocks that end at a line end, for the CSV readers:
/// each block of whole lines goes to `consume`, and the unfinished last line
/// is carried into the next block. A line that does not fit the buffer grows
/// it, up to the line-length limit; past it the read stops with
/// `.lineTooLong`, so a stream with no line ends (binary data, `/dev/zero`)
/// costs at most the limit in memory.
enum LineBlockReader {
    /// - Parameters:
    ///   - blockBytes: the buffer's starting size (one block).
    ///   - read: fills at most `capacity` bytes at the pointer; 0 at the end.
    ///   - nextLine: the 1-based number of the line the next block starts with, for the error.
    ///   - consume: handles the bytes `range` of the buffer: whole lines (the last may lack its line end at the end of the stream).
    static func read(file: String?, blockBytes: Int, maxLineBytes: Int,
                     read: (UnsafeMutablePointer<UInt8>, Int) throws(MarketDataError) -> Int,
                     nextLine: () -> Int,
                     consume: (UnsafeMutablePointer<UInt8>, Range<Int>) throws(MarketDataError) -> Void) throws(MarketDataError) {
        var capacity = max(blockBytes, 16)
        var buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        var filled = 0
        var atEnd = false
        while true {
            while filled < capacity && !atEnd {
                let got = try read(buffer + filled, capacity - filled)
                if got == 0 { atEnd = true } else { filled += got }
            }
            if filled == 0 { break }
            var cut = filled
            if !atEnd {
                while cut > 0 && buffer[cut - 1] != 0x0A { cut -= 1 }
                if cut == 0 {
                    // No line end in a full buffer: the line is at least `filled`
                    // bytes (a final "\r" aside). Refuse it once over the limit;
                    // until then make room and read on.
                    if filled > maxLineBytes + 1 {
                        let line = nextLine()
                        throw CSVInputText.lineTooLong(file: file, line: line, limit: maxLineBytes, length: filled, lengthKnown: false,
                                                       start: UnsafeBufferPointer(start: buffer, count: min(filled, 512)),
                                                       atFileStart: line == 1)
                    }
                    let grown = max(min(capacity * 2, maxLineBytes + 2), capacity + 1)
                    let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
                    larger.update(from: buffer, count: filled)
                    buffer.deallocate()
                    buffer = larger
                    capacity = grown
                    continue
                }
            }
            try consume(buffer, 0..<cut)
            memmove(buffer, buffer + cut, filled - cut)  // keep the unfinished line
            filled -= cut
            if atEnd && filled == 0 { break }
        }
    }
}

extension LineBlockReader {
    /// `read`, with the next block read on another thread while `consume`
    /// handles the current one (two buffers in turn), so that copying the
    /// file's bytes in overlaps the parsing instead of stalling it. The
    /// blocks, the errors and their order are those of `read`: a read error
    /// or an over-long line in a block is thrown only after the blocks before
    /// it are consumed.
    static func readAhead(file: String?, blockBytes: Int, maxLineBytes: Int,
                          read: @escaping @Sendable (UnsafeMutablePointer<UInt8>, Int) throws(MarketDataError) -> Int,
                          nextLine: () -> Int,
                          consume: (UnsafeMutablePointer<UInt8>, Range<Int>) throws(MarketDataError) -> Void) throws(MarketDataError) {
        var capacity = max(blockBytes, 16)
        var current = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        var other = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        let pending = PendingFill()
        defer {
            pending.wait()  // a read into `other` may still run when `consume` throws
            current.deallocate()
            other.deallocate()
        }
        var fill = Fill(filled: 0, atEnd: false)
        try fill.complete(Buffer(base: current), capacity: capacity, read: read)
        while true {
            if fill.filled == 0 { break }
            var cut = fill.filled
            if !fill.atEnd {
                while cut > 0 && current[cut - 1] != 0x0A { cut -= 1 }
                if cut == 0 {
                    // As in `read`: refuse a line over the limit, else grow both buffers and read on.
                    if fill.filled > maxLineBytes + 1 {
                        let line = nextLine()
                        throw CSVInputText.lineTooLong(file: file, line: line, limit: maxLineBytes, length: fill.filled,
                                                       lengthKnown: false,
                                                       start: UnsafeBufferPointer(start: current, count: min(fill.filled, 512)),
                                                       atFileStart: line == 1)
                    }
                    let grown = max(min(capacity * 2, maxLineBytes + 2), capacity + 1)
                    let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
                    larger.update(from: current, count: fill.filled)
                    current.deallocate()
                    current = larger
                    other.deallocate()
                    other = .allocate(capacity: grown)
                    capacity = grown
                    try fill.complete(Buffer(base: current), capacity: capacity, read: read)
                    continue
                }
            }
            // The unfinished line starts the other buffer, which fills meanwhile.
            let tail = fill.filled - cut
            other.update(from: current + cut, count: tail)
            var next = Fill(filled: tail, atEnd: fill.atEnd)
            if !fill.atEnd { pending.start(next, Buffer(base: other), capacity: capacity, read: read) }
            try consume(current, 0..<cut)
            if !fill.atEnd { next = try pending.result() }
            swap(&current, &other)
            fill = next
            if fill.atEnd && fill.filled == 0 { break }
        }
    }

    /// How much of a buffer is filled, and whether the input has ended.
    private struct Fill: Sendable {
        var filled: Int
        var atEnd: Bool

        /// Reads until the buffer is full or the input ends, as `read` does.
        mutating func complete(_ buffer: Buffer, capacity: Int,
                               read: (UnsafeMutablePointer<UInt8>, Int) throws(MarketDataError) -> Int) throws(MarketDataError) {
            while filled < capacity && !atEnd {
                let got = try read(buffer.base + filled, capacity - filled)
                if got == 0 { atEnd = true } else { filled += got }
            }
        }
    }

    /// A buffer handed to the reading thread. `@unchecked Sendable`: only that
    /// thread touches it until `PendingFill.result` has returned.
    private struct Buffer: @unchecked Sendable {
        let base: UnsafeMutablePointer<UInt8>
    }

    /// The one read running on another thread, and its outcome.
    /// `@unchecked Sendable`: `outcome` is written by the reading thread
    /// before it signals, and read only after the wait.
    private final class PendingFill: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var running = false
        private var outcome: Result<Fill, MarketDataError> = .success(Fill(filled: 0, atEnd: true))

        func start(_ fill: Fill, _ buffer: Buffer, capacity: Int,
                   read: @escaping @Sendable (UnsafeMutablePointer<UInt8>, Int) throws(MarketDataError) -> Int) {
            running = true
            DispatchQueue.global().async {
                var fill = fill
                do throws(MarketDataError) {
                    try fill.complete(buffer, capacity: capacity, read: read)
                    self.outcome = .success(fill)
                } catch {
                    self.outcome = .failure(error)
                }
                self.done.signal()
            }
        }

        func wait() {
            if running {
                done.wait()
                running = false
            }
        }

        func result() throws(MarketDataError) -> Fill {
            wait()
            return try outcome.get()
        }
    }
}
