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
/// interleaves and no lock is needed. The public methods enqueue an input and
/// wait for its outcome; `status()`, `decisionLatencyHistogram()` and `events`
/// are read without waiting, also while orders are in flight.
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

    /// What readers see.
    private struct Shared: Sendable {
        var state: State?
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
        shared = Locked(Shared(state: state, context: context))
    }

    // MARK: Inputs

    /// Trades one book update (after the optimisations due before it on the data
    /// clock) and returns once its effects are committed.
    /// - Throws: `FeedContentMismatchError` (a resumed feed that differs from the
    ///   saved state's), the journal's error, `StrategyLoopStopped`.
    public func handle(_ update: BookUpdate) async throws {
        try await withCheckedThrowingContinuation { send(.update(update, $0), or: $0) }
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
            if case .terminated = continuation.yield(.refresh(dueAt: time, reply)) { reply.resume(returning: false) }
        }
    }

    /// The rows within `hours` of the newest (the seed's `get_recent_market_data`); empty without an optimiser.
    public func recentMarketData(hours: Double = 24) async -> MarketData {
        await withCheckedContinuation { reply in
            if case .terminated = continuation.yield(.recentData(hours: hours, reply)) { reply.resume(returning: MarketData()) }
        }
    }

    private func send<T>(_ input: Input, or reply: CheckedContinuation<T, any Error>) {
        if case .terminated = continuation.yield(input) {
            reply.resume(throwing: shared.withLock { $0.failure.map(StrategyLoopFailure.init) } ?? StrategyLoopStopped())
        }
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
        guard let state = shared.withLock({ s -> State? in defer { s.state = nil }; return s.state }) else {
            throw StrategyLoopStopped()
        }
        // Unstructured, so that cancelling `run()` drains the inputs (answering
        // each) instead of dropping them with their callers still waiting.
        let worker = Task { try await self.consume(state) }
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

    private func consume(_ initial: State) async throws {
        var state = initial
        var failure: (any Error)?
        await withTaskGroup(of: Void.self) { jobs in
            for await input in inputs {
                if let failure {
                    refuse(input, StrategyLoopFailure(description: "\(failure)"))
                } else if shared.withLock({ $0.stopRequested }) {
                    refuse(input, StrategyLoopStopped())
                } else {
                    do {
                        try await process(input, &state, &jobs)
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
            }
            jobs.cancelAll()
        }
        for waiter in state.refreshing { waiter.resume(returning: false) }
        shared.withLock { $0.running = false }
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

    private func process(_ input: Input, _ state: inout State, _ jobs: inout TaskGroup<Void>) async throws {
        switch input {
        case .update(let update, let reply):
            try await answer(reply) { try await trade(update, &state) }
        case .thresholds(let change, let reply):
            try await answer(reply) { try await apply(change, &state).get() }
        case .bindFeed(let identity, let live, let reply):
            try await answer(reply) { try await perform(try state.core.bindFeed(identity, live: live), &state) }
        case .warmUp(let data, let reply):
            if state.bridge != nil {
                for row in 0..<data.count { state.bridge?.record(BookUpdate(row: row, of: data)) }
            }
            reply.resume()
        case .feedEnded(let reply):
            try await answer(reply) { try state.core.feedEnded() }
        case .recentData(let hours, let reply):
            reply.resume(returning: state.bridge?.recentMarketData(hours: hours) ?? MarketData())
        case .refresh(let time, let reply):
            guard var bridge = state.bridge, time.map({ bridge.shouldUpdateParameters(at: $0) }) ?? true else {
                reply.resume(returning: false)
                return
            }
            state.refreshing.append(reply)
            guard !state.refreshRunning else { return }
            state.refreshRunning = true
            let job = bridge.optimizationNow()
            state.bridge = bridge
            let continuation = self.continuation
            jobs.addTask {
                let outcome = await job.run()
                continuation.yield(.optimizationFinished(outcome))
            }
        case .optimizationFinished(let outcome):
            guard var bridge = state.bridge else { return }
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
            for waiter in waiters { waiter.resume(returning: applied) }
        }
    }

    /// Runs `body`, answering its result or error to `reply`; a `Fatal` error is also rethrown.
    private func answer<T>(_ reply: CheckedContinuation<T, any Error>, _ body: () async throws -> T) async throws {
        do {
            reply.resume(returning: try await body())
        } catch let fatal as Fatal {
            reply.resume(throwing: fatal.error)
            throw fatal
        } catch {
            reply.resume(throwing: error)
        }
    }

    private func trade(_ update: BookUpdate, _ state: inout State) async throws {
        await state.executor.gateway.observe(update)
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

