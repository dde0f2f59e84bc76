import DeltaArbitrage
import DeltaArbitrageSources
import Foundation
import Testing

/// The throwaway server scripts/with-postgres.sh starts (scripts/test.sh,
/// and so CI, always run the tests under it).
enum TestDatabase {
    static let urlText = ProcessInfo.processInfo.environment["DELTA_ARB_TEST_DB"]
    /// Tests that need the server run when it is up, and in CI always (where
    /// a missing server then fails them instead of skipping them).
    static let enabled = urlText != nil || ProcessInfo.processInfo.environment["CI"] != nil
    static let skipReason: Comment = "no test server: DELTA_ARB_TEST_DB is not set (run scripts/with-postgres.sh swift test, or scripts/test.sh)"

    static func url() throws -> PostgresURL {
        guard let urlText else {
            Issue.record("CI is set but DELTA_ARB_TEST_DB is not: the database tests must run in CI (scripts/test.sh starts the server)")
            throw CancellationError()
        }
        return try PostgresURL(urlText)
    }

    static func initialized() async throws -> PostgresURL {
        let url = try url()
        try await BookTickerStoreWriter.initialize(url)
        return url
    }

    /// A symbol no other test uses.
    static func uniqueSymbol() -> String { "T\(UInt32.random(in: 0..<UInt32.max))/USDT" }

    /// Irregular µs timestamps from `start`, prices on an 1e-8 grid, bid < ask.
    static func quotes(count: Int, start: Int64, seed: UInt64, price: Double) -> MarketQuotes {
        var state = seed
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        var quotes = MarketQuotes()
        var t = start
        var p = Int64(price * 1e8)
        for _ in 0..<count {
            t += Int64(1 + next() % 3_000) * 1_000_000 + Int64(next() % 1000) * 1000
            p += Int64(next() % 2001) - 1000
            let spread = Int64(1 + next() % 500)
            quotes.append(timestamp: t, bidPrice: Double(p) / 1e8, bidQuantity: Double(next() % 100_000) / 1e3,
                          askPrice: Double(p + spread) / 1e8, askQuantity: Double(next() % 100_000) / 1e3)
        }
        return quotes
    }

    /// The quotes with `from <= t <= to`.
    static func slice(_ q: MarketQuotes, from: Int64, to: Int64) -> MarketQuotes {
        var out = MarketQuotes()
        for i in 0..<q.count where q.timestamps[i] >= from && q.timestamps[i] <= to {
            out.append(timestamp: q.timestamps[i], bidPrice: q.bidPrice[i], bidQuantity: q.bidQuantity[i],
                       askPrice: q.askPrice[i], askQuantity: q.askQuantity[i])
        }
        return out
    }
}
