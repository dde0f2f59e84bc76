import Foundation
import Testing

/// What the user sees when something is wrong: one `delta-arb: error:` line on
/// stderr naming the option as typed, exit status 64 for bad arguments and 1
/// for failures while running (including failed writes), never a trap.
@Suite("delta-arb errors, exit codes and bounds")
struct CLIErrorTests {
    /// A generated CSV of `hours` hours at one tick a second, in a fresh directory.
    static func generated(hours: String) throws -> (URL, String) {
        let directory = try CLITests.temporaryDirectory()
        let csv = directory.appendingPathComponent("d.csv").path
        let generated = try CLITests.run(["generate", "--hours", hours, "--seed", "4", "--out", csv])
        #expect(generated.status == 0, "\(generated.stderr)")
        return (directory, csv)
    }

    /// Exactly one line on stderr, the error line.
    static func expectOneErrorLine(_ outcome: CLITests.Outcome, _ arguments: [String],
                                   sourceLocation: SourceLocation = #_sourceLocation) {
        let lines = outcome.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(arguments): \(outcome.stderr)", sourceLocation: sourceLocation)
        #expect(outcome.stderr.hasPrefix("delta-arb: error: "), "\(arguments): \(outcome.stderr)", sourceLocation: sourceLocation)
    }

    @Test func outputToAFullDiskIsAnError() throws {
        let (directory, csv) = try Self.generated(hours: "1")
        defer { try? FileManager.default.removeItem(at: directory) }
        let full = try #require(FileHandle(forWritingAtPath: "/dev/full"))
        let result = try CLITests.run(["backtest", csv, "--json"], stdout: full)
        #expect(result.status == 1)
        #expect(result.stderr == "delta-arb: error: cannot write to standard output: No space left on device\n")
        let human = try CLITests.run(["backtest", csv], stdout: full)
        #expect(human.status == 1)
        #expect(human.stderr.contains("cannot write to standard output"))
        // paper prints its events on stdout as they happen: the first lost line stops the run.
        let paper = try CLITests.run(["paper", csv, "--entry", "0.5", "--exit", "0.1", "--no-update"], stdout: full)
        #expect(paper.status == 1)
        #expect(paper.stderr.contains("delta-arb: error: cannot write to standard output: No space left on device"))
        #expect(paper.stderr.contains("stopped early; nothing saved (no --state)"))
    }

    @Test func aFullStderrDoesNotTrap() throws {
        let full = try #require(FileHandle(forWritingAtPath: "/dev/full"))
        // An error to report, and nowhere to report it: still exit status 1, not a signal.
        let missing = try CLITests.run(["analyze", "/nonexistent/file.csv"], stderr: full)
        #expect(missing.status == 1)
        let usage = try CLITests.run(["backtest", "/nonexistent/file.csv", "--entry", "abc"], stderr: full)
        #expect(usage.status == 64)
        // Success with notes on stderr (generate reports what it wrote there).
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let generated = try CLITests.run(["generate", "--hours", "0.1", "--out", directory.appendingPathComponent("g.csv").path],
                                         stderr: full)
        #expect(generated.status == 0)
    }

    @Test func reportWriteFailuresNameThePathAndTheReason() throws {
        let (directory, csv) = try Self.generated(hours: "2")
        defer { try? FileManager.default.removeItem(at: directory) }
        let readOnly = directory.appendingPathComponent("read-only")
        try FileManager.default.createDirectory(at: readOnly, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: readOnly.path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: readOnly.path) }
        // Root may write into a read-only directory; /proc refuses everyone.
        let unwritable = getuid() == 0 ? "/proc/delta-arb-report" : readOnly.appendingPathComponent("report").path
        let cases: [(String, String, String)] = [
            ("/dev/full", "/dev/full", "not a directory"),
            ("\(csv)/report", csv, "not a directory"),
            (unwritable, unwritable, getuid() == 0 ? "No such file or directory" : "Permission denied"),
        ]
        for (report, path, reason) in cases {
            let arguments = ["optimize", csv, "--lookback-hours", "2", "--grid-steps", "4", "--report", report]
            let result = try CLITests.run(arguments)
            #expect(result.status == 1, "\(arguments)")
            Self.expectOneErrorLine(result, arguments)
            #expect(result.stderr.contains("cannot write the report to \(path): \(reason)"), "\(result.stderr)")
            #expect(!result.stderr.contains("NSCocoaErrorDomain"))
        }
    }

    /// Bad values are usage errors (64) that name the option as typed, never
    /// the engine's field names or units.
    @Test(arguments: [
        (["backtest", "X", "--entry", "nan"], "invalid --entry = nan"),
        (["backtest", "X", "--max-hours", "0"], "invalid --max-hours = 0: must be > 0"),
        (["backtest", "X", "--spot-fee", "1"], "invalid --spot-fee = 1: must be a fraction"),
        (["backtest", "X", "--fut-fee", "-0.1"], "invalid --fut-fee = -0.1"),
        (["generate", "--spread-volatility=-0.1", "--out", "X"], "invalid --spread-volatility = -0.1"),
        (["generate", "--tick-ms", "1e-6", "--out", "X"], "--tick-ms must be at least 0.001"),
        (["walk-forward", "X", "--entry", "5", "--exit", "0.01"], "invalid --entry = 5: must not exceed --max-entry 1"),
        (["paper", "X", "--entry", "5", "--exit", "0.01"], "invalid --entry = 5: must not exceed --max-entry 1"),
        (["paper", "X", "--entry", "0.5", "--exit", "0.6"], "invalid --exit = 0.6: must be below the entry threshold"),
        (["optimize", "X", "--min-exit", "1e6"], "invalid --min-exit = 1000000: must be below --max-entry (1)"),
        (["optimize", "X", "--entry-grid", "a:b:c"], "--entry-grid 'a:b:c': FROM 'a' is not a number"),
        (["optimize", "X", "--exit-grid", "0.1:b:3"], "--exit-grid '0.1:b:3': TO 'b' is not a number"),
        (["optimize", "X", "--entry-grid", "0.1:0.5:x"], "STEPS 'x' is not a whole number"),
        (["optimize", "X", "--entry-grid", "0:1:4096", "--exit-grid", "0:1:4096"],
         "gives 16,777,216 threshold pairs; the limit is 262,144"),
        (["optimize", "X", "--entry-grid", "0:1:4096", "--grid-steps", "512"], "gives 2,097,152 threshold pairs"),
        (["optimize", "X", "--lookback-hours", "0"], "--lookback-hours must be a positive number of hours"),
        (["walk-forward", "X", "--window-hours", "-1"], "--window-hours must be a positive number of hours"),
        (["help", "nosuch"], "no command 'nosuch'"),
        (["backtest", "X", "--entry", "abc"], "The value 'abc' is invalid for '--entry <pct>'"),
    ])
    func usageErrorsExit64NamingTheOption(arguments: [String], message: String) throws {
        let result = try CLITests.run(arguments)
        #expect(result.status == 64, "\(arguments): \(result.stderr)")
        #expect(result.stdout.isEmpty)
        Self.expectOneErrorLine(result, arguments)
        #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        for field in ["max_entry", "min_exit", "min_profit", "tick_interval", "spread_volatility", "_pct"] {
            #expect(!result.stderr.contains(field), "\(arguments): \(result.stderr)")
        }
        if arguments.contains(where: { $0.contains(":") }) { #expect(!result.stderr.contains("nan")) }
    }

    @Test func versionAndHelp() throws {
        let version = try CLITests.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil, "\(version.stdout)")
        let help = try CLITests.run(["help", "backtest"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("--entry <pct>"))
        let topLevel = try CLITests.run(["--help"])
        #expect(topLevel.stdout.contains("64 for bad arguments"))
        // Help and version text lost on a full stdout is a failure, said on stderr.
        let full = try #require(FileHandle(forWritingAtPath: "/dev/full"))
        for arguments in [["--version"], ["--help"]] {
            let lost = try CLITests.run(arguments, stdout: full)
            #expect(lost.status == 1)
            #expect(lost.stderr == "delta-arb: error: cannot write to standard output: No space left on device\n")
        }
    }

    /// Every numeric option of backtest, optimize and walk-forward takes a
    /// negative value after a space: what follows is the value's own check
    /// (or success), never "Missing value".
    @Test func negativeNumbersAfterASpace() throws {
        let (directory, csv) = try Self.generated(hours: "2")
        defer { try? FileManager.default.removeItem(at: directory) }
        let ok = try CLITests.run(["backtest", csv, "--entry", "-0.3", "--json"])
        #expect(ok.status == 0, "\(ok.stderr)")
        let grid = try CLITests.run(["optimize", csv, "--lookback-hours", "2", "--entry-grid", "-1:0.5:10",
                                     "--exit-grid", "0.05:0.3:4", "--json"])
        #expect(!grid.stderr.contains("Missing value"), "\(grid.stderr)")
        #expect(grid.status == 0 || grid.status == 1, "\(grid.stderr)")  // ran; may find nothing safe
        let optimizer = ["--entry-grid", "--exit-grid", "--grid-steps", "--max-entry", "--min-exit", "--max-ratio",
                         "--max-hold-minutes", "--target-hit-rate", "--min-daily-trades", "--max-drawdown", "--min-points",
                         "--spot-fee", "--fut-fee", "--time-budget-ms"]
        let commands: [(String, [String])] = [
            ("backtest", ["--entry", "--exit", "--max-hours", "--spot-fee", "--fut-fee", "--show"]),
            ("optimize", ["--lookback-hours", "--show"] + optimizer),
            ("walk-forward", ["--window-hours", "--update-minutes", "--show"] + optimizer),
        ]
        let window = ["optimize": ["--lookback-hours", "1"], "walk-forward": ["--window-hours", "1"]]
        for (command, options) in commands {
            for option in options {
                let value = option.hasSuffix("-grid") ? "-1:-0.5:2" : "-2"
                let arguments = [command, csv, option, value] + (option.contains("-hours") ? [] : window[command] ?? [])
                let result = try CLITests.run(arguments)
                #expect(!result.stderr.contains("Missing value"), "\(arguments): \(result.stderr)")
                if command == "backtest" && (option == "--entry" || option == "--exit") {
                    #expect(result.status == 0, "\(arguments): \(result.stderr)")  // a negative threshold is a valid backtest
                } else if option.hasSuffix("-grid") {
                    // Parsed and run: a grid of negative thresholds breaks the safety rules, which
                    // fails an optimisation and keeps a walk-forward flat.
                    #expect(result.status == (command == "optimize" ? 1 : 0), "\(arguments): \(result.stderr)")
                    if command == "optimize" { #expect(result.stderr.contains("safety rules"), "\(result.stderr)") }
                } else {
                    #expect(result.status == 64, "\(arguments): \(result.stderr)")
                    #expect(result.stderr.contains(option), "\(arguments): \(result.stderr)")
                }
            }
        }
    }

    @Test func gridStepIsBoundedByTheData() throws {
        let (directory, csv) = try Self.generated(hours: "2")
        defer { try? FileManager.default.removeItem(at: directory) }
        for (step, shown, points) in [("0.001", "0.001", "7,200,001"), ("0.000001", "1e-06", "7,200,000,001")] {
            let result = try CLITests.run(["analyze", csv, "--grid-step", step, "--json"])
            #expect(result.status == 64, "\(result.stderr)")
            #expect(result.stdout.isEmpty)
            Self.expectOneErrorLine(result, ["analyze", "--grid-step", step])
            #expect(result.stderr.contains("--grid-step \(shown) needs \(points) grid points"), "\(result.stderr)")
            #expect(result.stderr.contains("the limit is 1,000,000"), "\(result.stderr)")
        }
    }

    @Test func updateCountIsBoundedByTheData() throws {
        let (directory, csv) = try Self.generated(hours: "2")
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try CLITests.run(["walk-forward", csv, "--window-hours", "1", "--update-minutes", "0.0001", "--json"])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        Self.expectOneErrorLine(result, ["walk-forward", "--update-minutes", "0.0001"])
        #expect(result.stderr.contains("--update-minutes 0.0001 gives 1,200,000 updates"), "\(result.stderr)")
        #expect(result.stderr.contains("the limit is 10,000"), "\(result.stderr)")
    }

    @Test func aWindowLongerThanTheDataIsRefused() throws {
        let (directory, csv) = try Self.generated(hours: "2")
        defer { try? FileManager.default.removeItem(at: directory) }
        for command in ["walk-forward", "paper"] {
            let arguments = [command, csv, "--window-hours", "48", "--update-minutes", "30", "--json"]
            let result = try CLITests.run(arguments)
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stdout.isEmpty)
            Self.expectOneErrorLine(result, arguments)
            #expect(result.stderr.contains("--window-hours 48 is longer than the data (2.00 h); use a shorter window or 'all'"),
                    "\(result.stderr)")
        }
    }

    @Test func lookbackAndWindowTakeFractionsAndAll() throws {
        let (directory, csv) = try Self.generated(hours: "2")
        defer { try? FileManager.default.removeItem(at: directory) }
        let grid = ["--entry-grid", "0.1:0.6:6", "--exit-grid", "0.05:0.3:6", "--max-hold-minutes", "30", "--min-points", "10"]
        let half = try CLITests.run(["optimize", csv, "--lookback-hours", "0.5", "--json"] + grid)
        #expect(half.status == 0, "\(half.stderr)")
        let halfJSON = try #require(try JSONSerialization.jsonObject(with: Data(half.stdout.utf8)) as? [String: Any])
        let halfRows = try #require((halfJSON["optimization_performance"] as? [String: Any])?["data_points_processed"] as? Int)
        #expect((1_600...2_000).contains(halfRows), "\(halfRows) rows in the last 30 min of a 1 tick/s file")
        let all = try CLITests.run(["optimize", csv, "--lookback-hours", "all", "--json"] + grid)
        #expect(all.status == 0, "\(all.stderr)")
        let allJSON = try #require(try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [String: Any])
        let performance = try #require(allJSON["optimization_performance"] as? [String: Any])
        #expect(performance["data_points_processed"] as? Int == 7_201)  // every row of the 2 h file
        let walk = try CLITests.run(["walk-forward", csv, "--window-hours", "0.5", "--update-minutes", "30", "--json"] + grid)
        #expect(walk.status == 0, "\(walk.stderr)")
        let walkJSON = try #require(try JSONSerialization.jsonObject(with: Data(walk.stdout.utf8)) as? [String: Any])
        #expect(walkJSON["optimization_window_hours"] as? Double == 0.5)
        let walkAll = try CLITests.run(["walk-forward", csv, "--window-hours", "all", "--update-minutes", "30", "--json"] + grid)
        #expect(walkAll.status == 0, "\(walkAll.stderr)")
    }
}
