/// Reads PostgreSQL's binary COPY format, message by message, handing each
/// row's fields on as views into the message (no copy, no allocation per row).
///
/// The stream: the 11-byte signature `PGCOPY\n\377\r\n\0`, flags and
/// header-extension length (Int32 each, big endian) and the extension; then
/// per row an Int16 field count and per field an Int32 length (−1 for NULL)
/// and that many bytes; −1 as the field count ends it. The server sends one
/// CopyData message per row (the header in front of the first), so a row
/// never straddles two messages; one that seems to is malformed data.
struct BinaryCopyDecoder {
    /// What is wrong with the stream.
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    static let signature: [UInt8] = [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00]

    /// The field count every row must have.
    let fieldCount: Int
    /// Rows handed on so far.
    private(set) var rows = 0
    private var sawHeader = false
    private var sawTrailer = false
    private let fields: UnsafeMutableBufferPointer<UnsafeRawBufferPointer?>

    init(fields: Int) {
        fieldCount = fields
        self.fields = .allocate(capacity: max(fields, 1))
    }

    /// Frees the field views' storage; the decoder is not used after.
    func deallocate() { fields.deallocate() }

    /// Decodes one message, calling `row` for each row in it.
    mutating func decode(_ message: UnsafeRawBufferPointer,
                         row: (UnsafeBufferPointer<UnsafeRawBufferPointer?>) throws -> Void) throws {
        var offset = 0
        func int16() throws -> Int {
            guard offset + 2 <= message.count else { throw Malformed(description: "malformed binary COPY data: row \(rows + 1) is cut short") }
            defer { offset += 2 }
            return Int(Int16(bigEndian: message.loadUnaligned(fromByteOffset: offset, as: Int16.self)))
        }
        func int32() throws -> Int {
            guard offset + 4 <= message.count else { throw Malformed(description: "malformed binary COPY data: row \(rows + 1) is cut short") }
            defer { offset += 4 }
            return Int(Int32(bigEndian: message.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
        }
        if !sawHeader {
            guard message.count >= 19, message.prefix(11).elementsEqual(Self.signature) else {
                throw Malformed(description: "the COPY stream does not start with the binary COPY signature")
            }
            offset = 15
            let extensionLength = try int32()
            guard extensionLength >= 0, offset + extensionLength <= message.count else {
                throw Malformed(description: "malformed binary COPY header (extension of \(extensionLength) bytes)")
            }
            offset += extensionLength
            sawHeader = true
        }
        while offset < message.count {
            guard !sawTrailer else { throw Malformed(description: "binary COPY data after the end-of-data marker") }
            let count = try int16()
            if count == -1 { sawTrailer = true; continue }
            guard count == fieldCount else {
                throw Malformed(description: "binary COPY row \(rows + 1) has \(count) fields, expected \(fieldCount)")
            }
            for k in 0..<count {
                let size = try int32()
                if size == -1 { fields[k] = nil; continue }
                guard size >= 0, offset + size <= message.count else {
                    throw Malformed(description: "malformed binary COPY data: a field of row \(rows + 1) runs past its end")
                }
                fields[k] = UnsafeRawBufferPointer(rebasing: message[offset..<offset + size])
                offset += size
            }
            try row(UnsafeBufferPointer(rebasing: fields[0..<count]))
            rows += 1
        }
    }

    /// Checks that the stream ended properly (with its end-of-data marker).
    func finish() throws {
        guard sawHeader else { throw Malformed(description: "the COPY stream ended before its header") }
        guard sawTrailer else { throw Malformed(description: "the binary COPY stream ended without its end-of-data marker") }
    }
}
