import Foundation
import Testing
@testable import DeltaArbitrage

#if canImport(Glibc)
import Glibc
#endif

/// The loader's pieces (parsed by several threads, checked and appended in
/// turn) and its word-wise ISO time path change speed, never results.
@Suite struct CSVPieceTests {
    /// `TimestampParser.cachedDateISO` on the cached date gives what
    /// `TimestampParser.parse` gives for the field, or nil; and it does take
    /// the forms writers produce.
    @Test func cachedDateISOMatchesTheParser() {
        let dates = ["2025-01-01", "2024-02-29", "1970-01-01", "2262-04-11", "1677-09-21"]
        let separators = ["T", "t", " ", "_"]
        let clocks = ["00:00:00", "23:59:59", "12:34:56", "24:00:00", "23:60:00", "23:59:60", "1:00:00x", "12-34-56",
                      "12:34:5a", "12:3:456"]
        let fractions = ["", ".", ".1", ",5", ".123", ".123456", ".1234567", ".12345678", ".123456789", ".1234567891",
                         ".12a", ".00000000"]
        let zones = ["", "Z", "z", "+01:00", "-0530", "+02", " "]
        var taken = 0
        for date in dates {
            var cache = TimestampParser.DateCache()
            _ = Array(date.utf8).withUnsafeBufferPointer { TimestampParser.parse($0.baseAddress!, count: 10, cache: &cache) }
            #expect(cache.valid)
            for separator in separators {
                for clock in clocks {
                    for fraction in fractions {
                        for zone in zones {
                            let field = date + separator + clock + fraction + zone
                            let bytes = Array((field + ",1.5\n").utf8) + [UInt8](repeating: 0x20, count: 32)
                            let expected = TimestampParser.parse(field)
                            guard let fast = bytes.withUnsafeBufferPointer({
                                TimestampParser.cachedDateISO($0.baseAddress!, cache: cache)
                            }) else {
                                let common = ["T", "t", " "].contains(separator) && ["", "Z", "z"].contains(zone)
                                    && fraction.count != 1 && fraction.count <= 10 && !fraction.contains("a")
                                #expect(expected == nil || !common, "\(field) not taken")
                                continue
                            }
                            // The loader accepts the field only when it ends where the fast path stopped.
                            guard bytes[fast.length] == UInt8(ascii: ",") else { continue }
                            #expect(fast.length == field.utf8.count, "\(field)")
                            #expect(fast.nanoseconds == expected, "\(field)")
                            taken += 1
                        }
                    }
                }
            }
        }
        #expect(taken > 500)
    }

    /// Messy text (blank and bad lines, empty fields carried forward, a
    /// far-future typo, a crossed book, CRLF) loads the same, bit for bit and
    /// error for error, whatever the pieces and threads, in memory and from a file.
    @Test func piecesInTurnGiveWhatOneChunkGives() throws {
        var text = "timestamp,spot_ask_price,spot_bid_price,fut_ask_price,fut_bid_price,spot_ask_quantity\n"
        var state: UInt64 = 7
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        let t0: Int64 = 1_760_249_820_000
        for i in 0..<3_000 {
            let t = t0 + Int64(i) * 100
            let bid = 100 + Double(next() % 10_000) / 100
            switch i {
            case _ where i % 101 == 50: text += "\n"
            case _ where i % 211 == 7: text += "\(t),\(bid + 0.5),x\(bid),\(bid + 1.5),\(bid + 1),1\n"
            case _ where i % 37 == 3: text += "\(t),,,\(bid + 1.5),,\n"
            case 1_500: text += "\(t + 10_000_000),\(bid + 0.5),\(bid),\(bid + 1.5),\(bid + 1),2\n"
            case 2_000: text += "\(t),\(bid),\(bid + 0.5),\(bid + 1.5),\(bid + 1),3\r\n"
            default: text += "\(t),\(bid + 0.5),\(bid),\(bid + 1.5),\(bid + 1),\(next() % 100).\(next() % 1_000)\n"
            }
        }
        let path = "/tmp/delta-arb-pieces-\(getpid())-\(UInt64.random(in: 0..<UInt64.max))"
        defer { unlink(path) }
        try text.write(toFile: path, atomically: false, encoding: .utf8)

        var reference = MarketDataCSVLoader(options: MarketDataCSVOptions(skipBadRows: true, parallel: false))
        reference.pieceBytes = 1 << 30
        let expected = try reference.load(text: text, name: path)
        #expect(expected.rowsSkipped > 10 && expected.blankLines > 10)
        reference.options.skipBadRows = false
        let strictReference = captureError { () throws(MarketDataError) in try reference.load(text: text, name: path) }
        #expect(strictReference != nil)

        for (parallel, chunks, piece, block) in [(false, 1, 1_000, 1 << 30), (true, 2, 1, 1 << 30), (true, 2, 997, 1 << 30),
                                                 (true, 3, 4_096, 20_000), (true, 2, 100, 5_000)] {
            var loader = MarketDataCSVLoader(options: MarketDataCSVOptions(skipBadRows: true, parallel: parallel))
            loader.minimumChunkBytes = 1
            loader.maximumChunks = chunks
            loader.pieceBytes = piece
            loader.blockBytes = block
            for result in [try loader.load(text: text, name: path), try loader.load(path: path)] {
                let label = "parallel \(parallel), \(chunks) threads, pieces of \(piece), blocks of \(block)"
                for (a, b) in zip(Self.columns(result.data), Self.columns(expected.data)) {
                    #expect(a == b, "\(label)")
                }
                #expect(result.rowsSkipped == expected.rowsSkipped && result.skippedByKind == expected.skippedByKind, "\(label)")
                #expect(result.leadingRowsDropped == expected.leadingRowsDropped && result.blankLines == expected.blankLines)
                #expect(result.firstErrors.map(\.description) == expected.firstErrors.map(\.description), "\(label)")
            }
            loader.options.skipBadRows = false
            let strictLoader = loader
            let strict = captureError { () throws(MarketDataError) in try strictLoader.load(path: path) }
            #expect(strict?.description == strictReference?.description)
        }
    }

    /// Every column as bit patterns (NaN compares equal to itself).
    private static func columns(_ data: MarketData) -> [[UInt64]] {
        [data.timestamps.map { UInt64(bitPattern: $0) }] + [
            data.spotAskPrice, data.spotBidPrice, data.futAskPrice, data.futBidPrice,
            data.spotAskQuantity, data.spotBidQuantity, data.futAskQuantity, data.futBidQuantity,
        ].map { $0.map(\.bitPattern) }
    }
}

private func captureError(_ body: () throws(MarketDataError) -> MarketDataCSVLoadResult) -> MarketDataError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}
