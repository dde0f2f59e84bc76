import SpreadKernels
import DeltaArbitrage
import Foundation

/// A saved strategy state belongs to another feed than the one offered.
public struct FeedMismatchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Feed identity the saved state is bound to.
    public var stored: String
    /// Feed identity offered now.
    public var offered: String
    /// The message, naming both identities and the remedy.
    public var description: String {
        "the saved state belongs to another feed (\(stored)), not \(offered); use a new state file"
    }
}

/// A resumed feed's first updates do not reproduce the checksum committed
/// with the saved state: another feed of the same shape, or an edited one.
public struct FeedContentMismatchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Updates (rows of a replay) the saved state's checksum covers.
    public var committedUpdates: Int
    /// Last sequence the saved state committed.
    public var committedSequence: Int
    /// Updates the feed gave before it ended, when it ended before reaching
    /// `committedSequence`; nil when its content differs.
    public var endedAfter: Int?

    /// The message, naming the committed row count and the remedy.
    public var description: String {
        if let endedAfter {
            return "the feed ended after \(endedAfter) rows, before the \(committedUpdates) rows the saved state has committed "
                + "(through sequence \(committedSequence)); resume with the feed the state was made from, or use a new state file"
        }
        return "the feed differs from the one the saved state was made from: its first \(committedUpdates) rows "
            + "(through sequence \(committedSequence)) do not reproduce the checksum committed with them; "
            + "resume with the feed the state was made from, or use a new state file"
    }
}

/// Thresholds given for a resumed state differ from the ones it saved.
public struct ThresholdMismatchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Thresholds the state saved: those given when it was made, or else those in force.
    public var saved: ThresholdPair
    /// Thresholds given now.
    public var given: ThresholdPair

    /// Both pairs, in percent.
    public var description: String {
        "the thresholds given (entry \(given.entryThresholdPct) %, exit \(given.exitThresholdPct) %) differ from the "
            + "saved state's (entry \(saved.entryThresholdPct) %, exit \(saved.exitThresholdPct) %)"
    }
}

/// The optimiser status the strategy reports (the seed's `get_optimization_status()`).
public struct StrategyOptimizationStatus: Sendable, Hashable, Codable {
    /// Thresholds in force; nil before any.
    public var thresholds: ThresholdPair?
    /// Confidence score behind them, in [0, 1]; nil for fixed thresholds or none.
    public var confidenceScore: Double?
    /// Optimisations whose thresholds were applied.
    public var successfulUpdates: Int
    /// Updates that failed and left the thresholds unchanged.
    public var failedUpdates: Int
    /// Why the last update failed; nil after a success or before any failure.
    public var lastUpdateError: String?
    /// Next scheduled re-optimisation, ISO-8601 UTC; nil without a data-clock schedule.
    public var nextUpdateTime: String?
    /// Why trading halted; nil while trading.
    public var halted: String?

    enum CodingKeys: String, CodingKey {
        case thresholds, confidenceScore = "confidence_score", successfulUpdates = "successful_updates"
        case failedUpdates = "failed_updates", lastUpdateError = "last_update_error"
        case nextUpdateTime = "next_update_time", halted
    }
}

/// The live side of the seed's strategy: one hedged spot/futures position
/// at a time, opened and closed by exactly the backtest's decisions
/// (`TradeDecision`) on every book update, with thresholds an optimiser
/// keeps fresh.
///
/// On each update the strategy moves its tops, then — like one row of the
/// backtest — either opens (buy spot at the ask, sell futures at the bid,
/// both legs at once) when flat and `entry_cost_pct < entry`, or closes on
/// the profit target or the hold limit when in a position; the update that
/// closes never opens. With the paper exchange and fixed thresholds, a
/// replay produces exactly the backtest's trades.
///
/// Safety:
/// - no position opens while either market's top is older than
///   `staleAfter` (data time) or before thresholds exist;
/// - if one leg of an open fills and the other is rejected, the filled leg
///   is unwound at once; if that fails too, the position is kept with its
///   open legs flagged and trading halts with an alert — never silently
///   unhedged. A failed close retries the failed leg, then halts the same way;
/// - every state change (position, trade, thresholds, schedule) is committed
///   to the `StrategyStore` in one transaction before the next update.
///
/// Sizing: each leg trades `base_position_size · m / spot_ask` base units,
/// `m = 1 + (max_position_multiplier − 1) · confidence` (1 with fixed thresholds).
public actor SimpleDeltaArbitrageStrategy {
    /// Sizing, safety rules, fees, hold limit and update schedule (validated).
    public let config: DeltaArbitrageConfig
    /// Largest age (data clock) either market's top may have for a position to open.
    public let staleAfter: Duration
    private let gateway: any OrderGateway
    private let store: StrategyStore?
    private let events: EventHub
    private let cutoff: Int64
    private var context: StrategyContext
    private var spot: BookTop?
    private var futures: BookTop?
    private var spotTime: Int64 = .min
    private var futuresTime: Int64 = .min
    private var staleAlerted = false
    /// Checksum of every update handled so far (replayed ones included).
    private var consumed = FeedChecksum()
    /// The feed has reproduced the committed checksum (or there was none to reproduce).
    private var feedVerified = false
    // Metrics.
    private var decisionLatency = LatencyHistogram()
    // Running means (a service runs for months: no per-event storage).
    private var execution = (count: 0, totalMs: 0.0)
    private var updates = (count: 0, totalMs: 0.0)
    private var handled = 0
    private var operational = 0
    /// Last update fully handled (its effects, if any, committed). Commits of
    /// thresholds or schedule advance the committed sequence to it, so that a
    /// restart does not trade earlier ticks again under later thresholds.
    private var lastHandled = -1
    // One state change at a time: an actor method that awaits (orders, the
    // store) lets other calls in, so updates and parameter swaps queue here
    // in arrival order instead of interleaving.
    private var gateHeld = false
    private var gateWaiters: [CheckedContinuation<Void, Never>] = []
    // Where `updateParameters()` gets its optimiser and data (set by the bridge).
    private var optimizer: DeltaArbitrageOptimizer?
    private var recentData: (@Sendable () async throws -> MarketData)?

    /// A strategy resuming from `store`'s committed context (fresh without a store).
    public init(config: DeltaArbitrageConfig, gateway: any OrderGateway, store: StrategyStore? = nil,
                events: EventHub = EventHub(), staleAfter: Duration = .seconds(30)) async throws {
        try config.validate()
        self.config = config
        self.gateway = gateway
        self.store = store
        self.events = events
        self.staleAfter = staleAfter
        cutoff = SpreadFormulas.timeoutCutoffNanoseconds(maxHours: config.maxHoldHours)
        let saved = try await store?.context() ?? StrategyContext()
        // A state is data like any input: thresholds read back pass the same rules as new ones.
        for (what, pair) in [("thresholds in force", saved.thresholds), ("given thresholds", saved.givenThresholds)] {
            guard let pair else { continue }
            if let violation = config.optimizer.safetyViolation(entryThreshold: pair.entryThresholdPct, exitThreshold: pair.exitThresholdPct) {
                throw ParameterUpdateError(reason: "the saved state's \(what) (entry \(pair.entryThresholdPct) %, exit "
                    + "\(pair.exitThresholdPct) %) are unsafe: \(violation)")
            }
        }
        context = saved
    }

    /// The committed context (for the bridge's schedule and for tests).
    public var currentContext: StrategyContext { context }

    /// Entry/exit thresholds in force (the seed's `get_current_parameters()`), nil before any.
    public func currentParameters() -> ThresholdPair? { context.thresholds }

    /// The seed's `get_optimization_status()`.
    public func optimizationStatus() -> StrategyOptimizationStatus {
        StrategyOptimizationStatus(
            thresholds: context.thresholds, confidenceScore: context.confidenceScore,
            successfulUpdates: context.successfulUpdates, failedUpdates: context.failedUpdates,
            lastUpdateError: context.lastUpdateError,
            nextUpdateTime: context.nextUpdateNanoseconds.map { UTCTime.iso8601(nanoseconds: $0) },
            halted: context.halted)
    }

    /// Processes one book update: the backtest's row step. Updates at or
    /// below the last committed sequence (a replay after a restart) are skipped,
    /// but folded into the feed checksum: the update at the committed sequence
    /// must reproduce the committed checksum, or this throws
    /// `FeedContentMismatchError` before any order. A feed resumed against a
    /// saved state therefore replays the committed updates from its start.
    public func handle(_ update: BookUpdate) async throws {
        await acquire()
        defer { release() }
        consumed.add(update)
        if !feedVerified { try verifyFeed(at: update) }
        // The book moves even on updates already committed (a replay after a restart).
        if let s = update.spot { spot = s; spotTime = update.timestampNanoseconds }
        if let f = update.futures { futures = f; futuresTime = update.timestampNanoseconds }
        guard update.sequence > context.lastSequence else { return }
        defer { lastHandled = max(lastHandled, update.sequence) }
        let started = ContinuousClock.now
        handled += 1
        guard context.halted == nil, let thresholds = context.thresholds, let spot, let futures else {
            record(latencySince: started)
            return
        }
        let rule = config.optimizer.rule(entryThresholdPct: thresholds.entryThresholdPct, exitThresholdPct: thresholds.exitThresholdPct)
        let time = update.timestampNanoseconds
        if let held = context.position {
            operational += 1
            let reason = TradeDecision.exit(held.openPosition, spotBid: spot.bid, futAsk: futures.ask, time: time,
                                           rule: rule, cutoff: cutoff)
            record(latencySince: started)
            if let reason { try await close(held, reason: reason, update: update, spot: spot, futures: futures, rule: rule) }
            return
        }
        let stale = isStale(at: time)
        if !stale { operational += 1 }
        let opens = !stale && TradeDecision.opens(spotAsk: spot.ask, futBid: futures.bid, rule: rule)
        record(latencySince: started)
        if opens { try await open(update: update, spot: spot, futures: futures, thresholds: thresholds) }
    }

    private func verifyFeed(at update: BookUpdate) throws {
        guard let committed = context.feedChecksum, context.lastSequence >= 0 else {
            feedVerified = true
            return
        }
        if update.sequence < context.lastSequence { return }
        guard update.sequence == context.lastSequence, consumed == committed else {
            throw FeedContentMismatchError(committedUpdates: committed.updates, committedSequence: context.lastSequence)
        }
        feedVerified = true
    }

    /// Call when the feed has ended: throws `FeedContentMismatchError` when it
    /// ended before reaching the saved state's committed sequence (its content
    /// could not be checked, and the state is ahead of the feed).
    public func feedEnded() throws {
        guard !feedVerified, let committed = context.feedChecksum, context.lastSequence >= 0 else { return }
        throw FeedContentMismatchError(committedUpdates: committed.updates, committedSequence: context.lastSequence,
                                       endedAfter: consumed.updates)
    }

    /// `next` advanced to the updates handled through `sequence`, with their
    /// checksum; unchanged while a resumed feed is still replaying committed updates.
    private func advance(_ next: inout StrategyContext, through sequence: Int) {
        guard sequence > next.lastSequence else { return }
        next.lastSequence = sequence
        next.feedChecksum = consumed
    }

    /// True when either market's top is older than `staleAfter` at `time` (data clock).
    public func isStale(at time: Int64) -> Bool {
        let limit = staleAfter.nanoseconds
        // No top yet counts as stale (the subtraction would wrap from `.min`).
        let stale = spotTime == .min || futuresTime == .min || time &- spotTime > limit || time &- futuresTime > limit
        if stale && !staleAlerted {
            staleAlerted = true
            events.publish(.alert(AlertEvent(timestamp: Double(time) / 1e9,
                                             message: "market data stale (older than \(staleAfter)); not opening positions")))
        } else if !stale {
            staleAlerted = false
        }
        return stale
    }

    // MARK: Parameters

    /// Replaces the thresholds after checking the safety rules; an unsafe pair
    /// throws `ParameterUpdateError` and the thresholds in force stay.
    /// `schedule` (origin, next due time) is committed with them.
    @discardableResult
    public func updateParameters(
        _ pair: ThresholdPair, confidence: Double, durationMs: Double, atNanoseconds time: Int64,
        schedule: (origin: Int64, next: Int64)? = nil
    ) async throws -> ParameterUpdateEvent {
        await acquire()
        defer { release() }
        if let violation = config.optimizer.safetyViolation(entryThreshold: pair.entryThresholdPct, exitThreshold: pair.exitThresholdPct) {
            try await commitFailedUpdate("unsafe thresholds: \(violation)", schedule: schedule)
            throw ParameterUpdateError(reason: "unsafe thresholds: \(violation)")
        }
        let old = context.thresholds
        var next = context
        advance(&next, through: lastHandled)
        next.thresholds = pair
        next.confidenceScore = confidence
        next.successfulUpdates += 1
        next.lastUpdateError = nil
        if let schedule { next.scheduleOriginNanoseconds = schedule.origin; next.nextUpdateNanoseconds = schedule.next }
        let event = ParameterUpdateEvent(
            timestamp: Double(time) / 1e9, oldEntryThreshold: old?.entryThresholdPct, newEntryThreshold: pair.entryThresholdPct,
            oldExitThreshold: old?.exitThresholdPct, newExitThreshold: pair.exitThresholdPct, confidenceScore: confidence,
            optimizationDurationMs: durationMs)
        try await store?.commit(next, update: event)
        context = next
        updates = (updates.count + 1, updates.totalMs + durationMs)
        events.publish(.parameterUpdate(event))
        return event
    }

    /// Fixes the thresholds (no optimiser): checked against the safety rules
    /// like any update (`ParameterUpdateError` when unsafe), sized at
    /// `base_position_size`, and recorded as the given thresholds. With
    /// `initialOnly`, they are starting values for a re-optimising run: applied
    /// when no thresholds are in force, kept on resume.
    ///
    /// A resumed state that saved other thresholds (those given when it was
    /// made, or else those in force) throws `ThresholdMismatchError`, unless
    /// `override`: then the given pair is put in force and recorded, and the
    /// saved pair it replaced is returned (nil when nothing was replaced).
    @discardableResult
    public func useFixedParameters(_ pair: ThresholdPair, initialOnly: Bool = false, override: Bool = false) async throws
        -> ThresholdPair?
    {
        await acquire()
        defer { release() }
        if let violation = config.optimizer.safetyViolation(entryThreshold: pair.entryThresholdPct, exitThreshold: pair.exitThresholdPct) {
            throw ParameterUpdateError(reason: "unsafe thresholds: \(violation)")
        }
        let saved = context.givenThresholds ?? context.thresholds
        var next = context
        next.givenThresholds = pair
        if let saved, saved != pair {
            guard override else { throw ThresholdMismatchError(saved: saved, given: pair) }
        } else if initialOnly && context.thresholds != nil {
            // Same starting values on resume: the optimiser's thresholds stay.
            guard context.givenThresholds == nil else { return nil }
            try await commit(next)
            return nil
        } else if context.thresholds == pair && context.confidenceScore == nil && context.givenThresholds == pair {
            return nil
        }
        advance(&next, through: lastHandled)
        next.thresholds = pair
        next.confidenceScore = nil
        try await commit(next)
        return saved == pair ? nil : saved
    }

    private func commit(_ next: StrategyContext) async throws {
        try await store?.commit(next)
        context = next
    }

    /// Ties the committed state to a feed: a fresh state records `identity`;
    /// a resumed one must have been made with the same feed, or this throws
    /// (sequences of another feed would skip or repeat its ticks).
    public func bindFeed(_ identity: String) async throws {
        await acquire()
        defer { release() }
        if let bound = context.feedIdentity {
            guard bound == identity else { throw FeedMismatchError(stored: bound, offered: identity) }
            return
        }
        var next = context
        next.feedIdentity = identity
        try await store?.commit(next)
        context = next
    }

    /// Records an optimisation that produced nothing usable: the thresholds in force stay.
    public func recordFailedUpdate(_ reason: String, schedule: (origin: Int64, next: Int64)? = nil) async throws {
        await acquire()
        defer { release() }
        try await commitFailedUpdate(reason, schedule: schedule)
    }

    private func commitFailedUpdate(_ reason: String, schedule: (origin: Int64, next: Int64)?) async throws {
        var next = context
        advance(&next, through: lastHandled)
        next.failedUpdates += 1
        next.lastUpdateError = reason
        if let schedule { next.scheduleOriginNanoseconds = schedule.origin; next.nextUpdateNanoseconds = schedule.next }
        try await store?.commit(next)
        context = next
    }

    /// Gives `updateParameters()` its optimiser and its source of recent data
    /// (the `OptimizerBridge` attaches itself).
    public func attach(optimizer: DeltaArbitrageOptimizer, recentData: @escaping @Sendable () async throws -> MarketData) {
        self.optimizer = optimizer
        self.recentData = recentData
    }

    /// The seed's `update_parameters()`: fetches the recent data from the
    /// attached source, optimises and applies the result if it is safe.
    /// False (thresholds unchanged) without an attached source, when the
    /// fetch fails (`DataFetchError` recorded), or as `updateParameters(using:optimizer:)`.
    public func updateParameters() async -> Bool {
        guard let optimizer, let recentData else { return false }
        let data: MarketData
        do {
            data = try await recentData()
        } catch {
            try? await recordFailedUpdate("\(DataFetchError(reason: "\(error)"))")
            return false
        }
        return await updateParameters(using: data, optimizer: optimizer)
    }

    /// Optimises on `data` with `optimizer`
    /// and applies the result if it is safe. False (thresholds unchanged)
    /// when the optimisation fails or its result is unsafe.
    public func updateParameters(using data: MarketData, optimizer: DeltaArbitrageOptimizer) async -> Bool {
        let time = data.timestamps.last ?? 0
        do {
            let report = try await optimizer.optimize(data, lookbackHours: config.optimizationLookbackHours)
            try await updateParameters(
                ThresholdPair(entryThresholdPct: report.result.entryThresholdPct, exitThresholdPct: report.result.exitThresholdPct),
                confidence: report.result.confidenceScore, durationMs: report.performance.optimizationDurationMs,
                atNanoseconds: time)
            return true
        } catch {
            if !(error is ParameterUpdateError) { try? await recordFailedUpdate("\(error)") }
            return false
        }
    }

    // MARK: Orders

    private func quantity(spotAsk: Double) -> Double {
        let m = context.confidenceScore.map { 1 + (config.maxPositionMultiplier - 1) * min(max($0, 0), 1) } ?? 1
        return config.basePositionSize * m / spotAsk
    }

    private func open(update: BookUpdate, spot: BookTop, futures: BookTop, thresholds: ThresholdPair) async throws {
        let q = quantity(spotAsk: spot.ask)
        let id = "o\(update.sequence)"
        let started = ContinuousClock.now
        async let spotLeg = execute(MarketOrder(clientOrderId: id + "-spot", market: .spot, side: .buy, quantity: q), .open, update)
        async let futuresLeg = execute(MarketOrder(clientOrderId: id + "-fut", market: .futures, side: .sell, quantity: q), .open, update)
        let (spotFill, futuresFill) = await (spotLeg, futuresLeg)
        execution = (execution.count + 1, execution.totalMs + milliseconds(since: started))
        var next = context
        advance(&next, through: update.sequence)
        switch (spotFill, futuresFill) {
        case (let s?, let f?):
            next.position = LivePosition(entrySequence: update.sequence, entryTimeNanoseconds: update.timestampNanoseconds,
                                         entrySpotAsk: spot.ask, entryFutBid: futures.bid, quantity: q,
                                         spotFill: s, futuresFill: f, spotOpen: true, futuresOpen: true)
        case (nil, nil):
            alert(update, "both legs of the open at sequence \(update.sequence) were rejected; staying flat")
        case (let filled?, nil), (nil, let filled?):
            // One leg is on: take it off again, or flag it and stop.
            let unwind = MarketOrder(clientOrderId: id + "-unwind", market: filled.market, side: filled.side.opposite,
                                     quantity: filled.quantity)
            if await execute(unwind, .unwind, update) != nil {
                alert(update, "\(filled.market == .spot ? "futures" : "spot") leg rejected at sequence \(update.sequence); "
                    + "\(filled.market.rawValue) leg unwound, staying flat")
            } else {
                next.position = LivePosition(
                    entrySequence: update.sequence, entryTimeNanoseconds: update.timestampNanoseconds,
                    entrySpotAsk: spot.ask, entryFutBid: futures.bid, quantity: q,
                    spotFill: filled.market == .spot ? filled : nil, futuresFill: filled.market == .futures ? filled : nil,
                    spotOpen: filled.market == .spot, futuresOpen: filled.market == .futures)
                next.halted = "unhedged \(filled.market.rawValue) leg of \(q) after a rejected hedge and a failed unwind"
                alert(update, next.halted!)
            }
        }
        try await store?.commit(next)
        context = next
    }

    private func close(_ held: LivePosition, reason: ExitReason, update: BookUpdate, spot: BookTop, futures: BookTop,
                       rule: BacktestRule) async throws {
        let id = "c\(update.sequence)"
        let started = ContinuousClock.now
        var position = held
        // Each open leg; a rejected one is retried twice before giving up.
        async let spotLeg = held.spotOpen
            ? executeRetrying(MarketOrder(clientOrderId: id + "-spot", market: .spot, side: .sell, quantity: held.quantity), update)
            : nil
        async let futuresLeg = held.futuresOpen
            ? executeRetrying(MarketOrder(clientOrderId: id + "-fut", market: .futures, side: .buy, quantity: held.quantity), update)
            : nil
        let (spotFill, futuresFill) = await (spotLeg, futuresLeg)
        execution = (execution.count + 1, execution.totalMs + milliseconds(since: started))
        if spotFill != nil { position.spotOpen = false }
        if futuresFill != nil { position.futuresOpen = false }
        var next = context
        advance(&next, through: update.sequence)
        if position.spotOpen || position.futuresOpen {
            next.position = position
            next.halted = "close at sequence \(update.sequence) failed: \(position.spotOpen ? "spot" : "futures") leg still open"
            alert(update, next.halted!)
            try await store?.commit(next)
            context = next
            return
        }
        next.position = nil
        let thresholds = context.thresholds ?? ThresholdPair(entryThresholdPct: rule.entryThresholdPct, exitThresholdPct: rule.exitThresholdPct)
        let trade = Trade(
            TradeIndices(entryIndex: held.entrySequence, exitIndex: update.sequence, reason: reason),
            entryTimeNanoseconds: held.entryTimeNanoseconds, exitTimeNanoseconds: update.timestampNanoseconds,
            entrySpotAsk: held.entrySpotAsk, entryFutBid: held.entryFutBid, exitSpotBid: spot.bid, exitFutAsk: futures.ask,
            rule: rule)
        let event = TradeEvent(timestamp: Double(update.timestampNanoseconds) / 1e9, trade: trade,
                               entryThresholdPct: thresholds.entryThresholdPct, exitThresholdPct: thresholds.exitThresholdPct,
                               quantity: held.quantity)
        try await store?.commit(next, trade: event)
        context = next
        events.publish(.trade(event))
    }

    /// Retries keep the client order id: if an earlier attempt did execute
    /// (its reply lost), the exchange answers with that fill instead of
    /// closing the leg twice.
    private func executeRetrying(_ order: MarketOrder, _ update: BookUpdate) async -> OrderFill? {
        for _ in 0..<3 {
            if let fill = await execute(order, .close, update) { return fill }
        }
        return nil
    }

    /// Sends one order, publishing an order event; nil when it failed.
    private func execute(_ order: MarketOrder, _ purpose: OrderEvent.Purpose, _ update: BookUpdate) async -> OrderFill? {
        let time = Double(update.timestampNanoseconds) / 1e9
        do {
            let fill = try await gateway.submit(order)
            events.publish(.order(OrderEvent(timestamp: time, purpose: purpose, order: order, fill: fill, error: nil)))
            return fill
        } catch {
            events.publish(.order(OrderEvent(timestamp: time, purpose: purpose, order: order, fill: nil, error: "\(error)")))
            return nil
        }
    }

    private func alert(_ update: BookUpdate, _ message: String) {
        events.publish(.alert(AlertEvent(timestamp: Double(update.timestampNanoseconds) / 1e9, message: message)))
    }

    // MARK: Serialisation

    private func acquire() async {
        guard gateHeld else {
            gateHeld = true
            return
        }
        await withCheckedContinuation { gateWaiters.append($0) }  // ownership is handed over in `release`
    }

    private func release() {
        if gateWaiters.isEmpty {
            gateHeld = false
        } else {
            gateWaiters.removeFirst().resume()
        }
    }

    // MARK: Metrics

    private func record(latencySince start: ContinuousClock.Instant) {
        let d = ContinuousClock.now - start
        decisionLatency.record(d.nanoseconds)
    }

    private func milliseconds(since start: ContinuousClock.Instant) -> Double {
        (ContinuousClock.now - start).milliseconds
    }

    /// Tick-to-decision latency: the time from receiving an update to the
    /// open/close/hold decision (order round trips excluded).
    public func decisionLatencyHistogram() -> LatencyHistogram { decisionLatency }

    /// The seed's `StrategyPerformance`: mean order round trip of an open or
    /// close (both legs), mean parameter-update duration, resident memory, and
    /// `uptime_percentage` = share of handled updates on which the strategy
    /// could act (thresholds set, not halted, data fresh).
    public func performance() -> StrategyPerformance {
        StrategyPerformance(
            avgTradeExecutionMs: execution.count > 0 ? execution.totalMs / Double(execution.count) : 0,
            parameterUpdateDurationMs: updates.count > 0 ? updates.totalMs / Double(updates.count) : 0,
            memoryUsageMb: ProcessMemory.residentMegabytes(),
            uptimePercentage: handled > 0 ? Double(operational) / Double(handled) * 100 : 0)
    }
}
