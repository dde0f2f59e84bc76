import Foundation
import Testing

/// `delta-arb paper`: the live stack end to end, including crashes.
@Suite("delta-arb paper")
struct PaperCLITests {
    /// Starts the CLI without waiting for it; returns once it has printed its
    /// first event (to stderr with --json, else to `events`, its --event-log),
    /// i.e. once it is trading with its signal handlers installed — however slow the machine.
    static func start(_ arguments: [String], stdout: URL, events: URL? = nil) throws -> Process {
        let process = Process()
        process.executableURL = CLITests.executable
        process.arguments = arguments
        let stderr = stdout.appendingPathExtension("stderr")
        for file in [stdout, stderr] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline {
            if let text = try? String(contentsOf: events ?? stderr, encoding: .utf8), text.contains("\"type\"") { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return process
    }

    static func trades(_ json: String) throws -> [[String: AnyHashable]] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let trades = try #require(object["trades"] as? [[String: Any]])
        return trades.map { t in
            ["entry": t["entry_index"] as? Int, "exit": t["exit_index"] as? Int, "reason": t["exit_reason"] as? String,
             "net": t["net_pnl_pct"] as? Double] as [String: AnyHashable]
        }
    }

    /// Fixed thresholds: the paper trades equal `backtest`'s.
    @Test func paperEqualsBacktest() throws {
        let (directory, csv) = try OptimizerCLITests.generated(hours: "12", seed: "4")
        defer { try? FileManager.default.removeItem(at: directory) }
        let paper = try CLITests.run(["paper", csv, "--entry", "0.45", "--exit", "0.08", "--no-update", "--json"])
        #expect(paper.status == 0, "\(paper.stderr)")
        let backtest = try CLITests.run(["backtest", csv, "--entry", "0.45", "--exit", "0.08", "--json"])
        let expected = try Self.trades(backtest.stdout)
        #expect(try Self.trades(paper.stdout) == expected)
        #expect(expected.count >= 3)
        // Events went to stderr as JSON lines.
        #expect(paper.stderr.contains("\"type\":\"trade\""))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(paper.stdout.utf8)) as? [String: Any])
        let performance = try #require(json["strategy_performance"] as? [String: Any])
        #expect(performance["uptime_percentage"] is Double)
        #expect((json["decision_latency_p99_ns"] as? Int ?? 0) > 0)
    }

    /// kill -9 in the middle of a run, then the same command again: the
    /// journal ends with exactly the backtest's trades, none lost or repeated.
    @Test(arguments: [0.6, 1.3])
    func killNineAndRestartResumes(after seconds: Double) throws {
        let (directory, csv) = try OptimizerCLITests.generated(hours: "12", seed: "4")
        defer { try? FileManager.default.removeItem(at: directory) }
        let state = directory.appendingPathComponent("state.sqlite").path
        let arguments = ["paper", csv, "--entry", "0.45", "--exit", "0.08", "--no-update", "--state", state, "--json"]
        let out = directory.appendingPathComponent("first.json")
        let first = try Self.start(arguments + ["--speed", "20000"], stdout: out)  // 12 h in ≈ 2.2 s
        Thread.sleep(forTimeInterval: seconds - 0.5)
        #expect(first.isRunning, "the run should still be going when killed")
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        #expect(first.terminationReason == .uncaughtSignal)
        let resumed = try CLITests.run(arguments)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let backtest = try CLITests.run(["backtest", csv, "--entry", "0.45", "--exit", "0.08", "--json"])
        #expect(try Self.trades(resumed.stdout) == (try Self.trades(backtest.stdout)))
        // A third run has nothing left to do and changes nothing.
        let again = try CLITests.run(arguments)
        #expect(try Self.trades(again.stdout) == (try Self.trades(backtest.stdout)))
    }

    /// The same with re-optimisation on: the resumed run's trades and
    /// parameter updates equal an uninterrupted run's.
    @Test func killNineWithReoptimisationResumesExactly() throws {
        let (directory, csv) = try OptimizerCLITests.generated(hours: "12", seed: "4")
        defer { try? FileManager.default.removeItem(at: directory) }
        let state = directory.appendingPathComponent("state.sqlite").path
        let common = ["paper", csv, "--window-hours", "2", "--update-minutes", "30", "--max-hold-minutes", "60",
                      "--grid-steps", "6", "--json"]
        let uninterrupted = try CLITests.run(common)
        #expect(uninterrupted.status == 0, "\(uninterrupted.stderr)")
        let first = try Self.start(common + ["--state", state, "--speed", "20000"],
                                   stdout: directory.appendingPathComponent("first.json"))
        Thread.sleep(forTimeInterval: 0.5)
        #expect(first.isRunning)
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let resumed = try CLITests.run(common + ["--state", state])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let want = try Self.trades(uninterrupted.stdout)
        #expect(try Self.trades(resumed.stdout) == want)
        #expect(want.count >= 3)
        func updates(_ json: String) throws -> [Double] {
            let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
            return (object?["parameter_updates"] as? [[String: Any]] ?? []).compactMap { $0["new_entry_threshold"] as? Double }
        }
        #expect(try updates(resumed.stdout) == (try updates(uninterrupted.stdout)))
        #expect(try updates(uninterrupted.stdout).count > 10)
    }

    /// SIGTERM stops gracefully: exit 0, a summary marked incomplete, state kept.
    @Test func sigtermStopsGracefully() throws {
        let (directory, csv) = try OptimizerCLITests.generated(hours: "12", seed: "4")
        defer { try? FileManager.default.removeItem(at: directory) }
        let state = directory.appendingPathComponent("state.sqlite").path
        let out = directory.appendingPathComponent("out.json")
        let process = try Self.start(["paper", csv, "--entry", "0.45", "--exit", "0.08", "--no-update", "--state", state,
                                      "--json", "--speed", "20000"], stdout: out)
        Thread.sleep(forTimeInterval: 0.2)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any])
        #expect(json["completed"] as? Bool == false)
        #expect((json["ticks"] as? Int ?? 0) < 43_201)
        #expect(FileManager.default.fileExists(atPath: state))
    }

    /// A state file made from one file is refused for another, naming why.
    @Test func stateOfAnotherFeedIsRefused() throws {
        let (directory, csv) = try OptimizerCLITests.generated(hours: "2", seed: "4")
        defer { try? FileManager.default.removeItem(at: directory) }
        let other = directory.appendingPathComponent("other.csv").path
        #expect(try CLITests.run(["generate", "--hours", "3", "--seed", "5", "--out", other]).status == 0)
        let state = directory.appendingPathComponent("state.sqlite").path
        let first = try CLITests.run(["paper", csv, "--entry", "0.45", "--exit", "0.08", "--no-update", "--state", state, "--json"])
        #expect(first.status == 0)
        let second = try CLITests.run(["paper", other, "--entry", "0.45", "--exit", "0.08", "--no-update", "--state", state, "--json"])
        #expect(second.status == 1)
        #expect(second.stdout.isEmpty)
        #expect(second.stderr.contains("another feed"))
    }

    /// A full disk under the event log: a clean error naming the file and the
    /// reason, exit 1, the state committed (the same command resumes to the
    /// backtest's trades); a log in a missing directory is refused before anything.
    @Test func eventLogWriteFailureStopsTheRunCleanly() throws {
        let (directory, csv) = try OptimizerCLITests.generated(hours: "12", seed: "4")
        defer { try? FileManager.default.removeItem(at: directory) }
        let state = directory.appendingPathComponent("state.sqlite").path
        let arguments = ["paper", csv, "--entry", "0.45", "--exit", "0.08", "--no-update", "--state", state, "--json"]
        let full = try CLITests.run(arguments + ["--event-log", "/dev/full"])
        #expect(full.status == 1)
        #expect(full.stdout.isEmpty)
        #expect(full.stderr.contains("delta-arb: error: cannot write event log /dev/full: No space left on device"), "\(full.stderr)")
        #expect(full.stderr.contains("state committed to \(state)"))
        let resumed = try CLITests.run(arguments)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let backtest = try CLITests.run(["backtest", csv, "--entry", "0.45", "--exit", "0.08", "--json"])
        #expect(try Self.trades(resumed.stdout) == (try Self.trades(backtest.stdout)))
        let missing = directory.appendingPathComponent("no-such-dir/events.jsonl").path
        let other = directory.appendingPathComponent("other.sqlite").path
        let refused = try CLITests.run(["paper", csv, "--entry", "0.45", "--exit", "0.08", "--no-update", "--state", other,
                                        "--event-log", missing])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("cannot write event log \(missing): No such file or directory"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: other))
    }

    /// A second process on a state file in use is refused at once, naming the
    /// file and the holder's PID, before any order.
    @Test func secondProcessOnOneStateFileIsRefused() throws {
        let (directory, csv) = try OptimizerCLITests.generated(hours: "12", seed: "4")
        defer { try? FileManager.default.removeItem(at: directory) }
        let state = directory.appendingPathComponent("state.sqlite").path
        let arguments = ["paper", csv, "--entry", "0.45", "--exit", "0.08", "--no-update", "--state", state, "--json"]
        let first = try Self.start(arguments + ["--speed", "5000"], stdout: directory.appendingPathComponent("first.json"))
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        #expect(first.isRunning)
        let second = try CLITests.run(arguments)
        #expect(second.status == 1)
        #expect(second.stdout.isEmpty)
        #expect(second.stderr.contains("\(state) is in use by another process (PID \(first.processIdentifier))"), "\(second.stderr)")
        #expect(!second.stderr.contains("\"type\":\"order\""))
        #expect(first.isRunning)
        kill(first.processIdentifier, SIGTERM)
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
    }

    /// An edited copy of the file (same rows, times and shape, one price
    /// changed among the committed rows) is refused, saying the feed differs.
    @Test func editedFeedOfTheSameShapeIsRefused() throws {
        let (directory, csv) = try OptimizerCLITests.generated(hours: "4", seed: "4")
        defer { try? FileManager.default.removeItem(at: directory) }
        let state = directory.appendingPathComponent("state.sqlite").path
        let tail = ["--entry", "0.45", "--exit", "0.08", "--no-update", "--state", state, "--json"]
        #expect(try CLITests.run(["paper", csv] + tail).status == 0)
        var lines = try String(contentsOfFile: csv, encoding: .utf8).components(separatedBy: "\n")
        var fields = lines[2].components(separatedBy: ",")
        fields[1] = "\((Double(fields[1]) ?? 0) + 0.01)"
        lines[2] = fields.joined(separator: ",")
        let edited = directory.appendingPathComponent("edited.csv").path
        try lines.joined(separator: "\n").write(toFile: edited, atomically: true, encoding: .utf8)
        let refused = try CLITests.run(["paper", edited] + tail)
        #expect(refused.status == 1)
        #expect(refused.stdout.isEmpty)
        #expect(refused.stderr.contains("the feed differs from the one the saved state was made from"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("\"type\":\"order\""))
    }

    /// Other thresholds on resume are refused showing both; --override-thresholds
    /// applies them and says so. A file that is not a state file is refused unwritten.
    @Test func thresholdsOnResumeAndForeignStateFiles() throws {
        let (directory, csv) = try OptimizerCLITests.generated(hours: "4", seed: "4")
        defer { try? FileManager.default.removeItem(at: directory) }
        let state = directory.appendingPathComponent("state.sqlite").path
        let half = directory.appendingPathComponent("half.csv").path
        let lines = try String(contentsOfFile: csv, encoding: .utf8).components(separatedBy: "\n")
        try lines[0..<lines.count / 2].joined(separator: "\n").write(toFile: half, atomically: true, encoding: .utf8)
        let first = try CLITests.run(["paper", csv, "--entry", "0.45", "--exit", "0.08", "--no-update", "--state", state, "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let other = ["paper", csv, "--entry", "0.5", "--exit", "0.08", "--no-update", "--state", state, "--json"]
        let refused = try CLITests.run(other)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("--entry 0.5 --exit 0.08 differ from the thresholds saved in \(state) (entry 0.45, exit 0.08)"),
                "\(refused.stderr)")
        let overridden = try CLITests.run(other + ["--override-thresholds"])
        #expect(overridden.status == 0, "\(overridden.stderr)")
        #expect(overridden.stderr.contains("--override-thresholds: trading on --entry 0.5 --exit 0.08 instead of the saved entry 0.45"))
        let before = try Data(contentsOf: URL(fileURLWithPath: half))
        let foreign = try CLITests.run(["paper", csv, "--entry", "0.45", "--exit", "0.08", "--no-update", "--state", half])
        #expect(foreign.status == 1)
        #expect(foreign.stderr.contains("\(half) is not a DeltaArbitrage state file (not an SQLite database)"), "\(foreign.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: half)) == before)
    }

    /// Ctrl-C says what the stop leaves behind: nothing without --state, the
    /// committed state and how to resume with it.
    @Test(arguments: [false, true])
    func interruptSaysWhatWasSaved(withState: Bool) throws {
        let (directory, csv) = try OptimizerCLITests.generated(hours: "12", seed: "4")
        defer { try? FileManager.default.removeItem(at: directory) }
        let state = directory.appendingPathComponent("state.sqlite").path
        let events = directory.appendingPathComponent("events.jsonl")
        let out = directory.appendingPathComponent("out.txt")
        let process = try Self.start(["paper", csv, "--entry", "0.45", "--exit", "0.08", "--no-update", "--speed", "5000",
                                      "--event-log", events.path] + (withState ? ["--state", state] : []),
                                     stdout: out, events: events)
        #expect(process.isRunning)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let stdout = try String(contentsOf: out, encoding: .utf8)
        let stderr = try String(contentsOf: out.appendingPathExtension("stderr"), encoding: .utf8)
        let note = withState ? "state committed to \(state), run the same command to resume" : "nothing saved (no --state)"
        #expect(stdout.contains("stopped early; \(note)"), "\(stdout)")
        #expect(stderr.contains("after the update in hand; \(note)"), "\(stderr)")
        #expect(!stdout.contains("state saved") && !stderr.contains("state is committed"))
    }

    @Test func badArguments() throws {
        let lonely = try CLITests.run(["paper", "/nonexistent.csv", "--no-update"])
        #expect(lonely.status == 64)
        #expect(lonely.stderr.contains("--no-update"))
        let speed = try CLITests.run(["paper", "/nonexistent.csv", "--speed", "fast"])
        #expect(speed.status == 64)
        #expect(speed.stderr.contains("--speed"))
    }
}

@Suite("Out-of-range options")
struct OutOfRangeOptionTests {
    /// Huge or tiny numbers are usage errors (exit 64), never a trap.
    @Test(arguments: [
        ["walk-forward", "X", "--update-minutes", "1e9"],
        ["walk-forward", "X", "--window-hours", "3000000"],
        ["optimize", "X", "--lookback-hours", "3000000"],
        ["optimize", "X", "--time-budget-ms", "1e13"],
        ["optimize", "X", "--grid-steps", "4096"],
        ["paper", "X", "--update-minutes", "200000000"],
        ["paper", "X", "--window-hours", "3000000"],
        ["paper", "X", "--stale-seconds", "1e10", "--entry", "0.5", "--exit", "0.1", "--no-update"],
        ["paper", "X", "--speed", "1e-12", "--entry", "0.5", "--exit", "0.1", "--no-update"],
        ["paper", "X", "--max-hold-minutes", "2000000000"],
    ])
    func rejected(arguments: [String]) throws {
        let result = try CLITests.run(arguments)
        #expect(result.status == 64, "\(arguments): \(result.status) \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func unsafeFixedThresholdsAreRefused() throws {
        let (directory, csv) = try OptimizerCLITests.generated(hours: "2", seed: "4")
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try CLITests.run(["paper", csv, "--entry", "5", "--exit", "0.01", "--no-update", "--json"])
        // A usage error, found before the data is read, naming the options.
        #expect(result.status == 64)
        #expect(result.stderr.contains("invalid --entry = 5: must not exceed --max-entry 1"))
    }
}

@Suite("delta-arb paper --background-updates")
struct BackgroundUpdateTests {
    /// Optimisations on the wall-clock scheduler run while ticks keep flowing.
    @Test func backgroundUpdatesHappenDuringTheReplay() throws {
        let (directory, csv) = try OptimizerCLITests.generated(hours: "3", seed: "4")
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try CLITests.run(["paper", csv, "--background-updates", "--speed", "4000", "--window-hours", "1",
                                       "--update-minutes", "20", "--max-hold-minutes", "30", "--grid-steps", "6", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let updates = try #require(json["parameter_updates"] as? [[String: Any]])
        #expect(updates.count >= 2, "expected scheduled updates during a ~2.7 s replay")
        #expect(json["completed"] as? Bool == true)
        let misuse = try CLITests.run(["paper", csv, "--background-updates"])
        #expect(misuse.status == 64)
        #expect(misuse.stderr.contains("--speed"))
    }
}
