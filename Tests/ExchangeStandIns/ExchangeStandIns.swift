import Atomics
import DeltaArbitrage
import DeltaArbitrageLive
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import NIOWebSocket

/// What a stand-in server does on one connection: how it answers the subscription, then a list of
/// steps. After the last step it keeps the connection open and answers pings, sending nothing more,
/// until the client leaves.
public struct StandInScript: Sendable {
    /// The answer to the client's subscription message.
    public enum Reply: Sendable, Equatable {
        /// The venue's success reply (a malformed subscription message is refused whatever this says).
        case accept
        /// The venue's error reply carrying this message.
        case refuse(String)
        /// No reply at all.
        case ignore
    }

    /// One thing the server does.
    public enum Step: Sendable, Equatable {
        /// `count` updates with the next update ids, as fast as the connection takes them.
        case updates(Int)
        /// `count` updates paced at `perSecond` (sent in small batches against the elapsed time, so the
        /// rate holds whatever the timer's resolution).
        case paced(count: Int, perSecond: Double)
        /// Updates at `perSecond` until the client leaves or the server stops.
        case stream(perSecond: Double)
        /// A text frame sent as it is (for malformed messages).
        case raw(String)
        /// An update carrying the last update id sent again.
        case repeatLast
        /// An update whose id is `back` below the last one sent.
        case outOfOrder(back: Int)
        /// Waits.
        case pause(Duration)
        /// Closes the TCP connection without a WebSocket close frame (FIN, as a process that exits).
        case drop
        /// Resets the TCP connection (RST, as a crashed host or a middlebox).
        case reset
        /// Closes with the WebSocket close handshake (code 1000).
        case close
        /// Waits until the test opens `gate` (to order events across servers without timing).
        case waitFor(StandInGate)
    }

    public var reply: Reply
    public var steps: [Step]

    public init(reply: Reply = .accept, steps: [Step]) {
        self.reply = reply
        self.steps = steps
    }
}

/// A gate a script waits at until the test opens it.
public final class StandInGate: Sendable, Equatable {
    private let opened = ManagedAtomic<Bool>(false)

    public init() {}

    /// Lets every script waiting at this gate go on (now and later).
    public func open() { opened.store(true, ordering: .releasing) }

    /// Whether it is open.
    public var isOpen: Bool { opened.load(ordering: .acquiring) }

    func wait() async throws {
        while !isOpen { try await Task.sleep(for: .milliseconds(1)) }
    }

    public static func == (lhs: StandInGate, rhs: StandInGate) -> Bool { lhs === rhs }
}

/// The stand-in's certificate, and TLS configurations built from it.
public enum StandInTLS {
    /// The server side: the self-signed certificate and its key.
    public static func serverConfiguration() throws -> TLSConfiguration {
        let certificate = try NIOSSLCertificate(bytes: Array(certificatePEM.utf8), format: .pem)
        let key = try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)
        return TLSConfiguration.makeServerConfiguration(certificateChain: [.certificate(certificate)],
                                                        privateKey: .privateKey(key))
    }

    /// A client configuration that trusts the stand-in's certificate (and nothing else), with full
    /// verification: connect to `wss://localhost:<port>`.
    public static func clientConfiguration() throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(certificatePEM.utf8), format: .pem)])
        return configuration
    }
}

/// A stand-in for one market's public book-ticker WebSocket of Gate.io v4 or Binance, on loopback:
/// it speaks the venue's documented messages (subscription replies and refusals, Gate.io `*.ping` →
/// `*.pong`, Binance WebSocket ping frames, updates in the venue's shape) and plays one
/// `StandInScript` per connection (connection n plays `scripts[min(n, scripts.count - 1)]`), with
/// update ids increasing across connections. For the tests and the benchmarks; counters are readable
/// from any thread.
///
/// ```swift
/// let server = ExchangeStandIn(venue: .gateio, market: .spot, scripts: [.init(steps: [.updates(100)])])
/// try await server.start()        // binds 127.0.0.1, port 0
/// // connect a feed to server.url …
/// await server.stop()
/// ```
public final class ExchangeStandIn: Sendable {
    public let venue: ExchangeVenue
    public let market: Market
    /// The symbol as the venue spells it (`BTC_USDT`, `BTCUSDT`).
    public let exchangeSymbol: String
    public let scripts: [StandInScript]
    /// Whether it serves `wss://` with the self-signed certificate (`StandInTLS`).
    public let tls: Bool
    /// Interval of the server's WebSocket ping frames (Binance's keep-alive); a client that leaves
    /// `missedPongLimit` pings in a row unanswered is disconnected. Nil: no pings.
    public let webSocketPingInterval: Duration?
    /// Unanswered pings in a row after which a client is disconnected.
    public let missedPongLimit: Int
    /// Added to the server's clock in the times it stamps (an exchange clock ahead or behind).
    public let clockSkew: Duration
    /// Futures sizes are sent in contracts of this many base units (Gate.io).
    public let contractSize: Double

    private let state = NIOLockedValueBox(ServerState())
    private let _connections = ManagedAtomic<Int>(0)
    private let _subscriptions = ManagedAtomic<Int>(0)
    private let _pings = ManagedAtomic<Int>(0)
    private let _webSocketPings = ManagedAtomic<Int>(0)
    private let _pongs = ManagedAtomic<Int>(0)
    private let _pingTimeouts = ManagedAtomic<Int>(0)
    private let _updatesSent = ManagedAtomic<Int>(0)
    private let _nextID: ManagedAtomic<Int64>
    private let logger: Logger

    private struct ServerState {
        var port: Int?
        var task: Task<Void, any Error>?
        var channels: [ObjectIdentifier: any Channel] = [:]
        var subscribeMessages: [String] = []
    }

    /// A stand-in of `venue`'s `market` stream of `symbol` (`BASE/QUOTE`) playing `scripts`; update ids
    /// start at `firstUpdateID`.
    public init(venue: ExchangeVenue, market: Market, symbol: String = "BTC/USDT", scripts: [StandInScript],
                tls: Bool = false, webSocketPingInterval: Duration? = nil, missedPongLimit: Int = 3,
                clockSkew: Duration = .zero, contractSize: Double = 0.0001, firstUpdateID: Int64 = 1) {
        self.missedPongLimit = max(missedPongLimit, 1)
        self.venue = venue
        self.market = market
        self.exchangeSymbol = BookTickerDecoder.exchangeSymbol(symbol, venue: venue)
        self.scripts = scripts.isEmpty ? [StandInScript(steps: [])] : scripts
        self.tls = tls
        self.webSocketPingInterval = webSocketPingInterval
        self.clockSkew = clockSkew
        self.contractSize = contractSize
        self._nextID = ManagedAtomic(firstUpdateID)
        var logger = Logger(label: "delta-arb.stand-in")
        logger.logLevel = .critical
        self.logger = logger
    }

    // MARK: - Counters

    /// WebSocket connections accepted so far.
    public var connections: Int { _connections.load(ordering: .relaxed) }
    /// Subscription messages received.
    public var subscriptions: Int { _subscriptions.load(ordering: .relaxed) }
    /// Application-level pings received (Gate.io `*.ping`).
    public var pingsReceived: Int { _pings.load(ordering: .relaxed) }
    /// WebSocket ping frames sent (`webSocketPingInterval`).
    public var webSocketPingsSent: Int { _webSocketPings.load(ordering: .relaxed) }
    /// WebSocket pong frames received that answered the ping outstanding.
    public var pongsReceived: Int { _pongs.load(ordering: .relaxed) }
    /// Connections closed because the client left `missedPongLimit` pings unanswered.
    public var pingTimeouts: Int { _pingTimeouts.load(ordering: .relaxed) }
    /// Updates sent (including repeated and out-of-order ones, not raw frames).
    public var updatesSent: Int { _updatesSent.load(ordering: .relaxed) }
    /// The subscription messages received, in order.
    public var subscribeMessages: [String] { state.withLockedValue { $0.subscribeMessages } }
    /// The port it listens on, once started.
    public var port: Int? { state.withLockedValue { $0.port } }
    /// The URL to connect a feed to: `ws://127.0.0.1:<port>/ws`, or `wss://localhost:<port>/ws` with TLS
    /// (the certificate names localhost). Empty before `start`.
    public var url: String {
        guard let port else { return "" }
        return tls ? "wss://localhost:\(port)/ws" : "ws://127.0.0.1:\(port)/ws"
    }

    /// The top the stand-in sends with update `id` (what a feed must decode): bid 100.00 + id cents (id
    /// taken modulo 10^9, so every update of a test or a soak has its own prices), ask one cent above; sizes 1.5 and 2.25 base units (futures: 15000 and 22500 contracts of
    /// `contractSize`, Gate.io).
    public func top(forID id: Int64) -> BookTop {
        let cents = 10_000 + Int(id % 1_000_000_000)
        let bid = Double(cents) / 100, ask = Double(cents + 1) / 100
        if venue == .gateio && market == .futures {
            return BookTop(bid: bid, ask: ask, bidQuantity: 15_000 * contractSize, askQuantity: 22_500 * contractSize)
        }
        return BookTop(bid: bid, ask: ask, bidQuantity: 1.5, askQuantity: 2.25)
    }

    // MARK: - Life

    /// Binds 127.0.0.1 on a free port and serves until `stop`; returns the port.
    @discardableResult
    public func start() async throws -> Int {
        let (bound, continuation) = AsyncStream<Int>.makeStream()
        let ws = WebSocketServerConfiguration(
            maxFrameSize: 1 << 16,
            autoPing: .disabled,
            closeTimeout: .seconds(1))
        let upgrade = HTTPServerBuilder.http1WebSocketUpgrade(configuration: .init(ws: ws)) { _, channel, _ in
            .upgrade([:]) { inbound, outbound, _ in
                await self.serve(inbound: inbound, outbound: outbound, channel: channel)
            }
        }
        let server = tls ? try HTTPServerBuilder.tls(upgrade, tlsConfiguration: StandInTLS.serverConfiguration()) : upgrade
        let app = Application(
            router: Router(),
            server: server,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger)
        let task = Task { try await app.run() }
        var iterator = bound.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            task.cancel()
            _ = try? await task.value
            throw StandInError.notListening
        }
        state.withLockedValue {
            $0.port = port
            $0.task = task
        }
        return port
    }

    /// Closes every connection and stops listening.
    public func stop() async {
        let (task, channels) = state.withLockedValue { state in
            defer { state.task = nil; state.channels = [:] }
            return (state.task, Array(state.channels.values))
        }
        for channel in channels { channel.close(promise: nil) }
        task?.cancel()
        _ = try? await task?.value
    }

    /// Closes every open connection without a close frame (all clients see an abrupt drop).
    public func dropAllConnections() {
        let channels = state.withLockedValue { Array($0.channels.values) }
        for channel in channels { channel.close(promise: nil) }
    }

    // MARK: - One connection

    private func serve(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, channel: any Channel) async {
        let index = _connections.loadThenWrappingIncrement(ordering: .relaxed)
        let key = ObjectIdentifier(channel)
        state.withLockedValue { $0.channels[key] = channel }
        defer { _ = state.withLockedValue { $0.channels.removeValue(forKey: key) } }
        let script = scripts[min(index, scripts.count - 1)]
        let (subscribed, subscribedContinuation) = AsyncStream<Bool>.makeStream()
        let pongs = ManagedAtomic<Int>(0)
        if webSocketPingInterval != nil {
            // Pong frames never reach the WebSocket handler's stream: a handler just after the frame
            // decoder counts them.
            do {
                try await channel.eventLoop.submit {
                    let decoder = try channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<WebSocketFrameDecoder>.self)
                    try channel.pipeline.syncOperations.addHandler(PongCounter(pongs: pongs, total: self._pongs), position: .after(decoder))
                }.get()
            } catch {
                logger.critical("stand-in: cannot count pongs on this connection: \(error)")
                channel.close(promise: nil)
                return
            }
        }
        await withTaskGroup(of: Void.self) { group in
            if let interval = webSocketPingInterval {
                group.addTask { await self.ping(every: interval, pongs: pongs, outbound: outbound, channel: channel) }
            }
            group.addTask {
                // Reads the client's messages; ends when the client leaves.
                do {
                    for try await message in inbound.messages(maxSize: 1 << 16) {
                        guard case .text(let text) = message else { continue }
                        if let accepted = try await self.answer(text, script: script, outbound: outbound) {
                            subscribedContinuation.yield(accepted)
                        }
                    }
                } catch {}
                subscribedContinuation.finish()
            }
            group.addTask {
                var iterator = subscribed.makeAsyncIterator()
                guard await iterator.next() == true else { return }
                do {
                    try await self.play(script.steps, outbound: outbound, channel: channel)
                } catch {
                    return
                }
                // Silence: nothing more to send; the reader keeps answering pings until the client leaves.
                while await iterator.next() != nil {}
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Binance's keep-alive: a ping frame every `interval`; a client that leaves `missedPongLimit` in a
    /// row unanswered is disconnected.
    private func ping(every interval: Duration, pongs: ManagedAtomic<Int>, outbound: WebSocketOutboundWriter,
                      channel: any Channel) async {
        var sent = 0
        while (try? await Task.sleep(for: interval)) != nil {
            let answered = pongs.load(ordering: .relaxed)
            if sent - answered >= missedPongLimit {
                _pingTimeouts.wrappingIncrement(ordering: .relaxed)
                do {
                    try await outbound.close(.goingAway, reason: "ping timeout")
                } catch {
                    channel.close(promise: nil)
                }
                return
            }
            do {
                try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer(string: "stand-in"))))
            } catch {
                return
            }
            sent += 1
            _webSocketPings.wrappingIncrement(ordering: .relaxed)
        }
    }

    /// Answers one client message; whether the subscription was accepted, or nil when it was no subscription.
    private func answer(_ text: String, script: StandInScript, outbound: WebSocketOutboundWriter) async throws -> Bool? {
        let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        let seconds = Int64(now().timeIntervalSince1970)
        let milliseconds = Int64(now().timeIntervalSince1970 * 1000)
        let prefix = market == .spot ? "spot" : "futures"
        switch venue {
        case .gateio:
            let channel = object["channel"] as? String ?? ""
            if channel == "\(prefix).ping" {
                _pings.wrappingIncrement(ordering: .relaxed)
                try await outbound.write(.text(
                    #"{"time":\#(seconds),"time_ms":\#(milliseconds),"channel":"\#(prefix).pong","event":"","error":null,"result":null}"#))
                return nil
            }
            guard object["event"] as? String == "subscribe" else { return nil }
            record(subscription: text)
            var refusal: String?
            if channel != "\(prefix).book_ticker" {
                refusal = "unknown channel \(channel)"
            } else if object["payload"] as? [String] != [exchangeSymbol] {
                refusal = "unknown currency pair \(object["payload"].map { "\($0)" } ?? "(none)")"
            } else if case .refuse(let message) = script.reply {
                refusal = message
            }
            if script.reply == .ignore && refusal == nil { return nil }
            if let refusal {
                try await outbound.write(.text(
                    #"{"time":\#(seconds),"time_ms":\#(milliseconds),"channel":"\#(channel)","event":"subscribe","error":{"code":2,"message":"\#(Self.escaped(refusal))"},"result":null}"#))
                return false
            }
            try await outbound.write(.text(
                #"{"time":\#(seconds),"time_ms":\#(milliseconds),"channel":"\#(channel)","event":"subscribe","result":{"status":"success"}}"#))
            return true
        case .binance:
            guard object["method"] as? String == "SUBSCRIBE" else { return nil }
            record(subscription: text)
            let id = object["id"].map { "\($0)" } ?? "null"
            var refusal: String?
            if object["params"] as? [String] != ["\(exchangeSymbol.lowercased())@bookTicker"] {
                refusal = "Invalid request: unknown stream \(object["params"].map { "\($0)" } ?? "(none)")"
            } else if case .refuse(let message) = script.reply {
                refusal = message
            }
            if script.reply == .ignore && refusal == nil { return nil }
            if let refusal {
                try await outbound.write(.text(#"{"error":{"code":2,"msg":"\#(Self.escaped(refusal))"},"id":\#(id)}"#))
                return false
            }
            try await outbound.write(.text(#"{"result":null,"id":\#(id)}"#))
            return true
        }
    }

    private func record(subscription text: String) {
        _subscriptions.wrappingIncrement(ordering: .relaxed)
        state.withLockedValue { $0.subscribeMessages.append(text) }
    }

    private func play(_ steps: [StandInScript.Step], outbound: WebSocketOutboundWriter, channel: any Channel) async throws {
        for step in steps {
            switch step {
            case .updates(let count):
                for _ in 0..<count { try await sendUpdate(id: nextID(), outbound: outbound) }
            case .paced(let count, let perSecond):
                try await paced(count: count, perSecond: perSecond, outbound: outbound)
            case .stream(let perSecond):
                try await paced(count: nil, perSecond: perSecond, outbound: outbound)
            case .raw(let text):
                try await outbound.write(.text(text))
            case .repeatLast:
                try await sendUpdate(id: _nextID.load(ordering: .relaxed) - 1, outbound: outbound)
            case .outOfOrder(let back):
                try await sendUpdate(id: _nextID.load(ordering: .relaxed) - 1 - Int64(back), outbound: outbound)
            case .pause(let duration):
                try await Task.sleep(for: duration)
            case .waitFor(let gate):
                try await gate.wait()
            case .drop:
                try await channel.close().get()
                throw CancellationError()
            case .reset:
                // SO_LINGER 0: the close sends RST instead of FIN.
                if let socket = channel as? any SocketOptionProvider {
                    try await socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
                }
                try await channel.close().get()
                throw CancellationError()
            case .close:
                try await outbound.close(.normalClosure, reason: "stand-in script")
                throw CancellationError()
            }
        }
    }

    private func paced(count: Int?, perSecond: Double, outbound: WebSocketOutboundWriter) async throws {
        let clock = ContinuousClock(), started = clock.now
        var sent = 0
        while count.map({ sent < $0 }) ?? true {
            let elapsed = (clock.now - started).components
            let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
            var due = Int(seconds * perSecond) + 1
            if let count { due = min(due, count) }
            while sent < due {
                try await sendUpdate(id: nextID(), outbound: outbound)
                sent += 1
            }
            try await Task.sleep(for: .microseconds(500))
        }
    }

    private func nextID() -> Int64 { _nextID.loadThenWrappingIncrement(ordering: .relaxed) }

    private func now() -> Date { Date().addingTimeInterval(Double(clockSkew.components.seconds) + Double(clockSkew.components.attoseconds) * 1e-18) }

    /// Sends the update `id` in the venue's shape.
    private func sendUpdate(id: Int64, outbound: WebSocketOutboundWriter) async throws {
        let cents = 10_000 + Int(id % 1_000_000_000)
        let bid = "\(cents / 100).\(Self.twoDigits(cents % 100))"
        let ask = "\((cents + 1) / 100).\(Self.twoDigits((cents + 1) % 100))"
        let milliseconds = Int64(now().timeIntervalSince1970 * 1000)
        let text: String
        switch (venue, market) {
        case (.gateio, .spot):
            text = #"{"time":\#(milliseconds / 1000),"time_ms":\#(milliseconds),"channel":"spot.book_ticker","event":"update","result":{"t":\#(milliseconds),"u":\#(id),"s":"\#(exchangeSymbol)","b":"\#(bid)","B":"1.5","a":"\#(ask)","A":"2.25"}}"#
        case (.gateio, .futures):
            text = #"{"time":\#(milliseconds / 1000),"time_ms":\#(milliseconds),"channel":"futures.book_ticker","event":"update","error":null,"result":{"t":\#(milliseconds),"u":\#(id),"s":"\#(exchangeSymbol)","b":"\#(bid)","B":15000,"a":"\#(ask)","A":22500}}"#
        case (.binance, .spot):
            text = #"{"u":\#(id),"s":"\#(exchangeSymbol)","b":"\#(bid)","B":"1.50000000","a":"\#(ask)","A":"2.25000000"}"#
        case (.binance, .futures):
            text = #"{"e":"bookTicker","u":\#(id),"E":\#(milliseconds),"T":\#(milliseconds),"s":"\#(exchangeSymbol)","b":"\#(bid)","B":"1.500","a":"\#(ask)","A":"2.250"}"#
        }
        try await outbound.write(.text(text))
        _updatesSent.wrappingIncrement(ordering: .relaxed)
    }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    private static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}

/// Counts the WebSocket pong frames a client sends (into the stand-in's total too), passing every
/// frame on.
private final class PongCounter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame
    let pongs: ManagedAtomic<Int>
    let total: ManagedAtomic<Int>

    init(pongs: ManagedAtomic<Int>, total: ManagedAtomic<Int>) {
        self.pongs = pongs
        self.total = total
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if unwrapInboundIn(data).opcode == .pong {
            pongs.wrappingIncrement(ordering: .relaxed)
            total.wrappingIncrement(ordering: .relaxed)
        }
        context.fireChannelRead(data)
    }
}

/// Why a stand-in could not start.
public enum StandInError: Error, CustomStringConvertible {
    case notListening

    public var description: String { "the stand-in exchange server did not start listening on 127.0.0.1" }
}
