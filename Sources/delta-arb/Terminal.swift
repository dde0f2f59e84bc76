import DeltaArbitrage
import Foundation

/// A write(2) loop on a file descriptor that reports failure instead of
/// trapping (FileHandle.write traps on a full disk) and writes through
/// immediately (print's buffer would lose a failure at exit).
enum FileDescriptorWriter {
    /// Writes all of `text` to `descriptor`; on failure returns strerror's text.
    static func write(_ text: String, to descriptor: Int32) -> String? {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBytes { buffer -> String? in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                offset += written
            }
            return nil
        }
    }
}

/// Standard output, which carries results only. A failed write is an error
/// (exit status 1), never silently lost output.
enum StandardOutput {
    /// A write to standard output failed.
    struct WriteError: Error, CustomStringConvertible {
        let reason: String
        var description: String { "cannot write to standard output: \(reason)" }
    }

    /// Writes `text` and a newline.
    static func writeLine(_ text: String) throws {
        if let reason = FileDescriptorWriter.write(text + "\n", to: STDOUT_FILENO) {
            throw WriteError(reason: reason)
        }
    }
}

/// Standard error, for progress, diagnostics and logs (stdout carries results only).
enum StandardError {
    /// Writes `text`. A failure is ignored: stderr is where it would be
    /// reported, and the exit status already says whether the command worked.
    static func write(_ text: String) {
        _ = FileDescriptorWriter.write(text, to: STDERR_FILENO)
    }

    /// True when stderr is an interactive terminal (progress is shown only then).
    static var isTerminal: Bool { isatty(STDERR_FILENO) != 0 }
}

/// A spinner with elapsed time on stderr, shown only when stderr is a
/// terminal and only once the work has taken longer than a second, so that
/// fast commands and pipelines print nothing extra.
final class ProgressIndicator: @unchecked Sendable {
    private let label: String
    private let lock = NSLock()
    private var finished = false
    private var shown = false
    private let start = Date()
    private var detail = ""

    /// Starts tracking `label`; call `finish()` when the work is done.
    init(_ label: String, enabled: Bool = StandardError.isTerminal) {
        self.label = label
        guard enabled else { return }
        let thread = Thread { [self] in self.spin() }
        thread.start()
    }

    private func spin() {
        let frames = Array("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")
        var frame = 0
        Thread.sleep(forTimeInterval: 1)
        while true {
            lock.lock()
            if finished { lock.unlock(); return }
            shown = true
            let elapsed = Date().timeIntervalSince(start)
            StandardError.write("\r\(frames[frame % frames.count]) \(label) \(detail) \(String(format: "%.1f", elapsed)) s ")
            lock.unlock()
            frame += 1
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    /// Shows `text` (e.g. "42 %") beside the label from the next frame on.
    func update(_ text: String) {
        lock.lock()
        detail = text
        lock.unlock()
    }

    /// Stops the spinner and clears its line.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        finished = true
        if shown { StandardError.write("\r\u{1B}[2K") }
    }

    /// Runs async `work` with a spinner labelled `label`, which `work` may
    /// update (e.g. with a percentage).
    static func run<T>(_ label: String, _ work: (ProgressIndicator) async throws -> T) async rethrows -> T {
        let progress = ProgressIndicator(label)
        defer { progress.finish() }
        return try await work(progress)
    }

    /// Runs `work` with a spinner labelled `label`.
    static func run<T>(_ label: String, _ work: () throws -> T) rethrows -> T {
        let progress = ProgressIndicator(label)
        defer { progress.finish() }
        return try work()
    }
}

/// A plain-text table with right-aligned numeric columns, for human output.
struct TextTable {
    var headers: [String]
    var rows: [[String]] = []
    /// Columns (by index) that are left-aligned; the rest align right.
    var leftAligned: Set<Int> = [0]

    mutating func add(_ row: [String]) { rows.append(row) }

    func render(indent: String = "  ") -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            let padded = cells.enumerated().map { i, cell -> String in
                let pad = String(repeating: " ", count: max(0, widths[i] - cell.count))
                return leftAligned.contains(i) ? cell + pad : pad + cell
            }
            let text = indent + padded.joined(separator: "  ")
            return String(text.reversed().drop { $0 == " " }.reversed())
        }
        var out = [line(headers), indent + widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")]
        out += rows.map(line)
        return out.joined(separator: "\n")
    }
}

/// Number formatting shared by the human outputs.
enum Format {
    static func fixed(_ value: Double, _ digits: Int) -> String {
        value.isFinite ? String(format: "%.\(digits)f", value) : "—"
    }

    static func percent(_ value: Double, _ digits: Int = 3) -> String {
        value.isFinite ? String(format: "%.\(digits)f %%", value) : "—"
    }

    /// A number as a user would type it: `24`, `0.5`, `1e-06` (no trailing zeros).
    static func plain(_ value: Double) -> String { NumberText.plain(value) }

    static func count(_ value: Int) -> String {
        let digits = String(value)
        var out = ""
        for (i, ch) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 && ch != "-" { out.append(",") }
            out.append(ch)
        }
        return String(out.reversed())
    }
}
