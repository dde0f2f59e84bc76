import DeltaArbitrage
import DeltaArbitrageLive

/// The strategy's feed: a spot and a futures `ExchangeBookTickerFeed`, merged by arrival
/// (`LiveTwoMarketMerger`): once both markets have quoted, every accepted quote of either gives a
/// `BookUpdate` carrying both markets' latest tops, its `receivedAt` the moment the quote's frame was
/// read off the socket (tick-to-decision latency is measured from it).
///
/// Iterating starts both feeds on a task of their own; the iteration ends when the iterating task is
/// cancelled or the iterator is dropped (both feeds are then cancelled), and throws when a feed stops
/// for good (`ExchangeFeedError.subscriptionRefused`; the other feed is cancelled). When a market's
/// connection drops or goes stale, its top is forgotten: no update is made until it quotes again.
/// Quotes travel through a bounded queue of `bufferCapacity`: a consumer that falls that far behind
/// stops the sockets being read until it catches up (no update is lost or reordered).
public struct TwoMarketExchangeFeed: BookTickerFeed {
    public typealias Element = BookUpdate

    /// The spot market's feed.
    public let spot: ExchangeBookTickerFeed
    /// The futures market's feed.
    public let futures: ExchangeBookTickerFeed
    /// Quotes that may wait between the sockets and the consumer.
    public let bufferCapacity: Int
    /// Called with every accepted quote of either market as it arrives, on the
    /// feed's task and before the merge (a recorder); it must not block.
    public let onQuote: (@Sendable (QuoteArrival) -> Void)?

    /// Merges `spot` and `futures`; throws `ExchangeFeedError.wrongMarket` when their endpoints are not of
    /// those markets.
    public init(spot: ExchangeBookTickerFeed, futures: ExchangeBookTickerFeed, bufferCapacity: Int = 4096,
                onQuote: (@Sendable (QuoteArrival) -> Void)? = nil) throws(ExchangeFeedError) {
        guard spot.market == .spot else { throw .wrongMarket(expected: .spot, got: spot.market) }
        guard futures.market == .futures else { throw .wrongMarket(expected: .futures, got: futures.market) }
        self.spot = spot
        self.futures = futures
        self.bufferCapacity = bufferCapacity
        self.onQuote = onQuote
    }

    /// Both feeds' counters, spot first.
    public var counters: [FeedCounters] { [spot.counters, futures.counters] }

    /// Starts both feeds; see the type's description for how iteration ends.
    public func makeAsyncIterator() -> AsyncIterator {
        let queue = ArrivalQueue<FeedEvent>(capacity: bufferCapacity)
        let spot = self.spot, futures = self.futures, onQuote = self.onQuote
        let task = Task {
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for feed in [spot, futures] {
                        group.addTask {
                            try await feed.run { event in
                                if let onQuote, case .quote(let arrival) = event { onQuote(arrival) }
                                await queue.send(event)
                            }
                        }
                    }
                    // A feed returns only when cancelled; the first to throw ends both (group.next rethrows
                    // at once, and leaving the group cancels the other; waitForAll would wait for it).
                    while try await group.next() != nil {}
                }
                queue.finish()
            } catch {
                queue.finish(throwing: error)
            }
        }
        return AsyncIterator(running: Running(queue: queue, task: task))
    }

    /// Pulls merged updates.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let running: Running
        var merger = LiveTwoMarketMerger()

        init(running: Running) { self.running = running }

        /// The next merged update; nil once the task is cancelled; throws when a feed stops for good.
        public mutating func next() async throws -> BookUpdate? {
            while let event = try await running.queue.next() {
                switch event {
                case .quote(let arrival):
                    let time = arrival.quote.exchangeTimeNanoseconds ?? arrival.receivedWallNanoseconds
                    if let update = merger.receive(arrival.market, top: arrival.quote.top, timestampNanoseconds: time,
                                                   receivedAt: arrival.receivedAt) {
                        return update
                    }
                case .disconnected(let market, _):
                    merger.forget(market)
                }
            }
            return nil
        }

        /// Updates handed out so far.
        public var updates: Int { merger.updates }
        /// Quotes that made no update because a market had no top (before both had quoted, or after a
        /// market's connection dropped): with `updates`, every accepted quote is accounted for.
        public var leadingQuotes: Int { merger.leadingQuotes }
    }

    /// Owns the feeds' task for the life of the iterator.
    final class Running: Sendable {
        let queue: ArrivalQueue<FeedEvent>
        let task: Task<Void, Never>

        init(queue: ArrivalQueue<FeedEvent>, task: Task<Void, Never>) {
            self.queue = queue
            self.task = task
        }

        deinit {
            task.cancel()
            queue.close()
        }
    }
}
