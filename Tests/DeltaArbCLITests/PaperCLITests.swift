import Foundation
import Testing

/// `delta-arb paper`: the live stack end to end, including crashes.
@Suite("delta-arb paper")
struct PaperCLITests {
    /// Starts the CLI without waiting for it; returns once it has printed its
    /// first event (to stderr, with --json), i.e. once it is trading with its
    /// signal handlers installed — however slow the machine.
    static func start(_ arguments: [String], stdout: URL) throws -> Process {
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
            if let text = try? String(contentsOf: stderr, encoding: .utf8), text.contains("\"type\"") { break }
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
        #expect(result.stderr.contains("invalid --entry = 5.0: must not exceed --max-entry 1.0"))
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
