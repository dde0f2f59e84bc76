import Foundation

/// A `--report DIR` that could not be written: the path and the reason.
struct ReportWriteError: Error, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "cannot write the report to \(path): \(reason)" }
}

/// Writes `html` to `directory/index.html` (creating the directory and its
/// parents) for `--report DIR`, and returns the file's path. POSIX calls
/// rather than FileManager so that a failure says which path and why
/// (Foundation's errors read `NSCocoaErrorDomain Code=512`).
func writeHTMLReport(_ html: String, into directory: String) throws -> String {
    try makeDirectories(directory)
    let path = (directory as NSString).appendingPathComponent("index.html")
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { throw ReportWriteError(path: path, reason: String(cString: strerror(errno))) }
    if let reason = FileDescriptorWriter.write(html, to: descriptor) {
        close(descriptor)
        throw ReportWriteError(path: path, reason: reason)
    }
    guard close(descriptor) == 0 else { throw ReportWriteError(path: path, reason: String(cString: strerror(errno))) }
    return path
}

/// `mkdir -p directory`: each missing component in turn; an existing one must be a directory.
private func makeDirectories(_ directory: String) throws {
    var prefix = directory.hasPrefix("/") ? "/" : ""
    for component in directory.split(separator: "/") {
        prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
        var info = stat()
        if stat(prefix, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else { throw ReportWriteError(path: prefix, reason: "not a directory") }
            continue
        }
        if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
            throw ReportWriteError(path: prefix, reason: String(cString: strerror(errno)))
        }
    }
}
