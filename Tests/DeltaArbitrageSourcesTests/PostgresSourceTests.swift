import DeltaArbitrage
import DeltaArbitrageSources
import Foundation
import Testing

/// `PostgresBookTickerSource` against a real server, with distractor rows.
@Suite("PostgreSQL book-ticker source", .enabled(if: TestDatabase.enabled, TestDatabase.skipReason))
struct PostgresSourceTests {
    let start: Int64 = 1_759_276_800_000_000_000  // 2025-10-01T00:00:00Z

    @Test func readsBothMarketsInRangeAndMergesThem() async throws {
        let url = try await TestDatabase.initialized()
        let symbol = TestDatabase.uniqueSymbol()
        let spot = TestDatabase.quotes(count: 800, start: start, seed: 1, price: 12345.67891234)
        let futures = TestDatabase.quotes(count: 700, start: start + 5_000_000_000, seed: 2, price: 12350.1)
        #expect(try await BookTickerStoreWriter.importQuotes(spot, into: url, symbol: symbol, market: "TESTX_SPOT").inserted == 800)
        _ = try await BookTickerStoreWriter.importQuotes(futures, into: url, symbol: symbol, market: "TESTX_FUTURES")
        // Distractors: the same symbol on other exchanges, another symbol on the same ones.
        _ = try await BookTickerStoreWriter.importQuotes(TestDatabase.quotes(count: 300, start: start, seed: 3, price: 1),
                                                         into: url, symbol: symbol, market: "TESTY_SPOT")
        _ = try await BookTickerStoreWriter.importQuotes(TestDatabase.quotes(count: 300, start: start, seed: 4, price: 2),
                                                         into: url, symbol: "OTHER/USDT", market: "TESTX_FUTURES")

        let from = spot.timestamps[100], to = futures.timestamps[500]  // rows outside on both sides
        let source = PostgresBookTickerSource(url: url, symbol: symbol, spotMarket: "TESTX_SPOT",
                                              futuresMarket: "TESTX_FUTURES", from: from, to: to)
        let merged = try await source.load()
        let expected = try TwoMarketMerge.merge(spot: TestDatabase.slice(spot, from: from, to: to),
                                                futures: TestDatabase.slice(futures, from: from, to: to))
        #expect(merged.data == expected.data)
        #expect(merged.spotQuotes == expected.spotQuotes && merged.futuresQuotes == expected.futuresQuotes)
        #expect(merged.data.timestamps.first! >= from && merged.data.timestamps.last! == to)

        let again = try await BookTickerStoreWriter.importQuotes(spot, into: url, symbol: symbol, market: "TESTX_SPOT")
        #expect(again == .init(inserted: 0, skipped: 800))
    }

    @Test func errorsNameTheSourceSymbolAndMarket() async throws {
        let url = try await TestDatabase.initialized()
        let symbol = TestDatabase.uniqueSymbol()
        var spot = TestDatabase.quotes(count: 20, start: start, seed: 5, price: 10)
        let futures = TestDatabase.quotes(count: 20, start: start, seed: 6, price: 10)
        spot.bidPrice[7] = spot.askPrice[7] + 0.5   // crossed book
        _ = try await BookTickerStoreWriter.importQuotes(spot, into: url, symbol: symbol, market: "TESTE_SPOT")
        _ = try await BookTickerStoreWriter.importQuotes(futures, into: url, symbol: symbol, market: "TESTE_FUTURES")

        func failure(_ source: PostgresBookTickerSource) async -> String {
            do { _ = try await source.load(); return "no error" } catch { return String(describing: error) }
        }
        let base = PostgresBookTickerSource(url: url, symbol: symbol, spotMarket: "TESTE_SPOT", futuresMarket: "TESTE_FUTURES")
        let crossed = await failure(base)
        #expect(crossed.contains(url.description) && crossed.contains(symbol) && crossed.contains("TESTE_SPOT")
                && crossed.contains(UTCTime.iso8601(nanoseconds: spot.timestamps[7])) && crossed.contains("above ask"))

        var skipping = base
        skipping.skipBadRows = true
        #expect(try await skipping.loadWithDetails().spot.skippedRows == 1)

        var unknownMarket = skipping  // the spot read would fail on its crossed row first
        unknownMarket.futuresMarket = "NOPE_FUTURES"
        #expect(await failure(unknownMarket).contains("NOPE_FUTURES: no such market"))
        var wrongType = skipping
        wrongType.futuresMarket = "TESTE_SPOT"
        #expect(await failure(wrongType).contains("expected FUTURES"))
        var unknownSymbol = base
        unknownSymbol.symbol = "NOPE/USDT"
        #expect(await failure(unknownSymbol).contains("NOPE/USDT TESTE_SPOT: no such symbol"))
        var emptyRange = base
        emptyRange.from = start - 10_000_000_000
        emptyRange.to = start - 5_000_000_000
        #expect(await failure(emptyRange).contains("no quotes in ["))

        var wrongPassword = url
        wrongPassword.password = "not-the-password"
        let auth = await failure(PostgresBookTickerSource(url: wrongPassword, symbol: symbol, spotMarket: "TESTE_SPOT", futuresMarket: "TESTE_FUTURES"))
        #expect(auth.contains(url.description) && auth.contains("password authentication failed"))

        var noTables = url
        noTables.database = "postgres"
        #expect(await failure(PostgresBookTickerSource(url: noTables, symbol: symbol, spotMarket: "TESTE_SPOT", futuresMarket: "TESTE_FUTURES"))
            .contains("relation \"exchanges\" does not exist"))

        var down = url
        down.port = 1
        let refused = await failure(PostgresBookTickerSource(url: down, symbol: symbol, spotMarket: "TESTE_SPOT", futuresMarket: "TESTE_FUTURES"))
        #expect(refused.contains("\(url.host):1/") && refused.contains("cannot connect"))
    }
}
