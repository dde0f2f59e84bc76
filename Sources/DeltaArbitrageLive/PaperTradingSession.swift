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

/// A paper-trading run: a feed driven through a running `StrategyLoop`
/// (whose gateway is normally a `PaperExchange`) until the feed ends or the
/// run is cancelled; `summarize()` then reports it. `run()` has the shape of a
/// swift-service-lifecycle `Service`. The loop runs beside it (`StrategyLoop.running(_:)`, or as its own
/// service) and outlives it.
///
/// Each update is traded (orders, commits) before the next is taken from the
/// feed, so a slow strategy slows the feed instead of growing a buffer.
/// Cancelling stops after the update in hand; everything the strategy did is
/// already committed to its store. A feed that ends before the resumed
/// state's committed sequence throws `FeedContentMismatchError`.
public final class PaperTradingSession<Feed: BookTickerFeed>: Sendable {
    /// The updates.
    public let feed: Feed
    /// The strategy they go to (running).
    public let strategy: StrategyLoop
    /// The strategy's journal, read for the summary; nil for none.
    public let store: StrategyStore?
    /// Span the summary's rates are over; nil: from the run's first update to its last.
    public let spanNanoseconds: Int64?
    private let drive = Locked(Drive())

    /// A session feeding `feed` to `strategy`.
    public init(feed: Feed, strategy: StrategyLoop, store: StrategyStore?, spanNanoseconds: Int64? = nil) {
        self.feed = feed
        self.strategy = strategy
        self.store = store
        self.spanNanoseconds = spanNanoseconds
    }

    /// What the feed loop saw.
    private struct Drive: Sendable {
        var ticks = 0
        var seconds = 0.0
        var first: Int64?, last: Int64?
        // The tops and sequence of the last tick, to mark a position still open at the end.
        var lastSpot: BookTop?, lastFutures: BookTop?, lastSequence = 0
        var completed = true
    }

    /// Feeds the whole feed to the strategy.
    /// - Throws: the feed's errors, `FeedContentMismatchError`, the journal's
    ///   errors (a failed commit stops the strategy).
    public func run() async throws {
        let clock = ContinuousClock(), started = clock.now
        var drive = Drive()
        defer {
            drive.seconds = (clock.now - started).seconds
            self.drive.withLock { [drive] in $0 = drive }
        }
        try await feedAll(&drive)
    }

    /// The run so far: the journal's trades and parameter updates, the position
    /// (marked at the last tick's tops), the strategy's performance and latency.
    public func summarize() async throws -> PaperTradingSummary {
        let drive = self.drive.withLock { $0 }
        let journal = try await store?.trades() ?? []
        let updates = try await store?.parameterUpdates() ?? []
        let status = strategy.status()
        let context = status.context
        let latency = strategy.decisionLatencyHistogram()
        let trades = journal.map(\.trade)
        var mark: OpenPositionReport?
        if let held = context.position, let thresholds = context.thresholds, let last = drive.last, let lastSpot = drive.lastSpot,
           let lastFutures = drive.lastFutures {
            mark = OpenPositionReport(
                held.openPosition, markIndex: drive.lastSequence, markTimeNanoseconds: last, markSpotBid: lastSpot.bid,
                markFutAsk: lastFutures.ask,
                rule: strategy.config.optimizer.rule(entryThresholdPct: thresholds.entryThresholdPct,
                                                     exitThresholdPct: thresholds.exitThresholdPct))
        }
        let seconds = drive.seconds
        return PaperTradingSummary(
            trades: trades,
            tradeThresholds: journal.map { ThresholdPair(entryThresholdPct: $0.entryThresholdPct, exitThresholdPct: $0.exitThresholdPct) },
            parameterUpdates: updates,
            summary: BacktestSummary(trades: trades, spanNanoseconds: spanNanoseconds ?? ((drive.last ?? 0) - (drive.first ?? 0))),
            openPosition: context.position, openPositionMark: mark, halted: context.halted, performance: status.performance,
            ticks: drive.ticks, elapsedSeconds: seconds, ticksPerSecond: seconds > 0 ? Double(drive.ticks) / seconds : 0,
            decisionLatencyP50Ns: latency.value(atPercentile: 50), decisionLatencyP99Ns: latency.value(atPercentile: 99),
            decisionLatencyMaxNs: latency.max, completed: drive.completed)
    }

    private func feedAll(_ drive: inout Drive) async throws {
        var iterator = feed.makeAsyncIterator()
        while true {
            if Task.isCancelled { drive.completed = false; break }
            guard let update = try await iterator.next() else { break }
            drive.first = drive.first ?? update.timestampNanoseconds
            drive.last = update.timestampNanoseconds
            drive.lastSequence = update.sequence
            if let top = update.spot { drive.lastSpot = top }
            if let top = update.futures { drive.lastFutures = top }
            do {
                try await strategy.handle(update)
            } catch is StrategyLoopStopped {
                // Cancelled before the loop took this update.
                drive.completed = false
                break
            }
            drive.ticks += 1
        }
        if drive.completed { try await strategy.feedEnded() }
    }
}
