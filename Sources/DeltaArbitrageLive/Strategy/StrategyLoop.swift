import DeltaArbitrage
import Foundation

/// What a running strategy reports (a consistent snapshot, readable at any time).
public struct StrategyStatus: Sendable {
    /// The committed context: position, thresholds in force, schedule, halt reason.
    public var context: StrategyContext
    /// The seed's `get_optimization_status()`.
    public var optimization: StrategyOptimizationStatus
    /// The most recent successful optimisation's result; nil before one (or without an optimiser).
    public var lastOptimization: OptimizationResult?
    /// The seed's `StrategyPerformance`.
    public var performance: StrategyPerformance
    /// Updates past the committed sequence handled so far.
    public var handledUpdates: Int
    /// The last update handled; nil before one.
    public var lastUpdate: BookUpdate?
    /// False once the loop has stopped (finished, cancelled or failed).
    public var running: Bool
    /// Why the loop stopped with an error (a journal write that failed); nil otherwise.
    public var failure: String?

    /// Position held; nil when flat.
    public var position: LivePosition? { context.position }
    /// Entry/exit thresholds in force (the seed's `get_current_parameters()`), nil before any.
    public var thresholds: ThresholdPair? { context.thresholds }
}

/// The strategy loop refused an input because it has stopped (`finish()`,
/// cancellation) before taking it.
public struct StrategyLoopStopped: Error, Sendable, Equatable, CustomStringConvertible {
    /// `the strategy loop has stopped`.
    public var description: String { "the strategy loop has stopped" }
}

/// The live strategy: one serial loop that owns the `StrategyCore` (every
/// decision), the `OrderExecutor` (order legs), the journal (the optional
/// `StrategyStore`) and the `OptimizerBridge` (recent data, schedule).
///
/// Every input — book updates, threshold changes (fixed thresholds and
/// optimiser results alike), parameter-refresh requests, finished
/// background optimisations — goes into one `AsyncStream` that `run()`
/// consumes alone, one input at a time: an input that sends orders is carried
/// through (fills, unwinds, commits) before the next is taken, so nothing
/// interleaves. The public methods enqueue an input and wait for its outcome;
/// `status()`, `decisionLatencyHistogram()` and `events` are read without
/// waiting, also while orders are in flight.
///
/// The tick path has a shortcut: most updates only move the book and end in
/// "hold". `decideNow(_:)` (which `handle(_:)` tries first) decides such an
/// update at once on the caller's thread — under the lock the readers take,
/// while the loop is between inputs and none waits — and declines any update
/// whose decision needs more (orders, a commit, an optimisation due on the data
/// clock), which then goes through the loop. The outcome is the loop's own:
/// the same core decides in the same order.
///
/// A journal write that fails stops the loop: the failure is published as an
/// alert, answered to the input that caused it and to every later one, and
/// thrown by `run()` — a strategy whose state cannot be committed does not trade.
///
/// Use: make it, start `run()` in a task (or as a service), feed it with
/// `handle(_:)`, stop it with `finish()` (or by cancelling `run()`'s task);
/// inputs not yet taken when it stops are answered with `StrategyLoopStopped`.
public final class StrategyLoop: Sendable {
    /// Sizing, safety rules, fees, hold limit and update schedule (validated).
    public let config: DeltaArbitrageConfig
    /// Every event the strategy publishes (`subscribe()` for a stream of them).
    public let events: EventHub
    private let inputs: AsyncStream<Input>
    private let continuation: AsyncStream<Input>.Continuation
    private let shared: Locked<Shared>
    private let decisionObserver: (@Sendable (_ nanoseconds: Int64) -> Void)?

    private enum Input: Sendable {
        case update(BookUpdate, CheckedContinuation<Void, any Error>)
        case thresholds(ThresholdChange, CheckedContinuation<ThresholdPair?, any Error>)
        case bindFeed(String, live: Bool, CheckedContinuation<Void, any Error>)
        case warmUp(MarketData, CheckedContinuation<Void, any Error>)
        case feedEnded(CheckedContinuation<Void, any Error>)
        case refresh(dueAt: Int64?, CheckedContinuation<Bool, Never>)
        case optimizationFinished(OptimizationOutcome)
        case recentData(hours: Double, CheckedContinuation<MarketData, Never>)
    }

    /// What the loop owns; taken by `run()`.
    private struct State: Sendable {
        var core: StrategyCore
        var bridge: OptimizerBridge?
        let executor: OrderExecutor
        let store: StrategyStore?
        var refreshing: [CheckedContinuation<Bool, Never>] = []
        var refreshRunning = false
    }

    /// What readers see, and the loop's state between inputs.
    private struct Shared: Sendable {
        /// The loop's state while no input is in hand: `run()`'s consumer takes it
        /// for each input and puts it back before answering it; `decideNow(_:)`
        /// uses it in place.
        var idle: State?
        /// `run()` has been called.
        var started = false
        /// Inputs sent and not yet taken by the consumer: while any waits, an
        /// update must queue behind it.
        var queued = 0
        /// Updates `decideNow(_:)` has decided.
        var decidedInPlace = 0
        var stopRequested = false
        var running = true
        var failure: String?
        var context: StrategyContext
        var lastResult: OptimizationResult?
        var latency = LatencyHistogram()
        var execution = (count: 0, totalMs: 0.0)
        var updates = (count: 0, totalMs: 0.0)
        var handled = 0
        var operational = 0
        var lastUpdate: BookUpdate?
    }

    /// A strategy resuming from `store`'s committed context (fresh without a store).
    ///
    /// - Parameters:
    ///   - gateway: where orders go; it sees each update before the decision (`observe(_:)`).
    ///   - staleAfter: largest age (data clock) either market's top may have for a position to open.
    ///   - optimizer: re-optimises the thresholds (none: thresholds only change by `changeThresholds(_:)`).
    ///   - ringCapacity: rows of recent data kept for the optimiser (must cover its lookback).
    ///   - scheduling: on the data clock (inline, reproducible) or on request (off the tick path).
    ///   - decisionObserver: called with each tick-to-decision latency as it is recorded (a service's metrics).
    /// - Throws: the store's read errors; `ParameterUpdateError` for unsafe saved thresholds.
    public init(config: DeltaArbitrageConfig, gateway: any OrderGateway, store: StrategyStore? = nil, events: EventHub = EventHub(),
                staleAfter: Duration = .seconds(30), optimizer: DeltaArbitrageOptimizer? = nil, ringCapacity: Int = 1_000_000,
                scheduling: OptimizationScheduling = .dataClock,
                decisionObserver: (@Sendable (_ nanoseconds: Int64) -> Void)? = nil) async throws {
        let context = try await store?.context() ?? StrategyContext()
        let core = try StrategyCore(config: config, context: context, staleAfter: staleAfter)
        self.config = config
        self.events = events
        self.decisionObserver = decisionObserver
        (inputs, continuation) = AsyncStream<Input>.makeStream()
        let bridge = optimizer.map {
            OptimizerBridge(optimizer: $0, config: config, context: context, events: events, ringCapacity: ringCapacity,
                            scheduling: scheduling)
        }
        let state = State(core: core, bridge: bridge, executor: OrderExecutor(gateway: gateway, events: events), store: store)
        shared = Locked(Shared(idle: state, context: context))
    }

    // MARK: Inputs

    /// Trades one book update (after the optimisations due before it on the data
    /// clock) and returns once its effects are committed.
    /// - Throws: `FeedContentMismatchError` (a resumed feed that differs from the
    ///   saved state's), the journal's error, `StrategyLoopStopped`.
    public func handle(_ update: BookUpdate) async throws {
        if let decided = decideInPlace(update) {
            // Decided without suspending: a replay handing updates one after another would hold its
            // thread of the shared cooperative pool for as long as it runs. Let others in now and then.
            if decided % 128 == 0 { await Task.yield() }
            return
        }
        try await withCheckedThrowingContinuation { send(.update(update, $0), or: $0) }
    }

    /// Decides on `update` at once, on the calling thread, when the decision
    /// changes nothing but the strategy's in-memory state (a hold, or an alert to
    /// publish): true when it is done, exactly as `handle(_:)` would have done it.
    /// False — having changed nothing but the paper book it observed — when the
    /// update must go through `handle(_:)`: the loop is not running, is busy with
    /// an input or has one waiting, an optimisation is due on the data clock
    /// before it, or its decision sends orders or commits. Allocation-free and
    /// lock-bounded on the hold path, for a feed to call as frames are read.
    public func decideNow(_ update: BookUpdate) -> Bool { decideInPlace(update) != nil }

    /// `decideNow(_:)`: the number of updates decided in place so far when it decided this one, nil when not.
    private func decideInPlace(_ update: BookUpdate) -> Int? {
        shared.withLock { s -> Int? in
            guard s.started, s.running, !s.stopRequested, s.failure == nil, s.queued == 0, s.idle != nil else { return nil }
            s.idle!.executor.gateway.observe(update)
            if let bridge = s.idle!.bridge,
               bridge.hasDueOptimization(before: update, committedSequence: s.idle!.core.context.lastSequence) {
                return nil
            }
            let started = update.receivedAt ?? ContinuousClock.now
            var core = s.idle!.core
            let handledBefore = core.handledUpdates
            guard let commands = try? core.handle(update),
                  commands.allSatisfy({ if case .publish = $0 { true } else { false } }) else {
                // The loop decides it again and carries out what it says (or answers its error).
                return nil
            }
            let elapsed = (ContinuousClock.now - started).nanoseconds
            s.idle!.core = core
            s.idle!.bridge?.record(update)
            let decided = core.handledUpdates > handledBefore
            if decided { s.latency.record(elapsed) }
            s.handled = core.handledUpdates
            s.operational = core.operationalUpdates
            s.lastUpdate = update
            for case .publish(let event) in commands { events.publish(event) }
            if decided { decisionObserver?(elapsed) }
            s.decidedInPlace += 1
            return s.decidedInPlace
        }
    }

    /// Changes the thresholds — the only way they change (see `ThresholdChange`).
    /// Returns, for `.fixed` with `override`, the saved pair it replaced.
    /// - Throws: `ParameterUpdateError` (unsafe: for an optimisation, recorded as a
    ///   failed update), `ThresholdMismatchError`, the journal's error, `StrategyLoopStopped`.
    @discardableResult
    public func changeThresholds(_ change: ThresholdChange) async throws -> ThresholdPair? {
        try await withCheckedThrowingContinuation { send(.thresholds(change, $0), or: $0) }
    }

    /// Ties the state to a feed (`StrategyCore.bindFeed(_:live:)`); throws `FeedMismatchError`.
    /// A live feed's updates must be numbered on from `status().context.lastSequence + 1`.
    public func bindFeed(_ identity: String, live: Bool = false) async throws {
        try await withCheckedThrowingContinuation { send(.bindFeed(identity, live: live, $0), or: $0) }
    }

    /// Puts `data`'s rows into the optimiser's recent-data ring without trading
    /// on them — a live service's warm-up from stored history, so that its first
    /// re-optimisation need not wait for a window of live data. Call before the
    /// first update; rows at or after the first live update would be seen twice.
    /// Nothing happens without an optimiser.
    public func warmUp(with data: MarketData) async throws {
        try await withCheckedThrowingContinuation { send(.warmUp(data, $0), or: $0) }
    }

    /// Call when the feed has ended: throws `FeedContentMismatchError` when it
    /// ended before reaching the saved state's committed sequence.
    public func feedEnded() async throws {
        try await withCheckedThrowingContinuation { send(.feedEnded($0), or: $0) }
    }

    /// The seed's `update_parameters()`: optimises on the recent rows off the
    /// tick path and applies the result if it is safe; true when the thresholds
    /// changed. With `ifDueAt`, only when an update is due at that data time and
    /// the data suffice (`OptimizerBridge.shouldUpdateParameters(at:)`). A request
    /// while one runs waits for that one's result. False without an optimiser.
    @discardableResult
    public func refreshParameters(ifDueAt time: Int64? = nil) async -> Bool {
        await withCheckedContinuation { reply in
            if !enqueue(.refresh(dueAt: time, reply)) { reply.resume(returning: false) }
        }
    }

    /// The rows within `hours` of the newest (the seed's `get_recent_market_data`); empty without an optimiser.
    public func recentMarketData(hours: Double = 24) async -> MarketData {
        await withCheckedContinuation { reply in
            if !enqueue(.recentData(hours: hours, reply)) { reply.resume(returning: MarketData()) }
        }
    }

    private func send<T>(_ input: Input, or reply: CheckedContinuation<T, any Error>) {
        if !enqueue(input) {
            reply.resume(throwing: shared.withLock { $0.failure.map(StrategyLoopFailure.init) } ?? StrategyLoopStopped())
        }
    }

    /// Puts `input` on the loop's stream, counted (so that `decideNow(_:)` lets it
    /// go first); false when the loop has stopped.
    private func enqueue(_ input: Input) -> Bool {
        shared.withLock { $0.queued += 1 }
        if case .terminated = continuation.yield(input) {
            shared.withLock { $0.queued -= 1 }
            return false
        }
        return true
    }

    /// Stops the loop after the input in hand; later inputs are answered with `StrategyLoopStopped`.
    public func finish() {
        shared.withLock { $0.stopRequested = true }
        continuation.finish()
    }

    // MARK: Reading

    /// A snapshot of the strategy's state and metrics.
    public func status() -> StrategyStatus {
        let s = shared.withLock { s in
            (s.context, s.lastResult, s.execution, s.updates, s.handled, s.operational, s.lastUpdate, s.running, s.failure)
        }
        let context = s.0
        let core = StrategyOptimizationStatus(context)
        let performance = StrategyPerformance(
            avgTradeExecutionMs: s.2.count > 0 ? s.2.totalMs / Double(s.2.count) : 0,
            parameterUpdateDurationMs: s.3.count > 0 ? s.3.totalMs / Double(s.3.count) : 0,
            memoryUsageMb: ProcessMemory.residentMegabytes(),
            uptimePercentage: s.4 > 0 ? Double(s.5) / Double(s.4) * 100 : 0)
        return StrategyStatus(context: context, optimization: core, lastOptimization: s.1, performance: performance,
                              handledUpdates: s.4, lastUpdate: s.6, running: s.7, failure: s.8)
    }

    /// Tick-to-decision latency, nanoseconds: from the moment a live update's
    /// frame was read off the socket (`BookUpdate.receivedAt`; for a replay,
    /// from taking the update) to the open/close/hold decision (order round
    /// trips excluded).
    public func decisionLatencyHistogram() -> LatencyHistogram { shared.withLock { $0.latency } }

    // MARK: The loop

    /// Runs the loop until `finish()` or cancellation; throws the journal error
    /// that stopped it, if one did. Runs once (`StrategyLoopStopped` after that).
    public func run() async throws {
        guard shared.withLock({ s -> Bool in defer { s.started = true }; return !s.started }) else {
            throw StrategyLoopStopped()
        }
        // Unstructured, so that cancelling `run()` drains the inputs (answering
        // each) instead of dropping them with their callers still waiting.
        let worker = Task { try await self.consume() }
        try await withTaskCancellationHandler { try await worker.value } onCancel: { self.finish() }
    }

    /// Runs the loop around `body`: starts `run()`, calls `body`, then
    /// `finish()`es and waits for the loop. A journal failure that stopped the
    /// loop is thrown rather than the error `body` saw because of it.
    public func running<T>(_ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.run() }
            let outcome: Result<T, any Error>
            do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
            finish()
            try await group.waitForAll()
            return try outcome.get()
        }
    }

    private func consume() async throws {
        var failure: (any Error)?
        await withTaskGroup(of: Void.self) { jobs in
            for await input in inputs {
                // The state is always back between inputs: only this loop keeps it across a suspension.
                let (taken, stopRequested) = shared.withLock { s in
                    s.queued -= 1
                    defer { s.idle = nil }
                    return (s.idle, s.stopRequested)
                }
                guard var state = taken else {
                    refuse(input, StrategyLoopStopped())
                    continue
                }
                var answer: Answer?
                if let failure {
                    refuse(input, StrategyLoopFailure(description: "\(failure)"))
                } else if stopRequested {
                    refuse(input, StrategyLoopStopped())
                } else {
                    do {
                        answer = try await process(input, &state, &jobs)
                    } catch let fatal as Fatal {
                        failure = fatal.error
                        shared.withLock { $0.failure = "\(fatal.error)" }
                        let time = shared.withLock { $0.lastUpdate?.timestampNanoseconds ?? 0 }
                        events.publish(.alert(AlertEvent(timestamp: Double(time) / 1e9, message: "strategy stopped: \(fatal.error)")))
                        continuation.finish()
                    } catch {
                        // `process` answers every other error to the input's caller.
                    }
                }
                // Back before the caller hears the outcome: its next update can then be decided at once.
                shared.withLock { $0.idle = state }
                answer?()
            }
            jobs.cancelAll()
        }
        let refreshing = shared.withLock { s in
            s.running = false
            defer { s.idle?.refreshing = [] }
            return s.idle?.refreshing ?? []
        }
        for waiter in refreshing { waiter.resume(returning: false) }
        if let failure { throw failure }
    }

    /// A journal write failed: the loop stops.
    private struct Fatal: Error {
        let error: any Error
    }

    private func refuse(_ input: Input, _ error: any Error) {
        switch input {
        case .update(_, let reply), .bindFeed(_, _, let reply), .warmUp(_, let reply), .feedEnded(let reply):
            reply.resume(throwing: error)
        case .thresholds(_, let reply): reply.resume(throwing: error)
        case .refresh(_, let reply): reply.resume(returning: false)
        case .optimizationFinished: break
        case .recentData(_, let reply): reply.resume(returning: MarketData())
        }
    }

    /// Answers an input's caller; run once the state is back (see `consume()`).
    private typealias Answer = () -> Void

    private func process(_ input: Input, _ state: inout State, _ jobs: inout TaskGroup<Void>) async throws -> Answer? {
        switch input {
        case .update(let update, let reply):
            return try await answer(reply) { try await trade(update, &state) }
        case .thresholds(let change, let reply):
            return try await answer(reply) { try await apply(change, &state).get() }
        case .bindFeed(let identity, let live, let reply):
            return try await answer(reply) { try await perform(try state.core.bindFeed(identity, live: live), &state) }
        case .warmUp(let data, let reply):
            if state.bridge != nil {
                for row in 0..<data.count { state.bridge?.record(BookUpdate(row: row, of: data)) }
            }
            return { reply.resume() }
        case .feedEnded(let reply):
            return try await answer(reply) { try state.core.feedEnded() }
        case .recentData(let hours, let reply):
            let data = state.bridge?.recentMarketData(hours: hours) ?? MarketData()
            return { reply.resume(returning: data) }
        case .refresh(let time, let reply):
            guard var bridge = state.bridge, time.map({ bridge.shouldUpdateParameters(at: $0) }) ?? true else {
                return { reply.resume(returning: false) }
            }
            state.refreshing.append(reply)
            guard !state.refreshRunning else { return nil }
            state.refreshRunning = true
            let job = bridge.optimizationNow()
            state.bridge = bridge
            jobs.addTask {
                let outcome = await job.run()
                _ = self.enqueue(.optimizationFinished(outcome))
            }
            return nil
        case .optimizationFinished(let outcome):
            guard var bridge = state.bridge else { return nil }
            let change = bridge.complete(outcome)
            state.bridge = bridge
            let waiters = state.refreshing
            state.refreshing = []
            state.refreshRunning = false
            var applied = false
            do {
                let result = try await apply(change, &state)
                if case .optimized = change, case .success = result { applied = true }
            } catch {
                for waiter in waiters { waiter.resume(returning: false) }
                throw error
            }
            return { for waiter in waiters { waiter.resume(returning: applied) } }
        }
    }

    /// Runs `body`; the answer of its result or error to `reply`. A `Fatal` error
    /// is answered at once (the loop stops) and rethrown.
    private func answer<T: Sendable>(_ reply: CheckedContinuation<T, any Error>,
                                     _ body: () async throws -> T) async throws -> Answer {
        do {
            let value = try await body()
            return { reply.resume(returning: value) }
        } catch let fatal as Fatal {
            reply.resume(throwing: fatal.error)
            throw fatal
        } catch {
            return { reply.resume(throwing: error) }
        }
    }

    private func trade(_ update: BookUpdate, _ state: inout State) async throws {
        state.executor.gateway.observe(update)
        if state.bridge != nil {
            while let job = state.bridge?.nextDueOptimization(before: update, committedSequence: state.core.context.lastSequence) {
                let outcome = await job.run()
                guard let change = state.bridge?.complete(outcome) else { break }
                _ = try await apply(change, &state)
            }
            state.bridge?.record(update)
        }
        let handledBefore = state.core.handledUpdates
        // Live updates are timed from the moment their frame was read off the
        // socket (queueing included); a replay's from the moment it is taken.
        let started = update.receivedAt ?? ContinuousClock.now
        let commands = try state.core.handle(update)
        let elapsed = (ContinuousClock.now - started).nanoseconds
        let core = state.core
        let decided = core.handledUpdates > handledBefore
        shared.withLock { s in
            if decided { s.latency.record(elapsed) }
            s.handled = core.handledUpdates
            s.operational = core.operationalUpdates
            s.lastUpdate = update
        }
        if decided { decisionObserver?(elapsed) }
        try await perform(commands, &state)
    }

    /// Applies a threshold change through the core; `.failure` is the core's refusal.
    private func apply(_ change: ThresholdChange, _ state: inout State) async throws -> Result<ThresholdPair?, any Error> {
        let outcome = state.core.apply(change)
        try await perform(outcome.commands, &state)
        if case .optimized(_, _, let durationMs, _, _) = change, case .success = outcome.result {
            let result = state.bridge?.lastResult
            shared.withLock { s in
                s.updates = (s.updates.count + 1, s.updates.totalMs + durationMs)
                s.lastResult = result
            }
        }
        return outcome.result
    }

    /// Carries out the core's commands in order, feeding order outcomes back to it.
    private func perform(_ commands: [StrategyCommand], _ state: inout State) async throws {
        var queue = commands[...]
        while let command = queue.popFirst() {
            switch command {
            case .execute(let batch):
                let started = ContinuousClock.now
                let outcomes = await state.executor.execute(batch)
                if batch.step == .open || batch.step == .close {
                    let ms = (ContinuousClock.now - started).milliseconds
                    shared.withLock { $0.execution = ($0.execution.count + 1, $0.execution.totalMs + ms) }
                }
                let next: [StrategyCommand]
                do { next = try state.core.legsCompleted(outcomes) } catch { throw Fatal(error: error) }
                queue = next[...] + queue
            case .commit(let entry):
                do {
                    try await state.store?.commit(entry.context, trade: entry.trade, update: entry.parameterUpdate)
                } catch {
                    throw Fatal(error: error)
                }
                shared.withLock { $0.context = entry.context }
            case .publish(let event):
                events.publish(event)
            }
        }
    }
}

/// The strategy loop stopped on an error (a journal write that failed); later inputs are refused with it.
public struct StrategyLoopFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The error that stopped the loop, as text.
    public var description: String
}

extension StrategyOptimizationStatus {
    /// The status `context` records.
    public init(_ context: StrategyContext) {
        self.init(
            thresholds: context.thresholds, confidenceScore: context.confidenceScore,
            successfulUpdates: context.successfulUpdates, failedUpdates: context.failedUpdates,
            lastUpdateError: context.lastUpdateError,
            nextUpdateTime: context.nextUpdateNanoseconds.map { UTCTime.iso8601(nanoseconds: $0) },
            halted: context.halted)
    }
}

