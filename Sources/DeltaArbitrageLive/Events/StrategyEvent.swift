import DeltaArbitrage
import Foundation

/// Thresholds changed (the seed's `ParameterUpdateEvent`). Times are Unix
/// seconds of the data clock (the tick that triggered the update).
public struct ParameterUpdateEvent: Sendable, Hashable, Codable {
    /// Data-clock time of the update, Unix seconds.
    public var timestamp: Double
    /// Entry threshold before the update, percent; nil when none was in force.
    public var oldEntryThreshold: Double?
    /// Entry threshold after the update, percent.
    public var newEntryThreshold: Double
    /// Exit threshold before the update, percent; nil when none was in force.
    public var oldExitThreshold: Double?
    /// Exit threshold after the update, percent.
    public var newExitThreshold: Double
    /// Confidence score of the optimisation, in [0, 1].
    public var confidenceScore: Double
    /// Wall-clock duration of the optimisation, milliseconds.
    public var optimizationDurationMs: Double

    /// An event from its fields: time in Unix seconds, thresholds in percent.
    public init(timestamp: Double, oldEntryThreshold: Double?, newEntryThreshold: Double, oldExitThreshold: Double?,
                newExitThreshold: Double, confidenceScore: Double, optimizationDurationMs: Double) {
        self.timestamp = timestamp
        self.oldEntryThreshold = oldEntryThreshold
        self.newEntryThreshold = newEntryThreshold
        self.oldExitThreshold = oldExitThreshold
        self.newExitThreshold = newExitThreshold
        self.confidenceScore = confidenceScore
        self.optimizationDurationMs = optimizationDurationMs
    }

    /// The clock `timestamp` reads: always the data clock.
    public var clock: EventClock { .data }

    enum CodingKeys: String, CodingKey {
        case timestamp, clock, oldEntryThreshold = "old_entry_threshold", newEntryThreshold = "new_entry_threshold"
        case oldExitThreshold = "old_exit_threshold", newExitThreshold = "new_exit_threshold"
        case confidenceScore = "confidence_score", optimizationDurationMs = "optimization_duration_ms"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(timestamp, forKey: .timestamp)
        try c.encode(clock, forKey: .clock)
        try c.encodeFinite(oldEntryThreshold, forKey: .oldEntryThreshold)  // explicit null before the first
        try c.encodeFinite(newEntryThreshold, forKey: .newEntryThreshold)
        try c.encodeFinite(oldExitThreshold, forKey: .oldExitThreshold)
        try c.encodeFinite(newExitThreshold, forKey: .newExitThreshold)
        try c.encodeFinite(confidenceScore, forKey: .confidenceScore)
        try c.encodeFinite(optimizationDurationMs, forKey: .optimizationDurationMs)
    }

    public init(from decoder: any Decoder) throws {
        // `clock` is not read back: it is a constant of the type.
        let c = try decoder.container(keyedBy: CodingKeys.self)
        timestamp = try c.decode(Double.self, forKey: .timestamp)
        oldEntryThreshold = try c.decodeIfPresent(Double.self, forKey: .oldEntryThreshold)
        newEntryThreshold = try c.decode(Double.self, forKey: .newEntryThreshold)
        oldExitThreshold = try c.decodeIfPresent(Double.self, forKey: .oldExitThreshold)
        newExitThreshold = try c.decode(Double.self, forKey: .newExitThreshold)
        confidenceScore = try c.decodeFinite(forKey: .confidenceScore)
        optimizationDurationMs = try c.decodeFinite(forKey: .optimizationDurationMs)
    }
}

/// An order the strategy sent, and what came of it.
public struct OrderEvent: Sendable, Hashable, Codable {
    /// Why the order was sent.
    public enum Purpose: String, Sendable, Hashable, Codable {
        /// `open`: a leg of a new position; `close`: a leg of a closing position;
        /// `unwind`: taking back the filled leg of an open whose other leg was rejected.
        case open, close, unwind
    }

    /// Data-clock time of the tick that caused the order, Unix seconds.
    public var timestamp: Double
    /// Why the order was sent.
    public var purpose: Purpose
    /// The order as sent.
    public var order: MarketOrder
    /// Its execution; nil when it was rejected or failed.
    public var fill: OrderFill?
    /// Why it failed; nil when it filled.
    public var error: String?

    /// The clock `timestamp` reads: always the data clock.
    public var clock: EventClock { .data }

    enum CodingKeys: String, CodingKey { case timestamp, clock, purpose, order, fill, error }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(timestamp, forKey: .timestamp)
        try c.encode(clock, forKey: .clock)
        try c.encode(purpose, forKey: .purpose)
        try c.encode(order, forKey: .order)
        try c.encode(fill, forKey: .fill)  // explicit nulls: exactly one of fill and error is null
        try c.encode(error, forKey: .error)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        timestamp = try c.decode(Double.self, forKey: .timestamp)
        purpose = try c.decode(Purpose.self, forKey: .purpose)
        order = try c.decode(MarketOrder.self, forKey: .order)
        fill = try c.decodeIfPresent(OrderFill.self, forKey: .fill)
        error = try c.decodeIfPresent(String.self, forKey: .error)
    }

    /// An order event; `fill` nil with an `error`, or a `fill` and no error.
    public init(timestamp: Double, purpose: Purpose, order: MarketOrder, fill: OrderFill?, error: String?) {
        self.timestamp = timestamp
        self.purpose = purpose
        self.order = order
        self.fill = fill
        self.error = error
    }
}

/// A closed round trip, in the backtest's trade format, with the thresholds in force.
public struct TradeEvent: Sendable, Hashable, Codable {
    /// Data-clock time of the closing tick, Unix seconds.
    public var timestamp: Double
    /// The round trip in the backtest's format; `entryIndex` and `exitIndex` are
    /// the feed sequences of the opening and closing ticks.
    public var trade: Trade
    /// Entry threshold in force at the close, percent.
    public var entryThresholdPct: Double
    /// Exit threshold in force at the close, percent.
    public var exitThresholdPct: Double
    /// Base-asset quantity of each leg.
    public var quantity: Double

    /// The clock `timestamp` reads: always the data clock.
    public var clock: EventClock { .data }

    enum CodingKeys: String, CodingKey {
        case timestamp, clock, trade, entryThresholdPct = "entry_threshold_pct", exitThresholdPct = "exit_threshold_pct"
        case quantity
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(timestamp, forKey: .timestamp)
        try c.encode(clock, forKey: .clock)
        try c.encode(trade, forKey: .trade)
        try c.encodeFinite(entryThresholdPct, forKey: .entryThresholdPct)
        try c.encodeFinite(exitThresholdPct, forKey: .exitThresholdPct)
        try c.encodeFinite(quantity, forKey: .quantity)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        timestamp = try c.decode(Double.self, forKey: .timestamp)
        trade = try c.decode(Trade.self, forKey: .trade)
        entryThresholdPct = try c.decodeFinite(forKey: .entryThresholdPct)
        exitThresholdPct = try c.decodeFinite(forKey: .exitThresholdPct)
        quantity = try c.decodeFinite(forKey: .quantity)
    }

    /// A trade event: time in Unix seconds (data clock), thresholds in percent, quantity in base units.
    public init(timestamp: Double, trade: Trade, entryThresholdPct: Double, exitThresholdPct: Double, quantity: Double) {
        self.timestamp = timestamp
        self.trade = trade
        self.entryThresholdPct = entryThresholdPct
        self.exitThresholdPct = exitThresholdPct
        self.quantity = quantity
    }
}

/// Something needs a person: a leg could not be hedged, the feed is stale, …
public struct AlertEvent: Sendable, Hashable, Codable {
    /// Data-clock time of the tick that raised the alert, Unix seconds.
    public var timestamp: Double
    /// What happened, for a person.
    public var message: String

    /// The clock `timestamp` reads: always the data clock.
    public var clock: EventClock { .data }

    enum CodingKeys: String, CodingKey { case timestamp, clock, message }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(timestamp, forKey: .timestamp)
        try c.encode(clock, forKey: .clock)
        try c.encode(message, forKey: .message)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        timestamp = try c.decode(Double.self, forKey: .timestamp)
        message = try c.decode(String.self, forKey: .message)
    }

    /// An alert at `timestamp` (Unix seconds, data clock).
    public init(timestamp: Double, message: String) {
        self.timestamp = timestamp
        self.message = message
    }
}

/// Everything the live side reports.
///
/// JSON (one line per event in the event log): `{"type": "parameter_update" |
/// "optimization_status" | "order" | "trade" | "alert", "event": {…}}`; every
/// event body has `timestamp` (Unix seconds) and `clock` (`data` or `wall`,
/// the clock `timestamp` reads). Schemas: docs/schema/*.schema.json.
public enum StrategyEvent: Sendable, Hashable {
    /// Thresholds changed.
    case parameterUpdate(ParameterUpdateEvent)
    /// An optimisation started, completed or failed.
    case optimizationStatus(OptimizationStatusEvent)
    /// An order was sent, and filled or failed.
    case order(OrderEvent)
    /// A round trip closed.
    case trade(TradeEvent)
    /// Something needs a person.
    case alert(AlertEvent)

    /// The JSON `type` tag: `parameter_update`, `optimization_status`, `order`,
    /// `trade` or `alert`.
    public var type: String {
        switch self {
        case .parameterUpdate: "parameter_update"
        case .optimizationStatus: "optimization_status"
        case .order: "order"
        case .trade: "trade"
        case .alert: "alert"
        }
    }
}

extension StrategyEvent: Codable {
    enum CodingKeys: String, CodingKey { case type, event }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(type, forKey: .type)
        switch self {
        case .parameterUpdate(let e): try c.encode(e, forKey: .event)
        case .optimizationStatus(let e): try c.encode(e, forKey: .event)
        case .order(let e): try c.encode(e, forKey: .event)
        case .trade(let e): try c.encode(e, forKey: .event)
        case .alert(let e): try c.encode(e, forKey: .event)
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .type) {
        case "parameter_update": self = .parameterUpdate(try c.decode(ParameterUpdateEvent.self, forKey: .event))
        case "optimization_status": self = .optimizationStatus(try c.decode(OptimizationStatusEvent.self, forKey: .event))
        case "order": self = .order(try c.decode(OrderEvent.self, forKey: .event))
        case "trade": self = .trade(try c.decode(TradeEvent.self, forKey: .event))
        case "alert": self = .alert(try c.decode(AlertEvent.self, forKey: .event))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown event type '\(other)'")
        }
    }
}

/// Fans events out to any number of `AsyncStream` subscribers and
/// synchronous sinks (the JSON-lines log). Publishing never blocks.
public final class EventHub: @unchecked Sendable {
    private let lock = NSLock()
    private var continuations: [UUID: AsyncStream<StrategyEvent>.Continuation] = [:]
    private var sinks: [@Sendable (StrategyEvent) -> Void] = []

    /// A hub with no subscribers or sinks.
    public init() {}

    /// A stream of every event published from now on; it finishes on `finish()`.
    public func subscribe() -> AsyncStream<StrategyEvent> {
        let (stream, continuation) = AsyncStream<StrategyEvent>.makeStream()
        let id = UUID()
        lock.lock()
        continuations[id] = continuation
        lock.unlock()
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            self.lock.lock()
            self.continuations[id] = nil
            self.lock.unlock()
        }
        return stream
    }

    /// Calls `sink` with every event, on the publishing thread.
    public func addSink(_ sink: @escaping @Sendable (StrategyEvent) -> Void) {
        lock.lock()
        sinks.append(sink)
        lock.unlock()
    }

    /// Calls every sink with `event` on this thread, then yields it to every subscription.
    public func publish(_ event: StrategyEvent) {
        lock.lock()
        let targets = Array(continuations.values), sinks = self.sinks
        lock.unlock()
        for sink in sinks { sink(event) }
        for c in targets { c.yield(event) }
    }

    /// Ends every subscription.
    public func finish() {
        lock.lock()
        let targets = Array(continuations.values)
        continuations.removeAll()
        lock.unlock()
        for c in targets { c.finish() }
    }
}

/// The event log could not be opened or written: the path and the system's reason.
public struct EventLogError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The log's path as given.
    public var path: String
    /// The system's reason (`strerror`), e.g. "No space left on device".
    public var reason: String

    /// `cannot write event log PATH: reason`.
    public var description: String { "cannot write event log \(path): \(reason)" }
}

/// Appends each event as one JSON line to a file (one `write(2)` per line, so
/// a killed process loses at most the line being written).
///
/// A failed write throws `EventLogError` and closes the log: later writes
/// throw the same error, so no line is written after a lost one.
public final class JSONLinesEventLog: @unchecked Sendable {
    /// The log's path as given.
    public let path: String
    private let lock = NSLock()
    private var fd: Int32
    private var failure: EventLogError?
    private let encoder: JSONEncoder

    /// Opens (creating or appending to) `path`; throws `EventLogError` when it cannot.
    public init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw EventLogError(path: path, reason: String(cString: strerror(errno))) }
        encoder = makeJSONEncoder(pretty: false)
    }

    /// Appends `event` as one JSON line.
    public func write(_ event: StrategyEvent) throws {
        lock.lock()
        defer { lock.unlock() }
        if let failure { throw failure }
        do {
            var line = try encoder.encode(event)
            line.append(0x0A)
            try line.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else { throw EventLogError(path: path, reason: String(cString: strerror(n < 0 ? errno : EIO))) }
                    offset += n
                }
            }
        } catch {
            let failure = error as? EventLogError ?? EventLogError(path: path, reason: "cannot encode the event: \(error)")
            self.failure = failure
            close(fd)
            fd = -1
            throw failure
        }
    }

    deinit { if fd >= 0 { close(fd) } }
}
