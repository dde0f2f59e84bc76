@testable import DeltaArbitrage
import Foundation
import Testing

/// The one-market CSV reader `delta-arb db import` uses.
@Suite("MarketQuotesCSVReader")
struct MarketQuotesCSVReaderTests {
    @Test func readsHeadersInAnyCaseAndOrderWithTheLoadersTimestampForms() throws {
        let text = "\u{FEFF}Ask_Qty, \"BID_PRICE\",note,timestamp,ask_price,bid_quantity\r\n"
            + "3,1.25,x,2025-10-01T00:00:00Z,1.5,2\r\n"
            + "\r\n"
            + "4.5,1.26,y,1759276801000,1.51,0\n"
            + "5,1.27,z,2025-10-01T02:00:01.5+02:00,1.52,1e-3\n"
        let quotes = try MarketQuotesCSVReader.load(text: text, name: "q.csv")
        let start: Int64 = 1_759_276_800_000_000_000
        #expect(quotes == MarketQuotes(timestamps: [start, start + 1_000_000_000, start + 1_500_000_000],
                                       bidPrice: [1.25, 1.26, 1.27], bidQuantity: [2, 0, 0.001],
                                       askPrice: [1.5, 1.51, 1.52], askQuantity: [3, 4.5, 5]))
    }

    @Test func keepsEqualTimestampsInFileOrder() throws {
        let text = "timestamp,bid_price,bid_qty,ask_price,ask_qty\n1,1,1,2,1\n1,1.5,1,2,1\n"
        #expect(try MarketQuotesCSVReader.load(text: text).bidPrice == [1, 1.5])
    }

    @Test(arguments: [
        ("timestamp,bid_price,bid_qty,ask_price\n", MarketDataError.Kind.missingColumn, "q.csv:1: column 'ask_qty': required column missing"),
        ("timestamp,bid_price,bid_qty,ask_price,ask_qty,BID_PRICE\n", .duplicateColumn, "q.csv:1:6: column 'bid_price': named again (first at field 2)"),
        ("timestamp;bid_price;bid_qty;ask_price;ask_qty\n", .unrecognizedHeader, "q.csv:1: not a CSV header"),
        ("timestamp,bid_price,bid_qty,ask_price,ask_qty\n1,1,1,2,1\n2,1.1,1,1.05,1\n", .crossedBook, "q.csv:3:2: column 'bid_price': bid 1.1 above ask 1.05"),
        ("timestamp,bid_price,bid_qty,ask_price,ask_qty\n1,0,1,2,1\n", .nonPositivePrice, "q.csv:2:2: column 'bid_price': 0 is not positive"),
        ("timestamp,bid_price,bid_qty,ask_price,ask_qty\n1,1,-1,2,1\n", .negativeQuantity, "q.csv:2:3: column 'bid_qty': -1 is negative"),
        ("timestamp,bid_price,bid_qty,ask_price,ask_qty\n1,1,1,nan,1\n", .invalidNumber, "q.csv:2:4: column 'ask_price': 'nan' is not a decimal number"),
        ("timestamp,bid_price,bid_qty,ask_price,ask_qty\nyesterday,1,1,2,1\n", .invalidTimestamp, "q.csv:2:1: column 'timestamp': 'yesterday'"),
        ("timestamp,bid_price,bid_qty,ask_price,ask_qty\n2,1,1,2,1\n1,1,1,2,1\n", .timeWentBackwards, "q.csv:3:1: column 'timestamp': 1970-01-01T00:00:01.000Z is earlier"),
        ("timestamp,bid_price,bid_qty,ask_price,ask_qty\n1,1,1,2\n", .missingField, "q.csv:2: 4 fields, the header names 5"),
        ("timestamp,bid_price,bid_qty,ask_price,ask_qty\n1,1,1,2,1,9\n", .extraField, "q.csv:2: 6 fields, the header names 5"),
        ("timestamp,bid_price,bid_qty,ask_price,ask_qty\n1,1,,2,1\n", .missingField, "q.csv:2:3: column 'bid_qty': empty"),
        ("", .emptyInput, "q.csv: no header row"),
    ])
    func badInputNamesTheLineAndColumn(_ text: String, _ kind: MarketDataError.Kind, _ prefix: String) {
        #expect {
            _ = try MarketQuotesCSVReader.load(text: text, name: "q.csv")
        } throws: { error in
            guard let error = error as? MarketDataError else { return false }
            return error.kind == kind && error.description.hasPrefix(prefix)
        }
    }

    @Test func aMissingFileIsUnreadableWithTheSystemsReason() {
        #expect {
            _ = try MarketQuotesCSVReader.load(path: "/nonexistent/q.csv")
        } throws: { error in
            (error as? MarketDataError)?.description == "/nonexistent/q.csv: cannot open: No such file or directory"
        }
    }
}
