/// As-of sampling of the entry-cost spread on a uniform time grid
/// (docs/design.md, "Spread statistics").
public enum AsOfSampling {
    /// Number of grid points `⌊(t_end − t₀)/Δ⌋ + 1` of `rows`, 0 for no rows.
    @inlinable
    public static func pointCount(_ c: BookColumns, rows: Range<Int>, stepNanoseconds step: Int64) -> Int {
        guard !rows.isEmpty else { return 0 }
        return Int((c.timestamps[rows.upperBound - 1] - c.timestamps[rows.lowerBound]) / step) + 1
    }

    /// Writes `entry_cost_pct` at `t_k = t₀ + k·Δ`, `t₀` the first row's time,
    /// into `out` (`pointCount` values), each from the last row of `rows` at
    /// or before `t_k`.
    ///
    /// One forward pass: a row cursor advances while the next row's time is
    /// at or before `t_k`, so among rows sharing a timestamp the last one
    /// wins and across a gap the value is held from the last row before it.
    public static func entryCost(
        _ c: BookColumns, rows: Range<Int>, stepNanoseconds step: Int64, into out: UnsafeMutableBufferPointer<Double>
    ) {
        precondition(out.count >= pointCount(c, rows: rows, stepNanoseconds: step), "output too small for the grid")
        var k = 0
        forEachEntryCost(c, rows: rows, stepNanoseconds: step) { value in
            out[k] = value
            k += 1
        }
    }

    /// Calls `body` with `entry_cost_pct` at every grid time in order, without
    /// storing the grid (see `entryCost(_:rows:stepNanoseconds:into:)`).
    @inlinable
    public static func forEachEntryCost(
        _ c: BookColumns, rows: Range<Int>, stepNanoseconds step: Int64, _ body: (Double) -> Void
    ) {
        forEachRow(c.timestamps, rows: rows, stepNanoseconds: step) { row in
            body(SpreadFormulas.entryCostPct(spotAsk: c.spotAsk[row], futBid: c.futBid[row]))
        }
    }

    /// Calls `body` with the row sampled at every grid time in order: the last
    /// row of `rows` at or before `t_k` (`timestamps` non-decreasing).
    @inlinable
    public static func forEachRow(
        _ t: UnsafeBufferPointer<Int64>, rows: Range<Int>, stepNanoseconds step: Int64, _ body: (Int) -> Void
    ) {
        var cursor = RowCursor(t, rows: rows, stepNanoseconds: step)
        while let row = cursor.next() { body(row) }
    }

    /// The rows sampled at the grid times `t_k = t₀ + k·Δ` of `rows`, one per
    /// `next()`: the last row at or before `t_k` (`timestamps` non-decreasing).
    /// A loop over `next()` keeps its own accumulators in registers, where a
    /// closure called per point would keep them in memory. Each point is
    /// found from the last (`lastRow(_:atOrBefore:from:limit:)`).
    public struct RowCursor {
        @usableFromInline let t: UnsafeBufferPointer<Int64>
        @usableFromInline let lastRow: Int
        @usableFromInline let step: Int64
        @usableFromInline var row: Int
        @usableFromInline var time: Int64
        @usableFromInline var remaining: Int

        /// A cursor over the grid of `rows` of `t` (no points for no rows).
        @inlinable
        public init(_ t: UnsafeBufferPointer<Int64>, rows: Range<Int>, stepNanoseconds step: Int64) {
            self.t = t
            self.step = step
            row = rows.lowerBound
            lastRow = rows.upperBound - 1
            if rows.isEmpty {
                time = 0
                remaining = 0
            } else {
                time = t[rows.lowerBound]
                remaining = Int((t[rows.upperBound - 1] - t[rows.lowerBound]) / step) + 1
            }
        }

        /// The row sampled at the next grid time, or nil after the last one.
        // Always inlined: called once per grid point, its state must stay in the caller's registers.
        @inlinable @inline(__always)
        public mutating func next() -> Int? {
            guard remaining > 0 else { return nil }
            row = AsOfSampling.lastRow(t, atOrBefore: time, from: row, limit: lastRow)
            time &+= step  // wraps only past the last point (remaining 0), where it is never read
            remaining -= 1
            return row
        }
    }

    /// The last row `r` of `row…limit` with `t[row+1…r]` all at or before
    /// `time` (`row` itself when `t[row + 1]` is later): with `t`
    /// non-decreasing and `t[row] ≤ time`, the last row at or before `time`
    /// up to `limit`. `row` may be −1 (before the first row).
    ///
    /// It moves 16 rows per step where there are that many ahead: the rows at
    /// or before `time` come first, so the count of those among the next 16
    /// (two vector compares) is how far to move; one compare per row would
    /// mispredict at about every grid point, as the number of rows per step
    /// varies.
    @inlinable @inline(__always)
    public static func lastRow(_ t: UnsafeBufferPointer<Int64>, atOrBefore time: Int64, from start: Int, limit: Int) -> Int {
        guard let base = t.baseAddress else { return start }
        var row = start
        while limit - row >= 16 {
            let ahead = countAtOrBefore(base + row + 1, time)
            row += ahead
            if ahead < 16 { break }
        }
        while row < limit && t[row + 1] <= time { row += 1 }
        return row
    }

    /// How many of the 16 timestamps from `p` are at or before `time`: two
    /// vector compares, no branch. With non-decreasing timestamps they are
    /// the first ones, so the count is how far `time` reaches among them.
    @inlinable @inline(__always)
    public static func countAtOrBefore(_ p: UnsafePointer<Int64>, _ time: Int64) -> Int {
        let raw = UnsafeRawPointer(p), now = SIMD8<Int64>(repeating: time)
        let low = raw.loadUnaligned(as: SIMD8<Int64>.self), high = (raw + 64).loadUnaligned(as: SIMD8<Int64>.self)
        let zero = SIMD8<Int64>(repeating: 0)
        return Int((zero.replacing(with: 1, where: low .<= now) &+ zero.replacing(with: 1, where: high .<= now)).wrappedSum())
    }

    /// `entryCost(_:rows:stepNanoseconds:into:)` into a new array.
    public static func entryCost(_ c: BookColumns, rows: Range<Int>, stepNanoseconds step: Int64) -> [Double] {
        let points = pointCount(c, rows: rows, stepNanoseconds: step)
        return [Double](unsafeUninitializedCapacity: points) { out, count in
            entryCost(c, rows: rows, stepNanoseconds: step, into: out)
            count = points
        }
    }
}
