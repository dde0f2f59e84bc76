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
    public var timestamps: Column<Int64>
    /// Best spot ask per row, positive and finite.
    public var spotAskPrice: Column<Double>
    /// Best spot bid per row, positive, finite and at most `spotAskPrice`.
    public var spotBidPrice: Column<Double>
    /// Quantity at the spot ask per row; NaN when the input had none.
    public var spotAskQuantity: Column<Double>
    /// Quantity at the spot bid per row; NaN when the input had none.
    public var spotBidQuantity: Column<Double>
    /// Best futures ask per row, positive and finite.
    public var futAskPrice: Column<Double>
    /// Best futures bid per row, positive, finite and at most `futAskPrice`.
    public var futBidPrice: Column<Double>
    /// Quantity at the futures ask per row; NaN when the input had none.
    public var futAskQuantity: Column<Double>
    /// Quantity at the futures bid per row; NaN when the input had none.
    public var futBidQuantity: Column<Double>

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
        try self.init(timestamps: Column(timestamps),
                      spotAskPrice: Column(spotAskPrice), spotBidPrice: Column(spotBidPrice),
                      futAskPrice: Column(futAskPrice), futBidPrice: Column(futBidPrice),
                      spotAskQuantity: Column(spotAskQuantity), spotBidQuantity: Column(spotBidQuantity),
                      futAskQuantity: Column(futAskQuantity), futBidQuantity: Column(futBidQuantity))
    }

    /// Creates market data from columns of equal length, owned or viewed
    /// (see `Column`). Quantity columns may be empty, meaning "not
    /// available" (they are filled with `NaN`). The values are taken as
    /// they are; loaders check them first.
    ///
    /// - Throws: `MarketDataError.columnLengthMismatch` when lengths differ.
    public init(
        timestamps: Column<Int64>,
        spotAskPrice: Column<Double>, spotBidPrice: Column<Double>,
        futAskPrice: Column<Double>, futBidPrice: Column<Double>,
        spotAskQuantity: Column<Double> = [], spotBidQuantity: Column<Double> = [],
        futAskQuantity: Column<Double> = [], futBidQuantity: Column<Double> = []
    ) throws(MarketDataError) {
        let n = timestamps.count
        // One NaN column, shared by every absent quantity.
        var unavailable: Column<Double>?
        func filled(_ column: Column<Double>, _ name: String) throws(MarketDataError) -> Column<Double> {
            if column.isEmpty && n > 0 {
                let nan = unavailable ?? Column(repeating: .nan, count: n)
                unavailable = nan
                return nan
            }
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

    /// The rows in `range`, as new market data (row indices restart at 0):
    /// copied from owned columns, the same memory for viewed ones (`Column.rows`).
    public func rows(_ range: Range<Int>) -> MarketData {
        var copy = self
        copy.timestamps = timestamps.rows(range)
        copy.spotAskPrice = spotAskPrice.rows(range)
        copy.spotBidPrice = spotBidPrice.rows(range)
        copy.spotAskQuantity = spotAskQuantity.rows(range)
        copy.spotBidQuantity = spotBidQuantity.rows(range)
        copy.futAskPrice = futAskPrice.rows(range)
        copy.futBidPrice = futBidPrice.rows(range)
        copy.futAskQuantity = futAskQuantity.rows(range)
        copy.futBidQuantity = futBidQuantity.rows(range)
        return copy
    }

    /// The index range of rows with `timestamp >= start` (binary search).
    public func firstRow(atOrAfter start: Int64) -> Int {
        timestamps.withUnsafeBufferPointer { $0.partitionPoint(in: 0..<count) { $0 >= start } }
    }

    /// Drops rows `range` of every column read in place from a memory-mapped
    /// (Arrow) file from the process's resident memory; the file's data stays
    /// in the system's page cache and a later read maps it back unchanged.
    /// Owned columns are untouched. A long run over a mapped file calls it
    /// for the rows it is done with, so its resident memory follows the rows
    /// it still reads instead of growing to the whole file.
    public func releaseResidentPages(rows range: Range<Int>) {
        adviseResident(.release, rows: range)
    }

    /// Maps rows `range` of every column read in place from a memory-mapped
    /// file into resident memory ahead of a read of all of them (one call
    /// per column instead of a page fault every few pages); owned columns
    /// are untouched.
    func populateResidentPages(rows range: Range<Int>) {
        adviseResident(.populate, rows: range)
    }

    private func adviseResident(_ residency: MappedFile.Residency, rows range: Range<Int>) {
        timestamps.adviseResident(residency, rows: range)
        for column in [spotAskPrice, spotBidPrice, spotAskQuantity, spotBidQuantity,
                       futAskPrice, futBidPrice, futAskQuantity, futBidQuantity] {
            column.adviseResident(residency, rows: range)
        }
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
