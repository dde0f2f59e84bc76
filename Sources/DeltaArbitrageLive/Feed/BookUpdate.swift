import DeltaArbitrage

/// Best bid and ask of one market.
public struct BookTop: Sendable, Hashable, Codable {
    /// Best bid price, quote currency.
    public var bid: Double
    /// Best ask price, quote currency.
    public var ask: Double
    /// Quantity at the best bid, base units; NaN when unknown.
    public var bidQuantity: Double
    /// Quantity at the best ask, base units; NaN when unknown.
    public var askQuantity: Double

    /// A top; quantities default to NaN (unknown).
    public init(bid: Double, ask: Double, bidQuantity: Double = .nan, askQuantity: Double = .nan) {
        self.bid = bid
        self.ask = ask
        self.bidQuantity = bidQuantity
        self.askQuantity = askQuantity
    }
}

/// The two markets of the hedge.
public enum Market: String, Sendable, Hashable, Codable, CaseIterable {
    /// `spot`: the long leg's market; `futures`: the short leg's market.
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
    /// Position in the feed, increasing: the CSV row in a replay, the exchange's
    /// update id live.
    public var sequence: Int
    /// Exchange time, nanoseconds since the Unix epoch.
    public var timestampNanoseconds: Int64
    /// New spot top; nil when the update carries none (the last one stands).
    public var spot: BookTop?
    /// New futures top; nil when the update carries none (the last one stands).
    public var futures: BookTop?
    /// When the message that made this update was read off the socket, on the
    /// monotonic clock: tick-to-decision latency is `ContinuousClock.now - receivedAt`.
    /// Nil for a replay. Not part of equality or hashing: it says when, not what.
    public var receivedAt: ContinuousClock.Instant?

    /// An update from its sequence, time and the tops it carries.
    public init(sequence: Int, timestampNanoseconds: Int64, spot: BookTop?, futures: BookTop?,
                receivedAt: ContinuousClock.Instant? = nil) {
        self.sequence = sequence
        self.timestampNanoseconds = timestampNanoseconds
        self.spot = spot
        self.futures = futures
        self.receivedAt = receivedAt
    }

    public static func == (lhs: BookUpdate, rhs: BookUpdate) -> Bool {
        lhs.sequence == rhs.sequence && lhs.timestampNanoseconds == rhs.timestampNanoseconds
            && lhs.spot == rhs.spot && lhs.futures == rhs.futures
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(sequence)
        hasher.combine(timestampNanoseconds)
        hasher.combine(spot)
        hasher.combine(futures)
    }
}

extension BookUpdate {
    /// Row `row` of recorded data as an update carrying both markets' tops,
    /// `sequence` = the row index (how a replay presents a CSV row).
    public init(row: Int, of data: MarketData) {
        self.init(
            sequence: row, timestampNanoseconds: data.timestamps[row],
            spot: BookTop(bid: data.spotBidPrice[row], ask: data.spotAskPrice[row],
                          bidQuantity: data.spotBidQuantity[row], askQuantity: data.spotAskQuantity[row]),
            futures: BookTop(bid: data.futBidPrice[row], ask: data.futAskPrice[row],
                             bidQuantity: data.futBidQuantity[row], askQuantity: data.futAskQuantity[row]))
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
