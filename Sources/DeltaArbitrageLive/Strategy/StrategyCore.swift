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


/// What the strategy core asks its owner (the `StrategyLoop`) to do, in order.
public enum StrategyCommand: Sendable, Hashable {
    /// Send these order legs at once and report what came of them with
    /// `StrategyCore.legsCompleted(_:)` before giving the core anything else.
    case execute(OrderBatch)
    /// Commit this entry to the journal (the `StrategyStore`) before anything
    /// after it is carried out; a failed commit stops the strategy.
    case commit(JournalEntry)
    /// Publish this event.
    case publish(StrategyEvent)
}

/// One durable state change: the context, with the trade and/or parameter update that changed it.
public struct JournalEntry: Sendable, Hashable {
    /// The context to commit.
    public var context: StrategyContext
    /// The round trip closed by this change, if any.
    public var trade: TradeEvent?
    /// The threshold change of this change, if any.
    public var parameterUpdate: ParameterUpdateEvent?

    /// An entry of `context` with the trade and/or parameter update that changed it.
    public init(context: StrategyContext, trade: TradeEvent? = nil, parameterUpdate: ParameterUpdateEvent? = nil) {
        self.context = context
        self.trade = trade
        self.parameterUpdate = parameterUpdate
    }
}

/// One leg to send: the order, why, and how many times a refused or failed
/// submission is tried (always with the same client order id).
public struct LegOrder: Sendable, Hashable {
    /// The order.
    public var order: MarketOrder
    /// Why it is sent (the order event's `purpose`).
    public var purpose: OrderEvent.Purpose
    /// Submissions at most, ≥ 1: a close leg is tried three times, others once.
    public var attempts: Int
}

/// Legs sent at once for one step of a position's life.
public struct OrderBatch: Sendable, Hashable {
    /// The step the legs carry out.
    public enum Step: String, Sendable, Hashable {
        /// `open`: both legs of a new position; `unwind`: taking back the unhedged
        /// excess of an open; `close`: every open leg of a position; `closeRemainder`:
        /// what a close leg left unfilled.
        case open, unwind, close, closeRemainder
    }

    /// The step.
    public var step: OrderBatch.Step
    /// The legs, at most one per market.
    public var legs: [LegOrder]
    /// Data-clock time of the update that caused them, nanoseconds since the Unix epoch.
    public var timestampNanoseconds: Int64
}

/// What came of one leg: its fill (possibly of less than the order's
/// quantity, a partial fill), or nil when every attempt failed.
public struct LegOutcome: Sendable, Hashable {
    /// The order as sent.
    public var order: MarketOrder
    /// Its fill; nil when it was refused or failed on every attempt.
    public var fill: OrderFill?

    /// An outcome of `order`.
    public init(order: MarketOrder, fill: OrderFill?) {
        self.order = order
        self.fill = fill
    }
}

/// A re-optimisation schedule on the data clock: its origin and the next due time,
/// nanoseconds since the Unix epoch (committed with the update it belongs to).
public struct OptimizationSchedule: Sendable, Hashable {
    /// Time of the schedule's origin (the first update seen).
    public var origin: Int64
    /// Next due re-optimisation.
    public var next: Int64

    /// A schedule from its origin and next due time.
    public init(origin: Int64, next: Int64) {
        self.origin = origin
        self.next = next
    }
}

/// Every way the thresholds change — the one route for a threshold change.
public enum ThresholdChange: Sendable, Hashable {
    /// An optimisation's result: applied if it passes the safety rules, else
    /// recorded as a failed update (`ParameterUpdateError`); committed with
    /// `schedule` either way. `time` is the data-clock time of the update, ns.
    case optimized(ThresholdPair, confidence: Double, durationMs: Double, atNanoseconds: Int64, schedule: OptimizationSchedule?)
    /// An optimisation (or its data fetch) failed: the thresholds in force stay;
    /// the reason and `schedule` are committed.
    case optimizationFailed(reason: String, schedule: OptimizationSchedule?)
    /// Fixed thresholds (no optimiser), checked against the safety rules, sized at
    /// `base_position_size` and recorded as the given thresholds. With
    /// `initialOnly` they are starting values for a re-optimising run: applied
    /// when none are in force, kept on resume. A resumed state that saved other
    /// thresholds refuses them (`ThresholdMismatchError`) unless `override`.
    case fixed(ThresholdPair, initialOnly: Bool, override: Bool)
}

/// What `StrategyCore.apply(_:)` did.
public struct ThresholdChangeOutcome: Sendable {
    /// Commands to carry out (also when the change was refused: a failed update is committed).
    public var commands: [StrategyCommand]
    /// Success: for `.fixed` with `override`, the saved pair it replaced (nil when
    /// nothing was replaced, and for other changes). Failure: why the change was
    /// refused (`ParameterUpdateError`, `ThresholdMismatchError`).
    public var result: Result<ThresholdPair?, any Error>
}

/// The core of the seed's strategy, synchronous: one hedged spot/futures
/// position at a time, opened and closed by exactly the backtest's decisions
/// (`TradeDecision`). Updates, order outcomes and threshold changes go in;
/// `StrategyCommand`s (orders to send, journal entries to commit, events to
/// publish) come out. It does no I/O and never waits, so every decision is
/// testable without concurrency; the `StrategyLoop` carries out its commands.
///
/// On each update the core moves its tops, then — like one row of the
/// backtest — either opens (buy spot at the ask, sell futures at the bid,
/// both legs at once) when flat and `entry_cost_pct < entry`, or closes on
/// the profit target or the hold limit when in a position; the update that
/// closes never opens. With unlimited fills and fixed thresholds, a replay
/// produces exactly the backtest's trades.
///
/// Safety:
/// - no position opens while either market's top is older than
///   `staleAfter` (data time) or before thresholds exist;
/// - an open whose legs filled unequally (one rejected, or one filled only in
///   part at the displayed size) keeps the hedged quantity (the smaller fill)
///   and unwinds the excess of the larger leg at once; if the unwind fails or
///   fills only in part, the position is kept with the unhedged excess
///   flagged and trading halts with an alert — never silently unhedged;
/// - a close leg is tried three times when refused (same client order id); a
///   close leg filled in part has its remainder sent once more (three tries);
///   whatever stays open is flagged and trading halts;
/// - every state change (position, trade, thresholds, schedule) is a
///   `.commit` before the next input.
///
/// Sizing: each leg trades `base_position_size · m / spot_ask` base units,
/// `m = 1 + (max_position_multiplier − 1) · confidence` (1 with fixed thresholds).
public struct StrategyCore: Sendable {
    /// Sizing, safety rules, fees, hold limit and update schedule (validated).
    public let config: DeltaArbitrageConfig
    /// Largest age (data clock) either market's top may have for a position to open.
    public let staleAfter: Duration
    private let cutoff: Int64
    /// The context as of the commands returned so far (committed once they are carried out).
    public private(set) var context: StrategyContext
    private var spot: BookTop?
    private var futures: BookTop?
    private var spotTime: Int64 = .min
    private var futuresTime: Int64 = .min
    private var staleAlerted = false
    /// Checksum of every update handled so far (replayed ones included).
    private var consumed = FeedChecksum()
    /// The feed has reproduced the committed checksum (or there was none to reproduce).
    private var feedVerified = false
    /// The feed is live (`bindFeed(_:live:)`): it does not replay committed
    /// updates, so there is no checksum to reproduce or to keep.
    private var liveFeed = false
    /// Last update fully handled. Commits of thresholds or schedule advance the
    /// committed sequence to it, so that a restart does not trade earlier ticks
    /// again under later thresholds.
    private var lastHandled = -1
    /// Updates past the committed sequence handled so far.
    public private(set) var handledUpdates = 0
    /// Those of `handledUpdates` on which the strategy could act (thresholds
    /// set, not halted, data fresh or a position held).
    public private(set) var operationalUpdates = 0
    /// The orders the core waits for, and what it will do with their outcome.
    private var pending: Pending?

    private enum Pending: Sendable {
        case open(Entry)
        case unwind(Entry, spotFill: OrderFill?, futuresFill: OrderFill?, hedged: Double, excess: Market, excessQuantity: Double)
        case close(Exit)
        case closeRemainder(Exit, remaining: [Market: Double])
    }

    /// An open in progress: the update that caused it and what it saw.
    private struct Entry: Sendable {
        var sequence: Int
        var time: Int64
        var spotAsk: Double
        var futBid: Double
        var quantity: Double
    }

    /// A close in progress: the position, why, and the tops the exit saw.
    private struct Exit: Sendable {
        var held: LivePosition
        var reason: ExitReason
        var sequence: Int
        var time: Int64
        var spotBid: Double
        var futAsk: Double
        var rule: BacktestRule
    }

    /// A core resuming from `context` (a fresh one by default). Thresholds read
    /// back pass the same safety rules as new ones (`ParameterUpdateError` otherwise).
    public init(config: DeltaArbitrageConfig, context: StrategyContext = StrategyContext(),
                staleAfter: Duration = .seconds(30)) throws {
        try config.validate()
        for (what, pair) in [("thresholds in force", context.thresholds), ("given thresholds", context.givenThresholds)] {
            guard let pair else { continue }
            if let violation = config.optimizer.safetyViolation(entryThreshold: pair.entryThresholdPct, exitThreshold: pair.exitThresholdPct) {
                throw ParameterUpdateError(reason: "the saved state's \(what) (entry \(pair.entryThresholdPct) %, exit "
                    + "\(pair.exitThresholdPct) %) are unsafe: \(violation)")
            }
        }
        self.config = config
        self.staleAfter = staleAfter
        self.context = context
        cutoff = SpreadFormulas.timeoutCutoffNanoseconds(maxHours: config.maxHoldHours)
    }

    /// True while an `.execute` batch awaits `legsCompleted(_:)`.
    public var awaitingOrders: Bool { pending != nil }

    /// The seed's `get_optimization_status()`.
    public var optimizationStatus: StrategyOptimizationStatus { StrategyOptimizationStatus(context) }

    // MARK: Updates

    /// Processes one book update: the backtest's row step. Updates at or below
    /// the last committed sequence (a replay after a restart) are skipped, but
    /// folded into the feed checksum: the update at the committed sequence must
    /// reproduce the committed checksum, or this throws `FeedContentMismatchError`
    /// before any order. A feed resumed against a saved state therefore replays
    /// the committed updates from its start.
    ///
    /// - Throws: `FeedContentMismatchError`, or `StrategyCoreError.ordersInFlight`
    ///   when called while an order batch awaits its outcome.
    public mutating func handle(_ update: BookUpdate) throws -> [StrategyCommand] {
        guard pending == nil else { throw StrategyCoreError.ordersInFlight }
        consumed.add(update)
        if !feedVerified { try verifyFeed(at: update) }
        // The book moves even on updates already committed (a replay after a restart).
        if let s = update.spot { spot = s; spotTime = update.timestampNanoseconds }
        if let f = update.futures { futures = f; futuresTime = update.timestampNanoseconds }
        guard update.sequence > context.lastSequence else { return [] }
        defer { lastHandled = max(lastHandled, update.sequence) }
        handledUpdates += 1
        guard context.halted == nil, let thresholds = context.thresholds, let spot, let futures else { return [] }
        let rule = config.optimizer.rule(entryThresholdPct: thresholds.entryThresholdPct, exitThresholdPct: thresholds.exitThresholdPct)
        let time = update.timestampNanoseconds
        if let held = context.position {
            operationalUpdates += 1
            guard let reason = TradeDecision.exit(held.openPosition, spotBid: spot.bid, futAsk: futures.ask, time: time,
                                                  rule: rule, cutoff: cutoff) else { return [] }
            let exit = Exit(held: held, reason: reason, sequence: update.sequence, time: time, spotBid: spot.bid,
                            futAsk: futures.ask, rule: rule)
            pending = .close(exit)
            return [.execute(closeBatch(exit, remaining: openQuantities(held), step: .close))]
        }
        var commands: [StrategyCommand] = []
        let stale = isStale(at: time)
        if stale && !staleAlerted {
            staleAlerted = true
            commands.append(alert(time, "market data stale (older than \(staleAfter)); not opening positions"))
        } else if !stale {
            staleAlerted = false
            operationalUpdates += 1
        }
        guard !stale, TradeDecision.opens(spotAsk: spot.ask, futBid: futures.bid, rule: rule) else { return commands }
        let entry = Entry(sequence: update.sequence, time: time, spotAsk: spot.ask, futBid: futures.bid,
                          quantity: quantity(spotAsk: spot.ask))
        pending = .open(entry)
        let id = "o\(entry.sequence)"
        commands.append(.execute(OrderBatch(step: .open, legs: [
            LegOrder(order: MarketOrder(clientOrderId: id + "-spot", market: .spot, side: .buy, quantity: entry.quantity),
                     purpose: .open, attempts: 1),
            LegOrder(order: MarketOrder(clientOrderId: id + "-fut", market: .futures, side: .sell, quantity: entry.quantity),
                     purpose: .open, attempts: 1),
        ], timestampNanoseconds: time)))
        return commands
    }

    private mutating func verifyFeed(at update: BookUpdate) throws {
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

    /// True when either market's top is older than `staleAfter` at `time` (data
    /// clock), or has never been seen — what a watchdog asks between updates.
    public func isStale(at time: Int64) -> Bool {
        let limit = staleAfter.nanoseconds
        // No top yet counts as stale (the subtraction would wrap from `.min`).
        return spotTime == .min || futuresTime == .min || time &- spotTime > limit || time &- futuresTime > limit
    }

    /// `next` advanced to the updates handled through `sequence`, with their
    /// checksum; unchanged while a resumed feed is still replaying committed updates.
    private func advance(_ next: inout StrategyContext, through sequence: Int) {
        guard sequence > next.lastSequence else { return }
        next.lastSequence = sequence
        next.feedChecksum = liveFeed ? nil : consumed
    }

    private func quantity(spotAsk: Double) -> Double {
        let m = context.confidenceScore.map { 1 + (config.maxPositionMultiplier - 1) * min(max($0, 0), 1) } ?? 1
        return config.basePositionSize * m / spotAsk
    }

    private func alert(_ time: Int64, _ message: String) -> StrategyCommand {
        .publish(.alert(AlertEvent(timestamp: Double(time) / 1e9, message: message)))
    }

    /// Commands that commit `next` (with `trade`) and make it the context.
    private mutating func commit(_ next: StrategyContext, trade: TradeEvent? = nil,
                                 update: ParameterUpdateEvent? = nil) -> StrategyCommand {
        context = next
        return .commit(JournalEntry(context: next, trade: trade, parameterUpdate: update))
    }

    // MARK: Order outcomes

    /// Takes the outcome of the last `.execute` batch (one `LegOutcome` per leg,
    /// in any order) and decides what follows: an unwind or a remainder to send,
    /// or the position's new state to commit.
    ///
    /// - Throws: `StrategyCoreError.noOrdersInFlight` when no batch is awaited.
    public mutating func legsCompleted(_ outcomes: [LegOutcome]) throws -> [StrategyCommand] {
        guard let pending else { throw StrategyCoreError.noOrdersInFlight }
        self.pending = nil
        func fill(_ market: Market) -> OrderFill? { outcomes.first { $0.order.market == market }?.fill }
        switch pending {
        case .open(let entry):
            return opened(entry, spotFill: fill(.spot), futuresFill: fill(.futures))
        case .unwind(let entry, let spotFill, let futuresFill, let hedged, let excess, let excessQuantity):
            return unwound(entry, spotFill: spotFill, futuresFill: futuresFill, hedged: hedged, excess: excess,
                           excessQuantity: excessQuantity, unwindFill: fill(excess))
        case .close(let exit):
            var remaining = openQuantities(exit.held)
            var partial: [Market: Double] = [:]
            for (market, open) in remaining {
                let filled = fill(market)?.quantity ?? 0
                remaining[market] = max(open - filled, 0)
                // A leg filled in part gets its remainder sent once more; a refused one was already retried.
                if filled > 0 && filled < open { partial[market] = open - filled }
            }
            if !partial.isEmpty {
                self.pending = .closeRemainder(exit, remaining: remaining)
                return [.execute(closeBatch(exit, remaining: partial, step: .closeRemainder))]
            }
            return closed(exit, remaining: remaining)
        case .closeRemainder(let exit, var remaining):
            for outcome in outcomes {
                if let filled = outcome.fill?.quantity, let open = remaining[outcome.order.market] {
                    remaining[outcome.order.market] = max(open - filled, 0)
                }
            }
            return closed(exit, remaining: remaining)
        }
    }

    private mutating func opened(_ entry: Entry, spotFill: OrderFill?, futuresFill: OrderFill?) -> [StrategyCommand] {
        let s = spotFill?.quantity ?? 0, f = futuresFill?.quantity ?? 0
        guard s != f else {
            var next = context
            advance(&next, through: entry.sequence)
            var commands: [StrategyCommand] = []
            if s == 0 {
                commands.append(alert(entry.time, "both legs of the open at sequence \(entry.sequence) were rejected; staying flat"))
            } else {
                next.position = Self.position(entry, quantity: s, spotFill: spotFill, futuresFill: futuresFill)
            }
            commands.append(commit(next))
            return commands
        }
        // Unequal legs: keep the hedged quantity, take the excess of the larger leg back.
        let excess: Market = s > f ? .spot : .futures
        let excessQuantity = abs(s - f)
        pending = .unwind(entry, spotFill: spotFill, futuresFill: futuresFill, hedged: min(s, f), excess: excess,
                          excessQuantity: excessQuantity)
        let side: OrderSide = excess == .spot ? .sell : .buy
        return [.execute(OrderBatch(step: .unwind, legs: [
            LegOrder(order: MarketOrder(clientOrderId: "o\(entry.sequence)-unwind", market: excess, side: side,
                                        quantity: excessQuantity), purpose: .unwind, attempts: 1),
        ], timestampNanoseconds: entry.time))]
    }

    private mutating func unwound(_ entry: Entry, spotFill: OrderFill?, futuresFill: OrderFill?, hedged: Double, excess: Market,
                                  excessQuantity: Double, unwindFill: OrderFill?) -> [StrategyCommand] {
        let other: Market = excess == .spot ? .futures : .spot
        let short = (other == .spot ? spotFill : futuresFill)?.quantity ?? 0
        let residual = max(excessQuantity - (unwindFill?.quantity ?? 0), 0)
        var next = context
        advance(&next, through: entry.sequence)
        let message: String
        if residual == 0 {
            if hedged > 0 {
                next.position = Self.position(entry, quantity: hedged, spotFill: spotFill, futuresFill: futuresFill)
                message = "\(other.rawValue) leg filled \(short) of \(entry.quantity) at sequence \(entry.sequence); "
                    + "hedged \(hedged), \(excess.rawValue) excess of \(excessQuantity) unwound"
            } else {
                message = "\(other.rawValue) leg rejected at sequence \(entry.sequence); \(excess.rawValue) leg unwound, staying flat"
            }
            return [alert(entry.time, message), commit(next)]
        }
        var position = Self.position(entry, quantity: hedged > 0 ? hedged : residual, spotFill: spotFill, futuresFill: futuresFill)
        if hedged > 0 {
            position.setOpenQuantity(hedged + residual, of: excess)
            message = "unhedged \(excess.rawValue) excess of \(residual) over the hedged \(hedged) after a partial fill and a failed unwind"
        } else {
            position.spotOpen = excess == .spot
            position.futuresOpen = excess == .futures
            message = "unhedged \(excess.rawValue) leg of \(residual) after a rejected hedge and a failed unwind"
        }
        next.position = position
        next.halted = message
        return [alert(entry.time, message), commit(next)]
    }

    /// A position opened by `entry` with `quantity` per leg, both legs open.
    private static func position(_ entry: Entry, quantity: Double, spotFill: OrderFill?, futuresFill: OrderFill?) -> LivePosition {
        LivePosition(entrySequence: entry.sequence, entryTimeNanoseconds: entry.time, entrySpotAsk: entry.spotAsk,
                     entryFutBid: entry.futBid, quantity: quantity, spotFill: spotFill, futuresFill: futuresFill,
                     spotOpen: true, futuresOpen: true)
    }

    /// The base quantity open on each leg of `position` (legs not open are absent).
    private func openQuantities(_ position: LivePosition) -> [Market: Double] {
        var open: [Market: Double] = [:]
        for market in Market.allCases where position.openQuantity(of: market) > 0 {
            open[market] = position.openQuantity(of: market)
        }
        return open
    }

    private func closeBatch(_ exit: Exit, remaining: [Market: Double], step: OrderBatch.Step) -> OrderBatch {
        let suffix = step == .closeRemainder ? "-rest" : ""
        let legs = Market.allCases.compactMap { market -> LegOrder? in
            guard let quantity = remaining[market], quantity > 0 else { return nil }
            let id = "c\(exit.sequence)-\(market == .spot ? "spot" : "fut")\(suffix)"
            return LegOrder(order: MarketOrder(clientOrderId: id, market: market, side: market == .spot ? .sell : .buy,
                                               quantity: quantity), purpose: .close, attempts: 3)
        }
        return OrderBatch(step: step, legs: legs, timestampNanoseconds: exit.time)
    }

    private mutating func closed(_ exit: Exit, remaining: [Market: Double]) -> [StrategyCommand] {
        var next = context
        advance(&next, through: exit.sequence)
        if remaining.values.contains(where: { $0 > 0 }) {
            var position = exit.held
            for market in Market.allCases {
                position.setOpenQuantity(remaining[market] ?? 0, of: market)
            }
            let leg: Market = (remaining[.spot] ?? 0) > 0 ? .spot : .futures
            let left = remaining[leg] ?? 0
            let message = "close at sequence \(exit.sequence) failed: \(leg.rawValue) leg still open"
                + (left < exit.held.openQuantity(of: leg) ? " (\(left) of \(exit.held.openQuantity(of: leg)))" : "")
            next.position = position
            next.halted = message
            return [alert(exit.time, message), commit(next)]
        }
        next.position = nil
        let held = exit.held
        let thresholds = context.thresholds
            ?? ThresholdPair(entryThresholdPct: exit.rule.entryThresholdPct, exitThresholdPct: exit.rule.exitThresholdPct)
        let trade = Trade(
            TradeIndices(entryIndex: held.entrySequence, exitIndex: exit.sequence, reason: exit.reason),
            entryTimeNanoseconds: held.entryTimeNanoseconds, exitTimeNanoseconds: exit.time,
            entrySpotAsk: held.entrySpotAsk, entryFutBid: held.entryFutBid, exitSpotBid: exit.spotBid, exitFutAsk: exit.futAsk,
            rule: exit.rule)
        let event = TradeEvent(timestamp: Double(exit.time) / 1e9, trade: trade,
                               entryThresholdPct: thresholds.entryThresholdPct, exitThresholdPct: thresholds.exitThresholdPct,
                               quantity: held.quantity)
        return [commit(next, trade: event), .publish(.trade(event))]
    }

    // MARK: Thresholds and feed

    /// Applies a threshold change (see `ThresholdChange` for each kind's rules).
    /// Thresholds in force change only here.
    public mutating func apply(_ change: ThresholdChange) -> ThresholdChangeOutcome {
        switch change {
        case .optimized(let pair, let confidence, let durationMs, let time, let schedule):
            if let violation = config.optimizer.safetyViolation(entryThreshold: pair.entryThresholdPct, exitThreshold: pair.exitThresholdPct) {
                return ThresholdChangeOutcome(commands: [failedUpdate("unsafe thresholds: \(violation)", schedule: schedule)],
                                              result: .failure(ParameterUpdateError(reason: "unsafe thresholds: \(violation)")))
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
            return ThresholdChangeOutcome(commands: [commit(next, update: event), .publish(.parameterUpdate(event))],
                                          result: .success(nil))
        case .optimizationFailed(let reason, let schedule):
            return ThresholdChangeOutcome(commands: [failedUpdate(reason, schedule: schedule)], result: .success(nil))
        case .fixed(let pair, let initialOnly, let override):
            return fix(pair, initialOnly: initialOnly, override: override)
        }
    }

    private mutating func failedUpdate(_ reason: String, schedule: OptimizationSchedule?) -> StrategyCommand {
        var next = context
        advance(&next, through: lastHandled)
        next.failedUpdates += 1
        next.lastUpdateError = reason
        if let schedule { next.scheduleOriginNanoseconds = schedule.origin; next.nextUpdateNanoseconds = schedule.next }
        return commit(next)
    }

    private mutating func fix(_ pair: ThresholdPair, initialOnly: Bool, override: Bool) -> ThresholdChangeOutcome {
        if let violation = config.optimizer.safetyViolation(entryThreshold: pair.entryThresholdPct, exitThreshold: pair.exitThresholdPct) {
            return ThresholdChangeOutcome(commands: [], result: .failure(ParameterUpdateError(reason: "unsafe thresholds: \(violation)")))
        }
        let saved = context.givenThresholds ?? context.thresholds
        var next = context
        next.givenThresholds = pair
        if let saved, saved != pair {
            guard override else {
                return ThresholdChangeOutcome(commands: [], result: .failure(ThresholdMismatchError(saved: saved, given: pair)))
            }
        } else if initialOnly && context.thresholds != nil {
            // Same starting values on resume: the optimiser's thresholds stay.
            guard context.givenThresholds == nil else { return ThresholdChangeOutcome(commands: [], result: .success(nil)) }
            return ThresholdChangeOutcome(commands: [commit(next)], result: .success(nil))
        } else if context.thresholds == pair && context.confidenceScore == nil && context.givenThresholds == pair {
            return ThresholdChangeOutcome(commands: [], result: .success(nil))
        }
        advance(&next, through: lastHandled)
        next.thresholds = pair
        next.confidenceScore = nil
        return ThresholdChangeOutcome(commands: [commit(next)], result: .success(saved == pair ? nil : saved))
    }

    /// Ties the state to a feed: a fresh state records `identity`; a resumed
    /// one must have been made with the same feed, or this throws
    /// `FeedMismatchError` (sequences of another feed would skip or repeat its ticks).
    ///
    /// A replay (`live: false`) starts again from its first row after a restart
    /// and must reproduce the committed checksum. A live feed (`live: true`)
    /// cannot replay: it numbers its updates on from `context.lastSequence + 1`
    /// and carries no checksum.
    public mutating func bindFeed(_ identity: String, live: Bool = false) throws -> [StrategyCommand] {
        if live {
            liveFeed = true
            feedVerified = true
        }
        if let bound = context.feedIdentity {
            guard bound == identity else { throw FeedMismatchError(stored: bound, offered: identity) }
            return []
        }
        var next = context
        next.feedIdentity = identity
        return [commit(next)]
    }
}

/// The strategy core was driven out of order (a bug in its owner, not bad data).
public enum StrategyCoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An update came while an order batch awaited its outcome.
    case ordersInFlight
    /// An order outcome came with no batch awaiting one.
    case noOrdersInFlight

    /// What went wrong.
    public var description: String {
        switch self {
        case .ordersInFlight: "the strategy core got an update while orders were in flight"
        case .noOrdersInFlight: "the strategy core got order outcomes with no orders in flight"
        }
    }
}
