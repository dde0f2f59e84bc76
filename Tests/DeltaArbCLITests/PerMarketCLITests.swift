import DeltaArbitrage
import Foundation
import Testing

/// `--spot FILE… --futures FILE…`: each market's capture files, merged as --db merges the store.
@Suite("delta-arb --spot/--futures")
struct PerMarketCLITests {
    static let start: Int64 = 1_759_276_800_000_000_000

    /// Spot quotes as Tardis `quotes` rows (µs), futures as Binance `bookTicker` rows (ms).
    static func tardis(_ q: MarketQuotes, _ range: Range<Int>) -> String {
        var text = "exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount\n"
        for i in range {
            let us = q.timestamps[i] / 1_000
            text += "binance,BTCUSDT,\(us),\(us + 900),\(q.askQuantity[i]),\(q.askPrice[i]),\(q.bidPrice[i]),\(q.bidQuantity[i])\n"
        }
        return text
    }

    static func binance(_ q: MarketQuotes) -> String {
        var text = "update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time\n"
        for i in 0..<q.count {
            let ms = q.timestamps[i] / 1_000_000
            text += "\(1_000 + i),\(q.bidPrice[i]),\(q.bidQuantity[i]),\(q.askPrice[i]),\(q.askQuantity[i]),\(ms - 3),\(ms)\n"
        }
        return text
    }

    /// A bad row in a market's file stops the run naming its line; with
    /// --skip-bad-rows it is left out (warned about) and the result is that of
    /// the file without it.
    @Test func skipBadRowsLeavesOutABadRowOfAMarketsFile() throws {
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let spot = DatabaseCLITests.quotes(count: 400, start: Self.start, seed: 41, price: 1.2345)
        let futures = DatabaseCLITests.quotes(count: 400, start: Self.start + 1_000_000_000, seed: 42, price: 1.2301)
        var lines = Self.tardis(spot, 0..<400).split(separator: "\n").map(String.init)
        let badLine = lines[101].replacingOccurrences(of: ",\(spot.bidPrice[100]),", with: ",-1,")
        #expect(badLine != lines[101])
        let cleanFile = directory.appendingPathComponent("clean.csv").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: cleanFile, atomically: true, encoding: .utf8)
        lines.insert(badLine, at: 101)   // file line 102
        let badFile = directory.appendingPathComponent("bad.csv").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: badFile, atomically: true, encoding: .utf8)
        let futuresFile = directory.appendingPathComponent("futures.csv").path
        try Self.binance(futures).write(toFile: futuresFile, atomically: true, encoding: .utf8)

        let backtest = ["backtest", "--entry", "0.1", "--exit", "-0.05", "--json", "--futures", futuresFile, "--spot"]
        let strict = try CLITests.run(backtest + [badFile])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("bad.csv:102:"), "\(strict.stderr)")
        let skipping = try CLITests.run(backtest + [badFile, "--skip-bad-rows"])
        let clean = try CLITests.run(backtest + [cleanFile])
        #expect(skipping.status == 0 && clean.status == 0, "\(skipping.stderr)")
        #expect(skipping.stderr.contains("warning: skipped 1 bad rows of \(badFile) (1 nonPositivePrice)"), "\(skipping.stderr)")
        #expect(DatabaseCLITests.withoutWallClock(skipping.stdout) == DatabaseCLITests.withoutWallClock(clean.stdout))
    }

    @Test func everyCommandGivesTheJSONOfTheMergedCSVOfTheSameQuotes() throws {
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let spot = DatabaseCLITests.quotes(count: 3_000, start: Self.start, seed: 31, price: 1.2345)
        let futures = DatabaseCLITests.quotes(count: 2_500, start: Self.start + 20_000_000_000, seed: 32, price: 1.2301)
        // The spot market in two daily files, the futures market in one.
        try Self.tardis(spot, 0..<1_200).write(toFile: directory.appendingPathComponent("spot-1.csv").path, atomically: true, encoding: .utf8)
        try Self.tardis(spot, 1_200..<3_000).write(toFile: directory.appendingPathComponent("spot-2.csv").path, atomically: true, encoding: .utf8)
        let futuresFile = directory.appendingPathComponent("futures.csv").path
        try Self.binance(futures).write(toFile: futuresFile, atomically: true, encoding: .utf8)

        let csv = directory.appendingPathComponent("merged.csv").path
        try TwoMarketMerge.merge(spot: spot, futures: futures).data.writeCSV(to: csv)
        let bound = ["--max-quote-age-ms", "1500"]
        let agedCSV = directory.appendingPathComponent("aged.csv").path
        let aged = try TwoMarketMerge.merge(spot: spot, futures: futures, maxQuoteAgeNanoseconds: 1_500_000_000)
        #expect(aged.droppedStale > 0)
        try aged.data.writeCSV(to: agedCSV)

        let source = ["--spot", directory.path + "/spot-*.csv", "--futures", futuresFile]
        let grids = ["--entry-grid", "-0.6:0.6:7", "--exit-grid", "-0.4:0.2:5"]
        for command in [["backtest", "--entry", "0.1", "--exit", "-0.05"], ["analyze"], ["optimize", "--lookback-hours", "all"] + grids] {
            let fromCSV = try CLITests.run(command + [csv, "--json"])
            let fromFiles = try CLITests.run(command + source + ["--json"])
            #expect(fromCSV.status == 0, "\(command[0]): \(fromCSV.stderr)")
            #expect(fromFiles.status == 0, "\(command[0]): \(fromFiles.stderr)")
            #expect(!fromCSV.stdout.isEmpty)
            #expect(DatabaseCLITests.withoutWallClock(fromFiles.stdout) == DatabaseCLITests.withoutWallClock(fromCSV.stdout), "\(command[0])")
            #expect(fromFiles.stderr.contains("note: \(try MarketDataCSVLoader().load(path: csv).data.count) merged rows from 3000 spot and 2500 futures quotes"),
                    "\(fromFiles.stderr)")
        }
        let fromAgedCSV = try CLITests.run(["backtest", agedCSV, "--json"])
        let fromAgedFiles = try CLITests.run(["backtest", "--json"] + source + bound)
        #expect(fromAgedFiles.status == 0, "\(fromAgedFiles.stderr)")
        #expect(fromAgedFiles.stdout == fromAgedCSV.stdout)
        #expect(fromAgedFiles.stderr.contains("; \(aged.droppedStale) rows dropped by --max-quote-age-ms"), "\(fromAgedFiles.stderr)")
    }

    @Test func marketsThatDoNotOverlapInTimeAreAnErrorNamingBothRanges() throws {
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let spot = DatabaseCLITests.quotes(count: 10, start: Self.start, seed: 1, price: 2)
        let futures = DatabaseCLITests.quotes(count: 10, start: Self.start + 3_600_000_000_000, seed: 2, price: 2)
        let spotFile = directory.appendingPathComponent("s.csv").path, futuresFile = directory.appendingPathComponent("f.csv").path
        try Self.tardis(spot, 0..<10).write(toFile: spotFile, atomically: true, encoding: .utf8)
        try Self.binance(futures).write(toFile: futuresFile, atomically: true, encoding: .utf8)
        let outcome = try CLITests.run(["analyze", "--spot", spotFile, "--futures", futuresFile])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.hasPrefix("delta-arb: error: \(spotFile)+\(futuresFile): the spot quotes (\(spotFile): \(UTCTime.iso8601(nanoseconds: spot.timestamps[0])) … "),
                "\(outcome.stderr)")
        #expect(outcome.stderr.contains("do not overlap in time"), "\(outcome.stderr)")
    }

    @Test(arguments: [
        (["backtest", "x.csv", "--spot", "s.csv", "--futures", "f.csv"], "give either a FILE or --spot/--futures files, not both"),
        (["backtest", "--spot", "s.csv", "--futures", "f.csv", "--db", "postgres://h/d"], "give either --db or --spot/--futures files"),
        (["analyze", "--spot", "s.csv"], "--spot needs --futures"),
        (["optimize", "--futures", "f.csv"], "--futures needs --spot"),
        (["walk-forward", "--spot", "s.csv", "--futures", "f.csv", "--symbol", "A/B"], "--symbol applies to --db only"),
        (["paper", "--spot", "/nonexistent/s-*.csv", "--futures", "f.csv"], "--spot '/nonexistent/s-*.csv': no file matches the pattern"),
    ])
    func mixingSourcesIsAUsageError(_ arguments: [String], _ expected: String) throws {
        try SourceOptionTests.expectUsageError(arguments, expected)
    }
}
