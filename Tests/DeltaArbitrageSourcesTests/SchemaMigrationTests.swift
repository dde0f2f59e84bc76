import DeltaArbitrage
@testable import DeltaArbitrageSources
import Foundation
import Testing

/// `db init` on a store an older version created brings it up to date.
@Suite("Book-ticker store schema", .enabled(if: TestDatabase.enabled, TestDatabase.skipReason))
struct SchemaMigrationTests {
    /// A fresh database holding schema version 1 only (and a few rows), then
    /// `initialize`: the version table says 2, the ordered index replaced the
    /// old one, the rows are still there and read back in order.
    @Test func initializeUpgradesAVersion1Store() async throws {
        let base = try TestDatabase.url()
        let name = "delta_arb_migrate_\(UInt32.random(in: 0..<UInt32.max))"
        try await PostgresStore.withConnection(base) { try $0.query("CREATE DATABASE \(name)") }
        var url = base
        url.database = name
        do {
            try await PostgresStore.withConnection(url) { try $0.query(BookTickerSchema.version1) }
            let quotes = TestDatabase.quotes(count: 50, start: 1_759_276_800_000_000_000, seed: 9, price: 3)
            _ = try await BookTickerStoreWriter.importQuotes(quotes, into: url, symbol: "MIG/USDT", market: "MIG_SPOT")
            _ = try await BookTickerStoreWriter.importQuotes(quotes, into: url, symbol: "MIG/USDT", market: "MIG_FUTURES")

            try await BookTickerStoreWriter.initialize(url)
            let (versions, indexes) = try await PostgresStore.withConnection(url) { connection in
                (try connection.query("SELECT version FROM delta_arb_schema_version ORDER BY version").map { $0[0] },
                 try connection.query("SELECT indexname FROM pg_indexes WHERE tablename = 'book_ticker_snapshots' ORDER BY indexname")
                    .map { $0[0] })
            }
            #expect(versions == ["1", "2"])
            #expect(indexes == ["book_ticker_snapshots_pkey", "book_ticker_snapshots_symbol_order"])
            let merged = try await PostgresBookTickerSource(url: url, symbol: "MIG/USDT", spotMarket: "MIG_SPOT",
                                                            futuresMarket: "MIG_FUTURES").load()
            #expect(Array(merged.data.timestamps) == quotes.timestamps)
        } catch {
            // Best effort: the test's own failure is what matters here.
            _ = try? await PostgresStore.withConnection(base) { try $0.query("DROP DATABASE IF EXISTS \(name)") }
            throw error
        }
        try await PostgresStore.withConnection(base) { try $0.query("DROP DATABASE \(name)") }
    }
}
