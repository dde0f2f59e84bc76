/// The exchanges whose public book-ticker streams the live feeds speak.
public enum ExchangeVenue: String, Sendable, Hashable, CaseIterable {
    /// Binance spot (`<symbol>@bookTicker`) and USD-M futures (`<symbol>@bookTicker`).
    case binance
    /// Gate.io API v4: spot `spot.book_ticker`, USDT futures `futures.book_ticker`.
    case gateio
}

/// One best bid/ask update as the exchange sent it.
public struct ExchangeQuote: Sendable, Equatable {
    /// The exchange's update id (`u`): increasing within a stream.
    public var updateID: Int64
    /// The exchange's time of the update, ns since the Unix epoch; nil where
    /// the stream carries none (Binance spot).
    public var exchangeTimeNanoseconds: Int64?
    /// The new top of book; quantities in base units.
    public var top: BookTop

    public init(updateID: Int64, exchangeTimeNanoseconds: Int64?, top: BookTop) {
        self.updateID = updateID
        self.exchangeTimeNanoseconds = exchangeTimeNanoseconds
        self.top = top
    }
}

/// What one message of a book-ticker stream says.
public enum BookTickerMessage: Sendable, Equatable {
    /// A new top of book.
    case quote(ExchangeQuote)
    /// The exchange confirmed the subscription.
    case subscribed
    /// The exchange refused the subscription, in its words.
    case subscriptionRefused(String)
    /// The answer to the feed's application-level ping (Gate.io `*.pong`).
    case pong
    /// A message the feed does not act on (another channel's, a notice).
    case other
}

/// A message that is not what its venue's documentation describes: the feed
/// skips it and counts it.
public struct BookTickerDecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}

/// Decodes the messages of one market's book-ticker stream, in place: the
/// per-message path builds no string, array or dictionary.
///
/// Message shapes, from each venue's API documentation:
/// * Binance spot: `{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}`;
///   USD-M futures add `"e":"bookTicker","E":<event ms>,"T":<transaction ms>`;
///   on a combined stream the payload is `{"stream":"…","data":{…}}`.
///   Subscription reply `{"result":null,"id":1}`; refusal `{"error":{"code":…,"msg":"…"},"id":1}` or `{"code":…,"msg":"…"}`.
/// * Gate.io v4: `{"time":…,"time_ms":…,"channel":"spot.book_ticker","event":"update","result":{"t":<ms>,"u":…,"s":"BTC_USDT","b":"…","B":"…","a":"…","A":"…"}}`
///   (`futures.book_ticker` gives `B`/`A` as contract counts, numbers);
///   subscription reply `"event":"subscribe","result":{"status":"success"}`, refusal `"error":{"code":…,"message":"…"}`;
///   `{"channel":"spot.pong",…}` answers `spot.ping` (`futures.pong` likewise).
public struct BookTickerDecoder: Sendable {
    public let venue: ExchangeVenue
    public let market: Market
    /// The symbol as the exchange spells it (`BTCUSDT`, `BTC_USDT`): quotes of another symbol are refused.
    public let exchangeSymbol: String
    /// Base units per contract, for sizes given in contracts (Gate.io futures); 1 elsewhere.
    public let contractSize: Double
    private let symbolBytes: [UInt8]

    public init(venue: ExchangeVenue, market: Market, exchangeSymbol: String, contractSize: Double = 1) {
        self.venue = venue
        self.market = market
        self.exchangeSymbol = exchangeSymbol
        self.contractSize = contractSize
        self.symbolBytes = Array(exchangeSymbol.utf8)
    }

    /// The exchange's spelling of `BASE/QUOTE` on `venue`: `BTCUSDT` (Binance), `BTC_USDT` (Gate.io).
    public static func exchangeSymbol(_ symbol: String, venue: ExchangeVenue) -> String {
        let parts = symbol.uppercased().split(separator: "/")
        switch venue {
        case .binance: return parts.joined()
        case .gateio: return parts.joined(separator: "_")
        }
    }

    /// Decodes one message (a WebSocket text frame's bytes).
    public func decode(_ bytes: UnsafeRawBufferPointer) throws(BookTickerDecodeError) -> BookTickerMessage {
        do {
            switch venue {
            case .binance: return try decodeBinance(bytes, from: 0)
            case .gateio: return try decodeGate(bytes)
            }
        } catch let error as BookTickerDecodeError {
            throw error
        } catch let error as JSONScanner.Malformed {
            throw BookTickerDecodeError(reason: "not JSON at byte \(error.offset): \(error.reason)")
        } catch {
            throw BookTickerDecodeError(reason: "\(error)")
        }
    }

    // MARK: - Binance

    private func decodeBinance(_ bytes: UnsafeRawBufferPointer, from start: Int) throws -> BookTickerMessage {
        var scanner = JSONScanner(bytes, from: start)
        var fields = QuoteFields()
        var payload: Int?
        var isReply = false, refusal: Range<Int>?, refusalObject: Range<Int>?
        let s = scanner
        try scanner.forEachMember { key, value in
            guard key.count <= 6 else { return true }
            if key.count == 1 {
                fields.take(bytes[key.lowerBound], value)
            } else if s.equals(key, "data"), case .object(let range) = value {
                payload = range.lowerBound
            } else if s.equals(key, "id") || s.equals(key, "result") {
                isReply = true
            } else if s.equals(key, "msg"), case .string(let range, _) = value {
                refusal = range
            } else if s.equals(key, "error"), case .object(let range) = value {
                refusalObject = range
            }
            return true
        }
        if let payload { return try decodeBinance(bytes, from: payload) }
        if let refusalObject {
            var inner = JSONScanner(bytes, from: refusalObject.lowerBound)
            try inner.forEachMember { key, value in
                if s.equals(key, "msg"), case .string(let range, _) = value { refusal = range }
                return true
            }
        }
        if let refusal { return .subscriptionRefused(Self.text(bytes, refusal)) }
        if fields.hasQuote {
            return .quote(try fields.quote(symbol: symbolBytes, contractSize: 1, timeKey: "E", in: s))
        }
        return isReply ? .subscribed : .other
    }

    // MARK: - Gate.io

    private func decodeGate(_ bytes: UnsafeRawBufferPointer) throws -> BookTickerMessage {
        var scanner = JSONScanner(bytes)
        let s = scanner
        var channel: Range<Int>?, event: Range<Int>?, result: JSONScanner.Value?, error: Range<Int>?
        try scanner.forEachMember { key, value in
            if s.equals(key, "channel"), case .string(let range, _) = value { channel = range }
            else if s.equals(key, "event"), case .string(let range, _) = value { event = range }
            else if s.equals(key, "result") { result = value }
            else if s.equals(key, "error"), case .object(let range) = value { error = range }
            return true
        }
        guard let channel else { return .other }
        let prefix: StaticString = market == .spot ? "spot." : "futures."
        let name = channel.lowerBound + prefix.utf8CodeUnitCount
        guard channel.count > prefix.utf8CodeUnitCount, s.equals(channel.lowerBound..<name, prefix) else { return .other }
        let suffix = name..<channel.upperBound
        if s.equals(suffix, "pong") { return .pong }
        guard s.equals(suffix, "book_ticker") else { return .other }
        if let error {
            var message: Range<Int>?
            var inner = JSONScanner(bytes, from: error.lowerBound)
            try inner.forEachMember { key, value in
                if s.equals(key, "message"), case .string(let range, _) = value { message = range }
                return true
            }
            return .subscriptionRefused(message.map { Self.text(bytes, $0) } ?? "refused without a message")
        }
        guard let event else { return .other }
        if s.equals(event, "subscribe") {
            guard case .object(let range) = result else { return .subscriptionRefused("no result in the subscription reply") }
            var status: Range<Int>?
            var inner = JSONScanner(bytes, from: range.lowerBound)
            try inner.forEachMember { key, value in
                if s.equals(key, "status"), case .string(let r, _) = value { status = r }
                return true
            }
            if let status, s.equals(status, "success") { return .subscribed }
            return .subscriptionRefused("status \(status.map { Self.text(bytes, $0) } ?? "missing")")
        }
        guard s.equals(event, "update"), case .object(let range) = result else { return .other }
        var fields = QuoteFields()
        var inner = JSONScanner(bytes, from: range.lowerBound)
        try inner.forEachMember { key, value in
            if key.count == 1 { fields.take(bytes[key.lowerBound], value) }
            return true
        }
        return .quote(try fields.quote(symbol: symbolBytes, contractSize: market == .futures ? contractSize : 1, timeKey: "t", in: s))
    }

    private static func text(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}

/// The one-letter fields of a book-ticker payload, as byte ranges.
private struct QuoteFields {
    var u: Range<Int>?, s: Range<Int>?, b: Range<Int>?, B: Range<Int>?, a: Range<Int>?, A: Range<Int>?
    var E: Range<Int>?, t: Range<Int>?

    var hasQuote: Bool { u != nil && b != nil && a != nil }

    mutating func take(_ key: UInt8, _ value: JSONScanner.Value) {
        let range: Range<Int>
        switch value {
        case .string(let r, _), .number(let r): range = r
        default: return
        }
        switch key {
        case UInt8(ascii: "u"): u = range
        case UInt8(ascii: "s"): s = range
        case UInt8(ascii: "b"): b = range
        case UInt8(ascii: "B"): B = range
        case UInt8(ascii: "a"): a = range
        case UInt8(ascii: "A"): A = range
        case UInt8(ascii: "E"): E = range
        case UInt8(ascii: "t"): t = range
        default: break
        }
    }

    func quote(symbol: [UInt8], contractSize: Double, timeKey: Character, in scanner: JSONScanner) throws -> ExchangeQuote {
        guard let u, let updateID = scanner.integer(u) else { throw BookTickerDecodeError(reason: "no integer update id 'u'") }
        if let s, !scanner.equals(s, symbol) {
            throw BookTickerDecodeError(reason: "a quote of another symbol (expected \(String(decoding: symbol, as: UTF8.self)))")
        }
        func number(_ range: Range<Int>?, _ name: String) throws -> Double {
            guard let range, let value = scanner.double(range), value.isFinite else {
                throw BookTickerDecodeError(reason: "'\(name)' is missing or not a decimal number")
            }
            return value
        }
        let bid = try number(b, "b"), ask = try number(a, "a")
        let bidQuantity = try number(B, "B") * contractSize, askQuantity = try number(A, "A") * contractSize
        guard bid > 0, ask > 0 else { throw BookTickerDecodeError(reason: "a price is not positive (bid \(bid), ask \(ask))") }
        guard bidQuantity >= 0, askQuantity >= 0 else { throw BookTickerDecodeError(reason: "a size is negative") }
        var time: Int64?
        if let range = timeKey == "E" ? E : t {
            guard let ms = scanner.integer(range) else { throw BookTickerDecodeError(reason: "'\(timeKey)' is not an integer of milliseconds") }
            let (ns, overflow) = ms.multipliedReportingOverflow(by: 1_000_000)
            guard !overflow else { throw BookTickerDecodeError(reason: "'\(timeKey)' \(ms) ms is out of range") }
            time = ns
        }
        return ExchangeQuote(updateID: updateID, exchangeTimeNanoseconds: time,
                             top: BookTop(bid: bid, ask: ask, bidQuantity: bidQuantity, askQuantity: askQuantity))
    }
}
