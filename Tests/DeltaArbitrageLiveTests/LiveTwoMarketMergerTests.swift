import DeltaArbitrage
import DeltaArbitrageLive
import Testing

/// The live merge is the one merge: fed in time order it gives `TwoMarketMerge`'s rows.
@Suite("Live two-market merge")
struct LiveTwoMarketMergerTests {
    /// Irregular timestamps with repeats within and across markets.
    static func quotes(_ count: Int, seed: UInt64, start: Int64, price: Double) -> MarketQuotes {
        var state = seed
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        var q = MarketQuotes()
        var t = start
        for _ in 0..<count {
            t += Int64(next() % 4) * 1_000_000   // 0: a repeated instant
            let p = price + Double(next() % 1000) / 100
            q.append(timestamp: t, bidPrice: p, bidQuantity: Double(next() % 50), askPrice: p + 0.01, askQuantity: Double(next() % 50))
        }
        return q
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func lastUpdatePerInstantIsTheMergedRow(seed: UInt64) throws {
        let spot = Self.quotes(3_000, seed: seed, start: 1_000_000_000, price: 100)
        let futures = Self.quotes(2_500, seed: seed + 10, start: 1_400_000_000, price: 99)
        let expected = try TwoMarketMerge.merge(spot: spot, futures: futures)

        // Arrivals in time order; at an equal time the futures quotes come
        // first at every other instant, each market's own in file order.
        var events: [(time: Int64, market: Market, row: Int)] = []
        for i in 0..<spot.count { events.append((spot.timestamps[i], .spot, i)) }
        for i in 0..<futures.count { events.append((futures.timestamps[i], .futures, i)) }
        func rank(_ e: (time: Int64, market: Market, row: Int)) -> Int {
            (e.market == .futures) == (e.time / 1_000_000 % 2 == 0) ? 0 : 1
        }
        events.sort { a, b in (a.time, rank(a), a.row) < (b.time, rank(b), b.row) }

        var merger = LiveTwoMarketMerger()
        var rows: [Int64: BookUpdate] = [:]
        var order: [Int64] = []
        var lastSequence = -1
        for event in events {
            let q = event.market == .spot ? spot : futures
            let top = BookTop(bid: q.bidPrice[event.row], ask: q.askPrice[event.row],
                              bidQuantity: q.bidQuantity[event.row], askQuantity: q.askQuantity[event.row])
            guard let update = merger.receive(event.market, top: top, timestampNanoseconds: event.time) else { continue }
            #expect(update.sequence == lastSequence + 1)
            lastSequence = update.sequence
            if rows[update.timestampNanoseconds] == nil { order.append(update.timestampNanoseconds) }
            rows[update.timestampNanoseconds] = update
        }
        // Live, a quote counts as leading until the other market has quoted,
        // also at the first common instant (the merge does not count those).
        #expect(merger.leadingQuotes >= expected.leadingQuotesBeforeBoth)
        let data = expected.data
        #expect(order == data.timestamps)
        for (i, time) in data.timestamps.enumerated() {
            let update = try #require(rows[time])
            let row = BookUpdate(row: i, of: data)
            #expect(update.spot == row.spot && update.futures == row.futures, "row \(i)")
        }
    }

    @Test func liveArrivalsNeverStampAheadOrBack() {
        var merger = LiveTwoMarketMerger()
        let top = BookTop(bid: 1, ask: 2)
        #expect(merger.receive(.spot, top: top, timestampNanoseconds: 100) == nil)
        #expect(merger.receive(.futures, top: top, timestampNanoseconds: 90)?.timestampNanoseconds == 100)   // late arrival
        #expect(merger.receive(.spot, top: top, timestampNanoseconds: 120)?.timestampNanoseconds == 120)
        merger.resetTops()
        #expect(merger.receive(.spot, top: top, timestampNanoseconds: 130) == nil)   // a market must quote again
        #expect(merger.leadingQuotes == 2 && merger.updates == 2)
    }
}
