/// The result of merging a spot market and a futures market.
public struct MergedMarkets: Sendable, Equatable {
    /// The merged rows (see `TwoMarketMerge.merge` for the definition);
    /// timestamps strictly increase.
    public var data: MarketData
    /// Rows left out because a side's quote was older than the maximum quote age.
    public var droppedStale: Int
    /// Number of spot quotes merged.
    public var spotQuotes: Int
    /// Number of futures quotes merged.
    public var futuresQuotes: Int
    /// Quotes, of either market, earlier than the first timestamp at which
    /// both markets have a quote; all quotes when there is no such timestamp.
    public var leadingQuotesBeforeBoth: Int

    /// Assembles a result (`TwoMarketMerge.merge` does this; public for tests and adapters).
    public init(data: MarketData, droppedStale: Int, spotQuotes: Int, futuresQuotes: Int,
                leadingQuotesBeforeBoth: Int) {
        self.data = data
        self.droppedStale = droppedStale
        self.spotQuotes = spotQuotes
        self.futuresQuotes = futuresQuotes
        self.leadingQuotesBeforeBoth = leadingQuotesBeforeBoth
    }
}

/// The one as-of merge of two markets' book tickers into `MarketData`, the
/// merge every per-market source (database, per-market files, live feeds)
/// goes through.
public enum TwoMarketMerge {
    /// One of the two markets, as errors name it.
    public enum Market: String, Sendable, Equatable, CaseIterable {
        /// The spot market (the `spot_*` columns).
        case spot
        /// The futures market (the `fut_*` columns).
        case futures
    }

    /// Merges two markets' quotes into one row per instant.
    ///
    /// Definition: the result has one row per distinct timestamp at which
    /// either market has a quote, starting at the first timestamp at which
    /// both have one (the later of the two first quotes). Each row carries, for
    /// each market, its last quote with a timestamp at or before the row's —
    /// among quotes of one market with equal timestamps, the last row. No
    /// look-ahead and no rounding: row times are the quotes' own times, and a
    /// quote never appears in a row earlier than itself. Columns map as
    /// `spot_ask_price` = spot `askPrice`, `spot_bid_price` = spot `bidPrice`,
    /// `spot_ask_quantity` = spot `askQuantity`, `spot_bid_quantity` = spot
    /// `bidQuantity`, and `fut_*` likewise from `futures`.
    ///
    /// With `maxQuoteAgeNanoseconds` = N, a row is dropped (and counted in
    /// `droppedStale`) when either side's quote is older than N:
    /// `row time − quote time > N`. A quote exactly N old is kept; N = 0 keeps
    /// only the rows at which both markets quote at that very timestamp.
    ///
    /// Nothing else is left out silently: quotes before the first common
    /// timestamp are counted in `leadingQuotesBeforeBoth`, and a quote
    /// superseded by a later quote at the same timestamp is the same instant.
    /// When either market has no quotes (the only way no timestamp has quotes
    /// of both), the result is an empty `MarketData` with every quote counted
    /// as leading; the caller decides whether that is an error.
    ///
    /// Prices and quantities are copied bit for bit, not checked: validating
    /// quotes is the source's job.
    ///
    /// Cost: O(n + m) — the time-order check reads each timestamp column
    /// once, then one pass over both inputs writes straight into the nine
    /// columns, allocated once for the most rows there can be (one per
    /// quote from the first common timestamp on); nothing is allocated per row.
    ///
    /// - Throws: `TwoMarketMergeError` naming the market and the 0-based row
    ///   when a market's timestamps decrease (spot is checked first) or its
    ///   columns differ in length, or when `maxQuoteAgeNanoseconds` is negative.
    public static func merge(spot: MarketQuotes, futures: MarketQuotes,
                             maxQuoteAgeNanoseconds: Int64? = nil) throws(TwoMarketMergeError) -> MergedMarkets {
        try requireWellFormed(spot, .spot)
        try requireWellFormed(futures, .futures)
        if let bound = maxQuoteAgeNanoseconds, bound < 0 {
            throw TwoMarketMergeError(kind: .negativeMaxQuoteAge,
                                      detail: "maximum quote age \(bound) ns is negative")
        }
        var result = MergedMarkets(data: MarketData(), droppedStale: 0, spotQuotes: spot.count,
                                   futuresQuotes: futures.count,
                                   leadingQuotesBeforeBoth: spot.count + futures.count)
        guard let spotFirst = spot.timestamps.first, let futuresFirst = futures.timestamps.first else {
            return result
        }
        // A bound past any possible age when there is none, so the loop has one form.
        let ageLimit = maxQuoteAgeNanoseconds.map { UInt64($0) } ?? .max
        spot.withColumns { s in
            futures.withColumns { f in
                mergeColumns(s, f, firstBoth: max(spotFirst, futuresFirst), ageLimit: ageLimit, into: &result)
            }
        }
        return result
    }

    /// The merge proper, over checked, time-ordered columns.
    private static func mergeColumns(_ s: QuoteColumns, _ f: QuoteColumns, firstBoth: Int64,
                                     ageLimit: UInt64, into result: inout MergedMarkets) {
        let st = s.timestamps, ft = f.timestamps
        let n = st.count, m = ft.count
        var i = 0, j = 0
        while i < n && st[i] < firstBoth { i += 1 }
        while j < m && ft[j] < firstBoth { j += 1 }
        result.leadingQuotesBeforeBoth = i + j

        var dropped = 0
        // Every row's time is the time of at least one remaining quote.
        result.data = MarketData(newColumns: (n - i) + (m - j)) { out in
            var rows = 0
            while i < n || j < m {
                let t = i == n ? ft[j] : j == m ? st[i] : min(st[i], ft[j])
                while i < n && st[i] == t { i += 1 }
                while j < m && ft[j] == t { j += 1 }
                // t >= firstBoth, so both markets have consumed a quote at or before t.
                let a = i - 1, b = j - 1
                // t >= each quote's time, so the difference is exact as unsigned even
                // across the whole Int64 range.
                if UInt64(bitPattern: t &- st[a]) > ageLimit || UInt64(bitPattern: t &- ft[b]) > ageLimit {
                    dropped += 1
                    continue
                }
                out.timestamps[rows] = t
                out.spotAskPrice[rows] = s.askPrice[a]
                out.spotBidPrice[rows] = s.bidPrice[a]
                out.spotAskQuantity[rows] = s.askQuantity[a]
                out.spotBidQuantity[rows] = s.bidQuantity[a]
                out.futAskPrice[rows] = f.askPrice[b]
                out.futBidPrice[rows] = f.bidPrice[b]
                out.futAskQuantity[rows] = f.askQuantity[b]
                out.futBidQuantity[rows] = f.bidQuantity[b]
                rows += 1
            }
            return rows
        }
        result.droppedStale = dropped
    }

    /// Throws unless `quotes`' columns have equal length and its timestamps never decrease.
    private static func requireWellFormed(_ quotes: MarketQuotes, _ market: Market) throws(TwoMarketMergeError) {
        if let (name, count) = quotes.mismatchedColumn() {
            throw TwoMarketMergeError(kind: .columnLengthMismatch, market: market,
                                      detail: "column '\(name)' has \(count) values for \(quotes.count) timestamps")
        }
        let backwards: Int? = quotes.timestamps.withUnsafeBufferPointer { t in
            var k = 1
            while k < t.count {
                if t[k] < t[k - 1] { return k }
                k += 1
            }
            return nil
        }
        if let row = backwards {
            let t = quotes.timestamps
            throw TwoMarketMergeError(
                kind: .timeWentBackwards, market: market, row: row,
                detail: "out of time order: \(UTCTime.iso8601(nanoseconds: t[row])) (\(t[row]) ns) is earlier than row "
                    + "\(row - 1)'s \(UTCTime.iso8601(nanoseconds: t[row - 1])) (\(t[row - 1]) ns)")
        }
    }
}
