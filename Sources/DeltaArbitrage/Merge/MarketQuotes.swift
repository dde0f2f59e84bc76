/// One market's top-of-book quotes (book tickers), as columns, in time order:
/// `timestamps` never decrease (nanoseconds since the Unix epoch, UTC).
/// Among quotes with equal timestamps the later row is the later quote (a
/// database source orders them by sequence number, then by id), so the last
/// of them is the book at that instant.
///
/// The columns have equal length; `TwoMarketMerge.merge` checks both the
/// length and the time order. Prices and quantities are copied as they are:
/// checking them (positive prices, bid at most ask) is the source's job.
public struct MarketQuotes: Sendable, Equatable {
    /// Nanoseconds since 1970-01-01T00:00:00Z, non-decreasing.
    public var timestamps: [Int64]
    /// Best bid per quote.
    public var bidPrice: [Double]
    /// Quantity at the best bid per quote (NaN when the source has none).
    public var bidQuantity: [Double]
    /// Best ask per quote.
    public var askPrice: [Double]
    /// Quantity at the best ask per quote (NaN when the source has none).
    public var askQuantity: [Double]

    /// Quotes from columns of equal length, in time order.
    public init(timestamps: [Int64] = [], bidPrice: [Double] = [], bidQuantity: [Double] = [],
                askPrice: [Double] = [], askQuantity: [Double] = []) {
        self.timestamps = timestamps
        self.bidPrice = bidPrice
        self.bidQuantity = bidQuantity
        self.askPrice = askPrice
        self.askQuantity = askQuantity
    }

    /// Number of quotes (the length of `timestamps`).
    public var count: Int { timestamps.count }

    /// Reserves room for `n` quotes in every column, so that appending that
    /// many allocates nothing more.
    public mutating func reserveCapacity(_ n: Int) {
        timestamps.reserveCapacity(n)
        bidPrice.reserveCapacity(n)
        bidQuantity.reserveCapacity(n)
        askPrice.reserveCapacity(n)
        askQuantity.reserveCapacity(n)
    }

    /// Maps in bulk (`FreshPages`) the reserved room the next `n` appended
    /// quotes will take, for a reader that appends many: called every so
    /// many rows, it never commits more than that much of a reservation that
    /// was too large.
    public mutating func prepareRoom(for n: Int) {
        FreshPages.prepareCapacity(&timestamps, next: n)
        FreshPages.prepareCapacity(&bidPrice, next: n)
        FreshPages.prepareCapacity(&bidQuantity, next: n)
        FreshPages.prepareCapacity(&askPrice, next: n)
        FreshPages.prepareCapacity(&askQuantity, next: n)
    }

    /// The quotes at `indices`, in that order (every column alike).
    public func rows<Indices: Collection<Int>>(_ indices: Indices) -> MarketQuotes {
        MarketQuotes(timestamps: indices.map { timestamps[$0] }, bidPrice: indices.map { bidPrice[$0] },
                     bidQuantity: indices.map { bidQuantity[$0] }, askPrice: indices.map { askPrice[$0] },
                     askQuantity: indices.map { askQuantity[$0] })
    }

    /// Appends one quote; it must not be earlier than the last one.
    public mutating func append(timestamp: Int64, bidPrice: Double, bidQuantity: Double,
                                askPrice: Double, askQuantity: Double) {
        timestamps.append(timestamp)
        self.bidPrice.append(bidPrice)
        self.bidQuantity.append(bidQuantity)
        self.askPrice.append(askPrice)
        self.askQuantity.append(askQuantity)
    }

    /// The column that differs in length from `timestamps`, with its length.
    func mismatchedColumn() -> (name: String, count: Int)? {
        for (name, column) in [("bidPrice", bidPrice), ("bidQuantity", bidQuantity),
                               ("askPrice", askPrice), ("askQuantity", askQuantity)]
        where column.count != timestamps.count {
            return (name, column.count)
        }
        return nil
    }

    /// Calls `body` with a borrowed view of the five columns.
    func withColumns<R>(_ body: (QuoteColumns) throws -> R) rethrows -> R {
        try timestamps.withUnsafeBufferPointer { t in
            try bidPrice.withUnsafeBufferPointer { bp in
                try bidQuantity.withUnsafeBufferPointer { bq in
                    try askPrice.withUnsafeBufferPointer { ap in
                        try askQuantity.withUnsafeBufferPointer { aq in
                            try body(QuoteColumns(timestamps: t, bidPrice: bp, bidQuantity: bq,
                                                  askPrice: ap, askQuantity: aq))
                        }
                    }
                }
            }
        }
    }
}

/// A borrowed view of `MarketQuotes`' columns for the merge's loop.
struct QuoteColumns {
    let timestamps: UnsafeBufferPointer<Int64>
    let bidPrice: UnsafeBufferPointer<Double>
    let bidQuantity: UnsafeBufferPointer<Double>
    let askPrice: UnsafeBufferPointer<Double>
    let askQuantity: UnsafeBufferPointer<Double>
}
