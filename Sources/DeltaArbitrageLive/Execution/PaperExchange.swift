import DeltaArbitrage

/// How much of a market order the paper exchange fills.
public enum PaperFillLimit: Sendable, Hashable {
    /// The whole order at the top price, whatever the displayed size — the
    /// backtest's assumption, and what replays use for parity with it.
    case unlimited
    /// At most the displayed quantity at the top (the ask's for a buy, the
    /// bid's for a sell), less what earlier orders took from that top since it
    /// last changed: a larger order fills in part, an order at a used-up top
    /// is refused. A NaN displayed quantity (recorded data without sizes)
    /// counts as unlimited.
    case displayedSize
}

/// A simulated exchange for both legs: market orders fill at the current
/// top of book (buys at the ask, sells at the bid), completely or — with
/// `.displayedSize` — up to the displayed quantity, and pay the configured
/// taker fee on the notional.
///
/// The book is whatever `update(_:)` last set — the strategy loop feeds it
/// each update before deciding on it (`OrderGateway.observe(_:)`). For tests,
/// `latency` delays every fill on `clock`, and `rejects` refuses the orders
/// it returns true for.
public actor PaperExchange<C: Clock>: OrderGateway where C.Duration == Duration {
    /// Spot taker fee, a fraction of the notional.
    public let spotFee: Double
    /// Futures taker fee, a fraction of the notional.
    public let futFee: Double
    /// Delay before each fill, slept on `clock` (`.zero`: none).
    public let latency: Duration
    /// Clock `latency` is slept on.
    public let clock: C
    /// How much of an order fills: `.unlimited` (backtest-compatible, the
    /// default) or `.displayedSize` (what a live service uses).
    public let fillLimit: PaperFillLimit
    private let rejects: @Sendable (MarketOrder) -> Bool
    /// The book, behind a lock of its own: the strategy moves it on its tick path
    /// without a hop onto the actor (`observe(_:)` is synchronous).
    private let book = Locked(Book())
    /// Fills by client order id: a repeated id returns the first fill.
    private var fills: [String: OrderFill] = [:]
    /// Orders `rejects` refused, in submission order (other refusals are not recorded).
    public private(set) var rejected: [MarketOrder] = []

    /// An exchange with no book yet; `rejects` refuses the orders it returns true
    /// for (none by default).
    public init(spotFee: Double, futFee: Double, clock: C, latency: Duration = .zero, fillLimit: PaperFillLimit = .unlimited,
                rejects: @escaping @Sendable (MarketOrder) -> Bool = { _ in false }) {
        self.spotFee = spotFee
        self.futFee = futFee
        self.clock = clock
        self.latency = latency
        self.fillLimit = fillLimit
        self.rejects = rejects
    }

    /// Moves the book to `update`'s tops (a side it does not carry is kept);
    /// a market whose top is given again has its full displayed size back.
    public nonisolated func update(_ update: BookUpdate) {
        book.withLock { $0.move(to: update) }
    }

    /// `update(_:)`: the paper exchange fills at the book the strategy sees.
    public nonisolated func observe(_ update: BookUpdate) { self.update(update) }

    /// Fills `order` at the top of book (a buy at the ask, a sell at the bid),
    /// charging the leg's fee rate on `price · quantity`, after `latency`:
    /// completely, or with `.displayedSize` at most the quantity left at that top.
    /// A repeated client order id returns the first fill.
    ///
    /// - Throws: `OrderRejected` when `rejects` refuses the order, its quantity is
    ///   not positive and finite, its market has no book yet, or (`.displayedSize`)
    ///   nothing is left at the top.
    public func submit(_ order: MarketOrder) async throws -> OrderFill {
        if latency > .zero { try await clock.sleep(for: latency) }
        if let earlier = fills[order.clientOrderId] { return earlier }
        if rejects(order) {
            rejected.append(order)
            throw OrderRejected(clientOrderId: order.clientOrderId, reason: "rejected by the paper exchange (injected)")
        }
        guard order.quantity > 0, order.quantity.isFinite else {
            throw OrderRejected(clientOrderId: order.clientOrderId, reason: "quantity must be positive")
        }
        let fillLimit = self.fillLimit
        let taken = book.withLock { book -> Result<(price: Double, quantity: Double, time: Int64), OrderRejected> in
            guard let top = order.market == .spot ? book.spot : book.futures else {
                return .failure(OrderRejected(clientOrderId: order.clientOrderId, reason: "no \(order.market.rawValue) book yet"))
            }
            let price = order.side == .buy ? top.ask : top.bid
            var quantity = order.quantity
            if fillLimit == .displayedSize {
                let displayed = order.side == .buy ? top.askQuantity : top.bidQuantity
                // NaN: the data has no sizes, so nothing limits the fill.
                if !displayed.isNaN {
                    let left = displayed - book.taken(order.market, order.side)
                    guard left > 0 else {
                        return .failure(OrderRejected(clientOrderId: order.clientOrderId,
                                                      reason: "no displayed quantity left at the \(order.market.rawValue) top"))
                    }
                    quantity = min(quantity, left)
                    book.take(quantity, order.market, order.side)
                }
            }
            return .success((price, quantity, book.time))
        }
        let (price, quantity, time) = try taken.get()
        let fee = price * quantity * (order.market == .spot ? spotFee : futFee)
        let fill = OrderFill(clientOrderId: order.clientOrderId, market: order.market, side: order.side, price: price,
                             quantity: quantity, fee: fee, timestampNanoseconds: time)
        fills[order.clientOrderId] = fill
        return fill
    }

    /// The tops the exchange fills at and what orders took from them.
    private struct Book: Sendable {
        var spot: BookTop?
        var futures: BookTop?
        /// Base quantity taken from each top since it last changed: spot bid, spot ask, futures bid, futures ask.
        var takenQuantities = (spotBid: 0.0, spotAsk: 0.0, futBid: 0.0, futAsk: 0.0)
        var time: Int64 = 0

        /// A market whose top is given again has its full displayed size back.
        mutating func move(to update: BookUpdate) {
            if let s = update.spot { spot = s; takenQuantities.spotBid = 0; takenQuantities.spotAsk = 0 }
            if let f = update.futures { futures = f; takenQuantities.futBid = 0; takenQuantities.futAsk = 0 }
            time = update.timestampNanoseconds
        }

        func taken(_ market: Market, _ side: OrderSide) -> Double {
            switch (market, side) {
            case (.spot, .sell): takenQuantities.spotBid
            case (.spot, .buy): takenQuantities.spotAsk
            case (.futures, .sell): takenQuantities.futBid
            case (.futures, .buy): takenQuantities.futAsk
            }
        }

        mutating func take(_ quantity: Double, _ market: Market, _ side: OrderSide) {
            switch (market, side) {
            case (.spot, .sell): takenQuantities.spotBid += quantity
            case (.spot, .buy): takenQuantities.spotAsk += quantity
            case (.futures, .sell): takenQuantities.futBid += quantity
            case (.futures, .buy): takenQuantities.futAsk += quantity
            }
        }
    }
}
