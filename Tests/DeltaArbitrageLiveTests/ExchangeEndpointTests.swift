import DeltaArbitrageLive
import Foundation
import Testing

/// Subscription and ping messages, and the public endpoints, per venue.
@Suite("Exchange endpoints")
struct ExchangeEndpointTests {
    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func binanceSubscribesToTheLowerCaseStream() throws {
        let spot = ExchangeEndpoint(venue: .binance, market: .spot, symbol: "BTC/USDT")
        #expect(spot.url == "wss://stream.binance.com:9443/ws" && spot.exchangeSymbol == "BTCUSDT")
        let message = try Self.json(spot.subscribeMessage(id: 7, unixSeconds: 0))
        #expect(message["method"] as? String == "SUBSCRIBE")
        #expect(message["params"] as? [String] == ["btcusdt@bookTicker"])
        #expect(message["id"] as? Int == 7)
        #expect(spot.pingMessage(unixSeconds: 0) == nil && spot.pingInterval == nil)
        #expect(ExchangeEndpoint(venue: .binance, market: .futures, symbol: "BTC/USDT").url == "wss://fstream.binance.com/ws")
    }

    @Test func gateSubscribesAndPingsOnItsMarketsChannel() throws {
        let futures = ExchangeEndpoint(venue: .gateio, market: .futures, symbol: "btc/usdt", url: "ws://127.0.0.1:9000/")
        #expect(futures.url == "ws://127.0.0.1:9000/" && futures.exchangeSymbol == "BTC_USDT")
        let message = try Self.json(futures.subscribeMessage(id: 1, unixSeconds: 1_700_000_000))
        #expect(message["channel"] as? String == "futures.book_ticker")
        #expect(message["event"] as? String == "subscribe")
        #expect(message["payload"] as? [String] == ["BTC_USDT"])
        #expect(message["time"] as? Int == 1_700_000_000)
        let ping = try Self.json(try #require(futures.pingMessage(unixSeconds: 5)))
        #expect(ping["channel"] as? String == "futures.ping")
        #expect(futures.pingInterval == .seconds(15))
        #expect(ExchangeEndpoint(venue: .gateio, market: .spot, symbol: "BTC/USDT").url == "wss://api.gateio.ws/ws/v4/")
        // The decoder it hands out reads this stream's pongs.
        let pong = #"{"time":5,"channel":"futures.pong","event":"","result":null}"#
        let decoded = try Array(pong.utf8).withUnsafeBytes { try futures.decoder().decode($0) }
        #expect(decoded == .pong)
    }
}
