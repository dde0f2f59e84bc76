// TEMPORARY STUB (branch h-pg): the contract's declarations of the two-market
// as-of merge with a plain implementation, so the PostgreSQL source can be
// tested end to end. The lead replaces this file with the real
// `TwoMarketMerge` (branch h-merge) at merge; nothing else on h-pg depends on
// its internals.

/// One market's top-of-book quotes, columnar, in time order (non-decreasing
/// `timestamps`, ns since the Unix epoch). Among quotes with equal timestamps
/// the later row is the later quote (the source orders by sequence_number, then id).
public struct MarketQuotes: Sendable, Equatable {
    public var timestamps: [Int64]
    public var bidPrice: [Double]
    public var bidQuantity: [Double]
    public var askPrice: [Double]
    public var askQuantity: [Double]

    public init(timestamps: [Int64] = [], bidPrice: [Double] = [], bidQuantity: [Double] = [],
                askPrice: [Double] = [], askQuantity: [Double] = []) {
        self.timestamps = timestamps
        self.bidPrice = bidPrice
        self.bidQuantity = bidQuantity
        self.askPrice = askPrice
        self.askQuantity = askQuantity
    }

    public var count: Int { timestamps.count }

    public mutating func reserveCapacity(_ n: Int) {
        timestamps.reserveCapacity(n)
        bidPrice.reserveCapacity(n)
        bidQuantity.reserveCapacity(n)
        askPrice.reserveCapacity(n)
        askQuantity.reserveCapacity(n)
    }

    public mutating func append(timestamp: Int64, bidPrice: Double, bidQuantity: Double,
                                askPrice: Double, askQuantity: Double) {
        timestamps.append(timestamp)
        self.bidPrice.append(bidPrice)
        self.bidQuantity.append(bidQuantity)
        self.askPrice.append(askPrice)
        self.askQuantity.append(askQuantity)
    }
}

/// Result of merging a spot and a futures market.
public struct MergedMarkets: Sendable {
    public var data: MarketData
    public var droppedStale: Int
    public var spotQuotes: Int
    public var futuresQuotes: Int
    public var leadingQuotesBeforeBoth: Int

    public init(data: MarketData, droppedStale: Int, spotQuotes: Int, futuresQuotes: Int,
                leadingQuotesBeforeBoth: Int) {
        self.data = data
        self.droppedStale = droppedStale
        self.spotQuotes = spotQuotes
        self.futuresQuotes = futuresQuotes
        self.leadingQuotesBeforeBoth = leadingQuotesBeforeBoth
    }
}

public enum TwoMarketMerge {
    public static func merge(spot: MarketQuotes, futures: MarketQuotes,
                             maxQuoteAgeNanoseconds: Int64? = nil) throws -> MergedMarkets {
        for (quotes, name) in [(spot, "spot"), (futures, "futures")] {
            for i in quotes.timestamps.indices.dropFirst() where quotes.timestamps[i] < quotes.timestamps[i - 1] {
                throw MarketDataError(kind: .timeWentBackwards, column: name,
                                      detail: "quote \(i + 1) is earlier than quote \(i)")
            }
        }
        var out = MarketData()
        var dropped = 0
        var leading = 0
        var i = 0, j = 0
        var lastSpot = -1, lastFut = -1
        while i < spot.count || j < futures.count {
            let t = min(i < spot.count ? spot.timestamps[i] : .max, j < futures.count ? futures.timestamps[j] : .max)
            var taken = 0
            while i < spot.count && spot.timestamps[i] == t { lastSpot = i; i += 1; taken += 1 }
            while j < futures.count && futures.timestamps[j] == t { lastFut = j; j += 1; taken += 1 }
            guard lastSpot >= 0 && lastFut >= 0 else { leading += taken; continue }
            if let bound = maxQuoteAgeNanoseconds,
               t - spot.timestamps[lastSpot] > bound || t - futures.timestamps[lastFut] > bound {
                dropped += 1
                continue
            }
            out.timestamps.append(t)
            out.spotAskPrice.append(spot.askPrice[lastSpot])
            out.spotBidPrice.append(spot.bidPrice[lastSpot])
            out.spotAskQuantity.append(spot.askQuantity[lastSpot])
            out.spotBidQuantity.append(spot.bidQuantity[lastSpot])
            out.futAskPrice.append(futures.askPrice[lastFut])
            out.futBidPrice.append(futures.bidPrice[lastFut])
            out.futAskQuantity.append(futures.askQuantity[lastFut])
            out.futBidQuantity.append(futures.bidQuantity[lastFut])
        }
        return MergedMarkets(data: out, droppedStale: dropped, spotQuotes: spot.count,
                             futuresQuotes: futures.count, leadingQuotesBeforeBoth: leading)
    }
}
