import DeltaArbitrage
import DeltaArbitrageLive
import NIOConcurrencyHelpers
import NIOPosix

/// The strategy's feed: a spot and a futures `ExchangeBookTickerFeed`, merged by arrival
/// (`LiveTwoMarketMerger`): once both markets have quoted, every accepted quote of either gives a
/// `BookUpdate` carrying both markets' latest tops, its `receivedAt` the moment the quote's frame was
/// read off the socket (tick-to-decision latency is measured from it).
///
/// Iterating starts both feeds on a task of their own; the iteration ends when the iterating task is
/// cancelled or the iterator is dropped (both feeds are then cancelled), and throws when a feed stops
/// for good (`ExchangeFeedError.subscriptionRefused`; the other feed is cancelled). When a market's
/// connection drops or goes stale, its top is forgotten: no update is made until it quotes again.
/// Updates travel through a bounded queue of `bufferCapacity`: a consumer that falls that far behind
/// stops the sockets being read until it catches up (no update is lost or reordered).
///
/// A strategy runs the feed with `run(firstSequence:decide:handle:)` instead: each update is merged
/// and decided on the task that read its frame, and only what the decision cannot finish at once
/// (orders, commits) goes through the queue.
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
        let merge = ArrivalMerge(capacity: bufferCapacity, firstSequence: 0, decide: nil)
        let task = Task {
            do {
                try await runFeeds(into: merge)
                merge.queue.finish()
            } catch {
                merge.queue.finish(throwing: error)
            }
        }
        return AsyncIterator(running: Running(merge: merge, task: task))
    }

    /// Runs both feeds until the calling task is cancelled (then returns) or a feed stops for good
    /// or `handle` throws (then throws that), deciding each merged update as its frame is read.
    ///
    /// `decide` is called on the feed's own task, under the merge's lock — so in merge order and never
    /// concurrently — with no hop between the socket read and the decision; it returns true when it
    /// has dealt with the update. An update it declines goes to `handle` on one consumer task, and so
    /// does every later update until `handle` has caught up (order is kept; backpressure as for
    /// iteration). Updates are numbered from `firstSequence`.
    public func run(firstSequence: Int = 0, decide: @escaping @Sendable (BookUpdate) -> Bool,
                    handle: @escaping @Sendable (BookUpdate) async throws -> Void) async throws {
        let merge = ArrivalMerge(capacity: bufferCapacity, firstSequence: firstSequence, decide: decide)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.runFeeds(into: merge) }
            group.addTask {
                while let update = try await merge.queue.next() {
                    try await handle(update)
                    merge.completed()
                }
            }
            // The first to throw ends both; a cancelled run ends both without an error.
            while try await group.next() != nil {}
        }
    }

    /// Runs both feeds into `merge` until cancelled; throws when one stops for good (the other is cancelled).
    /// Both run on one event loop (the spot feed's configured one, or one of the default group's), so
    /// their frames are merged and decided in turn on one thread, never contending for the merge.
    private func runFeeds(into merge: ArrivalMerge) async throws {
        let onQuote = self.onQuote
        let loop = spot.configuration.eventLoop ?? futures.configuration.eventLoop ?? MultiThreadedEventLoopGroup.singleton.next()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for feed in [spot, futures] {
                group.addTask {
                    try await feed.run(on: loop) { event in
                        switch event {
                        case .quote(let arrival):
                            onQuote?(arrival)
                            await merge.receive(arrival)
                        case .disconnected(let market, _):
                            merge.forget(market)
                        }
                    }
                }
            }
            // A feed returns only when cancelled; the first to throw ends both (group.next rethrows
            // at once, and leaving the group cancels the other; waitForAll would wait for it).
            while try await group.next() != nil {}
        }
    }

    /// Pulls merged updates.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let running: Running

        init(running: Running) { self.running = running }

        /// The next merged update; nil once the task is cancelled; throws when a feed stops for good.
        public mutating func next() async throws -> BookUpdate? {
            try await running.merge.queue.next()
        }

        /// Updates merged so far (handed out, or queued to be).
        public var updates: Int { running.merge.counts.updates }
        /// Quotes that made no update because a market had no top (before both had quoted, or after a
        /// market's connection dropped): with `updates`, every accepted quote is accounted for.
        public var leadingQuotes: Int { running.merge.counts.leadingQuotes }
    }

    /// Owns the feeds' task for the life of the iterator.
    final class Running: Sendable {
        let merge: ArrivalMerge
        let task: Task<Void, Never>

        init(merge: ArrivalMerge, task: Task<Void, Never>) {
            self.merge = merge
            self.task = task
        }

        deinit {
            task.cancel()
            merge.queue.close()
        }
    }
}

/// The two-market merge as both feeds' tasks deliver quotes: merging, deciding at once when it can,
/// and queueing in merge order otherwise — all under one lock, so that the order of the updates is
/// the order they were merged in whichever market's task made them.
final class ArrivalMerge: Sendable {
    private struct State {
        var merger: LiveTwoMarketMerger
        /// Updates queued for the consumer or in its hands: while any is, a new update queues behind it.
        var waiting = 0
    }

    private let state: NIOLockedValueBox<State>
    /// Merged updates for the consumer.
    let queue: ArrivalQueue<BookUpdate>
    private let decide: (@Sendable (BookUpdate) -> Bool)?

    init(capacity: Int, firstSequence: Int, decide: (@Sendable (BookUpdate) -> Bool)?) {
        state = NIOLockedValueBox(State(merger: LiveTwoMarketMerger(firstSequence: firstSequence)))
        // Two producers: the spot feed's task and the futures feed's.
        queue = ArrivalQueue(capacity: capacity, producers: 2)
        self.decide = decide
    }

    /// Merges `arrival`; decides the update it makes at once when nothing waits and `decide` takes
    /// it, queues it otherwise (waiting while the queue is full).
    func receive(_ arrival: QuoteArrival) async {
        let time = arrival.quote.exchangeTimeNanoseconds ?? arrival.receivedWallNanoseconds
        let queued = state.withLockedValue { s -> (BookUpdate, ArrivalQueue<BookUpdate>.PushOutcome)? in
            guard let update = s.merger.receive(arrival.market, top: arrival.quote.top, timestampNanoseconds: time,
                                                receivedAt: arrival.receivedAt) else { return nil }
            if let decide {
                if s.waiting == 0 && decide(update) { return nil }
                s.waiting += 1
            }
            return (update, queue.push(update))
        }
        if let (update, outcome) = queued { await queue.settle(outcome, of: update) }
    }

    /// The market's connection ended: its top is not traded on until it quotes again.
    func forget(_ market: Market) {
        state.withLockedValue { $0.merger.forget(market) }
    }

    /// The consumer has dealt with the update it took.
    func completed() {
        state.withLockedValue { $0.waiting -= 1 }
    }

    /// Updates merged and quotes that made none, so far.
    var counts: (updates: Int, leadingQuotes: Int) {
        state.withLockedValue { ($0.merger.updates, $0.merger.leadingQuotes) }
    }
}
