import DeltaArbitrage

/// Records one market's live book-ticker quotes into the store as they
/// arrive, so that the store fills itself while a strategy runs.
///
/// `record` only appends to an in-memory batch under a lock (no I/O on the
/// feed's path); `run` writes the batch every `flushInterval` with
/// `BookTickerStoreWriter.importQuotes` (one transaction: binary COPY, then
/// `INSERT … ON CONFLICT DO NOTHING`), and once more when it is cancelled.
///
/// A failed write loses nothing: the batch stays pending and is written with
/// the next one, and the failure is counted and kept in `statistics` (the
/// service reports it). Pending quotes are bounded by `maximumPending`: while
/// the store is unreachable for long, the oldest quotes beyond the bound are
/// dropped and counted in `Statistics.dropped`, so memory stays bounded.
public final class LiveQuoteRecorder: Sendable {
    /// What the recorder has done so far.
    public struct Statistics: Sendable, Equatable {
        /// Quotes handed to `record`.
        public var received = 0
        /// Rows written to the store.
        public var inserted = 0
        /// Quotes the store already held (same market and microsecond), or
        /// superseded by a later quote of the same microsecond in one batch.
        public var skipped = 0
        /// Quotes dropped because `maximumPending` was reached while writes failed.
        public var dropped = 0
        /// Quotes waiting for the next write.
        public var pending = 0
        /// Writes that failed (each retried with the next batch).
        public var failedWrites = 0
        /// The last write failure's message, cleared by the next successful write.
        public var lastError: String?
    }

    /// The store's connection URL.
    public let url: PostgresURL
    /// The symbol as BASE/QUOTE.
    public let symbol: String
    /// The market's `exchanges.enum_value` (e.g. `GATEIO_SPOT`).
    public let market: String
    /// Time between writes.
    public let flushInterval: Duration
    /// Most quotes held while writes fail.
    public let maximumPending: Int

    private struct State {
        var batch = MarketQuotes()
        var sequenceNumbers: [Int64] = []
        var hasSequenceNumbers = true
        var statistics = Statistics()
        /// Leading quotes of `batch` already dropped over the bound: removed in one go once they are
        /// many, so that a quote recorded over the bound costs O(1) amortised, not a copy of the batch.
        var droppedFront = 0

        /// The quotes pending, without the dropped ones, and no dropped ones left.
        mutating func compact() {
            guard droppedFront > 0 else { return }
            batch = LiveQuoteRecorder.dropping(droppedFront, from: batch)
            sequenceNumbers.removeFirst(droppedFront)
            droppedFront = 0
        }
    }
    // `record` runs on the feeds' threads, `flush` on the writer's.
    private let state = Locked(State())

    /// - Parameters:
    ///   - market: an `exchanges.enum_value` ending in `_SPOT` or `_FUTURES`.
    ///   - flushInterval: time between writes (positive).
    ///   - maximumPending: most quotes held while the store cannot be written (positive).
    /// - Throws: `BookTickerStoreError` for a symbol that is not BASE/QUOTE, a
    ///   market without a type suffix, or a non-positive bound.
    public init(url: PostgresURL, symbol: String, market: String,
                flushInterval: Duration = .seconds(1), maximumPending: Int = 2_000_000) throws {
        func failure(_ detail: String) -> BookTickerStoreError {
            BookTickerStoreError(source: url.description, symbol: symbol, market: market, detail: detail)
        }
        let parts = symbol.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw failure("symbol must be BASE/QUOTE") }
        guard BookTickerStoreWriter.marketType(of: market) != nil else {
            throw failure("market must end in _SPOT or _FUTURES (e.g. GATEIO_SPOT)")
        }
        guard flushInterval > .zero else { throw failure("the flush interval must be positive") }
        guard maximumPending > 0 else { throw failure("the pending-quote bound must be positive") }
        self.url = url
        self.symbol = symbol
        self.market = market
        self.flushInterval = flushInterval
        self.maximumPending = maximumPending
    }

    /// A snapshot of the counters.
    public var statistics: Statistics {
        state.withLock { state in
            var statistics = state.statistics
            statistics.pending = state.batch.count - state.droppedFront
            return statistics
        }
    }

    /// Queues one quote (exchange time in nanoseconds since the Unix epoch).
    /// Quotes without a finite price are not storable and are counted as skipped.
    /// A nil `sequenceNumber` stores NULL; a batch mixing both stores NULL for all.
    public func record(timestampNanoseconds: Int64, bidPrice: Double, bidQuantity: Double,
                       askPrice: Double, askQuantity: Double, sequenceNumber: Int64? = nil) {
        state.withLock { state in
            state.statistics.received += 1
            guard bidPrice.isFinite, askPrice.isFinite, !bidQuantity.isInfinite, !askQuantity.isInfinite else {
                state.statistics.skipped += 1
                return
            }
            state.batch.append(timestamp: timestampNanoseconds, bidPrice: bidPrice, bidQuantity: bidQuantity,
                               askPrice: askPrice, askQuantity: askQuantity)
            state.sequenceNumbers.append(sequenceNumber ?? 0)
            if sequenceNumber == nil { state.hasSequenceNumbers = false }
            if state.batch.count - state.droppedFront > maximumPending {
                state.droppedFront += 1
                state.statistics.dropped += 1
                if state.droppedFront >= max(maximumPending / 4, 1) { state.compact() }
            }
        }
    }

    /// Writes the pending quotes now, in time order (a batch's quotes are
    /// sorted by time first: the two feeds' reconnects may hand them over out
    /// of order). On failure the quotes stay pending and the error is rethrown
    /// after being counted.
    @discardableResult
    public func flush() async throws -> BookTickerStoreWriter.ImportCounts {
        let (quotes, sequenceNumbers) = state.withLock { state in
            state.compact()
            let taken = (state.batch, state.hasSequenceNumbers ? state.sequenceNumbers : nil)
            state.batch = MarketQuotes()
            state.sequenceNumbers = []
            state.hasSequenceNumbers = true
            return taken
        }
        guard quotes.count > 0 else { return .init(inserted: 0, skipped: 0) }
        let (sorted, sortedSequence) = Self.timeOrdered(quotes, sequenceNumbers)
        do {
            let counts = try await BookTickerStoreWriter.importQuotes(sorted, into: url, symbol: symbol, market: market,
                                                                      sequenceNumbers: sortedSequence)
            state.withLock { state in
                state.statistics.inserted += counts.inserted
                state.statistics.skipped += counts.skipped + counts.superseded
                state.statistics.lastError = nil
            }
            return counts
        } catch {
            state.withLock { state in
                // Put the failed batch back in front of what arrived meanwhile.
                state.compact()
                var merged = sorted
                var mergedSequence = sortedSequence ?? Array(repeating: 0, count: sorted.count)
                for i in 0..<state.batch.count {
                    merged.append(timestamp: state.batch.timestamps[i], bidPrice: state.batch.bidPrice[i],
                                  bidQuantity: state.batch.bidQuantity[i], askPrice: state.batch.askPrice[i],
                                  askQuantity: state.batch.askQuantity[i])
                }
                mergedSequence += state.sequenceNumbers
                state.hasSequenceNumbers = state.hasSequenceNumbers && sortedSequence != nil
                let excess = merged.count - maximumPending
                if excess > 0 {
                    merged = Self.dropping(excess, from: merged)
                    mergedSequence.removeFirst(excess)
                    state.statistics.dropped += excess
                }
                state.batch = merged
                state.sequenceNumbers = mergedSequence
                state.statistics.failedWrites += 1
                state.statistics.lastError = "\(error)"
            }
            throw error
        }
    }

    /// Writes every `flushInterval` until cancelled, then writes what is
    /// pending once more. A failed write is counted (see `statistics`) and
    /// reported to `onFailure`; the loop goes on.
    public func run(onFailure: @Sendable (any Error) -> Void = { _ in }) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: flushInterval)
            } catch {
                break
            }
            do { try await flush() } catch { onFailure(error) }
        }
        do { try await flush() } catch { onFailure(error) }
    }

    fileprivate static func dropping(_ count: Int, from quotes: MarketQuotes) -> MarketQuotes {
        quotes.rows(min(count, quotes.count)..<quotes.count)
    }

    private static func timeOrdered(_ quotes: MarketQuotes, _ sequenceNumbers: [Int64]?) -> (MarketQuotes, [Int64]?) {
        let ts = quotes.timestamps
        if zip(ts, ts.dropFirst()).allSatisfy({ $0 <= $1 }) { return (quotes, sequenceNumbers) }
        // Stable: quotes of one instant keep their arrival order.
        let order = ts.indices.sorted { ts[$0] != ts[$1] ? ts[$0] < ts[$1] : $0 < $1 }
        return (quotes.rows(order), sequenceNumbers.map { s in order.map { s[$0] } })
    }
}
