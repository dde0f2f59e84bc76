import DeltaArbitrage
import DeltaArbitrageLive
import ExchangeStandIns
import Foundation
import Testing
@testable import DeltaArbitrageExchangeFeeds

/// The strategy's feed: spot and futures streams merged by arrival.
@Suite("Two-market exchange feed")
struct TwoMarketExchangeFeedTests {
    private func feeds(_ spot: ExchangeStandIn, _ futures: ExchangeStandIn, bufferCapacity: Int = 4096) throws -> TwoMarketExchangeFeed {
        try TwoMarketExchangeFeed(spot: ExchangeBookTickerFeed(configuration: testConfiguration(spot)),
                                  futures: ExchangeBookTickerFeed(configuration: testConfiguration(futures)),
                                  bufferCapacity: bufferCapacity)
    }

    @Test("merges both markets by arrival; every quote after both have quoted makes one update", arguments: venues)
    func mergesByArrival(venue: ExchangeVenue) async throws {
        let spot = ExchangeStandIn(venue: venue, market: .spot, scripts: [StandInScript(steps: [.updates(50)])])
        let futures = ExchangeStandIn(venue: venue, market: .futures, scripts: [StandInScript(steps: [.updates(50)])])
        try await serving(spot, futures) {
            let feed = try feeds(spot, futures)
            let lastSpot = spot.top(forID: 50), lastFutures = futures.top(forID: 50)
            let (updates, leadingQuotes) = try await collect(feed) { updates, _ in
                updates.last?.spot == lastSpot && updates.last?.futures == lastFutures
            }
            // Every quote either made an update or came before both markets had quoted: none lost.
            #expect(updates.count + leadingQuotes == 100)
            #expect(updates.map(\.sequence) == Array(0..<updates.count))
            #expect(zip(updates, updates.dropFirst()).allSatisfy { $0.timestampNanoseconds <= $1.timestampNanoseconds })
            let spotTops = Set((1...50).map { spot.top(forID: Int64($0)) })
            let futuresTops = Set((1...50).map { futures.top(forID: Int64($0)) })
            for update in updates {
                #expect(update.receivedAt != nil)
                #expect(update.receivedAt.map { $0 <= ContinuousClock.now } == true)
                #expect(update.spot.map { spotTops.contains($0) } == true)
                #expect(update.futures.map { futuresTops.contains($0) } == true)
            }
            #expect(feed.spot.counters.messages == 50 && feed.futures.counters.messages == 50)
        }
    }

    /// `run(decide:handle:)`: updates are decided on the feeds' tasks in merge order; one that is declined
    /// goes to the (slow) consumer, and so does every later one until the consumer has caught up, so the
    /// decisions — at read or through the consumer — come in sequence order with none lost or repeated.
    @Test("deciding at read: declined updates and those behind them go through the consumer, in order")
    func decidesAtReadInOrder() async throws {
        let count = 5_000
        let spot = ExchangeStandIn(venue: .gateio, market: .spot,
                                   scripts: [StandInScript(steps: [.paced(count: count, perSecond: 10_000)])])
        let futures = ExchangeStandIn(venue: .gateio, market: .futures,
                                      scripts: [StandInScript(steps: [.paced(count: count, perSecond: 10_000)])])
        try await serving(spot, futures) {
            let feed = try feeds(spot, futures, bufferCapacity: 16)
            let decided = Locked((sequences: [Int](), atRead: 0, throughConsumer: 0, concurrent: false, inside: false,
                                  last: BookUpdate?.none))
            let run = Task {
                try await feed.run(firstSequence: 100, decide: { update in
                    decided.withLock { d in
                        if d.inside { d.concurrent = true }
                        // Every 97th update needs the consumer.
                        guard update.sequence % 97 != 0 else { return false }
                        d.sequences.append(update.sequence)
                        d.last = update
                        d.atRead += 1
                        return true
                    }
                }, handle: { update in
                    decided.withLock { $0.inside = true }
                    // The declined update takes a while (orders); the ones queued behind it are quick.
                    if update.sequence % 97 == 0 { try await Task.sleep(for: .microseconds(300)) }
                    decided.withLock { d in
                        d.inside = false
                        d.sequences.append(update.sequence)
                        d.last = update
                        d.throughConsumer += 1
                    }
                })
            }
            // Each market's quotes arrive in id order: the update with both last tops is the last one.
            let lastSpot = spot.top(forID: Int64(count)), lastFutures = futures.top(forID: Int64(count))
            try await eventually("every merged update decided", limit: .seconds(120)) {
                decided.withLock { $0.last?.spot == lastSpot && $0.last?.futures == lastFutures }
            }
            run.cancel()
            try await run.value
            let d = decided.withLock { $0 }
            // The quotes before both markets had quoted make no update (on a loaded machine one market may
            // send all its quotes before the other is connected); every later one makes one.
            #expect(d.sequences == Array(100..<(100 + d.sequences.count)))
            #expect(d.throughConsumer >= d.sequences.count / 97, "every 97th and some behind it")
            #expect(d.atRead > 0)
            #expect(!d.concurrent, "decide ran while the consumer handled an update")
        }
    }

    @Test("a burst of 25,000 updates/s per market through a small buffer: backpressure, nothing lost")
    func burstWithBackpressure() async throws {
        let count = 25_000
        let spot = ExchangeStandIn(venue: .gateio, market: .spot,
                                   scripts: [StandInScript(steps: [.paced(count: count, perSecond: 25_000)])])
        let futures = ExchangeStandIn(venue: .gateio, market: .futures,
                                      scripts: [StandInScript(steps: [.paced(count: count, perSecond: 25_000)])])
        try await serving(spot, futures) {
            let feed = try feeds(spot, futures, bufferCapacity: 64)
            let (updates, _) = try await collect(feed, limit: .seconds(300)) { updates, leading in
                updates.count + leading == 2 * count
            }
            #expect(updates.map(\.sequence) == Array(0..<updates.count))
            // Each market's quotes arrive in id order, all of them.
            let spotBids = updates.map { $0.spot!.bid }, futuresBids = updates.map { $0.futures!.bid }
            #expect(zip(spotBids, spotBids.dropFirst()).allSatisfy { $0 <= $1 })
            #expect(zip(futuresBids, futuresBids.dropFirst()).allSatisfy { $0 <= $1 })
            #expect(updates.last?.spot == spot.top(forID: Int64(count)))
            #expect(updates.last?.futures == futures.top(forID: Int64(count)))
            #expect(feed.spot.counters.messages == count && feed.futures.counters.messages == count)
            #expect(feed.spot.counters.rejected == 0 && feed.futures.counters.rejected == 0)
        }
    }

    @Test("a refused subscription on one market ends the merged feed with that error")
    func refusalEndsTheFeed() async throws {
        let spot = ExchangeStandIn(venue: .gateio, market: .spot, scripts: [StandInScript(steps: [.stream(perSecond: 100)])])
        let futures = ExchangeStandIn(venue: .gateio, market: .futures,
                                      scripts: [StandInScript(reply: .refuse("contract not found"), steps: [])])
        try await serving(spot, futures) {
            let feed = try feeds(spot, futures)
            let error = await #expect(throws: ExchangeFeedError.self) {
                _ = try await collect(feed) { _, _ in false }
            }
            #expect(error?.description.contains("contract not found") == true)
            #expect(feed.futures.counters.state == .failed)
            try await eventually("the spot feed stopped") { feed.spot.counters.state == .stopped }
        }
    }

    @Test("a dropped market's top is forgotten until it quotes again")
    func dropForgetsTheTop() async throws {
        // Spot: 3 updates and a drop; on its next connection, 3 more once the futures quotes are in.
        // Futures: 3 updates, and 3 more once the spot drop has been handed on.
        let spotDropped = StandInGate(), futuresDone = StandInGate()
        let spot = ExchangeStandIn(venue: .binance, market: .spot, scripts: [
            StandInScript(steps: [.updates(3), .pause(.milliseconds(100)), .drop]),
            StandInScript(steps: [.waitFor(futuresDone), .updates(3)]),
        ])
        let futures = ExchangeStandIn(venue: .binance, market: .futures, scripts: [
            StandInScript(steps: [.updates(3), .waitFor(spotDropped), .updates(3)]),
        ])
        try await serving(spot, futures) {
            let feed = try feeds(spot, futures)
            let choreography = Task {
                // The reconnection is counted after the disconnection has been queued for the consumer.
                try await eventually("the spot drop") { feed.spot.counters.reconnects >= 1 }
                spotDropped.open()
                try await eventually("the late futures quotes") { feed.futures.counters.messages == 6 }
                futuresDone.open()
            }
            defer { choreography.cancel() }
            let lastSpot = spot.top(forID: 6), lastFutures = futures.top(forID: 6)
            let (updates, leadingQuotes) = try await collect(feed) { updates, _ in
                updates.last?.spot == lastSpot && updates.last?.futures == lastFutures
            }
            // The futures quotes 4-6 came while spot's top was forgotten: none was paired with spot 3.
            let lateFutures = Set((4...6).map { futures.top(forID: Int64($0)) })
            #expect(updates.count + leadingQuotes == 12)
            // The choreography holds only when spot's first connection played its script (3 updates, drop);
            // on a loaded machine an attempt can fail first and shift the scripts, which is not the feed's doing.
            let asScripted = spot.connections == 2
            withKnownIssue("the stand-in's first spot connection failed under load, shifting its scripts", isIntermittent: true) {
                #expect(!updates.contains { $0.spot == spot.top(forID: 3) && $0.futures.map(lateFutures.contains) == true })
                #expect(feed.spot.counters.reconnects == 1)
            } when: {
                !asScripted
            }
        }
    }

    @Test("a spot feed in the futures place is refused")
    func wrongMarket() throws {
        let endpoint = ExchangeEndpoint(venue: .gateio, market: .spot, symbol: "BTC/USDT", url: "ws://127.0.0.1:1/ws")
        let spot = try ExchangeBookTickerFeed(configuration: ExchangeFeedConfiguration(endpoint: endpoint))
        let other = try ExchangeBookTickerFeed(configuration: ExchangeFeedConfiguration(endpoint: endpoint))
        #expect(throws: ExchangeFeedError.wrongMarket(expected: .futures, got: .spot)) {
            try TwoMarketExchangeFeed(spot: spot, futures: other)
        }
    }

    @Test("LiveTwoMarketMerger.forget drops one market's top, keeps the other's")
    func mergerForget() {
        var merger = LiveTwoMarketMerger()
        let a = BookTop(bid: 1, ask: 2, bidQuantity: 1, askQuantity: 1)
        let b = BookTop(bid: 3, ask: 4, bidQuantity: 1, askQuantity: 1)
        #expect(merger.receive(.spot, top: a, timestampNanoseconds: 1) == nil)
        #expect(merger.receive(.futures, top: b, timestampNanoseconds: 2) != nil)
        merger.forget(.spot)
        #expect(merger.receive(.futures, top: b, timestampNanoseconds: 3) == nil)
        let update = merger.receive(.spot, top: a, timestampNanoseconds: 4)
        #expect(update?.spot == a && update?.futures == b)
    }
}
