@testable import DeltaArbitrageLive
import Testing

/// Exchange book-ticker messages, in the shapes of each venue's documentation.
@Suite("Book-ticker message decoding")
struct BookTickerDecoderTests {
    static func decode(_ decoder: BookTickerDecoder, _ text: String) throws(BookTickerDecodeError) -> BookTickerMessage {
        let bytes = Array(text.utf8)
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(BookTickerDecodeError) -> BookTickerMessage in try decoder.decode(raw) }
        }
        return try result.get()
    }

    static let binanceSpot = BookTickerDecoder(venue: .binance, market: .spot, exchangeSymbol: "BNBUSDT")
    static let binanceFutures = BookTickerDecoder(venue: .binance, market: .futures, exchangeSymbol: "BNBUSDT")
    static let gateSpot = BookTickerDecoder(venue: .gateio, market: .spot, exchangeSymbol: "BTC_USDT")
    static let gateFutures = BookTickerDecoder(venue: .gateio, market: .futures, exchangeSymbol: "BTC_USDT", contractSize: 0.0001)

    @Test func binanceSpotAndFuturesQuotes() throws {
        let spot = try Self.decode(Self.binanceSpot,
            #"{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#)
        #expect(spot == .quote(ExchangeQuote(updateID: 400900217, exchangeTimeNanoseconds: nil,
                                             top: BookTop(bid: 25.3519, ask: 25.3652, bidQuantity: 31.21, askQuantity: 40.66))))
        let futures = try Self.decode(Self.binanceFutures,
            #"{"e":"bookTicker","u":400900217,"E":1568014460893,"T":1568014460891,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#)
        #expect(futures == .quote(ExchangeQuote(updateID: 400900217, exchangeTimeNanoseconds: 1_568_014_460_893_000_000,
                                                top: BookTop(bid: 25.3519, ask: 25.3652, bidQuantity: 31.21, askQuantity: 40.66))))
        // A combined stream wraps the payload.
        let combined = try Self.decode(Self.binanceFutures,
            #"{"stream":"bnbusdt@bookTicker","data":{"e":"bookTicker","u":7,"E":1568014460893,"T":1,"s":"BNBUSDT","b":"1.5","B":"2","a":"1.6","A":"3"}}"#)
        guard case .quote(let quote) = combined else { Issue.record("\(combined)"); return }
        #expect(quote.updateID == 7 && quote.top.bid == 1.5 && quote.top.askQuantity == 3)
    }

    @Test func binanceSubscriptionReplies() throws {
        #expect(try Self.decode(Self.binanceSpot, #"{"result":null,"id":1}"#) == .subscribed)
        #expect(try Self.decode(Self.binanceSpot, #"{"error":{"code":2,"msg":"Invalid request: unknown stream"},"id":1}"#)
                == .subscriptionRefused("Invalid request: unknown stream"))
        #expect(try Self.decode(Self.binanceSpot, #"{"code": 2, "msg": "Invalid JSON"}"#) == .subscriptionRefused("Invalid JSON"))
    }

    @Test func gateSpotAndFuturesQuotes() throws {
        let spot = try Self.decode(Self.gateSpot,
            #"{"time":1606293275,"time_ms":1606293275723,"channel":"spot.book_ticker","event":"update","result":{"t":1606293275123,"u":48733182,"s":"BTC_USDT","b":"19177.79","B":"0.0003341504","a":"19179.38","A":"0.09"}}"#)
        #expect(spot == .quote(ExchangeQuote(updateID: 48733182, exchangeTimeNanoseconds: 1_606_293_275_123_000_000,
                                             top: BookTop(bid: 19177.79, ask: 19179.38, bidQuantity: 0.0003341504, askQuantity: 0.09))))
        // Futures sizes are contracts (numbers), turned into base units.
        let futures = try Self.decode(Self.gateFutures,
            #"{"time":1615366379,"time_ms":1615366379123,"channel":"futures.book_ticker","event":"update","result":{"t":1615366379123,"u":2517661076,"s":"BTC_USDT","b":"54696.6","B":37000,"a":"54696.7","A":47061}}"#)
        guard case .quote(let quote) = futures else { Issue.record("\(futures)"); return }
        #expect(quote.updateID == 2517661076 && quote.top.bid == 54696.6 && quote.top.ask == 54696.7)
        #expect(quote.top.bidQuantity == 37000 * 0.0001 && quote.top.askQuantity == 47061 * 0.0001)
    }

    @Test func gateSubscriptionRepliesAndPongs() throws {
        #expect(try Self.decode(Self.gateSpot,
            #"{"time":1606292218,"time_ms":1606292218231,"channel":"spot.book_ticker","event":"subscribe","result":{"status":"success"}}"#) == .subscribed)
        #expect(try Self.decode(Self.gateSpot,
            #"{"time":1606292218,"channel":"spot.book_ticker","event":"subscribe","error":{"code":2,"message":"unknown currency pair GT_USDT"},"result":null}"#)
                == .subscriptionRefused("unknown currency pair GT_USDT"))
        #expect(try Self.decode(Self.gateSpot, #"{"time":1545404023,"time_ms":1545404023123,"channel":"spot.pong","event":"","result":null}"#) == .pong)
        #expect(try Self.decode(Self.gateFutures, #"{"time":1545404023,"channel":"futures.pong","event":"","result":null}"#) == .pong)
        // Another market's channel is not this feed's.
        #expect(try Self.decode(Self.gateSpot, #"{"time":1,"channel":"futures.pong","event":"","result":null}"#) == .other)
        #expect(try Self.decode(Self.gateSpot, #"{"time":1,"channel":"spot.trades","event":"update","result":{"id":1}}"#) == .other)
    }

    @Test func malformedMessagesAreNamedNeverTrapped() {
        let cases = [
            #"{"u":1,"s":"BNBUSDT","b":"x","B":"1","a":"2","A":"1"}"#,          // price not a number
            #"{"u":1,"s":"ETHUSDT","b":"1","B":"1","a":"2","A":"1"}"#,          // another symbol
            #"{"u":"one","s":"BNBUSDT","b":"1","B":"1","a":"2","A":"1"}"#,      // id not an integer
            #"{"u":1,"s":"BNBUSDT","b":"0","B":"1","a":"2","A":"1"}"#,          // non-positive price
            #"{"u":1,"s":"BNBUSDT","b":"1","a":"2","A":"1"}"#,                  // missing size
            #"{"u":1,"s":"BNBUSDT","b":"1","B":"1","a":"2","A":"1""#,           // cut short
            #"[1,2,3]"#, #""#, #"nonsense"#,
        ]
        for text in cases {
            #expect(throws: BookTickerDecodeError.self, "\(text)") { _ = try Self.decode(Self.binanceSpot, text) }
        }
        // Every prefix of a real message: an error or a message, never a trap.
        let full = #"{"time":1606293275,"time_ms":1606293275723,"channel":"spot.book_ticker","event":"update","result":{"t":1606293275123,"u":48733182,"s":"BTC_USDT","b":"19177.79","B":"0.0003341504","a":"19179.38","A":"0.09"}}"#
        let bytes = Array(full.utf8)
        for cut in 0..<bytes.count {
            let text = String(decoding: bytes[0..<cut], as: UTF8.self)
            #expect(throws: BookTickerDecodeError.self, "cut at \(cut)") { _ = try Self.decode(Self.gateSpot, text) }
        }
    }

    @Test func exchangeSymbols() {
        #expect(BookTickerDecoder.exchangeSymbol("btc/usdt", venue: .binance) == "BTCUSDT")
        #expect(BookTickerDecoder.exchangeSymbol("BTC/USDT", venue: .gateio) == "BTC_USDT")
    }

    @Test func scannerSkipsNestedValuesAndEscapedStrings() throws {
        let text = #"{"a":{"x":[1,{"y":"}]\"{"}],"z":null},"b":"q\"uote","c":-1.5e3,"d":true}"#
        let bytes = Array(text.utf8)
        var keys: [String] = []
        var c: Double?
        try bytes.withUnsafeBytes { raw in
            var scanner = JSONScanner(raw)
            let s = scanner
            try scanner.forEachMember { key, value in
                keys.append(String(decoding: UnsafeRawBufferPointer(rebasing: raw[key]), as: UTF8.self))
                if s.equals(key, "c"), case .number(let r) = value { c = s.double(r) }
                if s.equals(key, "b"), case .string(_, let escaped) = value { #expect(escaped) }
                return true
            }
        }
        #expect(keys == ["a", "b", "c", "d"])
        #expect(c == -1500)
    }
}
