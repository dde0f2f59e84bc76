import DeltaArbitrage
import DeltaArbitrageSources
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
            let fromCSV = try CLITests.run(command + [csv, "--json"])
            let fromDB = try CLITests.run(command + source + ["--json"])
            #expect(fromCSV.status == 0, "\(fromCSV.stderr)")
            #expect(fromDB.status == 0, "\(fromDB.stderr)")
            #expect(fromDB.stdout == fromCSV.stdout)
            #expect(fromDB.stderr.contains("merged rows"))
        }
    }

    @Test func databaseErrorsAreOneLineWithExitStatusOne() async throws {
        let text = try Self.url()
        let outcome = try CLITests.run(["backtest", "--db", text, "--symbol", "NONE/USDT", "--spot-market", "NOPE_SPOT",
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
        let outcome = try CLITests.run(arguments)
        #expect(outcome.status == 64)
        #expect(outcome.stderr.contains(expected), "\(outcome.stderr)")
    }
}
