/// Where one market's public book-ticker stream is and how to ask for it:
/// the WebSocket URL, the subscription message and the keep-alive, as each
/// venue's API documentation gives them.
///
/// * Binance: spot `wss://stream.binance.com:9443/ws`, USD-M futures
///   `wss://fstream.binance.com/ws`; subscription
///   `{"method":"SUBSCRIBE","params":["<symbol>@bookTicker"],"id":<n>}` (symbol
///   in lower case); the server sends WebSocket pings and the client answers
///   with pongs (no application-level ping).
/// * Gate.io v4: spot `wss://api.gateio.ws/ws/v4/`, USDT futures
///   `wss://fx-ws.gateio.ws/v4/ws/usdt`; subscription
///   `{"time":<s>,"channel":"spot.book_ticker","event":"subscribe","payload":["BTC_USDT"]}`
///   (`futures.book_ticker` likewise); the client sends
///   `{"time":<s>,"channel":"spot.ping"}` (`futures.ping`) and gets `*.pong`.
public struct ExchangeEndpoint: Sendable, Equatable {
    public var venue: ExchangeVenue
    public var market: Market
    /// The stream's URL (`ws://` for a stand-in server in tests).
    public var url: String
    /// The symbol as the exchange spells it (`BTCUSDT`, `BTC_USDT`).
    public var exchangeSymbol: String

    /// The venue's public endpoint for `market`, or `url` when given.
    public init(venue: ExchangeVenue, market: Market, symbol: String, url: String? = nil) {
        self.venue = venue
        self.market = market
        self.exchangeSymbol = BookTickerDecoder.exchangeSymbol(symbol, venue: venue)
        self.url = url ?? Self.defaultURL(venue: venue, market: market)
    }

    public static func defaultURL(venue: ExchangeVenue, market: Market) -> String {
        switch (venue, market) {
        case (.binance, .spot): "wss://stream.binance.com:9443/ws"
        case (.binance, .futures): "wss://fstream.binance.com/ws"
        case (.gateio, .spot): "wss://api.gateio.ws/ws/v4/"
        case (.gateio, .futures): "wss://fx-ws.gateio.ws/v4/ws/usdt"
        }
    }

    /// The text frame that subscribes to the book ticker; `id` numbers the
    /// request (Binance), `unixSeconds` stamps it (Gate.io).
    public func subscribeMessage(id: Int, unixSeconds: Int64) -> String {
        switch venue {
        case .binance:
            #"{"method":"SUBSCRIBE","params":["\#(exchangeSymbol.lowercased())@bookTicker"],"id":\#(id)}"#
        case .gateio:
            #"{"time":\#(unixSeconds),"channel":"\#(channelPrefix).book_ticker","event":"subscribe","payload":["\#(exchangeSymbol)"]}"#
        }
    }

    /// The application-level ping to send every `pingInterval`, or nil where
    /// the venue keeps the connection alive with WebSocket pings only.
    public func pingMessage(unixSeconds: Int64) -> String? {
        switch venue {
        case .binance: nil
        case .gateio: #"{"time":\#(unixSeconds),"channel":"\#(channelPrefix).ping"}"#
        }
    }

    /// How often to send `pingMessage` (Gate.io asks for one well within its 60 s idle limit).
    public var pingInterval: Duration? { venue == .gateio ? .seconds(15) : nil }

    /// The decoder of this stream's messages (`contractSize`: base units per futures contract, Gate.io).
    public func decoder(contractSize: Double = 1) -> BookTickerDecoder {
        BookTickerDecoder(venue: venue, market: market, exchangeSymbol: exchangeSymbol, contractSize: contractSize)
    }

    private var channelPrefix: String { market == .spot ? "spot" : "futures" }
}
