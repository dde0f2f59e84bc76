@testable import DeltaArbitrage
import Testing

/// `skipBadRows` in the one-market reader: bad rows left out and counted,
/// the good ones exactly as a clean file gives them; file-level problems still stop it.
@Suite("One-market reader: skipping bad rows")
struct MarketQuotesSkipTests {
    static let good = [
        "2025-01-01T00:00:00Z,100,1,101,2",
        "2025-01-01T00:00:01Z,100.5,1,101,2",
        "2025-01-01T00:00:02Z,100.25,0,100.75,3",
        "2025-01-01T00:00:03Z,99,4,99.5,5",
    ]
    static let header = "timestamp,bid_price,bid_qty,ask_price,ask_qty"

    @Test func badRowsAreLeftOutAndCountedByKind() throws {
        let bad = [
            "2025-01-01T00:00:00.5Z,abc,1,101,2",        // invalidNumber
            "2025-01-01T00:00:01.5Z,0,1,101,2",          // nonPositivePrice
            "2025-01-01T00:00:01.6Z,102,1,101,2",        // crossedBook
            "2025-01-01T00:00:01.7Z,100,-1,101,2",       // negativeQuantity
            "2025-01-01T00:00:02.5Z,100,1,101",          // missingField
            "not-a-time,100,1,101,2",                    // invalidTimestamp
        ]
        let lines = [Self.header, Self.good[0], bad[0], Self.good[1], bad[1], bad[2], bad[3], Self.good[2], bad[4], bad[5], Self.good[3]]
        let loaded = try MarketQuotesCSVReader.read(bytes: Array(lines.joined(separator: "\n").utf8), name: "s.csv", skipBadRows: true)
        let clean = try MarketQuotesCSVReader.read(bytes: Array(([Self.header] + Self.good).joined(separator: "\n").utf8))
        #expect(loaded.quotes == clean.quotes)
        #expect(loaded.skippedRows == 6)
        #expect(loaded.skippedByKind == [.invalidNumber: 1, .nonPositivePrice: 1, .crossedBook: 1, .negativeQuantity: 1,
                                         .missingField: 1, .invalidTimestamp: 1])
        #expect(loaded.firstSkipped.count == 5)
        #expect(loaded.firstSkipped.first?.description.hasPrefix("s.csv:3:") == true)   // line 3, the first bad row

        // Without the flag the first bad row stops the read, naming it.
        #expect(throws: MarketDataError.self) {
            _ = try MarketQuotesCSVReader.read(bytes: Array(lines.joined(separator: "\n").utf8), name: "s.csv")
        }
    }

    @Test func fileLevelProblemsStillStopTheRead() {
        let backwards = [Self.header, Self.good[1], Self.good[0]].joined(separator: "\n")
        #expect { _ = try MarketQuotesCSVReader.read(bytes: Array(backwards.utf8), skipBadRows: true) } throws: { error in
            (error as? MarketDataError)?.kind == .timeWentBackwards
        }
        let mixed = """
            exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount
            binance,BTCUSDT,1709251200000123,1709251200001042,1.205,61149.99,61149.98,3.818
            binance,ETHUSDT,1709251200004511,1709251200005390,1.112,3150.00,3149.99,0.402
            """
        #expect { _ = try MarketQuotesCSVReader.read(bytes: Array(mixed.utf8), skipBadRows: true) } throws: { error in
            (error as? MarketDataError)?.kind == .mixedMarkets
        }
    }
}
