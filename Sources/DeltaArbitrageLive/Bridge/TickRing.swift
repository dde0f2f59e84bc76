import DeltaArbitrage

/// A bounded columnar ring buffer of merged book ticks: the newest
/// `capacity` rows, each with both markets' tops as of that update (a side
/// an update does not carry keeps its last value, as the CSV loader does).
public struct TickRing: Sendable {
    /// Most rows held; appending beyond it drops the oldest.
    public let capacity: Int
    private var timestamps: [Int64]
    private var columns: [[Double]]  // spot ask, spot bid, fut ask, fut bid, then the four quantities
    private var head = 0  // next slot to write
    /// Rows held, at most `capacity`.
    public private(set) var count = 0
    private var spot: BookTop?
    private var futures: BookTop?

    /// An empty ring of `capacity` rows (`capacity > 0`).
    public init(capacity: Int) {
        precondition(capacity > 0, "capacity must be positive")
        self.capacity = capacity
        timestamps = [Int64](repeating: 0, count: capacity)
        columns = [[Double]](repeating: [Double](repeating: 0, count: capacity), count: 8)
    }

    /// The most rows any trailing `hours` window of `data` holds (one
    /// two-pointer pass): the capacity at which a ring replaying `data` always
    /// holds the whole window a walk-forward over it sees, however unevenly
    /// the ticks are spread.
    public static func rowsCovering(hours: Double, of data: MarketData) -> Int {
        let t = data.timestamps
        let nanoseconds = hours * 3_600e9
        let reach = nanoseconds < 9.2e18 ? Int64(max(nanoseconds, 0)) : Int64.max
        var most = 0, start = 0
        for end in t.indices {
            while t[end] &- t[start] > reach { start += 1 }
            most = max(most, end - start + 1)
        }
        return most
    }

    /// Rows appended so far (also those since dropped), a version number for the contents.
    public private(set) var appended = 0

    /// Records `update`; rows start once both markets have been seen.
    public mutating func append(_ update: BookUpdate) {
        if let s = update.spot { spot = s }
        if let f = update.futures { futures = f }
        guard let s = spot, let f = futures else { return }
        timestamps[head] = update.timestampNanoseconds
        // Column by column: no per-tick array on the tick path.
        columns[0][head] = s.ask
        columns[1][head] = s.bid
        columns[2][head] = f.ask
        columns[3][head] = f.bid
        columns[4][head] = s.askQuantity
        columns[5][head] = s.bidQuantity
        columns[6][head] = f.askQuantity
        columns[7][head] = f.bidQuantity
        head = (head + 1) % capacity
        count = min(count + 1, capacity)
        appended += 1
    }

    /// Time of the newest row.
    public var newestTime: Int64? { count > 0 ? timestamps[(head - 1 + capacity) % capacity] : nil }

    /// The rows within `hours` of the newest (all rows held when the ring is
    /// shorter), oldest first, as `MarketData`.
    public func recent(hours: Double) -> MarketData {
        guard let newest = newestTime else { return MarketData() }
        let nanoseconds = hours * 3_600e9
        let reach = nanoseconds < 9.2e18 ? Int64(max(nanoseconds, 0)) : Int64.max
        // Walk back from the newest row while inside the window.
        var n = 0
        while n < count {
            let slot = (head - 1 - n + 2 * capacity) % capacity
            if newest - timestamps[slot] > reach { break }
            n += 1
        }
        let start = (head - n + capacity) % capacity
        func take<T>(_ column: [T]) -> Column<T> {
            if start + n <= capacity { return Column(Array(column[start..<start + n])) }
            return Column(Array(column[start..<capacity]) + Array(column[0..<(start + n - capacity)]))
        }
        var data = MarketData()  // columns of equal length by construction
        data.timestamps = take(timestamps)
        data.spotAskPrice = take(columns[0])
        data.spotBidPrice = take(columns[1])
        data.futAskPrice = take(columns[2])
        data.futBidPrice = take(columns[3])
        data.spotAskQuantity = take(columns[4])
        data.spotBidQuantity = take(columns[5])
        data.futAskQuantity = take(columns[6])
        data.futBidQuantity = take(columns[7])
        return data
    }
}
