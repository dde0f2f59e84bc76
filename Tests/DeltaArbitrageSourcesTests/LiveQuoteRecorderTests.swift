import DeltaArbitrage
import Foundation
import Testing
@testable import DeltaArbitrageSources

@Suite("Live quote recorder")
struct LiveQuoteRecorderTests {
    let start: Int64 = 1_718_000_000_000_000_000

    private func record(_ quotes: MarketQuotes, into recorder: LiveQuoteRecorder, range: Range<Int>) {
        for i in range {
            recorder.record(timestampNanoseconds: quotes.timestamps[i], bidPrice: quotes.bidPrice[i],
                            bidQuantity: quotes.bidQuantity[i], askPrice: quotes.askPrice[i],
                            askQuantity: quotes.askQuantity[i])
        }
    }

    @Test(.enabled(if: TestDatabase.enabled, TestDatabase.skipReason))
    func recordedBatchesReadBackAsTheQuotesThemselves() async throws {
        let url = try await TestDatabase.initialized()
        let symbol = TestDatabase.uniqueSymbol()
        let spot = TestDatabase.quotes(count: 500, start: start, seed: 11, price: 100)
        let futures = TestDatabase.quotes(count: 400, start: start + 1_000_000_000, seed: 12, price: 100.5)
        let spotRecorder = try LiveQuoteRecorder(url: url, symbol: symbol, market: "TESTR_SPOT")
        let futuresRecorder = try LiveQuoteRecorder(url: url, symbol: symbol, market: "TESTR_FUTURES")
        // Three batches, one of them handed over out of time order.
        record(spot, into: spotRecorder, range: 0..<200)
        #expect(try await spotRecorder.flush().inserted == 200)
        record(spot, into: spotRecorder, range: 300..<500)
        record(spot, into: spotRecorder, range: 200..<300)
        #expect(spotRecorder.statistics.pending == 300)
        #expect(try await spotRecorder.flush().inserted == 300)
        record(futures, into: futuresRecorder, range: 0..<400)
        try await futuresRecorder.flush()
        // The same quotes again are already stored: skipped, not duplicated.
        record(spot, into: spotRecorder, range: 0..<10)
        #expect(try await spotRecorder.flush() == .init(inserted: 0, skipped: 10))

        let stats = spotRecorder.statistics
        #expect(stats.received == 510 && stats.inserted == 500 && stats.skipped == 10)
        #expect(stats.pending == 0 && stats.failedWrites == 0 && stats.dropped == 0 && stats.lastError == nil)

        let merged = try await PostgresBookTickerSource(url: url, symbol: symbol, spotMarket: "TESTR_SPOT",
                                                        futuresMarket: "TESTR_FUTURES").load()
        let expected = try TwoMarketMerge.merge(spot: spot, futures: futures)
        #expect(merged.data == expected.data)
    }

    @Test func aFailedWriteKeepsTheQuotesAndCountsTheFailure() async throws {
        // Port 1 on loopback: nothing listens, the connection is refused.
        let url = try PostgresURL("postgresql://nobody@127.0.0.1:1/none")
        let recorder = try LiveQuoteRecorder(url: url, symbol: "BTC/USDT", market: "GATEIO_SPOT", maximumPending: 250)
        let quotes = TestDatabase.quotes(count: 300, start: start, seed: 13, price: 10)
        record(quotes, into: recorder, range: 0..<200)
        await #expect(throws: BookTickerStoreError.self) { try await recorder.flush() }
        var stats = recorder.statistics
        #expect(stats.pending == 200 && stats.failedWrites == 1 && stats.dropped == 0)
        #expect(stats.lastError?.contains("127.0.0.1:1") == true)
        // Beyond the bound the oldest are dropped and counted.
        record(quotes, into: recorder, range: 200..<300)
        stats = recorder.statistics
        #expect(stats.pending == 250 && stats.dropped == 50 && stats.received == 300)
    }

    /// Over the bound, the pending quotes are the newest `maximumPending`, exactly (through several
    /// compactions of the dropped front): a flush writes those and nothing older.
    @Test(.enabled(if: TestDatabase.enabled, TestDatabase.skipReason))
    func overTheBoundTheNewestQuotesAreWritten() async throws {
        let url = try await TestDatabase.initialized()
        let symbol = TestDatabase.uniqueSymbol()
        let quotes = TestDatabase.quotes(count: 1_000, start: start, seed: 14, price: 50)
        let recorder = try LiveQuoteRecorder(url: url, symbol: symbol, market: "TESTB_SPOT", maximumPending: 96)
        for end in stride(from: 100, through: 1_000, by: 100) {
            record(quotes, into: recorder, range: (end - 100)..<end)
            #expect(recorder.statistics.pending == 96 && recorder.statistics.dropped == end - 96)
        }
        #expect(try await recorder.flush().inserted == 96)
        let futures = TestDatabase.quotes(count: 1, start: start, seed: 15, price: 50.5)
        let other = try LiveQuoteRecorder(url: url, symbol: symbol, market: "TESTB_FUTURES")
        record(futures, into: other, range: 0..<1)
        try await other.flush()
        let merged = try await PostgresBookTickerSource(url: url, symbol: symbol, spotMarket: "TESTB_SPOT",
                                                        futuresMarket: "TESTB_FUTURES").load()
        // The futures quote is at the start: every stored spot quote makes one row, in time order.
        #expect(merged.data.count == 96)
        #expect(Array(merged.data.spotBidPrice) == Array(quotes.bidPrice[904...]))
    }

    @Test func unstorableQuotesAreSkippedAndBadSettingsRefused() throws {
        let url = try PostgresURL("postgresql://nobody@127.0.0.1:1/none")
        let recorder = try LiveQuoteRecorder(url: url, symbol: "BTC/USDT", market: "BINANCE_FUTURES")
        recorder.record(timestampNanoseconds: start, bidPrice: .nan, bidQuantity: 1, askPrice: 2, askQuantity: 1)
        recorder.record(timestampNanoseconds: start, bidPrice: 1, bidQuantity: .infinity, askPrice: 2, askQuantity: 1)
        #expect(recorder.statistics.skipped == 2 && recorder.statistics.pending == 0)
        #expect(throws: BookTickerStoreError.self) { try LiveQuoteRecorder(url: url, symbol: "BTCUSDT", market: "GATEIO_SPOT") }
        #expect(throws: BookTickerStoreError.self) { try LiveQuoteRecorder(url: url, symbol: "BTC/USDT", market: "GATEIO") }
        #expect(throws: BookTickerStoreError.self) {
            try LiveQuoteRecorder(url: url, symbol: "BTC/USDT", market: "GATEIO_SPOT", flushInterval: .zero)
        }
    }
}
