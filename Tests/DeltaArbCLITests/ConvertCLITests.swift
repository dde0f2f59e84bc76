import Foundation
import Testing

/// `delta-arb convert` and Arrow files given where a CSV file goes.
@Suite("delta-arb convert")
struct ConvertCLITests {
    @Test func convertedFileGivesTheSameResultsAsTheCSV() throws {
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let csv = directory.appendingPathComponent("ticks.csv").path
        // An Arrow file named .csv: the format is told by content.
        let arrow = directory.appendingPathComponent("ticks-arrow.csv").path
        #expect(try CLITests.run(["generate", "--hours", "3", "--seed", "4", "--out", csv]).status == 0)
        let converted = try CLITests.run(["convert", csv, "--out", arrow])
        #expect(converted.status == 0, "\(converted.stderr)")
        #expect(converted.stdout.isEmpty && converted.stderr.contains("wrote 10,801 rows to \(arrow)"), "\(converted.stderr)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: arrow))
        #expect(bytes.prefix(6) == Data("ARROW1".utf8) && bytes.suffix(6) == Data("ARROW1".utf8))
        for command in [["backtest", "--json"], ["analyze", "--json"]] {
            let fromCSV = try CLITests.run([command[0], csv] + command.dropFirst())
            let fromArrow = try CLITests.run([command[0], arrow] + command.dropFirst())
            #expect(fromCSV.status == 0 && fromArrow.status == 0, "\(fromArrow.stderr)")
            // Only the source name differs.
            #expect(fromCSV.stdout == fromArrow.stdout.replacingOccurrences(of: arrow, with: csv), "\(command)")
        }
        // Arrow to Arrow, in milliseconds (the generator's times are whole ms).
        let ms = directory.appendingPathComponent("ms.arrow").path
        #expect(try CLITests.run(["convert", arrow, "--out", ms, "--timestamp-unit", "ms"]).status == 0)
        #expect(try CLITests.run(["backtest", ms, "--json"]).stdout
            == CLITests.run(["backtest", csv, "--json"]).stdout.replacingOccurrences(of: csv, with: ms))
    }

    @Test func millisecondsRefuseFinerTimesAsAUsageError() throws {
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let csv = directory.appendingPathComponent("fine.csv")
        try """
            timestamp,spot_ask_price,spot_bid_price,fut_ask_price,fut_bid_price
            2025-10-12T06:17:00.001Z,100.5,100,100.4,100.3
            2025-10-12T06:17:00.0020005Z,100.5,100,100.4,100.3

            """.write(to: csv, atomically: true, encoding: .utf8)
        let out = directory.appendingPathComponent("fine.arrow").path
        let refused = try CLITests.run(["convert", csv.path, "--out", out, "--timestamp-unit", "ms"])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("--timestamp-unit ms: row 1: 2025-10-12T06:17:00.002000500Z is not a whole millisecond")
                    && refused.stderr.contains("--timestamp-unit ns"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        let unwritable = try CLITests.run(["convert", csv.path, "--out", directory.path + "/missing/x.arrow"])
        #expect(unwritable.status == 1 && unwritable.stderr.contains("missing/x.arrow: cannot create"), "\(unwritable.stderr)")
        let help = try CLITests.run(["help", "convert"])
        #expect(help.stdout.contains("--timestamp-unit <ms|ns>") && help.stdout.contains("Arrow IPC file"))
    }
}
