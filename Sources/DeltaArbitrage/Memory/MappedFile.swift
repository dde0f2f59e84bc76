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
    convenience init(path: String, populate: Bool) throws(MarketDataError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw Self.failure(path, "cannot open") }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) != 0 { throw Self.failure(path, "cannot stat") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw MarketDataError(kind: .unreadableFile, file: path, detail: "not a regular file; an Arrow file must be seekable")
        }
        try self.init(descriptor: fd, size: Int(info.st_size), path: path, populate: populate)
    }

    /// Maps the first `size` bytes of the regular file open as `fd` (which
    /// the caller keeps and closes; the mapping outlives it), so that what
    /// is mapped is the file the caller checked, even if its path has been
    /// replaced since. `path` names it in errors.
    init(descriptor fd: Int32, size: Int, path: String, populate: Bool) throws(MarketDataError) {
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

    /// Tells the kernel the file will be read once from start to end
    /// (`MADV_SEQUENTIAL`: aggressive read-ahead, pages behind dropped early).
    func adviseSequential() {
        if let mapping { _ = madvise(mapping, bytes.count, MADV_SEQUENTIAL) }
    }

    /// Drops the mapping's pages from the one holding `range`'s first byte
    /// to the last one wholly inside it, from this process (`MADV_DONTNEED`;
    /// the file and the page cache are untouched, and reading there again
    /// maps them back): a reader going through the file in order, done with
    /// everything before `range.upperBound`, keeps its resident memory to
    /// what it still reads. The page shared with the next range stays.
    func release(_ range: Range<Int>) {
        let page = Self.pageSize
        advise(max(range.lowerBound, 0) / page * page, min(range.upperBound, bytes.count) / page * page, MADV_DONTNEED)
    }

    /// What `adviseResident` does with the pages of a span of the mapping.
    enum Residency {
        /// Map in every page holding the span, in one call (Linux 5.14+
        /// `MADV_POPULATE_READ`; advice only: where it is refused, or on
        /// other systems, the pages fault in as they are read). One call per
        /// block instead of a fault every few pages.
        case populate
        /// Drop the whole pages of the span from this process (`MADV_DONTNEED`,
        /// as `release`; the partial pages at both ends stay).
        case release
    }

    /// `residency` for the pages of the `byteCount` bytes at `start`, which
    /// lie in the mapping.
    func adviseResident(_ residency: Residency, _ start: UnsafeRawPointer, byteCount: Int) {
        guard let mapping, byteCount > 0 else { return }
        let from = start - UnsafeRawPointer(mapping), page = Self.pageSize
        precondition(from >= 0 && from + byteCount <= bytes.count, "advice outside the mapping")
        switch residency {
        case .populate:
            #if os(Linux)
            let populateRead: Int32 = 22  // MADV_POPULATE_READ; not in every Glibc module map
            advise(from / page * page, min((from + byteCount + page - 1) / page * page, bytes.count), populateRead)
            #endif
        case .release:
            advise((from + page - 1) / page * page, (from + byteCount) / page * page, MADV_DONTNEED)
        }
    }

    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// `madvise` on the page-aligned bytes `first..<end` of the mapping; nothing when empty.
    private func advise(_ first: Int, _ end: Int, _ advice: Int32) {
        if let mapping, end > first { _ = madvise(mapping + first, end - first, advice) }
    }

    private static func failure(_ path: String, _ doing: String) -> MarketDataError {
        MarketDataError(kind: .unreadableFile, file: path, detail: "\(doing): \(String(cString: strerror(errno)))")
    }
}
