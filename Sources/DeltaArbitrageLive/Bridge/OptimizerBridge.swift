import DeltaArbitrage

/// Connects the optimiser to a running strategy (the seed's `OptimizerBridge`).
///
/// It keeps the recent market data in a bounded columnar ring
/// (`getRecentMarketData(hours:)`), decides when an update is due
/// (`shouldUpdateParameters(at:)`: on the schedule and with enough data),
/// runs the optimiser off the tick path, and hands the result to the
/// strategy, which checks the safety rules and swaps the thresholds
/// atomically; a failed or unsafe optimisation keeps the last good ones.
///
/// Two ways to drive it:
/// - **data clock** (`observe(_:)` with `scheduleOnDataClock`): updates fall
///   due at `t₀ + k·interval` of the feed's own timestamps and run before the
///   first tick at or after that time is traded — the walk-forward's
///   schedule exactly, which makes a replay reproducible (the tick loop
///   waits for the optimisation, which runs on the global queue, so that no
///   tick is traded on thresholds the walk-forward would not have had);
/// - **wall clock**: a `ParameterUpdateScheduler` calls
///   `updateStrategyParameters()` every interval on an injected clock; the
///   optimisation runs off the tick path (the bridge actor is reentrant
///   while it awaits the optimiser, so `observe(_:)` keeps recording ticks and
///   the strategy keeps trading on the thresholds in force until the swap).
public actor OptimizerBridge {
    /// Optimiser run for each update; its `statusHandler` publishes to the event hub.
    public let optimizer: DeltaArbitrageOptimizer
    /// Strategy the results are applied to.
    public let strategy: SimpleDeltaArbitrageStrategy
    /// Whether `observe(_:)` runs updates on the feed's timestamps; false leaves
    /// scheduling to the caller (`ParameterUpdateScheduler`).
    public let scheduleOnDataClock: Bool
    private let events: EventHub
    private let interval: Int64
    private let lookbackHours: Double
    private var ring: TickRing
    private var lastResult: OptimizationResult?
    private var origin: Int64?
    private var next: Int64?
    private var lastCommittedSequence: Int
    /// The last successful optimisation and the ring version it saw: across a
    /// gap in the feed the same rows are due again and give the same result.
    private var lastReport: (version: Int, report: OptimizationReport)?

    /// - Parameter ringCapacity: rows of recent data kept (must cover the
    ///   lookback for the optimiser to see all of it).
    public init(optimizer: DeltaArbitrageOptimizer, strategy: SimpleDeltaArbitrageStrategy, events: EventHub,
                ringCapacity: Int = 1_000_000, scheduleOnDataClock: Bool = true) async {
        var optimizer = optimizer
        optimizer.statusHandler = { events.publish(.optimizationStatus($0)) }
        self.optimizer = optimizer
        self.strategy = strategy
        self.events = events
        self.scheduleOnDataClock = scheduleOnDataClock
        let config = strategy.config
        interval = Int64(config.parameterUpdateIntervalMinutes) * 60_000_000_000
        lookbackHours = config.optimizationLookbackHours
        ring = TickRing(capacity: ringCapacity)
        let context = await strategy.currentContext
        origin = context.scheduleOriginNanoseconds
        next = context.nextUpdateNanoseconds
        lastCommittedSequence = context.lastSequence
        let hours = lookbackHours
        await strategy.attach(optimizer: optimizer) { [weak self] in
            guard let self else { throw DataFetchError(reason: "the optimizer bridge is gone") }
            return await self.getRecentMarketData(hours: hours)
        }
    }

    /// Takes an update before the strategy trades it: runs the updates that
    /// fell due on the data clock (on the rows before it), then records it.
    /// Updates the strategy has already committed (a replay after a
    /// restart) only refill the ring.
    public func observe(_ update: BookUpdate) async {
        let time = update.timestampNanoseconds
        // The schedule starts at the feed's first update, also when a restarted
        // replay is only catching up (no update can have fallen due before the
        // first committed schedule step, or it would have been committed).
        if scheduleOnDataClock && origin == nil {
            origin = time
            next = time + interval
        }
        if scheduleOnDataClock && update.sequence > lastCommittedSequence {
            while let due = next, time >= due {
                next = due + interval
                _ = await runUpdate(at: due)
            }
        }
        ring.append(update)
    }

    /// True when an update is due at `time` on the schedule and the ring
    /// holds at least `min_spread_data_points` rows.
    public func shouldUpdateParameters(at time: Int64) -> Bool {
        guard ring.count >= strategy.config.minSpreadDataPoints else { return false }
        guard let next else { return true }
        return time >= next
    }

    /// `shouldUpdateParameters(at:)` at the newest tick's time.
    public func shouldUpdateParameters() -> Bool {
        guard let newest = ring.newestTime else { return false }
        return shouldUpdateParameters(at: newest)
    }

    /// Optimises on the recent data now and updates the strategy (the seed's
    /// `update_strategy_parameters()`); false when the thresholds stay.
    public func updateStrategyParameters() async -> Bool {
        let time = ring.newestTime ?? 0
        if origin == nil { origin = time }
        next = time + interval
        return await runUpdate(at: time)
    }

    /// The rows within `hours` of the newest (the seed's `get_recent_market_data`).
    public func getRecentMarketData(hours: Double = 24) -> MarketData { ring.recent(hours: hours) }

    /// The result of the most recent successful optimisation.
    public func getLastOptimizationResult() -> OptimizationResult? { lastResult }

    private func runUpdate(at time: Int64) async -> Bool {
        let data = ring.recent(hours: lookbackHours)
        let schedule = (origin: origin ?? time, next: next ?? time + interval)
        guard !data.isEmpty else {
            try? await strategy.recordFailedUpdate("\(DataFetchError(reason: "no market data received yet"))", schedule: schedule)
            return false
        }
        do {
            let report: OptimizationReport
            if let last = lastReport, last.version == ring.appended, optimizer.timeBudget == nil {
                report = last.report
            } else {
                report = try await optimizer.optimize(data, lookbackHours: lookbackHours)
                lastReport = (ring.appended, report)
            }
            lastResult = report.result
            try await strategy.updateParameters(
                ThresholdPair(entryThresholdPct: report.result.entryThresholdPct, exitThresholdPct: report.result.exitThresholdPct),
                confidence: report.result.confidenceScore, durationMs: report.performance.optimizationDurationMs,
                atNanoseconds: time, schedule: schedule)
            return true
        } catch is ParameterUpdateError {
            return false  // the strategy recorded it and kept its thresholds
        } catch {
            try? await strategy.recordFailedUpdate("\(error)", schedule: schedule)
            return false
        }
    }
}

/// Calls `updateStrategyParameters()` every `interval` on `clock` while the
/// bridge says an update is due; tests drive it with a manual clock.
public struct ParameterUpdateScheduler<C: Clock>: Sendable where C.Duration == Duration {
    /// Bridge whose updates are run.
    public let bridge: OptimizerBridge
    /// Clock `interval` is slept on.
    public let clock: C
    /// Time between checks.
    public let interval: Duration

    /// A scheduler checking `bridge` every `interval` on `clock`.
    public init(bridge: OptimizerBridge, clock: C, interval: Duration) {
        self.bridge = bridge
        self.clock = clock
        self.interval = interval
    }

    /// Runs until cancelled; `now` maps the clock to the data time the bridge
    /// schedules on (`.max`: update at every interval whenever the data suffices).
    public func run(now: @escaping @Sendable () async -> Int64) async {
        while !Task.isCancelled {
            do { try await clock.sleep(for: interval) } catch { return }
            if await bridge.shouldUpdateParameters(at: await now()) {
                _ = await bridge.updateStrategyParameters()
            }
        }
    }
}
