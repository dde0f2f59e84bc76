import DeltaArbitrage
import Foundation
import Testing
@testable import DeltaArbitrageLive

/// Tops where the fixed thresholds (entry 0.5 %, exit 0.1 %) open: entry cost ≈ 0.3 %.
private let cheapSpot = BookTop(bid: 99.9, ask: 100, bidQuantity: 10, askQuantity: 10)
private let cheapFutures = BookTop(bid: 99.8, ask: 99.9, bidQuantity: 10, askQuantity: 10)
/// Tops where an open position closes on the profit target.
private let richSpot = BookTop(bid: 101, ask: 101.1, bidQuantity: 10, askQuantity: 10)
private let richFutures = BookTop(bid: 98.9, ask: 99, bidQuantity: 10, askQuantity: 10)

/// A core with fixed thresholds and 100 quote per leg (1 base unit at a spot ask of 100).
private func fixedCore() throws -> StrategyCore {
    var core = try StrategyCore(config: liveConfig())
    _ = try core.apply(.fixed(ThresholdPair(entryThresholdPct: 0.5, exitThresholdPct: 0.1), initialOnly: false, override: false))
        .result.get()
    return core
}

private func alerts(_ commands: [StrategyCommand]) -> [String] {
    commands.compactMap { if case .publish(.alert(let a)) = $0 { a.message } else { nil } }
}

@Suite("Partial fills")
struct PartialFillTests {
    /// The spot leg fills half: the hedge keeps half, the futures excess is bought back.
    @Test func partialSpotLegKeepsTheHedgedSizeAndUnwindsTheExcess() throws {
        var core = try fixedCore()
        var sent: [MarketOrder] = []
        let done = try settle(&core, try core.handle(BookUpdate(sequence: 3, timestampNanoseconds: 0, spot: cheapSpot,
                                                                futures: cheapFutures))) { order in
            sent.append(order)
            return order.clientOrderId == "o3-spot" ? 0.5 : order.quantity
        }
        #expect(sent.map(\.clientOrderId) == ["o3-spot", "o3-fut", "o3-unwind"])
        let unwind = try #require(sent.last)
        #expect(unwind.market == .futures && unwind.side == .buy && abs(unwind.quantity - 0.5) < 1e-12)
        let position = try #require(core.context.position)
        #expect(abs(position.quantity - 0.5) < 1e-12 && position.spotOpen && position.futuresOpen)
        #expect(position.spotOpenQuantity == nil && position.futuresOpenQuantity == nil, "both legs hold the hedged size")
        #expect(position.spotFill?.quantity == 0.5 && position.futuresFill?.quantity == 1)
        #expect(core.context.halted == nil)
        #expect(alerts(done).contains { $0.contains("hedged 0.5") && $0.contains("futures excess of 0.5 unwound") })
        guard case .commit(let entry)? = done.last else { Issue.record("not committed"); return }
        #expect(entry.context.position == position && entry.context.lastSequence == 3)
    }

    /// The futures leg fills 30 %: the spot excess is sold back.
    @Test func partialFuturesLegUnwindsTheSpotExcess() throws {
        var core = try fixedCore()
        var sent: [MarketOrder] = []
        _ = try settle(&core, try core.handle(BookUpdate(sequence: 0, timestampNanoseconds: 0, spot: cheapSpot,
                                                         futures: cheapFutures))) { order in
            sent.append(order)
            return order.clientOrderId == "o0-fut" ? 0.3 : order.quantity
        }
        let unwind = try #require(sent.last)
        #expect(unwind.clientOrderId == "o0-unwind" && unwind.market == .spot && unwind.side == .sell)
        #expect(abs(unwind.quantity - 0.7) < 1e-12)
        #expect(abs((core.context.position?.quantity ?? 0) - 0.3) < 1e-12)
    }

    /// The unwind of the excess fails (refused, or filled in part): the excess
    /// stays flagged on its leg and trading halts — never silently unhedged.
    @Test(arguments: [nil, 0.2] as [Double?])
    func failedUnwindOfAnExcessHalts(unwound: Double?) throws {
        var core = try fixedCore()
        let done = try settle(&core, try core.handle(BookUpdate(sequence: 0, timestampNanoseconds: 0, spot: cheapSpot,
                                                                futures: cheapFutures))) { order in
            switch order.clientOrderId {
            case "o0-spot": 0.5
            case "o0-unwind": unwound
            default: order.quantity
            }
        }
        let residual = 0.5 - (unwound ?? 0)
        let position = try #require(core.context.position)
        #expect(abs(position.quantity - 0.5) < 1e-12)
        #expect(position.openQuantity(of: .spot) == position.quantity)
        #expect(abs(position.openQuantity(of: .futures) - (0.5 + residual)) < 1e-12)
        let halted = try #require(core.context.halted)
        #expect(halted.contains("unhedged futures excess of \(residual)"))
        #expect(alerts(done) == [halted])
        // Halted: the next update decides nothing.
        #expect(try core.handle(BookUpdate(sequence: 1, timestampNanoseconds: 1, spot: richSpot, futures: richFutures)).isEmpty)
    }

    /// A rejected leg is the partial fill of nothing: the same rule unwinds the
    /// whole filled leg and the strategy stays flat.
    @Test func rejectedLegIsTheZeroPartialFill() throws {
        var core = try fixedCore()
        let done = try settle(&core, try core.handle(BookUpdate(sequence: 0, timestampNanoseconds: 0, spot: cheapSpot,
                                                                futures: cheapFutures))) { order in
            order.clientOrderId == "o0-spot" ? nil : order.quantity
        }
        #expect(core.context.position == nil && core.context.halted == nil)
        #expect(alerts(done) == ["spot leg rejected at sequence 0; futures leg unwound, staying flat"])
    }

    /// A close leg filled in part has its remainder sent once more; when that
    /// fills the round trip closes, when it fails the remainder stays flagged and trading halts.
    @Test(arguments: [true, false])
    func partialCloseRetriesTheRemainder(remainderFills: Bool) throws {
        var core = try fixedCore()
        _ = try settle(&core, try core.handle(BookUpdate(sequence: 0, timestampNanoseconds: 0, spot: cheapSpot, futures: cheapFutures)))
        #expect(core.context.position?.quantity == 1)
        var sent: [String] = []
        let done = try settle(&core, try core.handle(BookUpdate(sequence: 1, timestampNanoseconds: 1_000_000_000, spot: richSpot,
                                                                futures: richFutures))) { order in
            sent.append(order.clientOrderId)
            switch order.clientOrderId {
            case "c1-spot": return 0.4
            case "c1-spot-rest": return remainderFills ? order.quantity : nil
            default: return order.quantity
            }
        }
        #expect(sent.sorted() == ["c1-fut", "c1-spot", "c1-spot-rest"])
        if remainderFills {
            #expect(core.context.position == nil && core.context.halted == nil)
            #expect(done.contains { if case .publish(.trade(let t)) = $0 { t.quantity == 1 } else { false } })
        } else {
            let position = try #require(core.context.position)
            #expect(position.spotOpen && !position.futuresOpen)
            #expect(abs(position.openQuantity(of: .spot) - 0.6) < 1e-12)
            #expect(core.context.halted?.contains("spot leg still open (0.6") == true)
        }
    }

    /// The paper exchange fills at most the displayed quantity left at the top,
    /// per side, until that market's top changes; NaN sizes do not limit.
    @Test func paperExchangeHonoursTheDisplayedSize() async throws {
        let exchange = PaperExchange(spotFee: 0, futFee: 0, clock: ContinuousClock(), fillLimit: .displayedSize)
        exchange.update(BookUpdate(sequence: 0, timestampNanoseconds: 0,
                                         spot: BookTop(bid: 99, ask: 100, bidQuantity: 3, askQuantity: 0.5),
                                         futures: BookTop(bid: 98, ask: 98.5)))
        func order(_ id: String, _ market: Market, _ side: OrderSide, _ quantity: Double) -> MarketOrder {
            MarketOrder(clientOrderId: id, market: market, side: side, quantity: quantity)
        }
        #expect(try await exchange.submit(order("a", .spot, .buy, 2)).quantity == 0.5)
        await #expect(throws: OrderRejected.self) { try await exchange.submit(order("b", .spot, .buy, 1)) }
        #expect(try await exchange.submit(order("c", .spot, .sell, 2)).quantity == 2)
        #expect(try await exchange.submit(order("d", .spot, .sell, 2)).quantity == 1)
        #expect(try await exchange.submit(order("e", .futures, .sell, 1e6)).quantity == 1e6, "NaN size: unlimited")
        // A new futures top leaves the spot top used up; a new spot top restores it.
        exchange.update(BookUpdate(sequence: 1, timestampNanoseconds: 1, spot: nil, futures: BookTop(bid: 98, ask: 98.5)))
        await #expect(throws: OrderRejected.self) { try await exchange.submit(order("f", .spot, .buy, 1)) }
        exchange.update(BookUpdate(sequence: 2, timestampNanoseconds: 2,
                                         spot: BookTop(bid: 99, ask: 100, bidQuantity: 3, askQuantity: 0.5), futures: nil))
        #expect(try await exchange.submit(order("g", .spot, .buy, 1)).quantity == 0.5)
        let unlimited = PaperExchange(spotFee: 0, futFee: 0, clock: ContinuousClock())
        unlimited.update(BookUpdate(sequence: 0, timestampNanoseconds: 0,
                                          spot: BookTop(bid: 99, ask: 100, bidQuantity: 3, askQuantity: 0.5), futures: nil))
        #expect(try await unlimited.submit(order("a", .spot, .buy, 2)).quantity == 2)
    }

    /// End to end: the loop with a displayed-size paper exchange keeps the
    /// hedged half and buys the futures excess back at the futures ask.
    @Test func loopWithDisplayedSizeHedgesTheFilledSize() async throws {
        let exchange = PaperExchange(spotFee: 0, futFee: 0, clock: ContinuousClock(), fillLimit: .displayedSize)
        let events = EventHub()
        let orders = Collected()
        events.addSink {
            if case .order(let o) = $0 { orders.add("\(o.purpose.rawValue):\(o.order.market.rawValue):\(o.fill?.quantity ?? -1)") }
        }
        let strategy = try await StrategyLoop(config: liveConfig(), gateway: exchange, events: events)
        try await strategy.running {
            try await strategy.changeThresholds(.fixed(ThresholdPair(entryThresholdPct: 0.5, exitThresholdPct: 0.1),
                                                       initialOnly: false, override: false))
            var spot = cheapSpot
            spot.askQuantity = 0.5
            try await strategy.handle(BookUpdate(sequence: 0, timestampNanoseconds: 0, spot: spot, futures: cheapFutures))
        }
        #expect(Set(orders.values) == ["open:spot:0.5", "open:futures:1.0", "unwind:futures:0.5"])
        let position = try #require(strategy.status().position)
        #expect(position.quantity == 0.5 && position.futuresFill?.quantity == 1)
        #expect(strategy.status().context.halted == nil)
    }

    /// Recorded data without sizes (NaN quantities) fills as if unlimited, so a
    /// displayed-size replay of it trades exactly as the backtest.
    @Test func nanSizesReplayAsTheBacktest() async throws {
        var data = try mockData(hours: 6, seed: 1)
        let unknown = Column<Double>(repeating: .nan, count: data.count)
        data.spotAskQuantity = unknown
        data.spotBidQuantity = unknown
        data.futAskQuantity = unknown
        data.futBidQuantity = unknown
        var config = liveConfig()
        config.basePositionSize = 1e9  // far beyond any recorded size
        let summary = try await paper(data, config: config, fixed: ThresholdPair(entryThresholdPct: 0.5, exitThresholdPct: 0.1),
                                      fillLimit: .displayedSize)
        let backtest = try deltaNeutralBacktest(data, rule: config.optimizer.rule(entryThresholdPct: 0.5, exitThresholdPct: 0.1))
        #expect(summary.trades == backtest.trades && !backtest.trades.isEmpty)
    }

    /// With sizes, large orders meet the displayed size: every open that filled
    /// unequally is unwound or halts, and no position is ever left unequal unflagged.
    @Test func displayedSizeReplayNeverLeavesAnUnflaggedExcess() async throws {
        let data = try mockData(hours: 6, seed: 1)
        var config = liveConfig()
        config.basePositionSize = 1e5  // two base units at 50,000: above most recorded sizes (median 1)
        let events = EventHub()
        let orders = Collected()
        events.addSink {
            if case .order(let o) = $0, let fill = o.fill, fill.quantity < o.order.quantity { orders.add(o.order.clientOrderId) }
        }
        let summary = try await paper(data, config: config, fixed: ThresholdPair(entryThresholdPct: 0.5, exitThresholdPct: 0.1),
                                      events: events, fillLimit: .displayedSize)
        #expect(!orders.values.isEmpty, "some order met the displayed size")
        if let halted = summary.halted {
            #expect(halted.contains("unhedged") || halted.contains("still open"))
        } else if let position = summary.openPosition {
            #expect(position.openQuantity(of: .spot) == position.openQuantity(of: .futures))
        }
    }
}
