/// One continuous segment of a backtest run segment by segment.
public struct BacktestSegment: Sendable, Hashable {
    /// Rows of the whole data this segment covers.
    public var rows: Range<Int>
    /// Closed trades inside the segment.
    public var trades: Int
    /// Position still open at the segment's last row (rows of the whole
    /// data), marked there; not a trade, like the end-of-data open position.
    public var openPosition: OpenPositionReport?

    /// A segment's outcome.
    public init(rows: Range<Int>, trades: Int, openPosition: OpenPositionReport?) {
        self.rows = rows
        self.trades = trades
        self.openPosition = openPosition
    }
}

/// What `deltaNeutralBacktest(_:rule:segments:)` returns.
public struct SegmentedBacktestResult: Sendable, Hashable {
    /// Every segment's trades in order, with rows of the whole data; the
    /// summary is over the time the segments cover (the data's span less the
    /// gaps between them); the open position is the last segment's.
    public var result: BacktestResult
    /// Each segment's rows, trade count and open position.
    public var segments: [BacktestSegment]
}

/// The seed's backtest run on each segment of `data` on its own: the
/// position state starts flat at each segment's first row, and a position
/// still open at a segment's last row is dropped (reported in its segment,
/// not a trade), so no trade crosses from one segment into the next. Each
/// segment's trades are exactly those of `deltaNeutralBacktest` on
/// `data.rows(segment)`, with row indices shifted to rows of `data`.
///
/// - Parameter segments: ordered, non-overlapping, non-empty row ranges of
///   `data` (typically `DataGapReport.segments`).
/// - Throws: `ParameterValidationError` when `rule.validate()` does.
public func deltaNeutralBacktest(_ data: MarketData, rule: BacktestRule, segments: [Range<Int>]) throws -> SegmentedBacktestResult {
    try rule.validate()
    var trades: [Trade] = []
    var parts: [BacktestSegment] = []
    var coveredNanoseconds: Int64 = 0
    for range in segments {
        let piece = data.rows(range)
        let alone = try deltaNeutralBacktest(piece, rule: rule)
        let shift = range.lowerBound
        for var trade in alone.trades {
            trade.entryIndex += shift
            trade.exitIndex += shift
            trades.append(trade)
        }
        var open = alone.openPosition
        open?.entryIndex += shift
        open?.markIndex += shift
        parts.append(BacktestSegment(rows: range, trades: alone.trades.count, openPosition: open))
        coveredNanoseconds += piece.spanNanoseconds
    }
    let result = BacktestResult(trades: trades, summary: BacktestSummary(trades: trades, spanNanoseconds: coveredNanoseconds),
                                openPosition: parts.last?.openPosition)
    return SegmentedBacktestResult(result: result, segments: parts)
}
