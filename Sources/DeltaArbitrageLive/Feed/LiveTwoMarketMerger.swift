import DeltaArbitrage

/// The two-market as-of merge of docs/design.md §5, one quote at a time, as
/// the live feeds deliver them: once both markets have quoted, every quote of
/// either gives a `BookUpdate` carrying both markets' latest tops.
///
/// It is `TwoMarketMerge` unrolled over arrivals: fed a recorded pair of
/// markets in time order (at equal times, in any order), the last update of
/// each instant carries exactly the row `TwoMarketMerge.merge` gives for it
/// (tested). Live, the markets' quotes arrive in arrival order, not exchange
/// time order, so each update is stamped with the latest exchange time seen
/// so far: update times never go back and nothing is stamped ahead of a
/// quote that has arrived (no look-ahead). `sequence` counts updates from
/// `firstSequence`.
public struct LiveTwoMarketMerger: Sendable {
    /// The latest top of each market, nil until it has quoted.
    public private(set) var spot: BookTop?
    public private(set) var futures: BookTop?
    /// Quotes received while a market had no top (before both had quoted, or
    /// after `forget`/`resetTops`): they make no update. Unlike the merge's
    /// `leadingQuotesBeforeBoth`, by arrival, so quotes at the first common
    /// instant that arrive before the other market's count too.
    public private(set) var leadingQuotes = 0
    /// Updates handed out so far.
    public private(set) var updates = 0
    private var latestTime = Int64.min
    /// Sequence number of the first update.
    public let firstSequence: Int

    /// A merger whose updates are numbered from `firstSequence` (a live feed resuming a saved
    /// state numbers on from its committed sequence).
    public init(firstSequence: Int = 0) { self.firstSequence = firstSequence }

    /// Takes one quote of `market`; the merged update, or nil while a market has yet to quote.
    /// `receivedAt` (when the quote was read off the socket) is handed on in the update.
    public mutating func receive(_ market: Market, top: BookTop, timestampNanoseconds: Int64,
                                 receivedAt: ContinuousClock.Instant? = nil) -> BookUpdate? {
        switch market {
        case .spot: spot = top
        case .futures: futures = top
        }
        latestTime = max(latestTime, timestampNanoseconds)
        guard let spot, let futures else {
            leadingQuotes += 1
            return nil
        }
        defer { updates += 1 }
        return BookUpdate(sequence: firstSequence + updates, timestampNanoseconds: latestTime, spot: spot, futures: futures,
                          receivedAt: receivedAt)
    }

    /// Forgets one market's top (its connection dropped or went stale, so its last top
    /// must not be traded on): no update until it quotes again; the other market's top stays.
    public mutating func forget(_ market: Market) {
        switch market {
        case .spot: spot = nil
        case .futures: futures = nil
        }
    }

    /// Forgets both markets' tops (after a reconnection, a stale top must not be traded on); the counts stay.
    public mutating func resetTops() {
        spot = nil
        futures = nil
    }
}
