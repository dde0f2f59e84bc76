import Testing
@testable import DeltaArbitrage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The merge is proven against `referenceMerge`, written from the definition
// with no cleverness: for each distinct timestamp of the union, each market's
// last quote at or before it, found by a linear scan.

private let t0: Int64 = 1_760_249_820_000_000_000  // 2025-10-12T06:17:00Z

/// The definition, literally (quadratic; for small and medium inputs).
private func referenceMerge(spot: MarketQuotes, futures: MarketQuotes, maxAge: Int64?) -> MergedMarkets {
    func lastAtOrBefore(_ quotes: MarketQuotes, _ t: Int64) -> Int? {
        var found: Int?
        for k in quotes.timestamps.indices where quotes.timestamps[k] <= t { found = k }
        return found
    }
    var times: [Int64] = [], sa: [Double] = [], sb: [Double] = [], saq: [Double] = [], sbq: [Double] = []
    var fa: [Double] = [], fb: [Double] = [], faq: [Double] = [], fbq: [Double] = []
    var firstBoth: Int64?
    var dropped = 0
    for t in Set(spot.timestamps + futures.timestamps).sorted() {
        guard let a = lastAtOrBefore(spot, t), let b = lastAtOrBefore(futures, t) else { continue }
        if firstBoth == nil { firstBoth = t }
        if let maxAge, t - spot.timestamps[a] > maxAge || t - futures.timestamps[b] > maxAge {
            dropped += 1
            continue
        }
        times.append(t)
        sa.append(spot.askPrice[a]); sb.append(spot.bidPrice[a])
        saq.append(spot.askQuantity[a]); sbq.append(spot.bidQuantity[a])
        fa.append(futures.askPrice[b]); fb.append(futures.bidPrice[b])
        faq.append(futures.askQuantity[b]); fbq.append(futures.bidQuantity[b])
    }
    let leading = firstBoth.map { first in
        spot.timestamps.filter { $0 < first }.count + futures.timestamps.filter { $0 < first }.count
    } ?? spot.count + futures.count
    var data = MarketData()
    data.timestamps = Column(times)
    data.spotAskPrice = Column(sa); data.spotBidPrice = Column(sb)
    data.spotAskQuantity = Column(saq); data.spotBidQuantity = Column(sbq)
    data.futAskPrice = Column(fa); data.futBidPrice = Column(fb)
    data.futAskQuantity = Column(faq); data.futBidQuantity = Column(fbq)
    return MergedMarkets(data: data, droppedStale: dropped, spotQuotes: spot.count, futuresQuotes: futures.count,
                         leadingQuotesBeforeBoth: leading)
}

/// Properties every merge result has, checked without the reference
/// (swift-collections style invariant checking).
private func checkInvariants(_ merged: MergedMarkets, spot: MarketQuotes, futures: MarketQuotes,
                             sourceLocation: SourceLocation = #_sourceLocation) {
    let data = merged.data
    let columns = [data.spotAskPrice, data.spotBidPrice, data.spotAskQuantity, data.spotBidQuantity,
                   data.futAskPrice, data.futBidPrice, data.futAskQuantity, data.futBidQuantity]
    #expect(columns.allSatisfy { $0.count == data.count }, sourceLocation: sourceLocation)
    #expect(zip(data.timestamps, data.timestamps.dropFirst()).allSatisfy { $0 < $1 }, "strictly increasing",
            sourceLocation: sourceLocation)
    let union = Set(spot.timestamps + futures.timestamps)
    #expect(data.timestamps.allSatisfy(union.contains), "no invented times", sourceLocation: sourceLocation)
    #expect(merged.spotQuotes == spot.count && merged.futuresQuotes == futures.count, sourceLocation: sourceLocation)
    if let s = spot.timestamps.first, let f = futures.timestamps.first {
        let first = max(s, f)
        // Every distinct time from the first common one is a row or a counted drop.
        #expect(data.count + merged.droppedStale == union.filter { $0 >= first }.count, sourceLocation: sourceLocation)
        #expect(data.timestamps.first.map { $0 >= first } ?? true, sourceLocation: sourceLocation)
    } else {
        #expect(data.isEmpty && merged.droppedStale == 0, sourceLocation: sourceLocation)
        #expect(merged.leadingQuotesBeforeBoth == spot.count + futures.count, sourceLocation: sourceLocation)
    }
}

/// Merges, checks the invariants, and compares with the reference.
private func expectMatchesReference(spot: MarketQuotes, futures: MarketQuotes, maxAge: Int64?,
                                    sourceLocation: SourceLocation = #_sourceLocation) throws {
    let merged = try TwoMarketMerge.merge(spot: spot, futures: futures, maxQuoteAgeNanoseconds: maxAge)
    checkInvariants(merged, spot: spot, futures: futures, sourceLocation: sourceLocation)
    let expected = referenceMerge(spot: spot, futures: futures, maxAge: maxAge)
    if let difference = difference(merged, expected) {
        let inputs = spot.count + futures.count <= 20
            ? "spot \(spot.timestamps) futures \(futures.timestamps)"
            : "\(spot.count) spot and \(futures.count) futures quotes"
        Issue.record("\(inputs), maxAge \(maxAge.map(String.init) ?? "none"): \(difference)", sourceLocation: sourceLocation)
    }
}

/// Where `got` differs from `want`, briefly (nil when equal): the counts, or
/// the first differing row.
private func difference(_ got: MergedMarkets, _ want: MergedMarkets) -> String? {
    guard got != want else { return nil }
    let counts = { (m: MergedMarkets) in
        "\(m.data.count) rows, \(m.droppedStale) stale, \(m.leadingQuotesBeforeBoth) leading, \(m.spotQuotes)/\(m.futuresQuotes) quotes"
    }
    guard counts(got) == counts(want) else { return "got \(counts(got)), want \(counts(want))" }
    func row(_ d: MarketData, _ k: Int) -> String {
        "(\(d.timestamps[k]), \(d.spotAskPrice[k]), \(d.spotBidPrice[k]), \(d.spotAskQuantity[k]), \(d.spotBidQuantity[k]), "
            + "\(d.futAskPrice[k]), \(d.futBidPrice[k]), \(d.futAskQuantity[k]), \(d.futBidQuantity[k]))"
    }
    let k = (0..<got.data.count).first { row(got.data, $0) != row(want.data, $0) } ?? 0
    return "row \(k): got \(row(got.data, k)), want \(row(want.data, k))"
}

/// Quotes at `times` whose values tell the quotes apart: market `tag`, row k.
private func labelled(_ times: [Int64], tag: Double) -> MarketQuotes {
    var quotes = MarketQuotes()
    for (k, t) in times.enumerated() {
        let bid = tag * 1000 + Double(k)
        quotes.append(timestamp: t, bidPrice: bid, bidQuantity: Double(k) + 0.25,
                      askPrice: bid + 0.5, askQuantity: Double(k) + 0.75)
    }
    return quotes
}

/// How a generated market's timestamps look.
private struct TimeShape {
    /// Start time.
    var start: Int64
    /// Gaps are drawn from 1...maxGap units.
    var maxGap: Int64
    /// Nanoseconds per unit: a coarse unit makes equal times across markets common.
    var unit: Int64
    /// Probability that a quote repeats the previous timestamp.
    var tieProbability: Double
}

/// `count` quotes with irregular times and random, full-precision prices (bid < ask).
private func generated(_ count: Int, _ shape: TimeShape, _ rng: inout SplitMix64) -> MarketQuotes {
    var quotes = MarketQuotes()
    quotes.reserveCapacity(count)
    var t = shape.start
    var mid = 100.0
    for k in 0..<count {
        if k > 0 && Double.random(in: 0..<1, using: &rng) >= shape.tieProbability {
            t += Int64.random(in: 1...shape.maxGap, using: &rng) * shape.unit
        }
        mid *= 1 + Double.random(in: -0.001...0.001, using: &rng)
        let half = mid * Double.random(in: 0.00001...0.001, using: &rng)
        quotes.append(timestamp: t, bidPrice: mid - half, bidQuantity: Double.random(in: 0...50, using: &rng),
                      askPrice: mid + half, askQuantity: Double.random(in: 0...50, using: &rng))
    }
    return quotes
}

/// Every non-decreasing sequence of at most `maxLength` values from `values`.
private func nonDecreasingSequences(maxLength: Int, values: [Int64]) -> [[Int64]] {
    var all: [[Int64]] = [[]]
    var frontier: [[Int64]] = [[]]
    for _ in 0..<maxLength {
        frontier = frontier.flatMap { seq in values.filter { $0 >= (seq.last ?? .min) }.map { seq + [$0] } }
        all += frontier
    }
    return all
}

@Suite struct TwoMarketMergeTests {
    @Test func workedExampleWithTiesLeadingQuotesAndDifferentEnds() throws {
        // spot quotes at 1, 2, 3, 3, 10; futures at 3, 4, 4, 12.
        let spot = labelled([1, 2, 3, 3, 10].map { t0 + $0 }, tag: 1)
        let futures = labelled([3, 4, 4, 12].map { t0 + $0 }, tag: 2)
        let merged = try TwoMarketMerge.merge(spot: spot, futures: futures)
        #expect(merged.data.timestamps == [3, 4, 10, 12].map { t0 + $0 })
        // Row 3: spot's last quote at 3 is row 3 (the later of the two), futures row 0.
        #expect(merged.data.spotBidPrice == [1003, 1003, 1004, 1004])
        #expect(merged.data.spotAskPrice == [1003.5, 1003.5, 1004.5, 1004.5])
        #expect(merged.data.spotBidQuantity == [3.25, 3.25, 4.25, 4.25])
        #expect(merged.data.spotAskQuantity == [3.75, 3.75, 4.75, 4.75])
        // Row 4: futures' last quote at 4 is row 2; it carries on after the futures' last quote at 4 until 12.
        #expect(merged.data.futBidPrice == [2000, 2002, 2002, 2003])
        #expect(merged.data.futAskPrice == [2000.5, 2002.5, 2002.5, 2003.5])
        #expect(merged.data.futBidQuantity == [0.25, 2.25, 2.25, 3.25])
        #expect(merged.data.futAskQuantity == [0.75, 2.75, 2.75, 3.75])
        #expect(merged.leadingQuotesBeforeBoth == 2)  // spot at 1 and 2
        #expect(merged.droppedStale == 0 && merged.spotQuotes == 5 && merged.futuresQuotes == 4)
    }

    @Test func maxQuoteAgeDropsRowsOlderThanTheBoundAndCountsThem() throws {
        // Rows at 3, 4, 10, 12 as above; quote ages (spot, futures): (0,0), (1,0), (0,6), (2,0).
        let spot = labelled([1, 2, 3, 3, 10].map { t0 + $0 }, tag: 1)
        let futures = labelled([3, 4, 4, 12].map { t0 + $0 }, tag: 2)
        let cases: [(bound: Int64, rows: [Int64], dropped: Int)] = [
            (0, [3], 3), (1, [3, 4], 2), (2, [3, 4, 12], 1), (5, [3, 4, 12], 1), (6, [3, 4, 10, 12], 0),
        ]
        for (bound, rows, dropped) in cases {
            let merged = try TwoMarketMerge.merge(spot: spot, futures: futures, maxQuoteAgeNanoseconds: bound)
            #expect(merged.data.timestamps == rows.map { t0 + $0 }, "bound \(bound)")
            #expect(merged.droppedStale == dropped, "bound \(bound)")
            #expect(merged.leadingQuotesBeforeBoth == 2)
        }
    }

    @Test func emptyMarketsGiveEmptyDataWithEveryQuoteCounted() throws {
        let some = labelled([1, 2, 2, 5].map { t0 + $0 }, tag: 1)
        for (spot, futures) in [(some, MarketQuotes()), (MarketQuotes(), some), (MarketQuotes(), MarketQuotes())] {
            let merged = try TwoMarketMerge.merge(spot: spot, futures: futures, maxQuoteAgeNanoseconds: 1)
            #expect(merged.data == MarketData())
            #expect(merged.droppedStale == 0)
            #expect(merged.leadingQuotesBeforeBoth == spot.count + futures.count)
            #expect(merged.spotQuotes == spot.count && merged.futuresQuotes == futures.count)
        }
    }

    @Test func agesAreExactAcrossTheWholeTimestampRange() throws {
        // The age Int64.max − Int64.min does not fit in Int64; it must not trap or wrap.
        let spot = labelled([.min], tag: 1)
        let futures = labelled([.min, .max], tag: 2)
        let merged = try TwoMarketMerge.merge(spot: spot, futures: futures, maxQuoteAgeNanoseconds: .max)
        #expect(merged.data.timestamps == [.min])
        #expect(merged.droppedStale == 1)
        let unbounded = try TwoMarketMerge.merge(spot: spot, futures: futures)
        #expect(unbounded.data.timestamps == [.min, .max] && unbounded.droppedStale == 0)
    }

    /// All pairs of non-decreasing timestamp sequences of length 0…4 over five
    /// values: every interleaving, tie within and across markets, and start
    /// and end order of small inputs.
    @Test func exhaustiveSmallCasesMatchTheReference() throws {
        let sequences = nonDecreasingSequences(maxLength: 4, values: [0, 1, 2, 3, 4])
        #expect(sequences.count == 126)
        for s in sequences {
            let spot = labelled(s.map { t0 + $0 }, tag: 1)
            for f in sequences {
                let futures = labelled(f.map { t0 + $0 }, tag: 2)
                for maxAge: Int64? in [nil, 0, 1, 3] {
                    try expectMatchesReference(spot: spot, futures: futures, maxAge: maxAge)
                }
            }
        }
    }

    /// Generated markets: independent irregular times (nanosecond gaps),
    /// coarse shared grids (many equal times across markets), bursts of
    /// quotes at one time, different starts and lengths, one side empty.
    @Test(arguments: 0..<40)
    func generatedMarketsMatchTheReference(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed) &* 0x9E37_79B9 &+ 17)
        let coarse = seed % 2 == 0
        func shape() -> TimeShape {
            TimeShape(start: t0 + Int64.random(in: 0...50, using: &rng) * (coarse ? 1_000_000 : 997),
                      maxGap: coarse ? 3 : 5_000_000, unit: coarse ? 1_000_000 : 1,
                      tieProbability: [0, 0.1, 0.5][seed % 3])
        }
        let spotCount = seed % 10 == 9 ? 0 : Int.random(in: 1...400, using: &rng)
        let futuresCount = seed % 10 == 4 ? 0 : Int.random(in: 1...400, using: &rng)
        let spot = generated(spotCount, shape(), &rng)
        let futures = generated(futuresCount, shape(), &rng)
        for maxAge: Int64? in [nil, 0, coarse ? 1_000_000 : 2_000_000, coarse ? 3_000_000 : 20_000_000] {
            try expectMatchesReference(spot: spot, futures: futures, maxAge: maxAge)
        }
    }

    /// The generated cases above really contain what they claim to cover.
    @Test func generatedCasesCoverTiesAcrossAndWithinMarketsAndStaleRows() throws {
        var crossTies = 0, withinTies = 0, staleDrops = 0, differentStarts = 0
        for seed in 0..<6 {
            var rng = SplitMix64(seed: UInt64(seed))
            let shape = TimeShape(start: t0, maxGap: 3, unit: 1_000_000, tieProbability: 0.3)
            var later = shape
            later.start += Int64(seed + 1) * 1_000_000
            let spot = generated(200, shape, &rng)
            let futures = generated(150, later, &rng)
            crossTies += Set(spot.timestamps).intersection(futures.timestamps).count
            withinTies += zip(spot.timestamps, spot.timestamps.dropFirst()).filter { $0 == $1 }.count
            let merged = try TwoMarketMerge.merge(spot: spot, futures: futures, maxQuoteAgeNanoseconds: 1_000_000)
            staleDrops += merged.droppedStale
            if merged.leadingQuotesBeforeBoth > 0 { differentStarts += 1 }
            let expected = referenceMerge(spot: spot, futures: futures, maxAge: 1_000_000)
            #expect(difference(merged, expected) == nil, "seed \(seed): \(difference(merged, expected) ?? "")")
        }
        #expect(crossTies > 100 && withinTies > 100 && staleDrops > 10 && differentStarts == 6)
    }

    @Test func timeGoingBackwardsNamesTheMarketAndRow() {
        let good = labelled([1, 2, 3].map { t0 + $0 }, tag: 1)
        let bad = labelled([1, 5, 5, 4, 6].map { t0 + $0 }, tag: 2)
        for (spot, futures, market) in [(bad, good, TwoMarketMerge.Market.spot), (good, bad, .futures),
                                        (bad, bad, .spot)] {
            #expect {
                try TwoMarketMerge.merge(spot: spot, futures: futures)
            } throws: { error in
                guard let error = error as? TwoMarketMergeError else { return false }
                return error.kind == .timeWentBackwards && error.market == market && error.row == 3
                    && error.description.hasPrefix("\(market.rawValue) quotes, row 3: out of time order: ")
                    && error.description.contains("2025-10-12T06:17:00.000000004Z")
            }
        }
    }

    /// Every sequence of length 0…4 over three values, sorted or not: the
    /// error names exactly the first row earlier than the row above.
    @Test func exhaustiveOrderCheck() throws {
        var sequences: [[Int64]] = [[]]
        var frontier: [[Int64]] = [[]]
        for _ in 0..<4 {
            frontier = frontier.flatMap { seq in [0, 1, 2].map { seq + [$0] } }
            sequences += frontier
        }
        let other = labelled([0, 1], tag: 9)
        for s in sequences {
            let firstBad = s.indices.dropFirst().first { s[$0] < s[$0 - 1] }
            for market in TwoMarketMerge.Market.allCases {
                let quotes = labelled(s, tag: 1)
                do {
                    let merged = market == .spot
                        ? try TwoMarketMerge.merge(spot: quotes, futures: other)
                        : try TwoMarketMerge.merge(spot: other, futures: quotes)
                    #expect(firstBad == nil, "\(s) merged into \(merged.data.count) rows")
                } catch {
                    #expect(error.kind == .timeWentBackwards && error.market == market && error.row == firstBad, "\(s): \(error)")
                }
            }
        }
    }

    @Test func columnsOfDifferentLengthsAreRefused() {
        var spot = labelled([1, 2, 3], tag: 1)
        spot.askQuantity.removeLast()
        #expect(throws: TwoMarketMergeError(kind: .columnLengthMismatch, market: .spot,
                                            detail: "column 'askQuantity' has 2 values for 3 timestamps")) {
            try TwoMarketMerge.merge(spot: spot, futures: labelled([1], tag: 2))
        }
    }

    @Test func negativeMaxQuoteAgeIsRefused() {
        let quotes = labelled([1, 2], tag: 1)
        #expect {
            try TwoMarketMerge.merge(spot: quotes, futures: quotes, maxQuoteAgeNanoseconds: -1)
        } throws: { error in
            (error as? TwoMarketMergeError).map {
                $0.kind == .negativeMaxQuoteAge && $0.description == "maximum quote age -1 ns is negative"
            } ?? false
        }
    }

    /// Merging, writing with the project's CSV writer and loading back gives
    /// the same `MarketData`, bit for bit: the merged layout is an exact
    /// interchange format.
    @Test(arguments: [MarketDataCSVTimestampFormat.iso8601, .epochNanoseconds])
    func mergedDataSurvivesTheCSVRoundTrip(format: MarketDataCSVTimestampFormat) throws {
        var rng = SplitMix64(seed: 2025)
        let spot = generated(3_000, TimeShape(start: t0, maxGap: 2_000_000, unit: 1, tieProbability: 0.2), &rng)
        let futures = generated(2_500, TimeShape(start: t0 + 500_000, maxGap: 3, unit: 1_000_000,
                                                 tieProbability: 0.2), &rng)
        let merged = try TwoMarketMerge.merge(spot: spot, futures: futures)
        #expect(merged.data.count > 4_000)
        let path = "/tmp/delta-arb-merge-test-\(getpid())-\(UInt64.random(in: 0..<UInt64.max)).csv"
        defer { unlink(path) }
        try merged.data.writeCSV(to: path, timestampFormat: format)
        let loaded = try MarketData.loadCSV(at: path)
        #expect(loaded.leadingRowsDropped == 0 && loaded.rowsSkipped == 0)
        let roundTripped = MergedMarkets(data: loaded.data, droppedStale: merged.droppedStale, spotQuotes: merged.spotQuotes,
                                         futuresQuotes: merged.futuresQuotes,
                                         leadingQuotesBeforeBoth: merged.leadingQuotesBeforeBoth)
        #expect(difference(roundTripped, merged) == nil, "\(difference(roundTripped, merged) ?? "")")
    }
}
