/// Market data read from CSV, with an account of every data line.
///
/// Every non-blank data line is exactly one of: loaded, dropped as a leading
/// row (some price not yet known), or skipped (bad, only with
/// `MarketDataCSVOptions.skipBadRows`).
public struct MarketDataCSVLoadResult: Sendable, Equatable {
    /// The loaded rows.
    public var data: MarketData
    /// Rows at the start dropped because some price had not appeared yet.
    public var leadingRowsDropped: Int
    /// Bad rows left out (always 0 unless `skipBadRows`).
    public var rowsSkipped: Int
    /// Skipped rows per kind of problem.
    public var skippedByKind: [MarketDataError.Kind: Int]
    /// The first skipped-row errors, in file order (at most `maxReportedErrors`).
    public var firstErrors: [MarketDataError]
    /// Empty lines that were ignored (including trailing blank lines).
    public var blankLines: Int

    /// Number of rows in `data`.
    public var rowsLoaded: Int { data.count }

    /// Assembles a result (the loader does this; public for tests and adapters).
    public init(data: MarketData, leadingRowsDropped: Int, rowsSkipped: Int,
                skippedByKind: [MarketDataError.Kind: Int], firstErrors: [MarketDataError], blankLines: Int) {
        self.data = data
        self.leadingRowsDropped = leadingRowsDropped
        self.rowsSkipped = rowsSkipped
        self.skippedByKind = skippedByKind
        self.firstErrors = firstErrors
        self.blankLines = blankLines
    }
}
