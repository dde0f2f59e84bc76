import Atomics
import DeltaArbitrageLive
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where one market's feed is in its connection cycle.
public enum FeedConnectionState: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Not started yet.
    case idle
    /// Opening the TCP/TLS connection and the WebSocket upgrade.
    case connecting
    /// Connected; the subscription is sent and its reply awaited.
    case subscribing
    /// Subscribed: updates flow.
    case streaming
    /// The connection dropped or went stale; waiting out the backoff before the next attempt.
    case reconnecting
    /// Stopped for good on an error that a retry cannot mend (the exchange refused the subscription).
    case failed
    /// Stopped because its task was cancelled.
    case stopped

    public var description: String {
        switch self {
        case .idle: "idle"
        case .connecting: "connecting"
        case .subscribing: "subscribing"
        case .streaming: "streaming"
        case .reconnecting: "reconnecting"
        case .failed: "failed"
        case .stopped: "stopped"
        }
    }
}

/// Live counters of one market's feed, written by the feed's task and readable
/// from any thread at any time (relaxed atomics: each value is exact, a set of
/// them read together is not one instant). The service publishes them as
/// `delta_arb_feed_messages_total{market=…}` (`messages`),
/// `delta_arb_feed_reconnects_total` (`reconnects`) and
/// `delta_arb_feed_rejected_total` (`rejected`), and bases `/health` on
/// `state` and `secondsSinceLastUpdate`.
public final class FeedCounters: Sendable {
    /// The market these counters are of.
    public let market: Market

    private let _messages = ManagedAtomic<Int>(0)
    private let _malformed = ManagedAtomic<Int>(0)
    private let _outOfOrder = ManagedAtomic<Int>(0)
    private let _repeated = ManagedAtomic<Int>(0)
    private let _reconnects = ManagedAtomic<Int>(0)
    private let _staleEvents = ManagedAtomic<Int>(0)
    private let _pongs = ManagedAtomic<Int>(0)
    private let _pingsSent = ManagedAtomic<Int>(0)
    private let _state = ManagedAtomic<UInt8>(FeedConnectionState.idle.rawValue)
    private let _lastUpdateWall = ManagedAtomic<Int64>(0)
    private let _lastUpdateMonotonic = ManagedAtomic<Int64>(0)
    private let _clockOffset = ManagedAtomic<Int64>(Int64.min)
    private let _lastProblem = NIOLockedValueBox<String?>(nil)

    /// Fresh counters (all zero, state `idle`).
    public init(market: Market) {
        self.market = market
    }

    /// Valid book-ticker updates accepted and handed on.
    public var messages: Int { _messages.load(ordering: .relaxed) }
    /// Messages skipped because they are not what the venue documents (not JSON, a field missing or
    /// not a number, another symbol, a non-positive price…).
    public var malformed: Int { _malformed.load(ordering: .relaxed) }
    /// Updates refused because their update id was below the last accepted one.
    public var outOfOrder: Int { _outOfOrder.load(ordering: .relaxed) }
    /// Updates refused because their update id repeated the last accepted one.
    public var repeated: Int { _repeated.load(ordering: .relaxed) }
    /// Every message refused: `malformed + outOfOrder + repeated`.
    public var rejected: Int { malformed + outOfOrder + repeated }
    /// Reconnection attempts after a drop, a stale stream or a failed connection attempt.
    public var reconnects: Int { _reconnects.load(ordering: .relaxed) }
    /// Times the stream went quiet for longer than the staleness limit (each one also reconnects).
    public var staleEvents: Int { _staleEvents.load(ordering: .relaxed) }
    /// Application-level pongs received (Gate.io `*.pong`).
    public var pongs: Int { _pongs.load(ordering: .relaxed) }
    /// Application-level pings sent (Gate.io `*.ping`).
    public var pingsSent: Int { _pingsSent.load(ordering: .relaxed) }
    /// The connection state now.
    public var state: FeedConnectionState { FeedConnectionState(rawValue: _state.load(ordering: .relaxed)) ?? .idle }

    /// Wall-clock time of the last accepted update, ns since the Unix epoch; nil before the first.
    public var lastUpdateNanoseconds: Int64? {
        let value = _lastUpdateWall.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    /// Seconds since the last accepted update on the monotonic clock; nil before the first.
    public var secondsSinceLastUpdate: Double? {
        let last = _lastUpdateMonotonic.load(ordering: .relaxed)
        guard last != 0 else { return nil }
        return Double(FeedClock.monotonicNanoseconds() - last) / 1e9
    }

    /// Estimated `local − exchange` clock offset in ns (positive: the local clock is ahead, or the network
    /// slow; see `ClockOffsetEstimator`); nil before the first update stamped with the exchange's time
    /// (Binance spot carries none).
    public var clockOffsetNanoseconds: Int64? {
        let value = _clockOffset.load(ordering: .relaxed)
        return value == Int64.min ? nil : value
    }

    /// The last problem seen (why the last connection ended, the last malformed message), for `/health`
    /// and `/status`; nil while there has been none.
    public var lastProblem: String? { _lastProblem.withLockedValue { $0 } }

    /// A copy of every counter, for a status document.
    public func snapshot() -> FeedStatus {
        FeedStatus(market: market, state: state, messages: messages, malformed: malformed,
                   outOfOrder: outOfOrder, repeated: repeated, reconnects: reconnects, staleEvents: staleEvents,
                   pongs: pongs, lastUpdateNanoseconds: lastUpdateNanoseconds,
                   secondsSinceLastUpdate: secondsSinceLastUpdate, clockOffsetNanoseconds: clockOffsetNanoseconds,
                   lastProblem: lastProblem)
    }

    // MARK: - Writers (the feed's task)

    func set(_ state: FeedConnectionState) { _state.store(state.rawValue, ordering: .relaxed) }
    func countMessage(wallNanoseconds: Int64, monotonicNanoseconds: Int64) {
        _messages.wrappingIncrement(ordering: .relaxed)
        _lastUpdateWall.store(wallNanoseconds, ordering: .relaxed)
        _lastUpdateMonotonic.store(monotonicNanoseconds, ordering: .relaxed)
    }
    func countMalformed() { _malformed.wrappingIncrement(ordering: .relaxed) }
    func countOutOfOrder() { _outOfOrder.wrappingIncrement(ordering: .relaxed) }
    func countRepeated() { _repeated.wrappingIncrement(ordering: .relaxed) }
    func countReconnect() { _reconnects.wrappingIncrement(ordering: .relaxed) }
    func countStale() { _staleEvents.wrappingIncrement(ordering: .relaxed) }
    func countPong() { _pongs.wrappingIncrement(ordering: .relaxed) }
    func countPing() { _pingsSent.wrappingIncrement(ordering: .relaxed) }
    func setClockOffset(_ nanoseconds: Int64) { _clockOffset.store(nanoseconds, ordering: .relaxed) }
    func report(_ problem: String) { _lastProblem.withLockedValue { $0 = problem } }
}

/// One market feed's counters at one moment (see `FeedCounters` for each field).
public struct FeedStatus: Sendable, Hashable, Codable {
    public var market: Market
    public var state: String
    public var messages: Int
    public var malformed: Int
    public var outOfOrder: Int
    public var repeated: Int
    public var reconnects: Int
    public var staleEvents: Int
    public var pongs: Int
    /// Wall-clock time of the last accepted update, ns since the Unix epoch.
    public var lastUpdateNanoseconds: Int64?
    public var secondsSinceLastUpdate: Double?
    /// `local − exchange`, ns.
    public var clockOffsetNanoseconds: Int64?
    public var lastProblem: String?

    init(market: Market, state: FeedConnectionState, messages: Int, malformed: Int, outOfOrder: Int, repeated: Int,
         reconnects: Int, staleEvents: Int, pongs: Int, lastUpdateNanoseconds: Int64?,
         secondsSinceLastUpdate: Double?, clockOffsetNanoseconds: Int64?, lastProblem: String?) {
        self.market = market
        self.state = state.description
        self.messages = messages
        self.malformed = malformed
        self.outOfOrder = outOfOrder
        self.repeated = repeated
        self.reconnects = reconnects
        self.staleEvents = staleEvents
        self.pongs = pongs
        self.lastUpdateNanoseconds = lastUpdateNanoseconds
        self.secondsSinceLastUpdate = secondsSinceLastUpdate
        self.clockOffsetNanoseconds = clockOffsetNanoseconds
        self.lastProblem = lastProblem
    }
}

/// The two clocks a feed reads: the wall clock (comparable with the exchange's timestamps) and a
/// monotonic one (for silences and latencies, immune to clock steps).
enum FeedClock {
    private static let origin = ContinuousClock.now

    /// Wall-clock time, ns since the Unix epoch.
    static func wallNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// Monotonic time, ns since an arbitrary origin in this process (never 0 once running, so 0 can mean "none").
    static func monotonicNanoseconds() -> Int64 {
        return (ContinuousClock.now - origin).nanoseconds + 1
    }
}
