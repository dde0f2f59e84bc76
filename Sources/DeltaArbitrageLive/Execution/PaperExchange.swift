/// A simulated exchange for both legs: market orders fill completely at the
/// current top of book (buys at the ask, sells at the bid) and pay the
/// configured taker fee on the notional.
///
/// The book is whatever `update(_:)` last set — the service feeds it the
/// same updates the strategy sees. For tests, `latency` delays every fill on
/// `clock`, and `rejects` refuses the orders it returns true for.
public actor PaperExchange<C: Clock>: OrderGateway where C.Duration == Duration {
    /// Spot taker fee, a fraction of the notional.
    public let spotFee: Double
    /// Futures taker fee, a fraction of the notional.
    public let futFee: Double
    /// Delay before each fill, slept on `clock` (`.zero`: none).
    public let latency: Duration
    /// Clock `latency` is slept on.
    public let clock: C
    private let rejects: @Sendable (MarketOrder) -> Bool
    private var spot: BookTop?
    private var futures: BookTop?
    private var time: Int64 = 0
    /// Fills by client order id: a repeated id returns the first fill.
    private var fills: [String: OrderFill] = [:]
    /// Orders `rejects` refused, in submission order (other refusals are not recorded).
    public private(set) var rejected: [MarketOrder] = []

    /// An exchange with no book yet; `rejects` refuses the orders it returns true
    /// for (none by default).
    public init(spotFee: Double, futFee: Double, clock: C, latency: Duration = .zero,
                rejects: @escaping @Sendable (MarketOrder) -> Bool = { _ in false }) {
        self.spotFee = spotFee
        self.futFee = futFee
        self.clock = clock
        self.latency = latency
        self.rejects = rejects
    }

    /// Moves the book to `update`'s tops (a side it does not carry is kept).
    public func update(_ update: BookUpdate) {
        if let s = update.spot { spot = s }
        if let f = update.futures { futures = f }
        time = update.timestampNanoseconds
    }

    /// Fills `order` completely at the top of book (a buy at the ask, a sell at the
    /// bid), charging the leg's fee rate on `price · quantity`, after `latency`.
    /// A repeated client order id returns the first fill.
    ///
    /// - Throws: `OrderRejected` when `rejects` refuses the order, its quantity is
    ///   not positive and finite, or its market has no book yet.
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
        guard let top = order.market == .spot ? spot : futures else {
            throw OrderRejected(clientOrderId: order.clientOrderId, reason: "no \(order.market.rawValue) book yet")
        }
        let price = order.side == .buy ? top.ask : top.bid
        let fee = price * order.quantity * (order.market == .spot ? spotFee : futFee)
        let fill = OrderFill(clientOrderId: order.clientOrderId, market: order.market, side: order.side, price: price,
                             quantity: order.quantity, fee: fee, timestampNanoseconds: time)
        fills[order.clientOrderId] = fill
        return fill
    }
}
