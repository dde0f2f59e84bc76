@testable import DeltaArbitrage
import Foundation
import Testing

/// Exchange capture files: the layouts, compressed storage, several files per market.
@Suite("Per-market files")
struct PerMarketFileTests {
    static let binanceHeader = "update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time\n"
    static let binanceRows = """
        3831603310013,2474.30000000,6.00900000,2474.31000000,44.75700000,1705276800000,1705276800005
        3831603310668,2474.30000000,6.09000000,2474.31000000,44.75700000,1705276800011,1705276800016
        3831603313269,2474.29000000,6.09000000,2474.31000000,44.41200000,1705276800044,1705276800050

        """
    static let binanceQuotes = MarketQuotes(
        timestamps: [1_705_276_800_005_000_000, 1_705_276_800_016_000_000, 1_705_276_800_050_000_000],
        bidPrice: [2474.3, 2474.3, 2474.29], bidQuantity: [6.009, 6.09, 6.09],
        askPrice: [2474.31, 2474.31, 2474.31], askQuantity: [44.757, 44.757, 44.412])

    static let tardisHeader = "exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount\n"

    @Test func binanceBookTickerTakesEventTimeInMilliseconds() throws {
        let loaded = try MarketQuotesCSVReader.read(bytes: Array((Self.binanceHeader + Self.binanceRows).utf8), name: "b.csv")
        #expect(loaded.layout == .binanceBookTicker)
        #expect(loaded.hasHeader)
        #expect(loaded.quotes == Self.binanceQuotes)
        #expect(loaded.reorderedRows == 0 && loaded.oneSidedRows == 0)
    }

    @Test func binanceFilesWithoutAHeaderRowAreRecognisedByTheirShape() throws {
        let loaded = try MarketQuotesCSVReader.read(bytes: Array(Self.binanceRows.utf8), name: "b.csv")
        #expect(loaded.layout == .binanceBookTicker)
        #expect(!loaded.hasHeader)
        #expect(loaded.quotes == Self.binanceQuotes)
        // Line 1 is data, so a bad second row is line 2.
        let bad = Self.binanceRows.replacingOccurrences(of: "1705276800016\n", with: "17052768x0016\n")
        #expect {
            _ = try MarketQuotesCSVReader.read(bytes: Array(bad.utf8), name: "b.csv")
        } throws: { error in
            (error as? MarketDataError)?.description
                == "b.csv:2:7: column 'event_time': '17052768x0016' is not an integer count of epoch milliseconds"
        }
    }

    /// Binance's 2024 files interleave rows: they are put in (event_time, update_id) order and counted.
    @Test func binanceRowsOutOfOrderAreSortedByEventTimeThenUpdateID() throws {
        let text = Self.binanceHeader + """
            12,1.0,1,2,1,0,1705276800016
            10,1.1,1,2,1,0,1705276800005
            14,1.2,1,2,1,0,1705276800016
            13,1.3,1,2,1,0,1705276800016

            """
        let loaded = try MarketQuotesCSVReader.read(bytes: Array(text.utf8))
        #expect(loaded.quotes.bidPrice == [1.1, 1.0, 1.3, 1.2])
        #expect(loaded.quotes.timestamps == [1_705_276_800_005_000_000] + Array(repeating: 1_705_276_800_016_000_000, count: 3))
        #expect(loaded.reorderedRows == 2)
        #expect(loaded.sequenceNumbers == [10, 12, 13, 14])   // the update ids travel with their quotes (db import stores them)
    }

    @Test func tardisQuotesTakeTheExchangeTimestampInMicrosecondsAndLeaveOutOneSidedRows() throws {
        let text = Self.tardisHeader + """
            binance,BTCUSDT,1704067200000123,1704067200001000,1.5,42001.5,42001.4,2.25
            binance,BTCUSDT,1704067200000200,1704067200001100,,,42001.4,2.25
            binance,BTCUSDT,1704067200000100,1704067200001200,0.5,42001.6,42001.5,0

            """
        let loaded = try MarketQuotesCSVReader.read(bytes: Array(text.utf8), name: "t.csv")
        #expect(loaded.layout == .tardisQuotes)
        #expect(loaded.oneSidedRows == 1)
        // Rows come in arrival order; the exchange's time steps back on row 3, so it is sorted first.
        #expect(loaded.reorderedRows == 1)
        #expect(loaded.quotes == MarketQuotes(
            timestamps: [1_704_067_200_000_100_000, 1_704_067_200_000_123_000],
            bidPrice: [42001.5, 42001.4], bidQuantity: [0, 2.25], askPrice: [42001.6, 42001.5], askQuantity: [0.5, 1.5]))
    }

    @Test(arguments: [
        (tardisHeader + "binance,BTCUSDT,1,1,1,2,1,1\nbinance,ETHUSDT,2,2,1,2,1,1\n", MarketDataError.Kind.mixedMarkets,
         "t.csv:3:2: column 'symbol': 'ETHUSDT' differs from the first row's 'BTCUSDT'"),
        (tardisHeader + "binance,BTCUSDT,1,1,1,2,2.5,1\n", .crossedBook, "t.csv:2:7: column 'bid_price': bid 2.5 above ask 2"),
        (tardisHeader + "binance,BTCUSDT,1.5,1,1,2,1,1\n", .invalidTimestamp,
         "t.csv:2:3: column 'timestamp': '1.5' is not an integer count of epoch microseconds"),
        (binanceHeader + "1,0,1,2,1,0,1\n", .nonPositivePrice, "t.csv:2:2: column 'best_bid_price': 0 is not positive"),
        (binanceHeader + "1,1,1,2,1,0,\n", .missingField, "t.csv:2:7: column 'event_time': empty"),
        ("update_id,best_bid_price,best_bid_qty,best_ask_price,transaction_time,event_time\n", .missingColumn,
         "t.csv:1: column 'best_ask_qty': required column missing from the Binance bookTicker header"),
        ("time,bid,ask\n1,2,3\n", .unrecognizedHeader,
         "t.csv:1: header 'time,bid,ask' is none of the one-market layouts; expected one of: one-market CSV (timestamp,bid_price,bid_qty,ask_price,ask_qty); Binance bookTicker (update_id,"),
    ])
    func badRowsNameTheFileLineAndColumn(_ text: String, _ kind: MarketDataError.Kind, _ prefix: String) {
        #expect {
            _ = try MarketQuotesCSVReader.read(bytes: Array(text.utf8), name: "t.csv")
        } throws: { error in
            guard let error = error as? MarketDataError else { return false }
            return error.kind == kind && error.description.hasPrefix(prefix)
        }
    }

    /// Integer epochs of the generic layout take the fused path: each unit, by magnitude, as `TimestampParser` reads it.
    @Test func genericIntegerEpochsKeepTheLoadersUnits() throws {
        let times = ["1759276800", "1759276800000000003", "1759276800000002", "1759276800001", "1759276800.5"]
        let text = "timestamp,bid_price,bid_qty,ask_price,ask_qty\n" + times.map { "\($0),1,1,2,1\n" }.joined()
        let quotes = try MarketQuotesCSVReader.load(text: text)
        #expect(quotes.timestamps == times.map { TimestampParser.parse($0) })
        #expect(quotes.timestamps == [1_759_276_800_000_000_000, 1_759_276_800_000_000_003, 1_759_276_800_000_002_000,
                                      1_759_276_800_001_000_000, 1_759_276_800_500_000_000])
        // 99,999,999,999 s is past 2262: out of the nanosecond range, refused, not wrapped.
        #expect(throws: MarketDataError.self) {
            try MarketQuotesCSVReader.load(text: "timestamp,bid_price,bid_qty,ask_price,ask_qty\n99999999999,1,1,2,1\n")
        }
    }

    /// Enough rows to cross the reader's 1 MiB blocks and many inflate calls.
    static func longGeneric(rows: Int, from start: Int = 0) -> String {
        var text = "timestamp,bid_price,bid_qty,ask_price,ask_qty\n"
        for row in start..<(start + rows) {
            text += "\(1_760_000_000_000 + row),\(100 + Double(row % 997) / 100),\(row % 13),\(101 + Double(row % 997) / 100),0.5\n"
        }
        return text
    }

    @Test func gzipIsStreamedWhateverTheNameAndMultiMemberFilesAreOneText() throws {
        let directory = try CompressedFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = Array(Self.longGeneric(rows: 40_000).utf8)
        let expected = try MarketQuotesCSVReader.read(bytes: text).quotes
        #expect(text.count > 1 << 20)
        let plain = try MarketQuotesCSVReader.read(path: CompressedFixtures.write(text, "plain.csv", in: directory))
        #expect(plain.quotes == expected && plain.compression == .none)
        // Magic, not the name, tells gzip.
        let gz = try MarketQuotesCSVReader.read(path: CompressedFixtures.write(CompressedFixtures.gzip(text), "named.csv", in: directory))
        #expect(gz.compression == .gzip)
        #expect(gz.quotes == expected)
        // `cat a.gz b.gz`: two members, cut inside a line.
        let cut = text.count / 2 + 7
        let twoMembers = CompressedFixtures.gzip(Array(text[..<cut])) + CompressedFixtures.gzip(Array(text[cut...]))
        let multi = try MarketQuotesCSVReader.read(path: CompressedFixtures.write(twoMembers, "two.csv.gz", in: directory))
        #expect(multi.quotes == expected)
    }

    @Test func truncatedOrCorruptGzipIsAnErrorNamingTheFile() throws {
        let directory = try CompressedFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let gz = CompressedFixtures.gzip(Array(Self.longGeneric(rows: 5_000).utf8))
        let truncated = try CompressedFixtures.write(Array(gz[..<(gz.count / 2)]), "cut.csv.gz", in: directory)
        #expect {
            _ = try MarketQuotesCSVReader.read(path: truncated)
        } throws: { error in
            let text = String(describing: error)
            return (error as? MarketDataError)?.kind == .unreadableFile && text.hasPrefix("\(truncated): gzip: ")
                && text.contains("truncated")
        }
        var flipped = gz
        for k in stride(from: 40, to: 400, by: 7) { flipped[k] ^= 0x5A }
        let corrupt = try CompressedFixtures.write(flipped, "bad.csv.gz", in: directory)
        #expect {
            _ = try MarketQuotesCSVReader.read(path: corrupt)
        } throws: { error in
            String(describing: error).hasPrefix("\(corrupt): gzip: ")
        }
        let trailing = try CompressedFixtures.write(gz + [0x00, 0x01, 0x02], "trailing.csv.gz", in: directory)
        #expect {
            _ = try MarketQuotesCSVReader.read(path: trailing)
        } throws: { error in
            String(describing: error).contains("does not start another gzip member")
        }
    }

    @Test(arguments: [true, false])
    func aZipWithOneCSVIsReadStoredOrDeflated(_ deflated: Bool) throws {
        let directory = try CompressedFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = Array(Self.longGeneric(rows: 30_000).utf8)
        let zip = CompressedFixtures.zip([(name: "BTCUSDT-bookTicker-2024-01-15.csv", bytes: text, deflated: deflated)])
        let loaded = try MarketQuotesCSVReader.read(path: CompressedFixtures.write(zip, "b.zip", in: directory))
        #expect(loaded.compression == .zip)
        #expect(loaded.quotes == (try MarketQuotesCSVReader.read(bytes: text).quotes))
    }

    @Test func zipsWithNoneOrSeveralFilesOrBrokenDataAreRefusedByName() throws {
        let directory = try CompressedFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = Array((Self.binanceHeader + Self.binanceRows).utf8)
        func refusal(_ bytes: [UInt8], _ name: String) throws -> String {
            let path = try CompressedFixtures.write(bytes, name, in: directory)
            do {
                _ = try MarketQuotesCSVReader.read(path: path)
                return "read without error"
            } catch {
                #expect(error.kind == .unreadableFile)
                return error.description.replacingOccurrences(of: directory.path + "/", with: "")
            }
        }
        #expect(try refusal(CompressedFixtures.zip([(name: "dir/", bytes: [], deflated: false)]), "none.zip")
            == "none.zip: zip archive: it holds no file; expected exactly one CSV")
        #expect(try refusal(CompressedFixtures.zip([(name: "a.csv", bytes: text, deflated: true),
                                                    (name: "b.csv", bytes: text, deflated: false)]), "two.zip")
            == "two.zip: zip archive: it holds 2 files ('a.csv', 'b.csv'); expected exactly one CSV: extract the one to read")
        let one = CompressedFixtures.zip([(name: "a.csv", bytes: text, deflated: true)])
        #expect(try refusal(Array(one[..<(one.count - 30)]), "cut.zip").hasPrefix("cut.zip: zip archive: no end-of-central-directory record"))
        var corrupt = one
        corrupt[40] ^= 0xFF  // inside the deflated data
        #expect(try refusal(corrupt, "corrupt.zip").hasPrefix("corrupt.zip: zip entry 'a.csv': "))
        var stored = CompressedFixtures.zip([(name: "a.csv", bytes: text, deflated: false)])
        stored[40] ^= 0x01  // a byte of the stored text: only the CRC tells
        #expect(try refusal(stored, "crc.zip") == "crc.zip: zip entry 'a.csv': CRC-32 mismatch: the data is corrupt")
    }

    /// Every single byte of a small gzip and zip damaged in turn: each read
    /// either succeeds or throws a `MarketDataError` naming the file — no trap.
    @Test func damagedArchivesNeverCrash() throws {
        let directory = try CompressedFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = Array((Self.binanceHeader + Self.binanceRows).utf8)
        for (name, archive) in [("d.zip", CompressedFixtures.zip([(name: "a.csv", bytes: text, deflated: true)])),
                                ("s.zip", CompressedFixtures.zip([(name: "a.csv", bytes: text, deflated: false)])),
                                ("d.gz", CompressedFixtures.gzip(text))] {
            for position in archive.indices {
                var damaged = archive
                damaged[position] ^= 0xFF
                let path = try CompressedFixtures.write(damaged, name, in: directory)
                do {
                    _ = try MarketQuotesCSVReader.read(path: path)
                } catch {
                    #expect(error.description.hasPrefix(path + ":"), "\(name) byte \(position): \(error)")
                }
            }
        }
    }

    @Test func severalFilesAreJoinedInTimeOrderAndMustNotOverlap() throws {
        let directory = try CompressedFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = Self.longGeneric(rows: 100), second = Self.longGeneric(rows: 100, from: 99)
        let a = try CompressedFixtures.write(Array(first.utf8), "day1.csv", in: directory)
        let b = try CompressedFixtures.write(CompressedFixtures.gzip(Array(second.utf8)), "day2.csv.gz", in: directory)
        // Given in reverse, read in time order; the shared boundary instant (row 99) is kept from both.
        let (quotes, files) = try MarketQuotesFiles.read(paths: [b, a])
        #expect(files.map(\.path) == [a, b])
        #expect(files.map(\.compression) == [.none, .gzip])
        #expect(quotes.count == 200)
        #expect(quotes.timestamps[99] == quotes.timestamps[100])
        #expect(quotes.bidPrice == (try MarketQuotesCSVReader.load(text: first)).bidPrice + (try MarketQuotesCSVReader.load(text: second)).bidPrice)

        let overlapping = try CompressedFixtures.write(Array(Self.longGeneric(rows: 10, from: 50).utf8), "late.csv", in: directory)
        #expect {
            _ = try MarketQuotesFiles.read(paths: [a, overlapping])
        } throws: { error in
            guard let error = error as? MarketDataError else { return false }
            return error.kind == .timeRangesConflict
                && error.description == "\(overlapping): overlaps \(a): its first quote (2025-10-09T08:53:20.050Z) is earlier than the last quote of \(a) (2025-10-09T08:53:20.099Z); give each stretch of time once"
        }
    }
}
