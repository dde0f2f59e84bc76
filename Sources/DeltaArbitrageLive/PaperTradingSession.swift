import DeltaArbitrage
import Foundation

/// What a paper-trading run produced.
///
/// JSON (docs/schema/paper.schema.json): `open_position` has the backtest's
/// `OpenPositionReport` shape (marked at the last tick's tops), and
/// `open_position_legs` the live detail behind it (quantity, open legs, fills).
public struct PaperTradingSummary: Sendable, Encodable {
    /// Every trade in the journal, in the backtest's trade format.
    public var trades: [Trade]
    /// The thresholds in force at each trade.
    public var tradeThresholds: [ThresholdPair]
    /// Every threshold change in the store's history, in order; empty without a store.
    public var parameterUpdates: [ParameterUpdateEvent]
    /// Summary of `trades` over `spanNanoseconds`, or over the span from this run's
    /// first update to its last.
    public var summary: BacktestSummary
    /// Position held at the end; nil when flat.
    public var openPosition: LivePosition?
    /// `openPosition` in the backtest's shape, marked at the last tick's tops;
    /// nil when flat (or when no tick of this run could mark it).
    public var openPositionMark: OpenPositionReport?
    /// Why trading halted; nil while trading.
    public var halted: String?
    /// The strategy's execution metrics at the end.
    public var performance: StrategyPerformance
    /// Updates taken from the feed in this run.
    public var ticks: Int
    /// Wall-clock duration of the run, seconds.
    public var elapsedSeconds: Double
    /// `ticks / elapsedSeconds`; 0 for a zero duration.
    public var ticksPerSecond: Double
    /// Median tick-to-decision latency, nanoseconds (0 without decisions).
    public var decisionLatencyP50Ns: Int64
    /// 99th-percentile tick-to-decision latency, nanoseconds (0 without decisions).
    public var decisionLatencyP99Ns: Int64
    /// Largest tick-to-decision latency, nanoseconds (0 without decisions).
    public var decisionLatencyMaxNs: Int64
    /// True when the feed ended; false when the run was stopped (Ctrl-C, SIGTERM).
    public var completed: Bool

    enum CodingKeys: String, CodingKey {
        case trades, tradeThresholds = "trade_thresholds", parameterUpdates = "parameter_updates", summary
        case openPositionMark = "open_position", openPosition = "open_position_legs", halted
        case performance = "strategy_performance", ticks
        case elapsedSeconds = "elapsed_seconds", ticksPerSecond = "ticks_per_second"
        case decisionLatencyP50Ns = "decision_latency_p50_ns", decisionLatencyP99Ns = "decision_latency_p99_ns"
        case decisionLatencyMaxNs = "decision_latency_max_ns", completed
    }

    /// The legs of the live position (its entry is in `open_position`).
    private struct Legs: Encodable {
        let position: LivePosition

        enum CodingKeys: String, CodingKey {
            case quantity, spotOpen = "spot_open", futuresOpen = "futures_open", spotFill = "spot_fill"
            case futuresFill = "futures_fill"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeFinite(position.quantity, forKey: .quantity)
            try c.encode(position.spotOpen, forKey: .spotOpen)
            try c.encode(position.futuresOpen, forKey: .futuresOpen)
            try c.encode(position.spotFill, forKey: .spotFill)
            try c.encode(position.futuresFill, forKey: .futuresFill)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(trades, forKey: .trades)
        try c.encode(tradeThresholds, forKey: .tradeThresholds)
        try c.encode(parameterUpdates, forKey: .parameterUpdates)
        try c.encode(summary, forKey: .summary)
        // Explicit nulls: every key is always there.
        try c.encode(openPositionMark, forKey: .openPositionMark)
        try c.encode(openPosition.map(Legs.init), forKey: .openPosition)
        try c.encode(halted, forKey: .halted)
        try c.encode(performance, forKey: .performance)
        try c.encode(ticks, forKey: .ticks)
        try c.encodeFinite(elapsedSeconds, forKey: .elapsedSeconds)
        try c.encodeFinite(ticksPerSecond, forKey: .ticksPerSecond)
        try c.encode(decisionLatencyP50Ns, forKey: .decisionLatencyP50Ns)
        try c.encode(decisionLatencyP99Ns, forKey: .decisionLatencyP99Ns)
        try c.encode(decisionLatencyMaxNs, forKey: .decisionLatencyMaxNs)
        try c.encode(completed, forKey: .completed)
    }
}

/// Runs the live stack over a feed: each update goes to the paper exchange's
/// book, then to the bridge (scheduled re-optimisation), then to the strategy.
/// Cancelling the task stops after the update in hand; everything the
/// strategy did is already committed to its store. A feed that ends before
/// the resumed state's committed sequence throws `FeedContentMismatchError`.
public func runPaperTrading<Feed: BookTickerFeed, C: Clock>(
    feed: Feed, strategy: SimpleDeltaArbitrageStrategy, exchange: PaperExchange<C>, bridge: OptimizerBridge?,
    store: StrategyStore?, spanNanoseconds: Int64? = nil
) async throws -> PaperTradingSummary where C.Duration == Duration {
    let clock = ContinuousClock(), started = clock.now
    var ticks = 0
    var first: Int64?, last: Int64?
    // The tops and sequence of the last tick, to mark a position still open at the end.
    var lastSpot: BookTop?, lastFutures: BookTop?, lastSequence = 0
    var completed = true
    var iterator = feed.makeAsyncIterator()
    while true {
        if Task.isCancelled { completed = false; break }
        guard let update = try await iterator.next() else { break }
        first = first ?? update.timestampNanoseconds
        last = update.timestampNanoseconds
        lastSequence = update.sequence
        if let top = update.spot { lastSpot = top }
        if let top = update.futures { lastFutures = top }
        await exchange.update(update)
        await bridge?.observe(update)
        try await strategy.handle(update)
        ticks += 1
    }
    if completed { try await strategy.feedEnded() }
    let elapsed = clock.now - started
    let seconds = elapsed.seconds
    let journal = try await store?.trades() ?? []
    let updates = try await store?.parameterUpdates() ?? []
    let context = await strategy.currentContext
    let latency = await strategy.decisionLatencyHistogram()
    let trades = journal.map(\.trade)
    var mark: OpenPositionReport?
    if let held = context.position, let thresholds = context.thresholds, let last, let lastSpot, let lastFutures {
        mark = OpenPositionReport(
            held.openPosition, markIndex: lastSequence, markTimeNanoseconds: last, markSpotBid: lastSpot.bid,
            markFutAsk: lastFutures.ask,
            rule: strategy.config.optimizer.rule(entryThresholdPct: thresholds.entryThresholdPct,
                                       exitThresholdPct: thresholds.exitThresholdPct))
    }
    return PaperTradingSummary(
        trades: trades,
        tradeThresholds: journal.map { ThresholdPair(entryThresholdPct: $0.entryThresholdPct, exitThresholdPct: $0.exitThresholdPct) },
        parameterUpdates: updates,
        summary: BacktestSummary(trades: trades, spanNanoseconds: spanNanoseconds ?? ((last ?? 0) - (first ?? 0))),
        openPosition: context.position, openPositionMark: mark, halted: context.halted, performance: await strategy.performance(),
        ticks: ticks, elapsedSeconds: seconds, ticksPerSecond: seconds > 0 ? Double(ticks) / seconds : 0,
        decisionLatencyP50Ns: latency.value(atPercentile: 50), decisionLatencyP99Ns: latency.value(atPercentile: 99),
        decisionLatencyMaxNs: latency.max, completed: completed)
}
