import DeltaArbitrage
import Foundation

/// What a paper-trading run produced.
public struct PaperTradingSummary: Sendable, Codable {
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
        case openPosition = "open_position", halted, performance = "strategy_performance", ticks
        case elapsedSeconds = "elapsed_seconds", ticksPerSecond = "ticks_per_second"
        case decisionLatencyP50Ns = "decision_latency_p50_ns", decisionLatencyP99Ns = "decision_latency_p99_ns"
        case decisionLatencyMaxNs = "decision_latency_max_ns", completed
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
    var completed = true
    var iterator = feed.makeAsyncIterator()
    while true {
        if Task.isCancelled { completed = false; break }
        guard let update = try await iterator.next() else { break }
        first = first ?? update.timestampNanoseconds
        last = update.timestampNanoseconds
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
    return PaperTradingSummary(
        trades: trades,
        tradeThresholds: journal.map { ThresholdPair(entryThresholdPct: $0.entryThresholdPct, exitThresholdPct: $0.exitThresholdPct) },
        parameterUpdates: updates,
        summary: BacktestSummary(trades: trades, spanNanoseconds: spanNanoseconds ?? ((last ?? 0) - (first ?? 0))),
        openPosition: context.position, halted: context.halted, performance: await strategy.performance(),
        ticks: ticks, elapsedSeconds: seconds, ticksPerSecond: seconds > 0 ? Double(ticks) / seconds : 0,
        decisionLatencyP50Ns: latency.value(atPercentile: 50), decisionLatencyP99Ns: latency.value(atPercentile: 99),
        decisionLatencyMaxNs: latency.max, completed: completed)
}
