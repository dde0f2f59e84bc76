import SpreadKernels

/// Book-ticker history of one spot market and one futures market, stored as
/// columns (one contiguous buffer per field), the Swift form of the seed's
/// `MarketDataFrame`.
///
/// Row `i` of every column describes the same instant. Timestamps are
/// nanoseconds since the Unix epoch (UTC) and never decrease. Prices are
/// positive and finite with `bid <= ask` on each market. Quantities are
/// optional in the input; a quantity column that was absent holds `NaN`.
public struct MarketData: Sendable, Equatable {
    /// Nanoseconds since 1970-01-01T00:00:00Z.
    public var timestamps: [Int64]
    /// Best spot ask per row, positive and finite.
    public var spotAskPrice: [Double]
    /// Best spot bid per row, positive, finite and at most `spotAskPrice`.
    public var spotBidPrice: [Double]
    /// Quantity at the spot ask per row; NaN when the input had none.
    public var spotAskQuantity: [Double]
    /// Quantity at the spot bid per row; NaN when the input had none.
    public var spotBidQuantity: [Double]
    /// Best futures ask per row, positive and finite.
    public var futAskPrice: [Double]
    /// Best futures bid per row, positive, finite and at most `futAskPrice`.
    public var futBidPrice: [Double]
    /// Quantity at the futures ask per row; NaN when the input had none.
    public var futAskQuantity: [Double]
    /// Quantity at the futures bid per row; NaN when the input had none.
    public var futBidQuantity: [Double]

    /// Creates market data from columns of equal length. Quantity columns may
    /// be empty, meaning "not available" (they are filled with `NaN`).
    ///
    /// - Throws: `MarketDataError.columnLengthMismatch` when lengths differ.
    public init(
        timestamps: [Int64],
        spotAskPrice: [Double], spotBidPrice: [Double],
        futAskPrice: [Double], futBidPrice: [Double],
        spotAskQuantity: [Double] = [], spotBidQuantity: [Double] = [],
        futAskQuantity: [Double] = [], futBidQuantity: [Double] = []
    ) throws(MarketDataError) {
        let n = timestamps.count
        func filled(_ column: [Double], _ name: String) throws(MarketDataError) -> [Double] {
            if column.isEmpty { return [Double](repeating: .nan, count: n) }
            guard column.count == n else {
                throw MarketDataError(kind: .columnLengthMismatch, column: name,
                                      detail: "\(column.count) values for \(n) timestamps")
            }
            return column
        }
        for (column, name) in [(spotAskPrice, "spot_ask_price"), (spotBidPrice, "spot_bid_price"),
                               (futAskPrice, "fut_ask_price"), (futBidPrice, "fut_bid_price")]
        where column.count != n {
            throw MarketDataError(kind: .columnLengthMismatch, column: name,
                                  detail: "\(column.count) values for \(n) timestamps")
        }
        self.timestamps = timestamps
        self.spotAskPrice = spotAskPrice
        self.spotBidPrice = spotBidPrice
        self.futAskPrice = futAskPrice
        self.futBidPrice = futBidPrice
        self.spotAskQuantity = try filled(spotAskQuantity, "spot_ask_quantity")
        self.spotBidQuantity = try filled(spotBidQuantity, "spot_bid_quantity")
        self.futAskQuantity = try filled(futAskQuantity, "fut_ask_quantity")
        self.futBidQuantity = try filled(futBidQuantity, "fut_bid_quantity")
    }

    /// No rows.
    public init() {
        timestamps = []
        spotAskPrice = []; spotBidPrice = []; spotAskQuantity = []; spotBidQuantity = []
        futAskPrice = []; futBidPrice = []; futAskQuantity = []; futBidQuantity = []
    }

    /// Number of rows.
    public var count: Int { timestamps.count }

    /// True when there are no rows.
    public var isEmpty: Bool { timestamps.isEmpty }

    /// Time between the first and the last row, in nanoseconds (0 when fewer than two rows).
    public var spanNanoseconds: Int64 {
        guard let first = timestamps.first, let last = timestamps.last else { return 0 }
        return last - first
    }

    /// `spanNanoseconds` in hours, as the backtest measures holding time.
    public var spanHours: Double { SpreadFormulas.hours(fromNanoseconds: spanNanoseconds) }

    /// The rows in `range`, as new market data (row indices restart at 0).
    public func rows(_ range: Range<Int>) -> MarketData {
        var copy = self
        copy.timestamps = Array(timestamps[range])
        copy.spotAskPrice = Array(spotAskPrice[range])
        copy.spotBidPrice = Array(spotBidPrice[range])
        copy.spotAskQuantity = Array(spotAskQuantity[range])
        copy.spotBidQuantity = Array(spotBidQuantity[range])
        copy.futAskPrice = Array(futAskPrice[range])
        copy.futBidPrice = Array(futBidPrice[range])
        copy.futAskQuantity = Array(futAskQuantity[range])
        copy.futBidQuantity = Array(futBidQuantity[range])
        return copy
    }

    /// The index range of rows with `timestamp >= start` (binary search).
    public func firstRow(atOrAfter start: Int64) -> Int {
        timestamps.partitionPoint(in: 0..<count) { $0 >= start }
    }

    /// Calls `body` with a borrowed view of the backtest columns.
    public func withBookColumns<R>(_ body: (BookColumns) throws -> R) rethrows -> R {
        try timestamps.withUnsafeBufferPointer { t in
            try spotAskPrice.withUnsafeBufferPointer { sa in
                try spotBidPrice.withUnsafeBufferPointer { sb in
                    try futAskPrice.withUnsafeBufferPointer { fa in
                        try futBidPrice.withUnsafeBufferPointer { fb in
                            try body(BookColumns(timestamps: t, spotAsk: sa, spotBid: sb, futAsk: fa, futBid: fb))
                        }
                    }
                }
            }
        }
    }

    /// Bytes held by the column buffers.
    public var columnBytes: Int { count * 9 * 8 }
}
