import Foundation
import Testing

/// What `delta-arb` says about inputs that are not usable CSV files.
@Suite("delta-arb input files")
struct LoaderCLITests {
    @Test func devZeroEndsWithTheLineLimit() throws {
        let outcome = try CLITests.run(["backtest", "/dev/zero"])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.hasPrefix("delta-arb: error: /dev/zero:1: line longer than the limit of 65536 bytes"),
                "\(outcome.stderr)")
        #expect(outcome.stderr.count < 500)
    }

    @Test func directoryAndMissingFileAreOneLine() throws {
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for (path, reason) in [(directory.path, "is a directory"), (directory.path + "/none.csv", "No such file")] {
            let outcome = try CLITests.run(["analyze", path])
            #expect(outcome.status == 1)
            #expect(outcome.stderr.hasPrefix("delta-arb: error: \(path): ") && outcome.stderr.contains(reason))
            #expect(outcome.stderr.filter { $0 == "\n" }.count == 1 && !outcome.stderr.contains("Domain"))
        }
    }

    /// The file: a far-future typo on line 100 of 7,201 rows.
    @Test func farFutureTypoIsReportedAndSkippedAlone() throws {
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let csv = directory.appendingPathComponent("typo.csv")
        var text = "timestamp,spot_ask_price,spot_bid_price,fut_ask_price,fut_bid_price\n"
        for row in 0..<7_201 {
            let time = 1_760_249_820 + row + (row == 98 ? 43_824 * 3_600 : 0)
            text += "\(time),100.5,100,100.4,100.3\n"
        }
        try text.write(to: csv, atomically: true, encoding: .utf8)
        let strict = try CLITests.run(["backtest", csv.path])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("typo.csv:100:1: column 'timestamp': out of time order"), "\(strict.stderr)")
        let skipping = try CLITests.run(["backtest", csv.path, "--skip-bad-rows"])
        #expect(skipping.status == 0, "\(skipping.stderr)")
        #expect(skipping.stderr.contains("skipped 1 bad rows"), "\(skipping.stderr)")
    }

    /// `--skip-bad-rows` skips rows, not files: its help says so, and it holds.
    @Test func skipBadRowsStillStopsAtTheHeaderAndOverLongLines() throws {
        let help = try CLITests.run(["help", "backtest"])
        let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains("An unrecognised header and a line over 64 KiB still stop the load."), "\(text)")
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let header = directory.appendingPathComponent("header.csv")
        try "time,spot_ask_price,spot_bid_price,fut_ask_price,fut_bid_price\n1760249820,100.5,100,100.4,100.3\n"
            .write(to: header, atomically: true, encoding: .utf8)
        let unrecognised = try CLITests.run(["backtest", header.path, "--skip-bad-rows"])
        #expect(unrecognised.status == 1)
        #expect(unrecognised.stderr.contains("required column missing from the header"), "\(unrecognised.stderr)")
        let long = try CLITests.run(["backtest", "/dev/zero", "--skip-bad-rows"])
        #expect(long.status == 1)
        #expect(long.stderr.contains("line longer than the limit of 65536 bytes"), "\(long.stderr)")
    }
}
