import DeltaArbitrage
@testable import DeltaArbitrageSources
import Foundation
import Testing

/// `--db` on the data commands, end to end against the throwaway server
/// (scripts/with-postgres.sh; in CI always).
@Suite("delta-arb --db", .enabled(if: ProcessInfo.processInfo.environment["DELTA_ARB_TEST_DB"] != nil
                                    || ProcessInfo.processInfo.environment["CI"] != nil,
                                  "no test server: DELTA_ARB_TEST_DB is not set (run scripts/with-postgres.sh swift test, or scripts/test.sh)"))
struct DatabaseCLITests {
    static func url() throws -> String {
        guard let text = ProcessInfo.processInfo.environment["DELTA_ARB_TEST_DB"] else {
            Issue.record("CI is set but DELTA_ARB_TEST_DB is not: the database tests must run in CI")
            throw CancellationError()
        }
        return text
    }

    static func quotes(count: Int, start: Int64, seed: UInt64, price: Double) -> MarketQuotes {
        var state = seed
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        var quotes = MarketQuotes()
        var t = start
        var p = Int64(price * 1e8)
        for _ in 0..<count {
            t += Int64(1 + next() % 5_000) * 1_000_000
            p += Int64(next() % 40_001) - 20_000
            quotes.append(timestamp: t, bidPrice: Double(p) / 1e8, bidQuantity: Double(next() % 100_000) / 1e3,
                          askPrice: Double(p + Int64(1 + next() % 5_000)) / 1e8, askQuantity: Double(next() % 100_000) / 1e3)
        }
        return quotes
    }

    @Test func backtestJSONFromTheDatabaseEqualsTheCSVOfTheSameMergedRange() async throws {
        let text = try Self.url()
        let url = try PostgresURL(text)
        try await BookTickerStoreWriter.initialize(url)
        let symbol = "CLI\(UInt32.random(in: 0..<UInt32.max))/USDT"
        let start: Int64 = 1_759_276_800_000_000_000
        let spot = Self.quotes(count: 3_000, start: start, seed: 11, price: 1.2345)
        let futures = Self.quotes(count: 2_500, start: start + 20_000_000_000, seed: 12, price: 1.2301)
        _ = try await BookTickerStoreWriter.importQuotes(spot, into: url, symbol: symbol, market: "CLIX_SPOT")
        _ = try await BookTickerStoreWriter.importQuotes(futures, into: url, symbol: symbol, market: "CLIY_FUTURES")
        _ = try await BookTickerStoreWriter.importQuotes(Self.quotes(count: 500, start: start, seed: 13, price: 9),
                                                         into: url, symbol: symbol, market: "CLIZ_FUTURES")
        let from = spot.timestamps[200], to = spot.timestamps[2_700]

        // The reference: the same range merged here and written as CSV.
        func inRange(_ q: MarketQuotes) -> MarketQuotes {
            var out = MarketQuotes()
            for i in 0..<q.count where q.timestamps[i] >= from && q.timestamps[i] <= to {
                out.append(timestamp: q.timestamps[i], bidPrice: q.bidPrice[i], bidQuantity: q.bidQuantity[i],
                           askPrice: q.askPrice[i], askQuantity: q.askQuantity[i])
            }
            return out
        }
        let merged = try TwoMarketMerge.merge(spot: inRange(spot), futures: inRange(futures))
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let csv = directory.appendingPathComponent("merged.csv").path
        try merged.data.writeCSV(to: csv)

        let source = ["--db", text, "--symbol", symbol, "--spot-market", "CLIX_SPOT", "--futures-market", "CLIY_FUTURES",
                      "--from", UTCTime.iso8601(nanoseconds: from), "--to", UTCTime.iso8601(nanoseconds: to)]
        for command in [["backtest", "--entry", "0.1", "--exit", "-0.05"], ["analyze"]] {
            let fromCSV = try await CLITests.run(command + [csv, "--json"])
            let fromDB = try await CLITests.run(command + source + ["--json"])
            #expect(fromCSV.status == 0, "\(fromCSV.stderr)")
            #expect(fromDB.status == 0, "\(fromDB.stderr)")
            #expect(fromDB.stdout == fromCSV.stdout)
            #expect(fromDB.stderr.contains("merged rows"))
        }
    }

    /// One market's quotes as a generic one-market CSV (shortest round-trip numbers).
    static func oneMarketCSV(_ q: MarketQuotes) -> String {
        var text = "timestamp,bid_price,bid_qty,ask_price,ask_qty\n"
        for i in 0..<q.count {
            text += "\(UTCTime.iso8601(nanoseconds: q.timestamps[i])),\(q.bidPrice[i]),\(q.bidQuantity[i]),\(q.askPrice[i]),\(q.askQuantity[i])\n"
        }
        return text
    }

    /// The JSON keys that hold wall-clock measurements of the run, not results:
    /// their values are blanked before comparing (nothing else is touched),
    /// and so is the `timestamp` of a status event marked `"clock" : "wall"`.
    static let wallClockKeys = ["optimization_duration_ms", "memory_usage_mb", "elapsed_seconds", "duration_ms"]

    static func withoutWallClock(_ json: String) -> String {
        var text = json
        for key in wallClockKeys {
            text = text.replacingOccurrences(of: "\"\(key)\"\\s*:\\s*[^,}\\]\\n]+", with: "\"\(key)\":_", options: .regularExpression)
        }
        return text.replacingOccurrences(of: "(\"clock\" : \"wall\",[^{}]*?\"timestamp\" : )[-0-9.e+]+", with: "$1_",
                                         options: .regularExpression)
    }

    @Test func dbInitTwiceIsHarmless() throws {
        let text = try Self.url()
        for _ in 0..<2 {
            let outcome = try CLITests.run(["db", "init", "--db", text])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.stdout.hasPrefix("schema version \(BookTickerSchema.version) ready at 127.0.0.1:"))
        }
    }

    /// db import of a spot and a futures file (re-import inserts nothing),
    /// db export of a range, and every command's JSON from that CSV equal to
    /// the same command's with --db over the same range.
    @Test func dbImportExportAndEveryCommandsJSONFromTheExportEqualsTheDatabases() throws {
        let text = try Self.url()
        #expect(try CLITests.run(["db", "init", "--db", text]).status == 0)
        let symbol = "IMP\(UInt32.random(in: 0..<UInt32.max))/USDT"
        let start: Int64 = 1_759_276_800_000_000_000
        let spot = Self.quotes(count: 3_000, start: start, seed: 21, price: 1.2345)
        let futures = Self.quotes(count: 2_600, start: start + 15_000_000_000, seed: 22, price: 1.2301)
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let spotFile = directory.appendingPathComponent("spot.csv").path
        let futuresFile = directory.appendingPathComponent("futures.csv").path
        try Self.oneMarketCSV(spot).write(toFile: spotFile, atomically: true, encoding: .utf8)
        try Self.oneMarketCSV(futures).write(toFile: futuresFile, atomically: true, encoding: .utf8)
        // A distractor: the same symbol on another futures market.
        let other = directory.appendingPathComponent("other.csv").path
        try Self.oneMarketCSV(Self.quotes(count: 400, start: start, seed: 23, price: 7)).write(toFile: other, atomically: true, encoding: .utf8)

        for (file, market, extra, count) in [(spotFile, "IMPX_SPOT", [String](), 3_000), (futuresFile, "IMPY", ["--market-type", "futures"], 2_600),
                                             (other, "IMPZ_FUTURES", [], 400)] {
            let first = try CLITests.run(["db", "import", file, "--db", text, "--symbol", symbol, "--market", market] + extra)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.contains(": \(count) inserted, 0 skipped"), "\(first.stdout)")
            let again = try CLITests.run(["db", "import", file, "--db", text, "--symbol", symbol, "--market", market] + extra)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stdout.contains(": 0 inserted, \(count) skipped"), "\(again.stdout)")
        }

        let from = UTCTime.iso8601(nanoseconds: spot.timestamps[100])
        let to = UTCTime.iso8601(nanoseconds: spot.timestamps[2_900])
        let source = ["--db", text, "--symbol", symbol, "--spot-market", "IMPX_SPOT", "--futures-market", "IMPY",
                      "--from", from, "--to", to]
        let csv = directory.appendingPathComponent("merged.csv").path
        let export = try CLITests.run(["db", "export"] + source + ["--out", csv])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stdout.isEmpty)
        // The export is the merge of the range as read back from the files.
        let reference = try TwoMarketMerge.merge(
            spot: TestSlice.slice(MarketQuotesCSVReader.load(path: spotFile), from: spot.timestamps[100], to: spot.timestamps[2_900]),
            futures: TestSlice.slice(MarketQuotesCSVReader.load(path: futuresFile), from: spot.timestamps[100], to: spot.timestamps[2_900]))
        #expect(try MarketDataCSVLoader().load(path: csv).data == reference.data)

        let grids = ["--entry-grid", "-0.6:0.6:7", "--exit-grid", "-0.4:0.2:5"]
        let commands: [[String]] = [
            ["backtest", "--entry", "0.1", "--exit", "-0.05"],
            ["analyze"],
            ["optimize", "--lookback-hours", "all"] + grids,
            ["walk-forward", "--window-hours", "0.5", "--update-minutes", "20"] + grids,
        ]
        for command in commands {
            let fromCSV = try CLITests.run(command + [csv, "--json"])
            let fromDB = try CLITests.run(command + source + ["--json"])
            #expect(fromCSV.status == 0, "\(command[0]): \(fromCSV.stderr)")
            #expect(fromDB.status == 0, "\(command[0]): \(fromDB.stderr)")
            #expect(!fromCSV.stdout.isEmpty)
            #expect(Self.withoutWallClock(fromDB.stdout) == Self.withoutWallClock(fromCSV.stdout), "\(command[0])")
        }

        // --max-quote-age-ms: the rows dropped are counted on stderr, as the merge counts them,
        // and the export under the same bound gives the same results as --db.
        let bound = ["--max-quote-age-ms", "1500"]
        let aged = try TwoMarketMerge.merge(
            spot: TestSlice.slice(spot, from: spot.timestamps[100], to: spot.timestamps[2_900]),
            futures: TestSlice.slice(futures, from: spot.timestamps[100], to: spot.timestamps[2_900]),
            maxQuoteAgeNanoseconds: 1_500_000_000)
        #expect(aged.droppedStale > 0)
        let agedCSV = directory.appendingPathComponent("aged.csv").path
        let agedExport = try CLITests.run(["db", "export"] + source + bound + ["--out", agedCSV])
        #expect(agedExport.status == 0, "\(agedExport.stderr)")
        #expect(agedExport.stderr.contains("; \(aged.droppedStale) rows dropped by --max-quote-age-ms"), "\(agedExport.stderr)")
        #expect(try MarketDataCSVLoader().load(path: agedCSV).data == aged.data)
        let agedFromCSV = try CLITests.run(["backtest", "--entry", "0.1", "--exit", "-0.05", agedCSV, "--json"])
        let agedFromDB = try CLITests.run(["backtest", "--entry", "0.1", "--exit", "-0.05", "--json"] + source + bound)
        #expect(agedFromDB.status == 0 && agedFromCSV.status == 0)
        #expect(agedFromDB.stdout == agedFromCSV.stdout)
        #expect(agedFromDB.stderr.contains("; \(aged.droppedStale) rows dropped by --max-quote-age-ms"))
    }

    /// db import of a Binance file (rows out of order, one bad row skipped):
    /// each stored row carries its update_id as sequence_number.
    @Test func dbImportOfABinanceFileStoresUpdateIDsAndSkipsBadRows() async throws {
        let text = try Self.url()
        #expect(try await CLITests.run(["db", "init", "--db", text]).status == 0)
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("BTCUSDT-bookTicker.csv").path
        try """
            update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time
            502,100.5,1,100.6,2,1705276800010,1705276800016
            501,100.4,1,100.6,2,1705276800001,1705276800005
            503,100.9,1,100.6,2,1705276800020,1705276800021
            504,100.3,1,100.7,2,1705276800030,1705276800031

            """.write(toFile: file, atomically: true, encoding: .utf8)
        let symbol = "SEQ\(UInt32.random(in: 0..<UInt32.max))/USDT"
        let strict = try await CLITests.run(["db", "import", file, "--db", text, "--symbol", symbol, "--market", "SEQX_FUTURES"])
        #expect(strict.status == 1 && strict.stderr.contains(":4:"), "\(strict.stderr)")   // 503: bid above ask
        let outcome = try await CLITests.run(["db", "import", file, "--db", text, "--symbol", symbol, "--market", "SEQX_FUTURES",
                                        "--skip-bad-rows"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("warning: skipped 1 bad rows of \(file) (1 crossedBook)"), "\(outcome.stderr)")
        let url = try PostgresURL(text)
        let stored = try await PostgresStore.withConnection(url) { connection in
            try connection.query("""
                SELECT b.sequence_number FROM book_ticker_snapshots b JOIN symbols s ON s.id = b.symbol_id
                WHERE s.symbol_base = $1 ORDER BY b."timestamp"
                """, [String(symbol.prefix { $0 != "/" })]).map { $0[0] }
        }
        #expect(stored == ["501", "502", "504"])
    }

    @Test func dbImportOfABadFileWritesNothingAndNamesTheLine() throws {
        let text = try Self.url()
        #expect(try CLITests.run(["db", "init", "--db", text]).status == 0)
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("bad.csv").path
        try "timestamp,bid_price,bid_qty,ask_price,ask_qty\n1759276800,1,1,2,1\n1759276801,3,1,2,1\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let symbol = "BAD\(UInt32.random(in: 0..<UInt32.max))/USDT"
        let outcome = try CLITests.run(["db", "import", file, "--db", text, "--symbol", symbol, "--market", "BADX_SPOT"])
        #expect(outcome.status == 1)
        #expect(outcome.stderr == "delta-arb: error: \(file):3:2: column 'bid_price': bid 3 above ask 2\n")
        let read = try CLITests.run(["backtest", "--db", text, "--symbol", symbol, "--spot-market", "BADX_SPOT",
                                     "--futures-market", "BADX_FUTURES", "--json"])
        #expect(read.status == 1 && read.stderr.contains("no such market"), "\(read.stderr)")
    }

    @Test func databaseErrorsAreOneLineWithExitStatusOne() async throws {
        let text = try Self.url()
        let outcome = try await CLITests.run(["backtest", "--db", text, "--symbol", "NONE/USDT", "--spot-market", "NOPE_SPOT",
                                        "--futures-market", "NOPE_FUTURES", "--json"])
        #expect(outcome.status == 1)
        #expect(outcome.stdout.isEmpty)
        #expect(outcome.stderr.hasPrefix("delta-arb: error: ") && outcome.stderr.contains("NOPE_")
                && outcome.stderr.split(separator: "\n").count == 1)
    }
}

/// The source options' usage errors (no server needed).
@Suite("delta-arb source options")
struct SourceOptionTests {
    @Test(arguments: [
        (["backtest"], "missing input"),
        (["backtest", "x.csv", "--db", "postgres://h/d"], "not both"),
        (["backtest", "x.csv", "--symbol", "A/B"], "--symbol applies to --db only"),
        (["backtest", "--db", "postgres://h/d", "--spot-market", "A_SPOT", "--futures-market", "A_FUTURES"], "--db needs --symbol"),
        (["backtest", "--db", "postgres://h/d", "--symbol", "AB", "--spot-market", "A_SPOT", "--futures-market", "A_FUTURES"], "--symbol 'AB'"),
        (["analyze", "--db", "postgres://h/d", "--symbol", "A/B", "--spot-market", "A_SPOT", "--futures-market", "A_FUTURES",
          "--from", "yesterday"], "--from 'yesterday'"),
        (["optimize", "--db", "postgres://h/d", "--symbol", "A/B", "--spot-market", "A_SPOT", "--futures-market", "A_FUTURES",
          "--from", "2025-10-02T00:00:00Z", "--to", "2025-10-01T00:00:00Z"], "is after --to"),
    ])
    func usageErrorsExit64(_ arguments: [String], _ expected: String) throws {
        try Self.expectUsageError(arguments, expected)
    }

    @Test(arguments: [
        (["db", "import", "q.csv", "--db", "postgres://h/d", "--symbol", "A/B", "--market", "MEXC"], "give --market-type"),
        (["db", "import", "q.csv", "--db", "postgres://h/d", "--symbol", "A/B", "--market", "MEXC_SPOT", "--market-type", "FUTURES"],
         "--market-type FUTURES contradicts --market 'MEXC_SPOT'"),
        (["db", "import", "q.csv", "--db", "postgres://h/d", "--symbol", "AB", "--market", "MEXC_SPOT"], "--symbol 'AB'"),
        (["db", "import", "q.csv", "--symbol", "A/B", "--market", "MEXC_SPOT"], "missing --db URL"),
        (["db", "init"], "missing --db URL"),
        (["db", "init", "--db", "mysql://h/d"], "not a postgres:// URL"),
        (["db", "export", "--symbol", "A/B", "--spot-market", "A_SPOT", "--futures-market", "A_FUTURES", "--out", "x.csv"], "missing --db URL"),
        (["db", "export", "--db", "postgres://h/d", "--symbol", "A/B", "--spot-market", "A_SPOT", "--out", "x.csv"], "--db needs --futures-market"),
    ])
    func dbUsageErrorsExit64(_ arguments: [String], _ expected: String) throws {
        try Self.expectUsageError(arguments, expected)
    }

    static func expectUsageError(_ arguments: [String], _ expected: String) throws {
        let outcome = try CLITests.run(arguments)
        #expect(outcome.status == 64)
        #expect(outcome.stderr.contains(expected), "\(outcome.stderr)")
    }
}

/// `TestDatabase.slice` of the sources' tests, for this target.
enum TestSlice {
    static func slice(_ q: MarketQuotes, from: Int64, to: Int64) -> MarketQuotes {
        var out = MarketQuotes()
        for i in 0..<q.count where q.timestamps[i] >= from && q.timestamps[i] <= to {
            out.append(timestamp: q.timestamps[i], bidPrice: q.bidPrice[i], bidQuantity: q.bidQuantity[i],
                       askPrice: q.askPrice[i], askQuantity: q.askQuantity[i])
        }
        return out
    }
}
