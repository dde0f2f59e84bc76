import DeltaArbitrage

/// How re-optimisations are scheduled.
public enum OptimizationScheduling: Sendable, Hashable {
    /// On the feed's own timestamps: updates fall due at `t₀ + k·interval` and
    /// run, inline, before the first tick at or after that time is traded — the
    /// walk-forward's schedule exactly, which makes a replay reproducible.
    case dataClock
    /// When asked (`StrategyLoop.refreshParameters(ifDueAt:)`, e.g. by a
    /// `ParameterUpdateScheduler` on the wall clock): the optimisation runs off
    /// the tick path while ticks keep trading on the thresholds in force.
    case onRequest
}

/// Connects the optimiser to the strategy (the seed's `OptimizerBridge`),
/// owned by the `StrategyLoop` and driven only by it: it keeps the recent
/// market data in a bounded columnar ring (`recentMarketData(hours:)`),
/// decides when an update is due, and turns an optimisation into an
/// `OptimizationJob` (data snapshot + optimiser, runnable anywhere) and its
/// outcome into a `ThresholdChange` for the strategy core, which checks the
/// safety rules; a failed or unsafe optimisation keeps the last good thresholds.
public struct OptimizerBridge: Sendable {
    /// Optimiser run for each update; its `statusHandler` publishes to the event hub.
    public let optimizer: DeltaArbitrageOptimizer
    /// Data clock or on request.
    public let scheduling: OptimizationScheduling
    private let interval: Int64
    private let lookbackHours: Double
    private let minDataPoints: Int
    private var ring: TickRing
    private var origin: Int64?
    private var next: Int64?
    /// The last successful optimisation and the ring version it saw: across a
    /// gap in the feed the same rows are due again and give the same result.
    private var lastReport: (version: Int, report: OptimizationReport)?
    /// The result of the most recent successful optimisation.
    public private(set) var lastResult: OptimizationResult?

    /// A bridge resuming the schedule committed in `context`.
    /// - Parameter ringCapacity: rows of recent data kept (must cover the
    ///   lookback for the optimiser to see all of it).
    public init(optimizer: DeltaArbitrageOptimizer, config: DeltaArbitrageConfig, context: StrategyContext, events: EventHub,
                ringCapacity: Int = 1_000_000, scheduling: OptimizationScheduling = .dataClock) {
        var optimizer = optimizer
        optimizer.statusHandler = { events.publish(.optimizationStatus($0)) }
        self.optimizer = optimizer
        self.scheduling = scheduling
        interval = Int64(config.parameterUpdateIntervalMinutes) * 60_000_000_000
        lookbackHours = config.optimizationLookbackHours
        minDataPoints = config.minSpreadDataPoints
        ring = TickRing(capacity: ringCapacity)
        origin = context.scheduleOriginNanoseconds
        next = context.nextUpdateNanoseconds
    }

    /// True when `nextDueOptimization(before:committedSequence:)` would do anything
    /// for `update`: return a job, or start the schedule (the feed's first update).
    public func hasDueOptimization(before update: BookUpdate, committedSequence: Int) -> Bool {
        guard scheduling == .dataClock else { return false }
        guard origin != nil else { return true }
        guard let due = next else { return false }
        return update.sequence > committedSequence && update.timestampNanoseconds >= due
    }

    /// On the data clock, the next optimisation due before `update` is traded
    /// (on the rows before it), with the schedule advanced past it; nil when
    /// none is due, when scheduling on request, or for an update at or below
    /// `committedSequence` (a replay after a restart only refills the ring).
    /// Call until nil, completing each job before asking for the next.
    public mutating func nextDueOptimization(before update: BookUpdate, committedSequence: Int) -> OptimizationJob? {
        guard scheduling == .dataClock else { return nil }
        let time = update.timestampNanoseconds
        // The schedule starts at the feed's first update, also when a restarted
        // replay is only catching up (no update can have fallen due before the
        // first committed schedule step, or it would have been committed).
        if origin == nil {
            origin = time
            next = time + interval
        }
        guard update.sequence > committedSequence, let due = next, time >= due else { return nil }
        next = due + interval
        return job(at: due)
    }

    /// Records `update` in the ring (after the optimisations due before it).
    public mutating func record(_ update: BookUpdate) { ring.append(update) }

    /// True when an update is due at `time` on the schedule and the ring
    /// holds at least `min_spread_data_points` rows.
    public func shouldUpdateParameters(at time: Int64) -> Bool {
        guard ring.count >= minDataPoints else { return false }
        guard let next else { return true }
        return time >= next
    }

    /// An optimisation now, on the rows up to the newest (the seed's
    /// `update_strategy_parameters()`); the next is due one interval later.
    public mutating func optimizationNow() -> OptimizationJob {
        let time = ring.newestTime ?? 0
        if origin == nil { origin = time }
        next = time + interval
        return job(at: time)
    }

    /// The rows within `hours` of the newest (the seed's `get_recent_market_data`).
    public func recentMarketData(hours: Double = 24) -> MarketData { ring.recent(hours: hours) }

    private func job(at time: Int64) -> OptimizationJob {
        let schedule = OptimizationSchedule(origin: origin ?? time, next: next ?? time + interval)
        let reusable = lastReport.flatMap { $0.version == ring.appended && optimizer.timeBudget == nil ? $0.report : nil }
        return OptimizationJob(time: time, schedule: schedule, data: ring.recent(hours: lookbackHours), version: ring.appended,
                               optimizer: optimizer, lookbackHours: lookbackHours, reusable: reusable)
    }

    /// The threshold change an optimisation's outcome asks for (remembering a
    /// successful result for reuse and for `lastResult`).
    public mutating func complete(_ outcome: OptimizationOutcome) -> ThresholdChange {
        switch outcome.result {
        case .success(let report):
            lastReport = (outcome.job.version, report)
            lastResult = report.result
            return .optimized(
                ThresholdPair(entryThresholdPct: report.result.entryThresholdPct, exitThresholdPct: report.result.exitThresholdPct),
                confidence: report.result.confidenceScore, durationMs: report.performance.optimizationDurationMs,
                atNanoseconds: outcome.job.time, schedule: outcome.job.schedule)
        case .failure(let error):
            return .optimizationFailed(reason: "\(error)", schedule: outcome.job.schedule)
        }
    }
}

/// One optimisation, detached from the bridge: a snapshot of the recent rows
/// and the optimiser, runnable on or off the strategy loop.
public struct OptimizationJob: Sendable {
    /// Data-clock time the update is for (its due time, or the newest row's), ns.
    public let time: Int64
    /// Schedule committed with the outcome.
    public let schedule: OptimizationSchedule
    let data: MarketData
    let version: Int
    let optimizer: DeltaArbitrageOptimizer
    let lookbackHours: Double
    /// The last report, when it was made on these very rows.
    let reusable: OptimizationReport?

    /// Runs the optimisation (or reuses the report made on the same rows);
    /// no data is a `DataFetchError`.
    public func run() async -> OptimizationOutcome {
        if let reusable { return OptimizationOutcome(job: self, result: .success(reusable)) }
        guard !data.isEmpty else {
            return OptimizationOutcome(job: self, result: .failure(DataFetchError(reason: "no market data received yet")))
        }
        do {
            return OptimizationOutcome(job: self, result: .success(try await optimizer.optimize(data, lookbackHours: lookbackHours)))
        } catch {
            return OptimizationOutcome(job: self, result: .failure(error))
        }
    }
}

/// What an `OptimizationJob` produced.
public struct OptimizationOutcome: Sendable {
    /// The job.
    public let job: OptimizationJob
    /// Its report, or why it failed.
    public let result: Result<OptimizationReport, any Error>
}

/// Asks the strategy to re-optimise every `interval` on `clock` when an update
/// is due (`StrategyLoop.refreshParameters(ifDueAt:)`); tests drive it with a
/// manual clock. Its `run()` has the shape of a swift-service-lifecycle `Service`.
public struct ParameterUpdateScheduler<C: Clock>: Sendable where C.Duration == Duration {
    /// Strategy whose parameters are refreshed.
    public let strategy: StrategyLoop
    /// Clock `interval` is slept on.
    public let clock: C
    /// Time between checks.
    public let interval: Duration
    /// Maps the clock to the data time the schedule is on (`.max`: update at
    /// every interval whenever the data suffices).
    public let now: @Sendable () async -> Int64

    /// A scheduler checking `strategy` every `interval` on `clock`.
    public init(strategy: StrategyLoop, clock: C, interval: Duration, now: @escaping @Sendable () async -> Int64 = { .max }) {
        self.strategy = strategy
        self.clock = clock
        self.interval = interval
        self.now = now
    }

    /// Runs until cancelled.
    public func run() async {
        while !Task.isCancelled {
            do { try await clock.sleep(for: interval) } catch { return }
            _ = await strategy.refreshParameters(ifDueAt: await now())
        }
    }
}
