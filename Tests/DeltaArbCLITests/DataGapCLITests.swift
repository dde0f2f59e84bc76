import Foundation
import Testing

/// `--max-gap` / `--on-gap` and the `data_gaps` report of every data command.
@Suite("delta-arb data gaps")
struct DataGapCLITests {
    /// Row of the first row after the hole.
    static let holeRow = 10_800

    /// A 6 h generated file (epoch-nanosecond timestamps) and the same rows
    /// with a 24 h hole before row `holeRow`; returns the directory, the
    /// gapped file and its CSV lines (header first).
    static func gappedFile() throws -> (directory: URL, plain: String, gapped: String, lines: [String]) {
        let directory = try CLITests.temporaryDirectory()
        let plain = directory.appendingPathComponent("plain.csv").path
        let generated = try CLITests.run(["generate", "--hours", "6", "--seed", "1", "--epoch-timestamps", "--out", plain])
        #expect(generated.status == 0, "\(generated.stderr)")
        var lines = try String(contentsOfFile: plain, encoding: .utf8).split(separator: "\n").map(String.init)
        for i in (holeRow + 1)..<lines.count {  // line i + 1 is row i
            let comma = try #require(lines[i].firstIndex(of: ","))
            let time = try #require(Int64(lines[i][..<comma]))
            lines[i] = String(time + 86_400_000_000_000) + lines[i][comma...]
        }
        let gapped = directory.appendingPathComponent("gapped.csv").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: gapped, atomically: true, encoding: .utf8)
        return (directory, plain, gapped, lines)
    }

    /// Writes rows `rows` of `lines` (with the header) to a file and returns its path.
    static func write(_ lines: [String], rows: Range<Int>, to directory: URL, name: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try (([lines[0]] + lines[(rows.lowerBound + 1)..<(rows.upperBound + 1)]).joined(separator: "\n") + "\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func json(_ outcome: CLITests.Outcome) throws -> [String: Any] {
        #expect(outcome.status == 0, "\(outcome.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
    }

    /// Exact equality of two parsed JSON values: same keys, same lengths, numbers equal as `Double`s.
    static func same(_ a: Any, _ b: Any) -> Bool {
        switch (a, b) {
        case let (a as [String: Any], b as [String: Any]):
            return Set(a.keys) == Set(b.keys) && a.allSatisfy { key, value in same(value, b[key]!) }
        case let (a as [Any], b as [Any]):
            return a.count == b.count && zip(a, b).allSatisfy { same($0, $1) }
        case let (a as NSNumber, b as NSNumber):
            return a.doubleValue == b.doubleValue
        case let (a as String, b as String):
            return a == b
        case (is NSNull, is NSNull):
            return true
        default:
            return false
        }
    }

    /// The commands with small settings, each over `file`.
    static func commands(_ file: String) -> [[String]] {
        [["analyze", file],
         ["backtest", file],
         ["optimize", file, "--lookback-hours", "3", "--grid-steps", "4"],
         ["walk-forward", file, "--window-hours", "2", "--update-minutes", "60", "--grid-steps", "4"],
         ["paper", file, "--entry", "0.5", "--exit", "0.1", "--no-update"]]
    }

    /// The scenario through every command: the hole is one gap (row,
    /// 24 h, 60 s default threshold) in `data_gaps` of each JSON document,
    /// with one warning line on stderr; the ordinary file has none.
    @Test func everyCommandReportsTheHole() throws {
        let (directory, plain, gapped, _) = try Self.gappedFile()
        defer { try? FileManager.default.removeItem(at: directory) }
        for command in Self.commands(gapped) {
            let outcome = try CLITests.run(command + ["--json"])
            let gaps = try #require(try Self.json(outcome)["data_gaps"] as? [String: Any], "\(command[0])")
            #expect(gaps["count"] as? Int == 1, "\(command[0])")
            #expect(gaps["max_gap_seconds"] as? Double == 60)
            #expect(gaps["on_gap"] as? String == "warn")
            let longest = try #require(gaps["longest_seconds"] as? Double)
            #expect(longest > 86_400 && longest < 86_460)
            #expect(gaps["total_seconds"] as? Double == longest)
            let list = try #require(gaps["gaps"] as? [[String: Any]])
            #expect(list.count == 1)
            #expect(list.first?["row"] as? Int == Self.holeRow)
            #expect(list.first?["duration_seconds"] as? Double == longest)
            #expect((list.first?["start_time"] as? String)?.hasSuffix("Z") == true)
            let warnings = outcome.stderr.split(separator: "\n").filter { $0.hasPrefix("warning:") }
            #expect(warnings.count == 1 && warnings.first?.contains("row \(Self.holeRow)") == true, "\(command[0]): \(outcome.stderr)")
        }
        for command in Self.commands(plain) {
            let outcome = try CLITests.run(command + ["--json"])
            let gaps = try #require(try Self.json(outcome)["data_gaps"] as? [String: Any], "\(command[0])")
            #expect(gaps["count"] as? Int == 0, "\(command[0])")
            #expect((gaps["gaps"] as? [Any])?.isEmpty == true)
            #expect(!outcome.stderr.contains("gap"), "\(command[0]): \(outcome.stderr)")
        }
    }

    /// Every trade of backtest, walk-forward and paper says whether it spans
    /// the hole; the backtest's 25-hour trade does, and the text marks it.
    @Test func tradesAcrossTheHoleAreMarked() throws {
        let (directory, _, gapped, _) = try Self.gappedFile()
        defer { try? FileManager.default.removeItem(at: directory) }
        for command in Self.commands(gapped).dropFirst() where command[0] != "optimize" {
            let trades = try #require(try Self.json(try CLITests.run(command + ["--json"]))["trades"] as? [[String: Any]])
            for trade in trades {
                let entry = try #require(trade["entry_index"] as? Int), exit = try #require(trade["exit_index"] as? Int)
                #expect(trade["spans_gap"] as? Bool == (entry < Self.holeRow && Self.holeRow <= exit), "\(command[0])")
            }
            if command[0] == "backtest" {
                let across = trades.filter { $0["spans_gap"] as? Bool == true }
                #expect(across.count == 1)
                #expect((across.first?["hours"] as? Double ?? 0) > 24)
            }
        }
        let text = try CLITests.run(["backtest", gapped])
        #expect(text.status == 0)
        let summary = try #require(text.stdout.split(separator: "\n").first { $0.contains("trades across a data gap") })
        #expect(summary.hasSuffix(" 1"))
        #expect(text.stdout.contains("Data gaps: 1 gap longer than 60 s"))
        #expect(text.stdout.split(separator: "\n").filter { $0.hasSuffix("  yes") }.count == 1, "one trade marked in the gap column")
    }

    /// `--on-gap error`: exit 1, nothing on stdout, one message naming the count, the longest and the row.
    @Test func errorPolicyRefusesTheData() throws {
        let (directory, plain, gapped, _) = try Self.gappedFile()
        defer { try? FileManager.default.removeItem(at: directory) }
        for command in Self.commands(gapped) {
            let outcome = try CLITests.run(command + ["--on-gap", "error", "--json"])
            #expect(outcome.status == 1, "\(command[0])")
            #expect(outcome.stdout.isEmpty)
            #expect(outcome.stderr.split(separator: "\n").count == 1)
            #expect(outcome.stderr.contains("1 gap longer than 60 s"))
            #expect(outcome.stderr.contains("longest 24.00 h"))
            #expect(outcome.stderr.contains("row \(Self.holeRow)"))
        }
        #expect(try CLITests.run(["backtest", plain, "--on-gap", "error"]).status == 0, "no gap, no error")
        #expect(try CLITests.run(["backtest", gapped, "--on-gap", "error", "--max-gap", "25h"]).status == 0)
    }

    /// `analyze --on-gap split`: each segment's statistics are exactly those
    /// of `analyze` on that segment's rows alone; the whole-series result stays.
    @Test func splitAnalysisEqualsEachSegmentAlone() throws {
        let (directory, _, gapped, lines) = try Self.gappedFile()
        defer { try? FileManager.default.removeItem(at: directory) }
        let whole = try Self.json(try CLITests.run(["analyze", gapped, "--json"]))
        let split = try Self.json(try CLITests.run(["analyze", gapped, "--on-gap", "split", "--json"]))
        #expect(Self.same(try #require(split["spread_analysis"] as? [String: Any]), try #require(whole["spread_analysis"] as? [String: Any])))
        let segments = try #require(split["segments"] as? [[String: Any]])
        let rowCount = lines.count - 1
        #expect(segments.map { $0["first_row"] as? Int } == [0, Self.holeRow])
        #expect(segments.map { $0["last_row"] as? Int } == [Self.holeRow - 1, rowCount - 1])
        #expect(segments.map { $0["rows"] as? Int } == [Self.holeRow, rowCount - Self.holeRow])
        for (k, segment) in segments.enumerated() {
            let rows = (segment["first_row"] as! Int)..<((segment["last_row"] as! Int) + 1)
            let alone = try Self.json(try CLITests.run(["analyze", try Self.write(lines, rows: rows, to: directory, name: "s\(k).csv"), "--json"]))
            for key in ["spread_analysis", "mean_reversion", "details"] {
                let mine = try #require(segment[key] as? [String: Any], "segment \(k) \(key)")
                let theirs = try #require(alone[key] as? [String: Any])
                #expect(Self.same(mine, theirs), "segment \(k) \(key)")
            }
            #expect(segment["error"] is NSNull)
        }
        let text = try CLITests.run(["analyze", gapped, "--on-gap", "split"])
        #expect(text.stdout.contains("Per continuous segment"))
        #expect(text.stdout.contains("2: rows \(Self.holeRow)–\(rowCount - 1)"))
    }

    /// `backtest --on-gap split`: no trade crosses the hole; the second
    /// segment's trades are those of its rows alone, at the file's row numbers;
    /// the position open at the first segment's end is reported there.
    @Test func splitBacktestNeverCrossesTheHole() throws {
        let (directory, _, gapped, lines) = try Self.gappedFile()
        defer { try? FileManager.default.removeItem(at: directory) }
        let split = try Self.json(try CLITests.run(["backtest", gapped, "--on-gap", "split", "--json"]))
        let trades = try #require(split["trades"] as? [[String: Any]])
        #expect(!trades.isEmpty)
        for trade in trades {
            let entry = trade["entry_index"] as! Int, exit = trade["exit_index"] as! Int
            #expect(!(entry < Self.holeRow && Self.holeRow <= exit))
            #expect(trade["spans_gap"] as? Bool == false)
        }
        let segments = try #require(split["segments"] as? [[String: Any]])
        #expect(segments.count == 2)
        #expect(segments.map { $0["trades"] as? Int ?? -1 }.reduce(0, +) == trades.count)
        let open = try #require(segments[0]["open_position"] as? [String: Any], "the position the unsplit run held across the hole")
        #expect(open["mark_index"] as? Int == Self.holeRow - 1)
        let tail = try Self.write(lines, rows: Self.holeRow..<(lines.count - 1), to: directory, name: "tail.csv")
        let alone = try #require(try Self.json(try CLITests.run(["backtest", tail, "--json"]))["trades"] as? [[String: Any]])
        let second = trades.filter { ($0["entry_index"] as! Int) >= Self.holeRow }
        #expect(second.count == alone.count)
        for (mine, theirs) in zip(second, alone) {
            #expect(mine["entry_index"] as? Int == (theirs["entry_index"] as! Int) + Self.holeRow)
            #expect(mine["exit_index"] as? Int == (theirs["exit_index"] as! Int) + Self.holeRow)
            #expect(mine["net_pnl_pct"] as? Double == theirs["net_pnl_pct"] as? Double)
        }
    }

    /// `optimize --on-gap split` works on the last segment and says so.
    @Test func splitOptimiseUsesTheLastSegment() throws {
        let (directory, _, gapped, lines) = try Self.gappedFile()
        defer { try? FileManager.default.removeItem(at: directory) }
        let args = ["optimize", gapped, "--lookback-hours", "6", "--grid-steps", "4", "--on-gap", "split"]
        let result = try Self.json(try CLITests.run(args + ["--json"]))
        let segment = try #require(result["optimized_segment"] as? [String: Any])
        #expect(segment["first_row"] as? Int == Self.holeRow)
        let window = try #require(result["window"] as? [String: Any])
        #expect((window["first_row"] as? Int ?? 0) >= Self.holeRow)
        #expect(window["end_row"] as? Int == lines.count - 1)
        #expect(try CLITests.run(args).stdout.contains("optimised on the last continuous segment, rows \(Self.holeRow)–"))
    }

    /// walk-forward and paper offer error and warn only: split is a usage error naming them.
    @Test func splitIsRefusedWhereAPositionRunsThrough() throws {
        for command in ["walk-forward", "paper"] {
            let outcome = try CLITests.run([command, "/nonexistent.csv", "--on-gap", "split"])
            #expect(outcome.status == 64, "\(command)")
            #expect(outcome.stderr.contains("--on-gap split is not offered by \(command)"))
            #expect(outcome.stderr.contains("error or warn"))
        }
    }

    /// `--max-gap` takes seconds, units, auto and off; anything else is a usage error naming the option.
    @Test func maxGapValues() throws {
        let (directory, _, gapped, _) = try Self.gappedFile()
        defer { try? FileManager.default.removeItem(at: directory) }
        for (value, seconds) in [("90", 90.0), ("90s", 90), ("15m", 900), ("2h", 7200), ("1.5h", 5400), ("auto", 60)] {
            let gaps = try #require(try Self.json(try CLITests.run(["backtest", gapped, "--max-gap", value, "--json"]))["data_gaps"] as? [String: Any])
            #expect(gaps["max_gap_seconds"] as? Double == seconds, "\(value)")
            #expect(gaps["count"] as? Int == 1)
        }
        let off = try Self.json(try CLITests.run(["backtest", gapped, "--max-gap", "off", "--json"]))
        let gaps = try #require(off["data_gaps"] as? [String: Any])
        #expect(gaps["max_gap_seconds"] is NSNull)
        #expect(gaps["count"] as? Int == 0)
        #expect((off["trades"] as? [[String: Any]])?.first?["spans_gap"] == nil, "not checked, not claimed")
        #expect(try CLITests.run(["backtest", gapped, "--max-gap", "25h", "--json"]).stdout.contains("\"count\" : 0"))
        for bad in ["0", "-5", "abc", "5x", "nan", "inf", "400d", ""] {
            let outcome = try CLITests.run(["backtest", gapped, "--max-gap", bad])
            #expect(outcome.status == 64, "'\(bad)'")
            #expect(outcome.stderr.contains("--max-gap"), "'\(bad)': \(outcome.stderr)")
            #expect(outcome.stdout.isEmpty)
        }
        let policy = try CLITests.run(["backtest", gapped, "--on-gap", "ignore"])
        #expect(policy.status == 64)
        #expect(policy.stderr.contains("--on-gap"))
    }
}
