import DeltaArbitrage
import DeltaArbitrageLive
import ExchangeStandIns
import Foundation
import Logging
import Testing
@testable import DeltaArbitrageExchangeFeeds

/// A logger that keeps the test output clean (the feeds log every reconnection as a warning).
func quietLogger() -> Logger {
    var logger = Logger(label: "delta-arb.feed.test")
    logger.logLevel = .critical
    return logger
}

/// A feed configuration with test-sized intervals: reconnection within tens of milliseconds, and no
/// staleness unless a test asks for it.
func testConfiguration(_ server: ExchangeStandIn, stalenessLimit: Duration = .seconds(60),
                       subscribeTimeout: Duration = .seconds(30),
                       pingInterval: Duration?? = nil, tls: Bool = false) throws -> ExchangeFeedConfiguration {
    let endpoint = ExchangeEndpoint(venue: server.venue, market: server.market, symbol: "BTC/USDT", url: server.url)
    return ExchangeFeedConfiguration(
        endpoint: endpoint, tlsConfiguration: tls ? try StandInTLS.clientConfiguration() : nil,
        contractSize: server.contractSize,
        backoff: ReconnectBackoff(initial: .milliseconds(10), maximum: .milliseconds(50)),
        stalenessLimit: stalenessLimit, subscribeTimeout: subscribeTimeout, pingInterval: pingInterval,
        closeTimeout: .milliseconds(200), logger: quietLogger())
}

/// What a feed handed on, in order, collected from its task.
final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var _events: [FeedEvent] = []

    func append(_ event: FeedEvent) {
        lock.lock()
        _events.append(event)
        lock.unlock()
    }

    var events: [FeedEvent] {
        lock.lock()
        defer { lock.unlock() }
        return _events
    }

    /// The quotes' update ids, in order.
    var ids: [Int64] {
        events.compactMap { if case .quote(let arrival) = $0 { arrival.quote.updateID } else { nil } }
    }

    var quotes: [QuoteArrival] {
        events.compactMap { if case .quote(let arrival) = $0 { arrival } else { nil } }
    }
}

/// Each disconnection's reason, with the update id of the last quote before it (0 before any).
func disconnectionReasons(_ events: [FeedEvent]) -> [(after: Int64, reason: String)] {
    var last: Int64 = 0
    var reasons: [(after: Int64, reason: String)] = []
    for event in events {
        switch event {
        case .quote(let arrival): last = arrival.quote.updateID
        case .disconnected(_, let reason): reasons.append((last, reason))
        }
    }
    return reasons
}

struct Timeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Waits until `condition` holds, polling; fails the test with `what` after `limit` (the limit only
/// guards against a hang: no assertion depends on how long anything takes).
func eventually(_ what: String, limit: Duration = .seconds(120), _ condition: () -> Bool) async throws {
    let clock = ContinuousClock(), deadline = clock.now + limit
    while !condition() {
        guard clock.now < deadline else { throw Timeout(what: what) }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// Runs `feed` on a task while `body` runs, collecting what it hands on; cancels it afterwards.
func running<T>(_ feed: ExchangeBookTickerFeed, _ body: (Collected) async throws -> T) async throws -> T {
    let collected = Collected()
    let task = Task { try await feed.run { collected.append($0) } }
    do {
        let result = try await body(collected)
        task.cancel()
        _ = await task.result
        return result
    } catch {
        task.cancel()
        _ = await task.result
        throw error
    }
}

/// Starts `server`, runs `body`, stops the server whatever happens.
func serving<T>(_ servers: ExchangeStandIn..., body: () async throws -> T) async throws -> T {
    for server in servers { try await server.start() }
    do {
        let result = try await body()
        for server in servers { await server.stop() }
        return result
    } catch {
        for server in servers { await server.stop() }
        throw error
    }
}

/// A book-ticker quote of another symbol, in `venue`'s shape, for the malformed-message tests.
func foreignSymbolQuote(venue: ExchangeVenue, market: Market) -> String {
    switch (venue, market) {
    case (.gateio, .spot):
        #"{"time":1,"time_ms":1000,"channel":"spot.book_ticker","event":"update","result":{"t":1000,"u":999999,"s":"ETH_USDT","b":"1","B":"1","a":"2","A":"1"}}"#
    case (.gateio, .futures):
        #"{"time":1,"time_ms":1000,"channel":"futures.book_ticker","event":"update","result":{"t":1000,"u":999999,"s":"ETH_USDT","b":"1","B":1,"a":"2","A":1}}"#
    case (.binance, _):
        #"{"u":999999,"s":"ETHUSDT","b":"1","B":"1","a":"2","A":"1"}"#
    }
}

/// A quote with its bid missing, in `venue`'s shape.
func quoteWithoutBid(venue: ExchangeVenue, market: Market) -> String {
    switch (venue, market) {
    case (.gateio, .spot):
        #"{"time":1,"time_ms":1000,"channel":"spot.book_ticker","event":"update","result":{"t":1000,"u":999998,"s":"BTC_USDT","B":"1","a":"2","A":"1"}}"#
    case (.gateio, .futures):
        #"{"time":1,"time_ms":1000,"channel":"futures.book_ticker","event":"update","result":{"t":1000,"u":999998,"s":"BTC_USDT","B":1,"a":"2","A":1}}"#
    case (.binance, _):
        #"{"u":999998,"s":"BTCUSDT","b":"x1","B":"1","a":"2","A":"1"}"#
    }
}

let venues: [ExchangeVenue] = [.gateio, .binance]
let markets: [Market] = [.spot, .futures]

/// Runs `body`, failing with `what` if it has not finished after `limit` (a guard against a hang, as
/// `eventually`: no assertion depends on the time taken); `body` is cancelled then.
func withDeadline<T: Sendable>(_ what: String, limit: Duration = .seconds(60),
                               _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw Timeout(what: what) }
        return value
    }
}

/// Iterates `feed` until `done` says the updates so far are complete; the updates and the quotes that
/// made none.
func collect(_ feed: TwoMarketExchangeFeed, limit: Duration = .seconds(120),
             until done: @escaping @Sendable ([BookUpdate], Int) -> Bool) async throws -> (updates: [BookUpdate], leadingQuotes: Int) {
    try await withDeadline("the merged updates", limit: limit) {
        var iterator = feed.makeAsyncIterator()
        var updates: [BookUpdate] = []
        while let update = try await iterator.next() {
            updates.append(update)
            if done(updates, iterator.leadingQuotes) { break }
        }
        return (updates, iterator.leadingQuotes)
    }
}
