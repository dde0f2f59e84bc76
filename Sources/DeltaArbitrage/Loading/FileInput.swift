import CZlib

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a market-data file's bytes are stored, told by its first bytes (its
/// magic), not by its name.
public enum FileCompression: String, Sendable, Equatable {
    /// Plain text.
    case none
    /// gzip (`1f 8b`), one or several members one after the other (as `cat a.gz b.gz` makes).
    case gzip
    /// A zip archive (`PK 03 04`) holding exactly one file, stored or deflated.
    case zip
}

/// A file's decompressed bytes, streamed: plain files are read as they are,
/// gzip and zip are inflated by zlib chunk by chunk as the reader asks for
/// more, so nothing is ever unpacked to disk or held whole in memory.
///
/// Corrupt or truncated compressed data is a `MarketDataError` of kind
/// `.unreadableFile` naming the file and what is wrong (zlib's reason, the
/// compressed byte offset, a CRC or size mismatch), never a crash. For gzip
/// zlib checks each member's CRC-32 and length; for zip the entry's CRC-32 and
/// size from the central directory are checked at its end.
final class FileInput {
    let path: String
    let compression: FileCompression
    /// For `.zip`: the name of the one entry read.
    private(set) var entryName: String?
    /// The size of a plain regular file, else 0 (unknown).
    let plainSize: Int

    private let fd: Int32
    private var stream = z_stream()
    private var streamOpen = false
    private var input: UnsafeMutablePointer<UInt8>
    private let inputCapacity = 1 << 18
    /// Compressed bytes not yet read from the file (zip: of the entry; gzip: `Int.max`).
    private var compressedLeft = Int.max
    /// File offset of the next compressed byte read.
    private var fileOffset = 0
    private var inputAtEnd = false
    private var finished = false
    /// zip: the entry's method, CRC and size, to check at its end.
    private var zipMethod: UInt16 = 0
    private var zipCRC: UInt32 = 0
    private var zipSize: UInt64 = 0
    private var runningCRC: UInt = 0
    private var produced: UInt64 = 0

    /// Opens `path` and looks at its first bytes.
    init(path: String) throws(MarketDataError) {
        self.path = path
        fd = open(path, O_RDONLY)
        if fd < 0 {
            throw MarketDataError(kind: .unreadableFile, file: path, detail: "cannot open: \(Self.errnoText())")
        }
        input = .allocate(capacity: inputCapacity)
        var info = stat()
        if fstat(fd, &info) != 0 {
            let reason = Self.errnoText()
            close(fd)
            input.deallocate()
            throw MarketDataError(kind: .unreadableFile, file: path, detail: "cannot stat: \(reason)")
        }
        if info.st_mode & S_IFMT == S_IFDIR {
            close(fd)
            input.deallocate()
            throw MarketDataError(kind: .unreadableFile, file: path, detail: "is a directory, not a data file")
        }
        let regular = info.st_mode & S_IFMT == S_IFREG
        var magic = [UInt8](repeating: 0, count: 4)
        let got = regular ? pread(fd, &magic, 4, 0) : 0
        if got >= 2 && magic[0] == 0x1F && magic[1] == 0x8B {
            compression = .gzip
        } else if got == 4 && magic == [0x50, 0x4B, 0x03, 0x04] {
            compression = .zip
        } else {
            compression = .none
        }
        plainSize = regular && compression == .none ? Int(info.st_size) : 0
        // Every property is set by now: on an error deinit releases the file and zlib.
        switch compression {
        case .none: break
        case .gzip: try startInflate(windowBits: 15 + 16)
        case .zip: try openZipEntry(fileSize: Int(info.st_size))
        }
    }

    deinit { cleanUp() }

    private func cleanUp() {
        if streamOpen { inflateEnd(&stream); streamOpen = false }
        if fd >= 0 { close(fd) }
        input.deallocate()
    }

    /// A short description of the storage for messages: `gzip`, `zip entry 'x.csv'`, or nil for plain text.
    var storageDescription: String? {
        switch compression {
        case .none: nil
        case .gzip: "gzip"
        case .zip: "zip entry '\(entryName ?? "")'"
        }
    }

    /// Fills up to `capacity` bytes at `buffer` with the next decompressed
    /// bytes; returns how many, 0 only at the end of the data.
    func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws(MarketDataError) -> Int {
        if finished || capacity == 0 { return 0 }
        if compression == .none || (compression == .zip && zipMethod == 0) {
            let got = try readRaw(into: buffer, capacity: capacity)
            if compression == .zip { try trackZip(buffer, got) }
            if got == 0 { finished = true; if compression == .zip { try checkZipEnd() } }
            return got
        }
        stream.next_out = buffer
        stream.avail_out = UInt32(min(capacity, Int(UInt32.max)))
        while stream.avail_out > 0 {
            if stream.avail_in == 0 && !inputAtEnd {
                let got = try readRaw(into: input, capacity: inputCapacity)
                if got == 0 { inputAtEnd = true }
                stream.next_in = input
                stream.avail_in = UInt32(got)
            }
            let before = stream.avail_out
            let status = inflate(&stream, Z_NO_FLUSH)
            if status == Z_STREAM_END {
                if compression == .zip { finished = true; break }
                // gzip: another member may follow (`cat a.gz b.gz`).
                if stream.avail_in == 0 && !inputAtEnd {
                    let got = try readRaw(into: input, capacity: inputCapacity)
                    if got == 0 { inputAtEnd = true }
                    stream.next_in = input
                    stream.avail_in = UInt32(got)
                }
                if stream.avail_in == 0 { finished = true; break }
                if let next = stream.next_in, next[0] != 0x1F || (stream.avail_in > 1 && next[1] != 0x8B) {
                    throw corrupt("data after the end of the gzip stream does not start another gzip member (at compressed byte \(compressedOffset))")
                }
                inflateReset(&stream)
                continue
            }
            if status == Z_BUF_ERROR || (status == Z_OK && stream.avail_out == before && stream.avail_in == 0) {
                if inputAtEnd && stream.avail_in == 0 {
                    throw corrupt("the compressed data ends early (truncated at compressed byte \(compressedOffset))")
                }
                continue
            }
            if status != Z_OK {
                let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw corrupt("corrupt compressed data near compressed byte \(compressedOffset): \(reason)")
            }
        }
        let got = capacity - Int(stream.avail_out)
        if compression == .zip {
            try trackZip(buffer, got)
            if finished { try checkZipEnd() }
        }
        return got
    }

    /// Offset in the file of the next compressed byte zlib will take.
    private var compressedOffset: Int { fileOffset - Int(stream.avail_in) }

    private func corrupt(_ detail: String) -> MarketDataError {
        let storage = storageDescription.map { "\($0): " } ?? ""
        return MarketDataError(kind: .unreadableFile, file: path, detail: storage + detail)
    }

    private func startInflate(windowBits: Int32) throws(MarketDataError) {
        stream = z_stream()
        let status = czlib_inflate_init2(&stream, windowBits)
        guard status == Z_OK else {
            throw MarketDataError(kind: .unreadableFile, file: path, detail: "zlib could not start (error \(status))")
        }
        streamOpen = true
    }

    /// Raw bytes from the file at `fileOffset`, at most `compressedLeft` of them.
    private func readRaw(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws(MarketDataError) -> Int {
        let wanted = min(capacity, compressedLeft)
        if wanted == 0 { return 0 }
        while true {
            let got = compression == .none ? posixRead(fd, buffer, wanted) : pread(fd, buffer, wanted, off_t(fileOffset))
            if got < 0 {
                if errno == EINTR { continue }
                throw MarketDataError(kind: .unreadableFile, file: path, detail: "read failed: \(Self.errnoText())")
            }
            fileOffset += got
            if compressedLeft != .max { compressedLeft -= got }
            if got == 0 && compression == .zip && compressedLeft > 0 {
                throw corrupt("the archive ends \(compressedLeft) bytes before the end of its entry (truncated)")
            }
            return got
        }
    }

    // MARK: zip

    private func trackZip(_ buffer: UnsafeMutablePointer<UInt8>, _ count: Int) throws(MarketDataError) {
        guard count > 0 else { return }
        runningCRC = crc32(runningCRC, buffer, UInt32(count))
        produced += UInt64(count)
        if produced > zipSize {
            throw corrupt("the entry inflates to more than the \(zipSize) bytes its directory records (corrupt archive)")
        }
    }

    private func checkZipEnd() throws(MarketDataError) {
        if produced != zipSize {
            throw corrupt("the entry gave \(produced) bytes, its directory records \(zipSize) (truncated or corrupt archive)")
        }
        if UInt32(truncatingIfNeeded: runningCRC) != zipCRC {
            throw corrupt("CRC-32 mismatch: the data is corrupt")
        }
    }

    /// Reads the central directory (from the end-of-central-directory record,
    /// zip64 included) and positions the stream at the one file entry's data.
    private func openZipEntry(fileSize: Int) throws(MarketDataError) {
        func bad(_ detail: String) -> MarketDataError {
            MarketDataError(kind: .unreadableFile, file: path, detail: "zip archive: " + detail)
        }
        // The end record is 22 bytes plus a comment of at most 65,535.
        let tailSize = min(fileSize, 22 + 65_535)
        let tail = try readAt(fileSize - tailSize, count: tailSize)
        guard tailSize >= 22,
              let eocd = stride(from: tailSize - 22, through: 0, by: -1).first(where: { Self.u32(tail, $0) == 0x0605_4B50 })
        else {
            throw bad("no end-of-central-directory record (the file is truncated or not a complete zip)")
        }
        var entries = UInt64(Self.u16(tail, eocd + 10))
        var directorySize = UInt64(Self.u32(tail, eocd + 12))
        var directoryOffset = UInt64(Self.u32(tail, eocd + 16))
        if entries == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // zip64: a locator just before the end record points at the zip64 end record.
            let locatorAt = fileSize - tailSize + eocd - 20
            guard locatorAt >= 0 else { throw bad("zip64 locator missing") }
            let locator = try readAt(locatorAt, count: 20)
            guard Self.u32(locator, 0) == 0x0706_4B50 else { throw bad("zip64 locator missing") }
            let recordAt = Self.u64(locator, 8)
            guard fileSize >= 56, recordAt <= UInt64(fileSize - 56) else { throw bad("zip64 end record outside the file") }
            let record = try readAt(Int(recordAt), count: 56)
            guard Self.u32(record, 0) == 0x0606_4B50 else { throw bad("zip64 end record missing") }
            entries = Self.u64(record, 32)
            directorySize = Self.u64(record, 40)
            directoryOffset = Self.u64(record, 48)
        }
        // Subtractions, not sums: the values come from the file and may be anything.
        guard directorySize <= UInt64(fileSize), directoryOffset <= UInt64(fileSize) - directorySize, directorySize < 1 << 30 else {
            throw bad("the central directory lies outside the file (truncated or corrupt)")
        }
        let directory = try readAt(Int(directoryOffset), count: Int(directorySize))
        struct Entry { var name: String; var method: UInt16; var flags: UInt16; var crc: UInt32
                       var compressed: UInt64; var size: UInt64; var offset: UInt64 }
        var files: [Entry] = []
        var at = 0
        for _ in 0..<entries {
            guard at + 46 <= directory.count, Self.u32(directory, at) == 0x0201_4B50 else {
                throw bad("corrupt central directory (entry at directory byte \(at))")
            }
            let nameLength = Int(Self.u16(directory, at + 28)), extraLength = Int(Self.u16(directory, at + 30))
            let commentLength = Int(Self.u16(directory, at + 32))
            guard at + 46 + nameLength + extraLength + commentLength <= directory.count else {
                throw bad("corrupt central directory (entry at directory byte \(at))")
            }
            let name = String(decoding: directory[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            var entry = Entry(name: name, method: Self.u16(directory, at + 10), flags: Self.u16(directory, at + 8),
                              crc: Self.u32(directory, at + 16), compressed: UInt64(Self.u32(directory, at + 20)),
                              size: UInt64(Self.u32(directory, at + 24)), offset: UInt64(Self.u32(directory, at + 42)))
            // zip64 extended information: the 64-bit values of the fields set to all ones, in this order.
            var extra = at + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = Self.u16(directory, extra), length = Int(Self.u16(directory, extra + 2))
                guard extra + 4 + length <= extraEnd else { break }
                if id == 0x0001 {
                    var field = extra + 4
                    for keyPath in [\Entry.size, \Entry.compressed, \Entry.offset] where entry[keyPath: keyPath] == 0xFFFF_FFFF {
                        guard field + 8 <= extra + 4 + length else { break }
                        entry[keyPath: keyPath] = Self.u64(directory, field)
                        field += 8
                    }
                }
                extra += 4 + length
            }
            if !name.hasSuffix("/") { files.append(entry) }
            at += 46 + nameLength + extraLength + commentLength
        }
        guard files.count == 1, let entry = files.first else {
            if files.isEmpty { throw bad("it holds no file; expected exactly one CSV") }
            let names = files.prefix(10).map { "'\($0.name)'" }.joined(separator: ", ") + (files.count > 10 ? ", …" : "")
            throw bad("it holds \(files.count) files (\(names)); expected exactly one CSV: extract the one to read")
        }
        entryName = entry.name
        if entry.flags & 1 != 0 { throw bad("entry '\(entry.name)' is encrypted") }
        guard entry.method == 0 || entry.method == 8 else {
            throw bad("entry '\(entry.name)' uses compression method \(entry.method); only stored (0) and deflate (8) are read")
        }
        guard fileSize >= 30, entry.offset <= UInt64(fileSize - 30) else { throw bad("entry '\(entry.name)' lies outside the file (truncated)") }
        let local = try readAt(Int(entry.offset), count: 30)
        guard Self.u32(local, 0) == 0x0403_4B50 else { throw bad("entry '\(entry.name)': no local header at byte \(entry.offset) (corrupt)") }
        let dataStart = Int(entry.offset) + 30 + Int(Self.u16(local, 26)) + Int(Self.u16(local, 28))
        fileOffset = dataStart
        compressedLeft = Int(clamping: entry.compressed)
        zipMethod = entry.method
        zipCRC = entry.crc
        zipSize = entry.size
        if dataStart > fileSize || compressedLeft > fileSize - dataStart {
            throw bad("entry '\(entry.name)' needs \(entry.compressed) bytes from byte \(dataStart), past the end of the \(fileSize)-byte file (truncated)")
        }
        if entry.method == 0 && entry.compressed != entry.size {
            throw bad("stored entry '\(entry.name)' records different stored and original sizes (corrupt)")
        }
        if entry.method == 8 { try startInflate(windowBits: -15) }
    }

    private func readAt(_ offset: Int, count: Int) throws(MarketDataError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes { buffer in
                buffer.baseAddress.map { pread(fd, $0 + done, count - done, off_t(offset + done)) } ?? 0
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw MarketDataError(kind: .unreadableFile, file: path, detail: "read failed: \(Self.errnoText())")
            }
            if got == 0 {
                throw MarketDataError(kind: .unreadableFile, file: path, detail: "zip archive: ends early at byte \(offset + done) (truncated)")
            }
            done += got
        }
        return bytes
    }

    private static func u16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }
    private static func u32(_ b: [UInt8], _ i: Int) -> UInt32 { UInt32(u16(b, i)) | UInt32(u16(b, i + 2)) << 16 }
    private static func u64(_ b: [UInt8], _ i: Int) -> UInt64 { UInt64(u32(b, i)) | UInt64(u32(b, i + 4)) << 32 }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// `read(2)`, under a name the class's own `read` does not hide.
private func posixRead(_ fd: Int32, _ buffer: UnsafeMutablePointer<UInt8>, _ count: Int) -> Int {
    read(fd, buffer, count)
}
