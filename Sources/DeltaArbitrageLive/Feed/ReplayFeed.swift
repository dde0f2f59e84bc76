import DeltaArbitrage

/// Plays recorded book ticks (a loaded CSV) as a feed: one update per row
/// carrying both markets' tops, `sequence` = the row index.
///
/// `speed` paces the replay against the data's own timestamps: `.max` emits
/// as fast as the consumer pulls; `.multiple(k)` sleeps `Δt / k` on `clock`
/// between rows (k = 1 is real time).
public struct ReplayFeed<C: Clock>: BookTickerFeed where C.Duration == Duration {
    /// Pacing of the replay against the data's timestamps.
    public enum Speed: Sendable, Hashable {
        /// As fast as the consumer pulls.
        case max
        /// `k` times real time: sleeps `Δt / k` between rows; `k ≤ 0` does not sleep.
        case multiple(Double)
    }

    /// One update per row.
    public typealias Element = BookUpdate
    /// A replay never fails.
    public typealias Failure = Never

    /// The rows played.
    public let data: MarketData
    /// Pacing against the data's timestamps.
    public let speed: Speed
    /// Clock the `.multiple` pacing sleeps on.
    public let clock: C
    /// First row to play.
    public let startRow: Int

    /// A replay of `data` from `startRow` (a negative row reads as 0).
    public init(data: MarketData, speed: Speed = .max, clock: C, startRow: Int = 0) {
        self.data = data
        self.speed = speed
        self.clock = clock
        self.startRow = Swift.max(startRow, 0)
    }

    /// Iterator over the rows from `startRow`.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let feed: ReplayFeed
        var row: Int
        var previous: Int64?

        /// The next row's update, after the pacing sleep; nil after the last row or
        /// once the task is cancelled.
        public mutating func next() async -> BookUpdate? {
            let data = feed.data
            guard row < data.count, !Task.isCancelled else { return nil }
            let time = data.timestamps[row]
            if case .multiple(let k) = feed.speed, let previous, k > 0, time > previous {
                let wait = Double(time - previous) / k
                try? await feed.clock.sleep(for: .nanoseconds(wait < 9e18 ? Int64(wait) : Int64(9e18)))
            }
            previous = time
            defer { row += 1 }
            return BookUpdate(row: row, of: data)
        }
    }

    /// An iterator from `startRow`.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(feed: self, row: startRow) }
}
