import DeltaArbitrage
import Foundation

/// Running work against the store: each piece of work gets its own
/// connection on its own thread, so that libpq's blocking calls never hold
/// one of Swift concurrency's few cooperative threads.
public enum PostgresStore {
    /// Opens a connection to `url` on a new thread, runs `body` with it there
    /// and closes it, also when `body` throws. The two markets of a read run
    /// as two of these at once.
    ///
    /// - Throws: `BookTickerStoreError` naming the source (never the password).
    @discardableResult
    static func withConnection<T: Sendable>(_ url: PostgresURL,
                                            _ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do {
                    let connection = try PostgresConnection(url)
                    let result = try body(connection)
                    continuation.resume(returning: result)
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = "delta-arb.postgres"
            thread.start()
        }
    }

    /// Runs `body`, adding the symbol and market to a `BookTickerStoreError`
    /// that does not name them yet.
    @discardableResult
    static func run<T>(symbol: String?, market: String?, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch var error as BookTickerStoreError {
            if error.symbol == nil { error.symbol = symbol }
            if error.market == nil { error.market = market }
            throw error
        }
    }
}
