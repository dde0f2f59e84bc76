#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A state file that cannot be used: held by another process, not a
/// DeltaArbitrage state file, or of a schema this build does not read.
/// Nothing was written to it.
public struct StateFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with the file.
    public enum Problem: Sendable, Equatable {
        /// Another process holds the lock (`PATH.lock`); its PID when it recorded one.
        case locked(holderPID: Int32?)
        /// The file exists but is not a state file (what it is instead).
        case notAStateFile(String)
        /// A state file of another schema version than this build's.
        case unsupportedSchema(found: String, supported: Int)
        /// The lock file could not be created or locked (the system's reason).
        case lockFailed(String)
        /// A saved record (`context`, `trade 3`, …) does not decode (why).
        case unreadableRecord(String, reason: String)
        /// A commit failed (SQLite's reason); the last committed state stands.
        case writeFailed(String)
    }

    /// The state file's path as given.
    public var path: String
    /// What is wrong with it.
    public var problem: Problem

    /// One line naming the file, the problem and the remedy.
    public var description: String {
        switch problem {
        case .locked(let pid):
            return "the state file \(path) is in use by another process" + (pid.map { " (PID \($0))" } ?? "")
                + "; stop that process first, or use another state file"
        case .notAStateFile(let what):
            return "\(path) is not a DeltaArbitrage state file (\(what)); it was not changed — give a new path for the state"
        case .unsupportedSchema(let found, let supported):
            return "the state file \(path) has schema version \(found), this build reads version \(supported); it was not changed"
        case .lockFailed(let reason):
            return "cannot lock the state file \(path) (\(path).lock): \(reason)"
        case .unreadableRecord(let record, let reason):
            return "the state file \(path) holds a \(record) this build cannot read (\(reason)); it was not changed"
        case .writeFailed(let reason):
            return "cannot write the state file \(path): \(reason); the last committed state stands"
        }
    }
}

/// An exclusive, non-blocking `flock` on `PATH.lock`, held while this object
/// lives (the kernel drops it when the process dies, so a killed run never
/// leaves a stale lock). The holder writes its PID into the file so that a
/// refused process can name it. `flock` — not `fcntl` — because its locks
/// belong to the open file, not the process: SQLite's own `fcntl` locks on
/// the database and a second opening in the same process cannot release or
/// share it.
final class StateFileLock: @unchecked Sendable {
    private let fd: Int32
    private let lockPath: String
    /// The lock file did not exist before this lock made it.
    private let created: Bool

    init(statePath: String) throws {
        lockPath = statePath + ".lock"
        var fd = open(lockPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        created = fd >= 0
        if fd < 0 && errno == EEXIST { fd = open(lockPath, O_RDWR | O_CLOEXEC) }
        guard fd >= 0 else {
            throw StateFileError(path: statePath, problem: .lockFailed(String(cString: strerror(errno))))
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = Self.recordedPID(fd)
            close(fd)
            if code == EWOULDBLOCK { throw StateFileError(path: statePath, problem: .locked(holderPID: holder)) }
            throw StateFileError(path: statePath, problem: .lockFailed(String(cString: strerror(code))))
        }
        self.fd = fd
        let pid = Array("\(getpid())\n".utf8)
        // The PID only helps a refused process name the holder: the lock itself is the flock.
        if ftruncate(fd, 0) == 0 { _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } }
    }

    /// Releases the lock, deleting the lock file if this lock created it (a
    /// refused state file is left as it was found).
    func releaseRemovingCreatedFile() {
        if created { unlink(lockPath) }
    }

    deinit { close(fd) }

    private static func recordedPID(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n").first.flatMap { Int32($0) }
    }
}
