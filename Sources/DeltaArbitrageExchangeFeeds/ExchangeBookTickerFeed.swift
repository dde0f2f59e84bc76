import DeltaArbitrage
import DeltaArbitrageLive
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import WSClient
import NIOConcurrencyHelpers

/// How one market's feed connects and watches its stream; every interval is settable so the tests
/// can run the whole cycle (drop, silence, reconnection) in milliseconds.
public struct ExchangeFeedConfiguration: Sendable {
    /// The venue, market, URL and symbol of the stream.
    public var endpoint: ExchangeEndpoint
    /// TLS for `wss://` URLs: nil takes the system's trust roots with full verification.
    public var tlsConfiguration: TLSConfiguration?
    /// Base units per futures contract (Gate.io futures sizes are contracts); 1 elsewhere.
    public var contractSize: Double
    /// Delays between reconnection attempts.
    public var backoff: ReconnectBackoff
    /// A stream with no accepted update for longer than this is stale: the feed reconnects and reports it.
    public var stalenessLimit: Duration
    /// How long to wait from the start of a connection attempt for the subscription reply; past it the
    /// attempt counts as failed and the feed reconnects.
    public var subscribeTimeout: Duration
    /// Interval of the venue's application-level ping (Gate.io `*.ping`); nil sends none. Binance's
    /// WebSocket ping frames are answered with pongs whatever this says.
    public var pingInterval: Duration?
    /// How long to wait for the server's answer to our close frame before closing the socket.
    public var closeTimeout: Duration
    /// Largest WebSocket frame accepted, bytes.
    public var maxFrameSize: Int
    /// Where the feed logs its connections and problems (never per message).
    public var logger: Logger
    /// The event loop the connection runs on and the reading task prefers
    /// (see `run(deliver:)`); nil: one of `MultiThreadedEventLoopGroup.singleton`'s.
    public var eventLoop: (any EventLoop)?

    /// A feed of `endpoint`. `pingInterval`: nil (the default) takes the venue's (`endpoint.pingInterval`:
    /// 15 s on Gate.io, none on Binance); `.some(nil)` sends no application-level ping.
    public init(endpoint: ExchangeEndpoint, tlsConfiguration: TLSConfiguration? = nil, contractSize: Double = 1,
                backoff: ReconnectBackoff = ReconnectBackoff(), stalenessLimit: Duration = .seconds(15),
                subscribeTimeout: Duration = .seconds(10), pingInterval: Duration?? = nil,
                closeTimeout: Duration = .seconds(2), maxFrameSize: Int = 1 << 16,
                logger: Logger = Logger(label: "delta-arb.feed")) {
        self.endpoint = endpoint
        self.tlsConfiguration = tlsConfiguration
        self.contractSize = contractSize
        self.backoff = backoff
        self.stalenessLimit = stalenessLimit
        self.subscribeTimeout = subscribeTimeout
        self.pingInterval = pingInterval ?? endpoint.pingInterval
        self.closeTimeout = closeTimeout
        self.maxFrameSize = maxFrameSize
        self.logger = logger
    }
}

/// Why a feed stopped for good (a drop, a silence or a failed attempt is not one of these: the feed
/// reconnects and counts them).
public enum ExchangeFeedError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The exchange refused the subscription, in its words; retrying would be refused again.
    case subscriptionRefused(venue: ExchangeVenue, market: Market, symbol: String, reason: String)
    /// The URL is not `ws://host[:port][/path]` or `wss://…`.
    case invalidURL(String, reason: String)
    /// A two-market feed was given a feed of the other market in place of one of its own.
    case wrongMarket(expected: Market, got: Market)

    public var description: String {
        switch self {
        case .subscriptionRefused(let venue, let market, let symbol, let reason):
            "\(venue.rawValue) \(market.rawValue) refused the book-ticker subscription to \(symbol): \(reason)"
        case .invalidURL(let url, let reason):
            "feed URL '\(url)': \(reason)"
        case .wrongMarket(let expected, let got):
            "the \(expected.rawValue) feed's endpoint is a \(got.rawValue) market"
        }
    }
}

/// One quote as it arrived from one market's stream.
public struct QuoteArrival: Sendable {
    /// The market it is of.
    public var market: Market
    /// The quote, as decoded.
    public var quote: ExchangeQuote
    /// When its frame was read off the socket, on the monotonic clock.
    public var receivedAt: ContinuousClock.Instant
    /// When its frame was read, wall clock, ns since the Unix epoch.
    public var receivedWallNanoseconds: Int64
}

/// What a market's feed hands on.
public enum FeedEvent: Sendable {
    /// An accepted update (valid, and its id above the last one).
    case quote(QuoteArrival)
    /// The market's connection ended (drop, silence, failed attempt), with why: its last top must not
    /// be traded on until it quotes again.
    case disconnected(Market, reason: String)
}

/// One market's public book-ticker stream over WebSocket (`ws://` or `wss://`), kept alive.
///
/// `run` connects, subscribes and checks the reply (a refusal ends the run with
/// `ExchangeFeedError.subscriptionRefused`), keeps the connection alive by the venue's rules (Gate.io:
/// `*.ping` every `pingInterval`; Binance: its ping frames are answered with pongs), and after any drop
/// — a close frame, an abrupt TCP close, a silence longer than `stalenessLimit`, a failed attempt —
/// reconnects after a `ReconnectBackoff` delay (reset once a connection has delivered updates) and
/// resubscribes. Each text frame is decoded in place from NIO's buffer (`BookTickerDecoder`); a
/// malformed one is skipped and counted, an update whose id is not above the last accepted one is
/// refused and counted (`UpdateSequenceGuard`, reset per connection), and updates stamped with the
/// exchange's time feed the `ClockOffsetEstimator`. `counters` are readable from any thread.
public final class ExchangeBookTickerFeed: Sendable {
    /// How it connects.
    public let configuration: ExchangeFeedConfiguration
    /// Live counters.
    public let counters: FeedCounters
    private let decoder: BookTickerDecoder

    /// A feed of `configuration.endpoint`; throws `ExchangeFeedError.invalidURL` for a URL that is not
    /// `ws://` or `wss://` with a host.
    public init(configuration: ExchangeFeedConfiguration) throws(ExchangeFeedError) {
        try Self.validate(url: configuration.endpoint.url)
        self.configuration = configuration
        self.counters = FeedCounters(market: configuration.endpoint.market)
        self.decoder = configuration.endpoint.decoder(contractSize: configuration.contractSize)
        // NIOSSL waits up to its shutdown timeout (5 s by default) for the server's close_notify when a
        // connection is closed; a feed that is stopping or reconnecting waits no longer than its close timeout.
        var tls = configuration.tlsConfiguration ?? TLSConfiguration.makeClientConfiguration()
        tls.shutdownTimeout = min(tls.shutdownTimeout, .nanoseconds(configuration.closeTimeout.nanoseconds))
        self.tls = tls
    }

    /// The TLS configuration used for `wss://` URLs.
    private let tls: TLSConfiguration

    /// The market this feed streams.
    public var market: Market { configuration.endpoint.market }

    private static func validate(url: String) throws(ExchangeFeedError) {
        let rest: Substring
        if url.hasPrefix("wss://") { rest = url.dropFirst(6) }
        else if url.hasPrefix("ws://") { rest = url.dropFirst(5) }
        else { throw .invalidURL(url, reason: "the scheme must be ws:// or wss://") }
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        var host = authority, port: Substring?
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = authority[...close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { port = after.dropFirst() }
            else if !after.isEmpty { throw .invalidURL(url, reason: "unexpected '\(after)' after the IPv6 address") }
        } else if let colon = authority.firstIndex(of: ":") {
            host = authority[..<colon]
            port = authority[authority.index(after: colon)...]
        }
        guard !host.isEmpty else { throw .invalidURL(url, reason: "no host") }
        if let port {
            guard let number = Int(port), (1...65535).contains(number) else {
                throw .invalidURL(url, reason: "the port '\(port)' is not a number from 1 to 65535")
            }
        }
    }

    /// Streams until the task is cancelled (then returns) or the exchange refuses the subscription
    /// (then throws `ExchangeFeedError.subscriptionRefused`). `deliver` gets every accepted quote and
    /// every disconnection, in order, on this task; while it waits, the socket is not read (so a
    /// consumer that never returns also stops the pongs, and the exchange will drop the connection).
    /// Run it once at a time: the counters are the feed's, not the run's.
    ///
    /// The connection and this task run on one event loop (`configuration.eventLoop`, or one of the
    /// default group's): a frame is read, decoded and delivered on that loop's thread, with no hop.
    public func run(deliver: @escaping @Sendable (FeedEvent) async -> Void) async throws {
        try await run(on: configuration.eventLoop ?? MultiThreadedEventLoopGroup.singleton.next(), deliver: deliver)
    }

    /// `run(deliver:)` on `loop`, whatever the configuration says (`TwoMarketExchangeFeed` runs both
    /// markets on one loop).
    func run(on loop: any EventLoop, deliver: @escaping @Sendable (FeedEvent) async -> Void) async throws {
        try await preferring(loop) { try await self.reconnecting(on: loop, deliver: deliver) }
    }

    private func reconnecting(on loop: any EventLoop, deliver: @escaping @Sendable (FeedEvent) async -> Void) async throws {
        var attempt = 0
        var random = SystemRandomNumberGenerator()
        var offsets = ClockOffsetEstimator()
        defer { if counters.state != .failed { counters.set(.stopped) } }
        while !Task.isCancelled {
            counters.set(.connecting)
            let before = counters.messages
            let reason: String
            do {
                reason = try await connectOnce(on: loop, offsets: &offsets, deliver: deliver)
            } catch let error as ExchangeFeedError {
                counters.set(.failed)
                counters.report(error.description)
                configuration.logger.error("\(error)")
                throw error
            } catch {
                if Task.isCancelled { return }
                reason = "connection failed: \(error)"
            }
            if Task.isCancelled { return }
            counters.report(reason)
            configuration.logger.warning("\(configuration.endpoint.venue.rawValue) \(market.rawValue) feed: \(reason); reconnecting")
            await deliver(.disconnected(market, reason: reason))
            attempt = counters.messages > before ? 1 : attempt + 1
            counters.set(.reconnecting)
            counters.countReconnect()
            do {
                try await Task.sleep(for: configuration.backoff.delay(attempt: attempt, using: &random))
            } catch {
                return
            }
        }
    }

    /// Why one connection ended.
    private enum Ending: Sendable {
        case closed(String)
        case stale(String)
    }

    /// One connection: runs until it ends, returning why; throws a refusal.
    private func connectOnce(on loop: any EventLoop, offsets: inout ClockOffsetEstimator,
                             deliver: @escaping @Sendable (FeedEvent) async -> Void) async throws -> String {
        let session = ConnectionSession(offsets: offsets)
        defer { offsets = session.offsets }
        let started = FeedClock.monotonicNanoseconds()
        let ending: Ending
        do {
            ending = try await connection(on: loop, session: session, started: started, deliver: deliver)
        } catch {
            if let refusal = session.refusal.withLockedValue({ $0 }) { throw refusal }
            throw error
        }
        // The WebSocket library may end a connection whose handler threw with a plain close: the refusal
        // is kept aside so that it is never mistaken for a drop (and retried forever).
        if let refusal = session.refusal.withLockedValue({ $0 }) { throw refusal }
        switch ending {
        case .closed(let reason): return reason
        case .stale(let reason):
            counters.countStale()
            return reason
        }
    }

    /// The connection's task and its watchdog; the first to end ends both.
    private func connection(on loop: any EventLoop, session: ConnectionSession, started: Int64,
                            deliver: @escaping @Sendable (FeedEvent) async -> Void) async throws -> Ending {
        try await withThrowingTaskGroup(of: Ending.self) { group in
            group.addTask {
                let client = WebSocketClient(
                    url: self.configuration.endpoint.url,
                    configuration: WebSocketClientConfiguration(maxFrameSize: self.configuration.maxFrameSize,
                                                                closeTimeout: self.configuration.closeTimeout),
                    tlsConfiguration: self.tls,
                    eventLoopGroup: loop,
                    logger: self.configuration.logger
                ) { inbound, outbound, _ in
                    try await self.stream(inbound: inbound, outbound: outbound, session: session, deliver: deliver)
                }
                let close = try await client.run()
                if let close {
                    return .closed("the server closed the connection (\(close.closeCode)\(close.reason.map { ": \($0)" } ?? ""))")
                }
                return .closed("the connection ended without a close frame")
            }
            group.addTask { try await self.watch(session: session, started: started) }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { return Ending.closed("no connection") }
            return first
        }
    }

    /// Ends the connection when the subscription reply is late or the stream goes quiet.
    private func watch(session: ConnectionSession, started: Int64) async throws -> Ending {
        let staleness = configuration.stalenessLimit.nanoseconds
        let subscribe = configuration.subscribeTimeout.nanoseconds
        let period = max(min(staleness, subscribe) / 8, 1_000_000)
        while true {
            try await Task.sleep(for: .nanoseconds(period))
            let now = FeedClock.monotonicNanoseconds()
            let subscribedAt = session.subscribedAt.load(ordering: .relaxed)
            if subscribedAt == 0 {
                if now - started > subscribe {
                    return .closed("no subscription reply within \(configuration.subscribeTimeout)")
                }
                continue
            }
            let last = max(subscribedAt, session.lastUpdate.load(ordering: .relaxed))
            if now - last > staleness {
                return .stale("stale: no update for \(configuration.stalenessLimit)")
            }
        }
    }

    /// Subscribes, keeps alive and reads the stream of one connection until it ends.
    private func stream(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, session: ConnectionSession,
                        deliver: @escaping @Sendable (FeedEvent) async -> Void) async throws {
        let endpoint = configuration.endpoint
        counters.set(.subscribing)
        try await outbound.write(.text(endpoint.subscribeMessage(id: 1, unixSeconds: FeedClock.wallNanoseconds() / 1_000_000_000)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let interval = configuration.pingInterval, endpoint.pingMessage(unixSeconds: 0) != nil {
                group.addTask {
                    while true {
                        try await Task.sleep(for: interval)
                        guard let ping = endpoint.pingMessage(unixSeconds: FeedClock.wallNanoseconds() / 1_000_000_000) else { return }
                        try await outbound.write(.text(ping))
                        self.counters.countPing()
                    }
                }
            }
            var reader = FrameReader(decoder: decoder, counters: counters, session: session, market: market)
            var fragments: ByteBuffer?
            for try await frame in inbound {
                switch frame.opcode {
                case .text, .binary:
                    if frame.fin {
                        try await reader.handle(frame.data, deliver: deliver)
                    } else {
                        fragments = frame.data
                    }
                case .continuation:
                    guard var buffer = fragments else { continue }
                    var piece = frame.data
                    buffer.writeBuffer(&piece)
                    if frame.fin {
                        fragments = nil
                        try await reader.handle(buffer, deliver: deliver)
                    } else {
                        fragments = buffer
                    }
                }
            }
            group.cancelAll()
        }
    }
}

import Atomics

/// What the reader and the watchdog of one connection share.
private final class ConnectionSession: @unchecked Sendable {
    /// Monotonic ns of the subscription reply, 0 before it.
    let subscribedAt = ManagedAtomic<Int64>(0)
    /// Monotonic ns of the last accepted update, 0 before the first.
    let lastUpdate = ManagedAtomic<Int64>(0)
    /// The exchange's refusal of the subscription, once received.
    let refusal = NIOLockedValueBox<ExchangeFeedError?>(nil)
    /// The clock-offset samples, carried from one connection to the next; only the reader touches them
    /// while the connection runs (hence unchecked Sendable).
    var offsets: ClockOffsetEstimator

    init(offsets: ClockOffsetEstimator) { self.offsets = offsets }
}

/// The per-message path of one connection: decode in place, check, count, hand on.
private struct FrameReader {
    let decoder: BookTickerDecoder
    let counters: FeedCounters
    let session: ConnectionSession
    let market: Market
    var sequence = UpdateSequenceGuard()
    var offsetSamples = 0

    init(decoder: BookTickerDecoder, counters: FeedCounters, session: ConnectionSession, market: Market) {
        self.decoder = decoder
        self.counters = counters
        self.session = session
        self.market = market
    }

    mutating func handle(_ buffer: ByteBuffer, deliver: @Sendable (FeedEvent) async -> Void) async throws {
        let receivedAt = ContinuousClock.now
        let wall = FeedClock.wallNanoseconds()
        let decoded = buffer.withUnsafeReadableBytes { bytes -> Result<BookTickerMessage, BookTickerDecodeError> in
            do throws(BookTickerDecodeError) { return .success(try decoder.decode(bytes)) } catch { return .failure(error) }
        }
        switch decoded {
        case .failure(let error):
            counters.countMalformed()
            counters.report("\(market.rawValue): skipped a malformed message: \(error.reason)")
        case .success(.quote(let quote)):
            let repeatedBefore = sequence.repeated
            guard sequence.accept(quote.updateID) else {
                if sequence.repeated > repeatedBefore { counters.countRepeated() } else { counters.countOutOfOrder() }
                return
            }
            let monotonic = FeedClock.monotonicNanoseconds()
            counters.countMessage(wallNanoseconds: wall, monotonicNanoseconds: monotonic)
            session.lastUpdate.store(monotonic, ordering: .relaxed)
            if let exchangeTime = quote.exchangeTimeNanoseconds {
                session.offsets.record(exchangeNanoseconds: exchangeTime, localNanoseconds: wall)
                // The estimate is a minimum over the window: publishing it every 64th sample is plenty.
                if offsetSamples & 63 == 0, let offset = session.offsets.offsetNanoseconds {
                    counters.setClockOffset(offset)
                }
                offsetSamples &+= 1
            }
            await deliver(.quote(QuoteArrival(market: market, quote: quote, receivedAt: receivedAt,
                                              receivedWallNanoseconds: wall)))
        case .success(.subscribed):
            if session.subscribedAt.load(ordering: .relaxed) == 0 {
                session.subscribedAt.store(FeedClock.monotonicNanoseconds(), ordering: .relaxed)
            }
            counters.set(.streaming)
        case .success(.subscriptionRefused(let reason)):
            let refusal = ExchangeFeedError.subscriptionRefused(venue: decoder.venue, market: market,
                                                                symbol: decoder.exchangeSymbol, reason: reason)
            session.refusal.withLockedValue { $0 = refusal }
            throw refusal
        case .success(.pong):
            counters.countPong()
        case .success(.other):
            break
        }
    }
}
