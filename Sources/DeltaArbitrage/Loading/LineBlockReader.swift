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
