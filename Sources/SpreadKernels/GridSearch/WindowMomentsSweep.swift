/// The sweep behind `FirstPassageBacktest.entryCostMoments(windows:stepNanoseconds:blockPoints:)`:
/// the window statistics' sums of many overlapping windows, each bit for bit
/// those of its own pass, in one pass over their rows.
///
/// The time axis is cut into buckets of one grid step `Δ` from a common
/// anchor `A`. Window `w`'s first grid time is `t₀(w) = A + j₀(w)·Δ + φ(w)`
/// with `0 ≤ φ(w) < Δ`, so its point `k` lies in bucket `j₀(w) + k`, at
/// offset `φ(w)` into it, and its row is the last row at or before that
/// time: the bucket's first row minus one plus the bucket's rows at or
/// before the offset. A point's row therefore depends on no other point (a
/// pass per window finds each row from the previous one, a chain of
/// dependent loads). Buckets are swept in blocks; in a block every window
/// (a *lane*) takes its points in turn, so the block's rows are read from
/// memory once for all windows, and lanes go four at a time, one SIMD lane
/// each, where all four have a point in every bucket (`AR1MomentsLanes`).
/// Each window adds its own points in its own order, so its sums round
/// exactly as in its own pass.
struct WindowMomentsSweep {
    /// One window on the bucket axis, and how far it has come.
    struct Lane {
        /// Index of the window in the caller's list.
        var window: Int
        /// Its last row (rows past it are never sampled).
        var lastRow: Int
        /// `φ(w)`, nanoseconds.
        var phase: Int64
        /// Buckets of its first and last points, and of its next point.
        var firstBucket: Int64, nextBucket: Int64, lastBucket: Int64
    }

    let t: UnsafeBufferPointer<Int64>
    /// `−entry_cost_pct` per row (`FirstPassageBacktest`'s stored entry series).
    let negated: UnsafeBufferPointer<Double>
    let step: Int64
    let lanes: UnsafeMutableBufferPointer<Lane>
    /// The sums, by lane.
    let sums: UnsafeMutableBufferPointer<AR1Moments>
    /// First row at or after each bucket of the block, and of the bucket after it.
    let bucketRows: UnsafeMutableBufferPointer<Int>
    /// The bucket has at most 16 rows, and 16 rows from its first exist.
    let compact: UnsafeMutableBufferPointer<Bool>
    /// The block: its first bucket, the bucket after its last, and its first bucket's time.
    var block: Int64 = 0, blockEnd: Int64 = 0, blockTime: Int64 = 0

    /// The sums of every lane (`lanes` as set up by the caller: non-empty
    /// windows whose points' times fit Int64 with a step to spare), by lane.
    static func run(
        _ t: UnsafeBufferPointer<Int64>, negated: UnsafeBufferPointer<Double>, anchor: Int64, step: Int64,
        lanes laneList: [Lane], firstRow: Int, blockBuckets: Int
    ) -> [AR1Moments] {
        var laneStorage = laneList
        var sums = [AR1Moments](repeating: AR1Moments(), count: laneList.count)
        let bucketRows = UnsafeMutableBufferPointer<Int>.allocate(capacity: blockBuckets + 1)
        let compact = UnsafeMutableBufferPointer<Bool>.allocate(capacity: blockBuckets)
        defer {
            bucketRows.deallocate()
            compact.deallocate()
        }
        laneStorage.withUnsafeMutableBufferPointer { lanes in
            sums.withUnsafeMutableBufferPointer { sums in
                var sweep = WindowMomentsSweep(t: t, negated: negated, step: step, lanes: lanes, sums: sums,
                                               bucketRows: bucketRows, compact: compact)
                let lastBucket = lanes.reduce(Int64.min) { max($0, $1.lastBucket) }
                var scan = firstRow
                var next = lanes.reduce(Int64.max) { min($0, $1.nextBucket) }
                while next < Int64.max {
                    let buckets = min(Int64(blockBuckets), lastBucket - next + 1)
                    sweep.prepare(block: next, buckets: Int(buckets), anchor: anchor, scan: &scan)
                    var k = 0
                    while k + 4 <= lanes.count {
                        sweep.advanceFour(from: k)
                        k += 4
                    }
                    // The next block starts at the earliest point left, so a gap in the data costs nothing.
                    next = Int64.max
                    for k in lanes.indices {
                        sweep.advance(k, to: sweep.blockEnd)
                        if lanes[k].nextBucket <= lanes[k].lastBucket { next = min(next, lanes[k].nextBucket) }
                    }
                }
            }
        }
        return sums
    }

    /// Sets up the block of `buckets` buckets from bucket `block`: their
    /// first rows (scanning forward from `scan`), and which are compact.
    mutating func prepare(block: Int64, buckets: Int, anchor: Int64, scan: inout Int) {
        self.block = block
        blockEnd = block + Int64(buckets)
        blockTime = anchor + block * step  // within the windows' span: no overflow
        let n = t.count
        for i in 0...buckets {
            let time = blockTime + Int64(i) * step  // at most a step past the last point
            scan = AsOfSampling.lastRow(t, atOrBefore: time &- 1, from: scan - 1, limit: n - 1) + 1
            bucketRows[i] = scan
        }
        for i in 0..<buckets {
            compact[i] = bucketRows[i + 1] - bucketRows[i] <= 16 && bucketRows[i] + 16 <= n
        }
    }

    /// The row `lane` samples in `bucket` (of this block).
    @inline(__always)
    func row(_ lane: Lane, _ bucket: Int64) -> Int {
        let i = Int(bucket - block)
        guard compact[i], let base = t.baseAddress else { return scannedRow(lane, i) }
        // The 16 rows from the bucket's first hold all of its rows; those after it are later than any
        // time in it, so the count of rows at or before the point's time is its row's place in the bucket.
        let time = blockTime + Int64(i) * step + lane.phase
        return min(bucketRows[i] - 1 + AsOfSampling.countAtOrBefore(base + bucketRows[i], time), lane.lastRow)
    }

    /// `row` for a bucket of more than 16 rows: a scan from its first row.
    @inline(never)
    func scannedRow(_ lane: Lane, _ i: Int) -> Int {
        AsOfSampling.lastRow(t, atOrBefore: blockTime + Int64(i) * step + lane.phase,
                             from: bucketRows[i] - 1, limit: lane.lastRow)
    }

    /// Lane `k`'s points in the buckets before `limit` of this block, in order.
    func advance(_ k: Int, to limit: Int64) {
        let lane = lanes[k]
        let stop = min(limit, lane.lastBucket + 1, blockEnd)
        guard lane.nextBucket < stop else { return }
        var m = sums[k]
        for bucket in lane.nextBucket..<stop { m.add(-negated[row(lane, bucket)]) }
        sums[k] = m
        lanes[k].nextBucket = stop
    }

    /// Lanes `k…k+3` over this block: each alone up to where all four hold a
    /// value and have a point in every bucket, then the four together.
    func advanceFour(from k: Int) {
        let l0 = lanes[k], l1 = lanes[k + 1], l2 = lanes[k + 2], l3 = lanes[k + 3]
        let start = max(l0.firstBucket + 1, l1.firstBucket + 1, l2.firstBucket + 1, l3.firstBucket + 1, block)
        let end = min(l0.lastBucket + 1, l1.lastBucket + 1, l2.lastBucket + 1, l3.lastBucket + 1, blockEnd)
        guard start < end, let base = sums.baseAddress else { return }
        for l in k..<k + 4 { advance(l, to: start) }
        var vector = AR1MomentsLanes(base + k)
        for bucket in start..<end {
            vector.add(-SIMD4(negated[row(l0, bucket)], negated[row(l1, bucket)],
                              negated[row(l2, bucket)], negated[row(l3, bucket)]))
        }
        vector.store(base + k)
        for l in k..<k + 4 { lanes[l].nextBucket = end }
    }
}
