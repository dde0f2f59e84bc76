import DeltaArbitrage

/// Best bid and ask of one market.
public struct BookTop: Sendable, Hashable, Codable {
    public var bid: Double
    public var ask: Double
    public var bidQuantity: Double
    public var askQuantity: Double

    public init(bid: Double, ask: Double, bidQuantity: Double = .nan, askQuantity: Double = .nan) {
        self.bid = bid
        self.ask = ask
        self.bidQuantity = bidQuantity
        self.askQuantity = askQuantity
    }
}

/// The two markets of the hedge.
public enum Market: String, Sendable, Hashable, Codable, CaseIterable {
    case spot, futures
}

/// One book-ticker event: new tops for the spot market, the futures market
/// or both, stamped with the exchange time.
///
/// `sequence` orders updates within a feed and identifies them across a
/// restart (a replay uses the CSV row; a live connector the exchange's
/// update id): the strategy skips updates at or below the last sequence it
/// has durably processed.
public struct BookUpdate: Sendable, Hashable {
    public var sequence: Int
    public var timestampNanoseconds: Int64
    public var spot: BookTop?
    public var futures: BookTop?

    public init(sequence: Int, timestampNanoseconds: Int64, spot: BookTop?, futures: BookTop?) {
        self.sequence = sequence
        self.timestampNanoseconds = timestampNanoseconds
        self.spot = spot
        self.futures = futures
    }
}

/// A source of book-ticker updates — a replay of recorded data, or an
/// exchange connector (which can wrap its socket in an
/// `AsyncThrowingStream<BookUpdate, any Error>`). Iteration is pull-based, so
/// a slow consumer slows the source instead of growing a buffer; it ends at
/// the end of the data (never, for a live feed) and throws on a connection
/// failure. Updates arrive in `sequence` order.
public protocol BookTickerFeed: AsyncSequence, Sendable where Element == BookUpdate {}

extension AsyncThrowingStream: BookTickerFeed where Element == BookUpdate {}
