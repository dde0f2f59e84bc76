import Foundation
import Testing

/// End-to-end tests of the `delta-arb` executable: what a user sees on
/// stdout, stderr and in the exit status.
@Suite("delta-arb command line")
struct CLITests {
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The built executable, next to the test bundle in the products directory.
    static let executable: URL = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("delta-arb")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/delta-arb")
    }()

    /// Runs the executable; `stdout`/`stderr`, when given, replace the pipe
    /// that captures that stream (which then reads as empty).
    static func run(_ arguments: [String], stdout stdoutFile: FileHandle? = nil,
                    stderr stderrFile: FileHandle? = nil) throws -> Outcome {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = stdoutFile ?? out
        process.standardError = stderrFile ?? err
        try process.run()
        let stdout = stdoutFile == nil ? out.fileHandleForReading.readDataToEndOfFile() : Data()
        let stderr = stderrFile == nil ? err.fileHandleForReading.readDataToEndOfFile() : Data()
        process.waitUntilExit()
        // A signal (a trap) is not an exit status: report it as one no test expects.
        guard process.terminationReason == .exit else {
            return Outcome(status: 128 + process.terminationStatus, stdout: "", stderr: "killed by signal \(process.terminationStatus)")
        }
        return Outcome(status: process.terminationStatus,
                       stdout: String(decoding: stdout, as: UTF8.self),
                       stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// `run(_:stdout:stderr:)` on a thread of its own: an async test that waits on a long-running
    /// command must not hold one of the few cooperative threads every async test shares (the feed
    /// and server tests would stall behind it).
    static func run(_ arguments: [String]) async throws -> Outcome {
        try await onOwnThread { try run(arguments, stdout: nil, stderr: nil) }
    }

    /// Runs `body` on a new thread and returns what it returns.
    static func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("delta-arb-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The acceptance flow: generate, analyze --json, backtest --json, each
    /// printing exactly one JSON document with the documented top-level keys.
    @Test func generateAnalyzeBacktestAsJSON() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let csv = directory.appendingPathComponent("d.csv").path

        let generated = try Self.run(["generate", "--hours", "6", "--seed", "1", "--out", csv])
        #expect(generated.status == 0)
        #expect(generated.stdout.isEmpty)
        #expect(FileManager.default.fileExists(atPath: csv))

        let analysis = try Self.run(["analyze", csv, "--json"])
        #expect(analysis.status == 0, "\(analysis.stderr)")
        let analysisJSON = try #require(
            try JSONSerialization.jsonObject(with: Data(analysis.stdout.utf8)) as? [String: Any])
        let spread = try #require(analysisJSON["spread_analysis"] as? [String: Any])
        let reversion = try #require(analysisJSON["mean_reversion"] as? [String: Any])
        #expect((spread["autocorrelation"] as? [Any])?.count == 51)
        #expect(spread["percentiles"] is [String: Any])
        for key in ["half_life", "reversion_speed", "long_term_mean", "volatility_clustering", "adf_statistic", "p_value"] {
            #expect(reversion.keys.contains(key), "mean_reversion lacks \(key)")
        }

        let backtest = try Self.run(["backtest", csv, "--json"])
        #expect(backtest.status == 0, "\(backtest.stderr)")
        let backtestJSON = try #require(
            try JSONSerialization.jsonObject(with: Data(backtest.stdout.utf8)) as? [String: Any])
        let trades = try #require(backtestJSON["trades"] as? [[String: Any]])
        let summary = try #require(backtestJSON["summary"] as? [String: Any])
        #expect(summary["trades"] as? Int == trades.count)
        if let first = trades.first {
            for key in ["entry_index", "exit_index", "entry_time", "exit_time", "hours", "net_pnl_pct", "exit_reason"] {
                #expect(first.keys.contains(key), "trade lacks \(key)")
            }
        }
    }

    /// Human output is a table, not JSON, and names the file.
    @Test func humanBacktestOutput() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let csv = directory.appendingPathComponent("d.csv").path
        #expect(try Self.run(["generate", "--hours", "2", "--seed", "3", "--out", csv]).status == 0)
        let result = try Self.run(["backtest", csv, "--entry", "0.6"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Backtest of \(csv)"))
        #expect(result.stdout.contains("hit rate"))
        #expect(!result.stdout.hasPrefix("{"))
    }

    /// Bad data: exit status 1, nothing on stdout, one line on stderr naming
    /// file, line, field and column.
    @Test func badDataIsOneLineWithLocation() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let csv = directory.appendingPathComponent("bad.csv").path
        try """
            timestamp,spot_ask_price,spot_bid_price,fut_ask_price,fut_bid_price
            2025-01-01T00:00:00Z,100,99,101,100
            2025-01-01T00:00:01Z,100,abc,101,100

            """.write(toFile: csv, atomically: true, encoding: .utf8)
        let result = try Self.run(["backtest", csv, "--json"])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(result.stderr.contains("\(csv):3:3"))
        #expect(result.stderr.contains("spot_bid_price"))
    }

    /// Bad arguments: a usage error with a non-zero status and nothing on stdout.
    @Test func badArgumentsFail() throws {
        let result = try Self.run(["backtest", "/nonexistent.csv", "--entry", "abc"])
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        let missing = try Self.run(["analyze", "/nonexistent/file.csv"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("/nonexistent/file.csv"))
    }
}
