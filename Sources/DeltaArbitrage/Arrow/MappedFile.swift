#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole regular file mapped read-only into memory (`mmap`, `PROT_READ`),
/// unmapped when released. The bytes are only valid while the object lives.
/// `@unchecked Sendable`: nothing about it changes after `init`, and the
/// mapping is read-only.
final class MappedFile: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
    private let mapping: UnsafeMutableRawPointer?

    /// Maps `path`. `populate` asks the kernel to fault every page in up front
    /// (Linux `MAP_POPULATE`), cheaper than one fault per page for a reader
    /// that touches the whole file.
    ///
    /// - Throws: `.unreadableFile` with the system's reason when the path cannot
    ///   be opened, is not a regular file, or cannot be mapped.
    init(path: String, populate: Bool) throws(MarketDataError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw Self.failure(path, "cannot open") }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) != 0 { throw Self.failure(path, "cannot stat") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw MarketDataError(kind: .unreadableFile, file: path, detail: "not a regular file; an Arrow file must be seekable")
        }
        let size = Int(info.st_size)
        if size == 0 {
            mapping = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        var flags = MAP_PRIVATE
        #if os(Linux)
        if populate { flags |= MAP_POPULATE }
        #endif
        let address = mmap(nil, size, PROT_READ, flags, fd, 0)
        guard let address, address != MAP_FAILED else { throw Self.failure(path, "cannot map") }
        mapping = address
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let mapping { munmap(mapping, bytes.count) }
    }

    private static func failure(_ path: String, _ doing: String) -> MarketDataError {
        MarketDataError(kind: .unreadableFile, file: path, detail: "\(doing): \(String(cString: strerror(errno)))")
    }
}
