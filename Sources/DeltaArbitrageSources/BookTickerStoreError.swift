/// A failure of the book-ticker store, as one line naming the source
/// (`host:port/db`), and where it applies the symbol, the market and the
/// row's timestamp: `127.0.0.1:5432/market HIFI/USDT MEXC_SPOT 2025-10-01T00:00:01Z: bid 1.2 above ask 1.1`.
public struct BookTickerStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server and database (`host:port/db`), or what the error is about when there is none yet.
    public var source: String
    /// `BASE/QUOTE`, when the error concerns one symbol.
    public var symbol: String?
    /// The market's enum value (`MEXC_SPOT`), when the error concerns one market.
    public var market: String?
    /// The offending row's time (ISO 8601), when the error concerns one row.
    public var timestamp: String?
    /// What is wrong.
    public var detail: String

    public init(source: String, symbol: String? = nil, market: String? = nil, timestamp: String? = nil, detail: String) {
        self.source = source
        self.symbol = symbol
        self.market = market
        self.timestamp = timestamp
        self.detail = detail
    }

    public var description: String {
        [source, symbol, market, timestamp].compactMap { $0 }.joined(separator: " ") + ": " + detail
    }
}
