import DeltaArbitrage

/// Buy or sell.
public enum OrderSide: String, Sendable, Hashable, Codable {
    /// `buy` pays the ask; `sell` receives the bid.
    case buy, sell

    /// The side that undoes this one.
    public var opposite: OrderSide { self == .buy ? .sell : .buy }
}

/// A market order on one leg.
///
/// `clientOrderId` is deterministic (derived from the tick that caused it and
/// the leg), so a strategy that restarts after a crash and re-decides on
/// the same tick sends the same id, which an exchange treats as a duplicate
/// instead of a second order.
public struct MarketOrder: Sendable, Hashable, Codable {
    /// Identifies the order across retries and restarts: a repeated id is the same order.
    public var clientOrderId: String
    /// Leg the order trades.
    public var market: Market
    /// Buy or sell.
    public var side: OrderSide
    /// Quantity in base-asset units.
    public var quantity: Double

    /// An order for `quantity` base-asset units.
    public init(clientOrderId: String, market: Market, side: OrderSide, quantity: Double) {
        self.clientOrderId = clientOrderId
        self.market = market
        self.side = side
        self.quantity = quantity
    }

    enum CodingKeys: String, CodingKey {
        case clientOrderId = "client_order_id", market, side, quantity
    }
}

/// An executed market order.
public struct OrderFill: Sendable, Hashable, Codable {
    /// Id of the order filled.
    public var clientOrderId: String
    /// Leg traded.
    public var market: Market
    /// Buy or sell.
    public var side: OrderSide
    /// Execution price, quote currency per base unit.
    public var price: Double
    /// Quantity filled, base-asset units.
    public var quantity: Double
    /// Fee paid, in quote currency.
    public var fee: Double
    /// Execution time, nanoseconds since the Unix epoch (on the paper exchange,
    /// the time of its last book update).
    public var timestampNanoseconds: Int64

    /// A fill from its fields: price and fee in quote currency, quantity in base units.
    public init(clientOrderId: String, market: Market, side: OrderSide, price: Double, quantity: Double, fee: Double,
                timestampNanoseconds: Int64) {
        self.clientOrderId = clientOrderId
        self.market = market
        self.side = side
        self.price = price
        self.quantity = quantity
        self.fee = fee
        self.timestampNanoseconds = timestampNanoseconds
    }

    enum CodingKeys: String, CodingKey {
        case clientOrderId = "client_order_id", market, side, price, quantity, fee
        case time, timestampNanoseconds = "timestamp_ns"
    }

    /// JSON: the execution time as ISO-8601 UTC `time`, with its exact
    /// `timestamp_ns` twin (a fill is a record of money changing hands, and
    /// the state file resumes from it); `timestamp_ns` is what is read back.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(clientOrderId, forKey: .clientOrderId)
        try c.encode(market, forKey: .market)
        try c.encode(side, forKey: .side)
        try c.encodeFinite(price, forKey: .price)
        try c.encodeFinite(quantity, forKey: .quantity)
        try c.encodeFinite(fee, forKey: .fee)
        try c.encode(UTCTime.iso8601(nanoseconds: timestampNanoseconds), forKey: .time)
        try c.encode(timestampNanoseconds, forKey: .timestampNanoseconds)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        clientOrderId = try c.decode(String.self, forKey: .clientOrderId)
        market = try c.decode(Market.self, forKey: .market)
        side = try c.decode(OrderSide.self, forKey: .side)
        price = try c.decodeFinite(forKey: .price)
        quantity = try c.decodeFinite(forKey: .quantity)
        fee = try c.decodeFinite(forKey: .fee)
        timestampNanoseconds = try c.decode(Int64.self, forKey: .timestampNanoseconds)
    }
}

/// The exchange refused an order.
public struct OrderRejected: Error, Sendable, Hashable, CustomStringConvertible {
    /// Id of the refused order.
    public var clientOrderId: String
    /// Why it was refused.
    public var reason: String

    /// A refusal of `clientOrderId` for `reason`.
    public init(clientOrderId: String, reason: String) {
        self.clientOrderId = clientOrderId
        self.reason = reason
    }

    /// `order <id> rejected: <reason>`.
    public var description: String { "order \(clientOrderId) rejected: \(reason)" }
}

/// Sends market orders to the exchange(s) of the two legs.
public protocol OrderGateway: Sendable {
    /// Executes `order`, or throws (`OrderRejected` for a refusal). The fill's
    /// quantity may be less than the order's (a partial fill: the rest is not
    /// executed), never more.
    func submit(_ order: MarketOrder) async throws -> OrderFill

    /// Sees each book update before the strategy decides on it (a simulated
    /// exchange fills at that book); a real exchange ignores it (the default).
    /// Called on the tick path: it must not block.
    func observe(_ update: BookUpdate)
}

extension OrderGateway {
    /// Ignores the update: a real exchange has its own book.
    public func observe(_ update: BookUpdate) {}
}
