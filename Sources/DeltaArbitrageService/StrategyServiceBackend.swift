import DeltaArbitrage
import DeltaArbitrageLive

/// What the HTTP API needs from the running strategy service: the seed's
/// status and parameter calls, the feeds' health and the strategy's events.
///
/// `delta-arb serve` implements it on top of the strategy loop and the
/// exchange feeds; the tests implement it with a fake. Every call may come
/// from any task at any time (one per HTTP request), so an implementation
/// answers from a snapshot and never makes the strategy wait for a client.
public protocol StrategyServiceBackend: Sendable {
    /// Everything `GET /status` shows about the strategy (the feeds come from `feedHealth()`).
    func status() async -> StrategyStatusSnapshot

    /// Entry/exit thresholds in force (the seed's `get_current_parameters()`); nil before any.
    func currentParameters() async -> ThresholdPair?

    /// The seed's `update_parameters()`: optimises on the recent data now and
    /// applies the result through the strategy's safety rules.
    ///
    /// Returns what changed. Throws `ParameterUpdateError` when the update was
    /// refused and the thresholds in force stay (unsafe result, optimiser
    /// failure, updates disabled), `DataFetchError` when there is no data to
    /// optimise on yet; any other error is reported as an internal failure.
    func updateParameters() async throws -> ParameterRefreshResult

    /// Freshness and counters of each market's feed, read now.
    func feedHealth() async -> FeedHealthReport

    /// Every strategy event published from now on, in publication order
    /// (`EventHub.subscribe()`); the stream finishes when the strategy stops.
    /// The service drains it promptly into a bounded per-client buffer, so the
    /// stream itself never holds more than a few events.
    func subscribeEvents() -> AsyncStream<StrategyEvent>

    /// The quote recorders' counts (`--record-db`); empty without recorders.
    func recorderStates() async -> [RecorderState]
}

/// The strategy's side of `GET /status`.
///
/// JSON: `symbol`, `optimization_status` (the seed's `get_optimization_status()`,
/// thresholds in force included), `position` (`null` when flat),
/// `last_optimization` (the seed's `OptimizationResult` of the most recent
/// successful optimisation, `null` before one), `performance` (the seed's
/// `StrategyPerformance`) and `decision_latency`.
public struct StrategyStatusSnapshot: Sendable, Equatable, Codable {
    /// The traded pair as given to `serve`, e.g. `BTC/USDT`.
    public var symbol: String
    /// The seed's `get_optimization_status()`.
    public var optimizationStatus: StrategyOptimizationStatus
    /// The hedged position held; nil when flat.
    public var position: LivePosition?
    /// The most recent successful optimisation (`OptimizerBridge.getLastOptimizationResult()`); nil before one.
    public var lastOptimization: OptimizationResult?
    /// The seed's `StrategyPerformance`.
    public var performance: StrategyPerformance
    /// Tick-to-decision latency so far.
    public var decisionLatency: LatencySummary

    /// A snapshot from its parts.
    public init(symbol: String, optimizationStatus: StrategyOptimizationStatus, position: LivePosition?,
                lastOptimization: OptimizationResult?, performance: StrategyPerformance, decisionLatency: LatencySummary) {
        self.symbol = symbol
        self.optimizationStatus = optimizationStatus
        self.position = position
        self.lastOptimization = lastOptimization
        self.performance = performance
        self.decisionLatency = decisionLatency
    }

    enum CodingKeys: String, CodingKey {
        case symbol, optimizationStatus = "optimization_status", position, lastOptimization = "last_optimization"
        case performance, decisionLatency = "decision_latency"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(symbol, forKey: .symbol)
        try c.encode(optimizationStatus, forKey: .optimizationStatus)
        try c.encode(position, forKey: .position)  // explicit null when flat
        try c.encode(lastOptimization, forKey: .lastOptimization)
        try c.encode(performance, forKey: .performance)
        try c.encode(decisionLatency, forKey: .decisionLatency)
    }
}

/// Percentiles of a `LatencyHistogram`, nanoseconds.
///
/// JSON: `count`, `p50_ns`, `p99_ns`, `p999_ns`, `max_ns` (all 0 when empty).
public struct LatencySummary: Sendable, Equatable, Codable {
    /// Values recorded.
    public var count: UInt64
    /// Median, ns.
    public var p50Nanoseconds: Int64
    /// 99th percentile, ns.
    public var p99Nanoseconds: Int64
    /// 99.9th percentile, ns.
    public var p999Nanoseconds: Int64
    /// Largest value, ns.
    public var maxNanoseconds: Int64

    /// The summary of `histogram` (its percentiles are within 1/1024 of the exact values).
    public init(_ histogram: LatencyHistogram) {
        count = histogram.count
        p50Nanoseconds = histogram.value(atPercentile: 50)
        p99Nanoseconds = histogram.value(atPercentile: 99)
        p999Nanoseconds = histogram.value(atPercentile: 99.9)
        maxNanoseconds = histogram.max
    }

    enum CodingKeys: String, CodingKey {
        case count, p50Nanoseconds = "p50_ns", p99Nanoseconds = "p99_ns", p999Nanoseconds = "p999_ns"
        case maxNanoseconds = "max_ns"
    }
}

/// One market's feed as the health check sees it.
///
/// JSON: `market` (`spot`/`futures`), `venue`, `connected`, `fresh`,
/// `problem` (why it is not fresh; `null` when fresh),
/// `last_update_age_seconds` (local clock; `null` before the first update),
/// `messages`, `reconnects`, `rejected` (counts since the service started) and
/// `clock_offset_ms` (`local − exchange`, `null` before an estimate).
public struct FeedState: Sendable, Equatable, Codable {
    /// The market this feed quotes.
    public var market: Market
    /// Where the quotes come from: `gateio`, `binance`, `replay`, …
    public var venue: String
    /// Whether the connection is up (subscribed) now.
    public var connected: Bool
    /// Why the feed is not fresh, for a person (`no update for 12.0 s (limit 5 s)`,
    /// `disconnected, reconnecting`); nil when fresh. The backend decides freshness.
    public var problem: String?
    /// Seconds since the last valid update arrived (local clock); nil before the first.
    public var lastUpdateAgeSeconds: Double?
    /// Valid book-ticker updates received since the service started.
    public var messages: Int
    /// Reconnections since the service started.
    public var reconnects: Int
    /// Messages skipped since the service started: malformed, repeated or out of order.
    public var rejected: Int
    /// Estimated `local − exchange` clock offset, milliseconds; nil before an estimate.
    public var clockOffsetMilliseconds: Double?

    /// A feed state; `problem` nil means fresh.
    public init(market: Market, venue: String, connected: Bool, problem: String?, lastUpdateAgeSeconds: Double?,
                messages: Int, reconnects: Int, rejected: Int, clockOffsetMilliseconds: Double? = nil) {
        self.market = market
        self.venue = venue
        self.connected = connected
        self.problem = problem
        self.lastUpdateAgeSeconds = lastUpdateAgeSeconds
        self.messages = messages
        self.reconnects = reconnects
        self.rejected = rejected
        self.clockOffsetMilliseconds = clockOffsetMilliseconds
    }

    /// True when the feed has no problem.
    public var isFresh: Bool { problem == nil }

    enum CodingKeys: String, CodingKey {
        case market, venue, connected, fresh, problem, lastUpdateAgeSeconds = "last_update_age_seconds"
        case messages, reconnects, rejected, clockOffsetMilliseconds = "clock_offset_ms"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(market, forKey: .market)
        try c.encode(venue, forKey: .venue)
        try c.encode(connected, forKey: .connected)
        try c.encode(isFresh, forKey: .fresh)
        try c.encode(problem, forKey: .problem)
        try c.encodeFinite(lastUpdateAgeSeconds, forKey: .lastUpdateAgeSeconds)
        try c.encode(messages, forKey: .messages)
        try c.encode(reconnects, forKey: .reconnects)
        try c.encode(rejected, forKey: .rejected)
        try c.encodeFinite(clockOffsetMilliseconds, forKey: .clockOffsetMilliseconds)
    }

    public init(from decoder: any Decoder) throws {
        // `fresh` is not read back: it follows from `problem`.
        let c = try decoder.container(keyedBy: CodingKeys.self)
        market = try c.decode(Market.self, forKey: .market)
        venue = try c.decode(String.self, forKey: .venue)
        connected = try c.decode(Bool.self, forKey: .connected)
        problem = try c.decodeIfPresent(String.self, forKey: .problem)
        lastUpdateAgeSeconds = try c.decodeIfPresent(Double.self, forKey: .lastUpdateAgeSeconds)
        messages = try c.decode(Int.self, forKey: .messages)
        reconnects = try c.decode(Int.self, forKey: .reconnects)
        rejected = try c.decode(Int.self, forKey: .rejected)
        clockOffsetMilliseconds = try c.decodeIfPresent(Double.self, forKey: .clockOffsetMilliseconds)
    }
}

/// What one market's quote recorder (`--record-db`) has done so far, for `/metrics`.
public struct RecorderState: Sendable, Equatable {
    /// The market recorded.
    public var market: Market
    /// Rows written to the store.
    public var inserted: Int
    /// Quotes the store held already, superseded within a microsecond, or unstorable.
    public var skipped: Int
    /// Quotes dropped because too many were pending while writes failed.
    public var dropped: Int
    /// Writes that failed (their quotes stay pending).
    public var failedWrites: Int
    /// Quotes waiting for the next write.
    public var pending: Int

    public init(market: Market, inserted: Int, skipped: Int, dropped: Int, failedWrites: Int, pending: Int) {
        self.market = market
        self.inserted = inserted
        self.skipped = skipped
        self.dropped = dropped
        self.failedWrites = failedWrites
        self.pending = pending
    }
}

extension StrategyServiceBackend {
    /// No recorders unless the backend has some.
    public func recorderStates() async -> [RecorderState] { [] }
}

/// The feeds' health: healthy when there is at least one feed and every feed is fresh.
public struct FeedHealthReport: Sendable, Equatable, Codable {
    /// One entry per market feed.
    public var feeds: [FeedState]

    /// A report on `feeds`.
    public init(feeds: [FeedState]) { self.feeds = feeds }

    /// Why the service is not healthy, one line per problem (`spot: no update for 12.0 s (limit 5 s)`); empty when healthy.
    public var reasons: [String] {
        if feeds.isEmpty { return ["no market-data feed is running"] }
        return feeds.compactMap { feed in feed.problem.map { "\(feed.market.rawValue): \($0)" } }
    }

    /// True when every feed is fresh (and there is one).
    public var isHealthy: Bool { reasons.isEmpty }
}

/// What `POST /parameters/refresh` applied.
///
/// JSON: `updated` (always `true`: a refused update is an error response),
/// `parameter_update` (the seed's `ParameterUpdateEvent`: old and new
/// thresholds, confidence, optimisation duration) and `optimization` (the
/// seed's `OptimizationResult` behind it, `null` when the backend has none).
public struct ParameterRefreshResult: Sendable, Equatable, Codable {
    /// The threshold change the update made.
    public var parameterUpdate: ParameterUpdateEvent
    /// The optimiser's result the new thresholds come from.
    public var optimization: OptimizationResult?

    /// A result from the applied change and the optimisation behind it.
    public init(parameterUpdate: ParameterUpdateEvent, optimization: OptimizationResult?) {
        self.parameterUpdate = parameterUpdate
        self.optimization = optimization
    }

    enum CodingKeys: String, CodingKey { case updated, parameterUpdate = "parameter_update", optimization }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(true, forKey: .updated)
        try c.encode(parameterUpdate, forKey: .parameterUpdate)
        try c.encode(optimization, forKey: .optimization)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        parameterUpdate = try c.decode(ParameterUpdateEvent.self, forKey: .parameterUpdate)
        optimization = try c.decodeIfPresent(OptimizationResult.self, forKey: .optimization)
    }
}
