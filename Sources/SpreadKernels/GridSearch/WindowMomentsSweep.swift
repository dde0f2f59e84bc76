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
/// dependent loads).
///
/// Buckets are swept in blocks, in two steps per block:
/// 1. *Sampling*, bucket by bucket: each of the bucket's (at most 32) row
///    times is compared at once with the point times of eight windows (one
///    SIMD lane each), and the lanes count the rows at or before their
///    point; each window's value is written to a small table. No lane needs
///    a horizontal reduction, and the block's rows are read once for all
///    windows.
/// 2. *Summing*, window by window, four at a time where all four have a
///    point in every bucket (`AR1MomentsLanes`), reading the table.
///
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

    /// Lanes per compare in step 1 (rounding of `stride`).
    static let samplingWidth = 8

    let t: UnsafeBufferPointer<Int64>
    /// `−entry_cost_pct` per row (`FirstPassageBacktest`'s stored entry series).
    let negated: UnsafeBufferPointer<Double>
    let step: Int64
    let lanes: UnsafeMutableBufferPointer<Lane>
    /// The sums, by lane.
    let sums: UnsafeMutableBufferPointer<AR1Moments>
    /// First row at or after each bucket of the block, and of the bucket
    /// after it (the first from `prepare`, the others from `sampleBlock`).
    let bucketRows: UnsafeMutableBufferPointer<Int>
    /// Lanes' phases, padded to whole sampling widths with −1 (sampled, never
    /// read). Only read where the step fits 32 bits.
    let phases: UnsafeMutableBufferPointer<Int32>
    /// `−entry_cost_pct` sampled by lane `l` in bucket `i` of the block, at `i · stride + l` (negated back, exactly, as it is summed).
    let values: UnsafeMutableBufferPointer<Double>
    /// Lanes per bucket in `values` (lanes rounded up to the sampling width).
    let stride: Int
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
        let stride = (laneList.count + samplingWidth - 1) / samplingWidth * samplingWidth
        let bucketRows = UnsafeMutableBufferPointer<Int>.allocate(capacity: blockBuckets + 1)
        let phases = UnsafeMutableBufferPointer<Int32>.allocate(capacity: stride)
        let values = UnsafeMutableBufferPointer<Double>.allocate(capacity: blockBuckets * stride)
        defer {
            bucketRows.deallocate()
            phases.deallocate()
            values.deallocate()
        }
        for l in 0..<stride {
            phases[l] = l < laneList.count ? Int32(truncatingIfNeeded: laneList[l].phase) : -1
        }
        laneStorage.withUnsafeMutableBufferPointer { lanes in
            sums.withUnsafeMutableBufferPointer { sums in
                var sweep = WindowMomentsSweep(t: t, negated: negated, step: step, lanes: lanes, sums: sums,
                                               bucketRows: bucketRows, phases: phases,
                                               values: values, stride: stride)
                let lastBucket = lanes.reduce(Int64.min) { max($0, $1.lastBucket) }
                var scan = firstRow
                var next = lanes.reduce(Int64.max) { min($0, $1.nextBucket) }
                while next < Int64.max {
                    let buckets = min(Int64(blockBuckets), lastBucket - next + 1)
                    sweep.prepare(block: next, buckets: Int(buckets), anchor: anchor, scan: scan)
                    sweep.sampleBlock()
                    scan = bucketRows[Int(buckets)]  // the first row after the block
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

    /// Sets up the block of `buckets` buckets from bucket `block` and its
    /// first bucket's first row, scanning forward from `scan`; `sampleBlock`
    /// finds the other buckets' first rows.
    mutating func prepare(block: Int64, buckets: Int, anchor: Int64, scan: Int) {
        self.block = block
        blockEnd = block + Int64(buckets)
        blockTime = anchor + block * step  // within the windows' span: no overflow
        bucketRows[0] = rowAtOrAfter(blockTime, from: scan)
    }

    /// The first row at or after `time`, scanning forward from `row` (at or before it).
    private func rowAtOrAfter(_ time: Int64, from row: Int) -> Int {
        AsOfSampling.lastRow(t, atOrBefore: time &- 1, from: row - 1, limit: t.count - 1) + 1
    }

    /// Step 1: `values` for every bucket of the block and every lane, and
    /// each bucket's first row.
    ///
    /// A bucket is *compact* when the 16 rows from its first exist (past row
    /// 0: a lane with no point in the bucket samples a row it never reads,
    /// kept within the data) and not all of them lie in it, or else the same
    /// holds of the 32 rows from its first; the step must fit 32 bits. Then
    /// those rows hold all of the bucket's rows, and those
    /// after it are later than any time in it, so the count of rows at or
    /// before a point's time is its row's place in the bucket, and the count
    /// of rows before the bucket's end is where the next bucket starts. The
    /// counts compare times as offsets into the bucket, clamped to one step
    /// (every phase is below it), in 32-bit lanes: eight windows per compare.
    /// Rows past a window's last row are never at or before its points but
    /// at its last one (equal times), which `clampLastPoints` redoes. Other
    /// buckets are scanned lane by lane.
    func sampleBlock() {
        guard let times = t.baseAddress, let table = values.baseAddress else { return }
        let rawPhases = UnsafeRawPointer(phases.baseAddress!)
        let offsets = UnsafeMutablePointer<Int32>.allocate(capacity: 32)
        defer { offsets.deallocate() }
        let n = t.count, stepFits = step <= Int64(Int32.max), clamp = Int32(truncatingIfNeeded: step)
        for i in 0..<Int(blockEnd - block) {
            let bucketTime = blockTime + Int64(i) * step, end = bucketTime + step
            let out = table + i * stride
            let first = bucketRows[i]
            // Rows compared: 16, or 32 for a bucket of 16 rows or more.
            var compared = 0, inBucket = 0
            while inBucket == compared && compared < 32 && stepFits && first > 0 && first + compared + 16 <= n {
                for j in compared..<compared + 16 {
                    offsets[j] = Int32(truncatingIfNeeded: min(times[first &+ j], end) &- bucketTime)
                    inBucket += offsets[j] < clamp ? 1 : 0
                }
                compared += 16
            }
            guard inBucket < compared else {
                bucketRows[i + 1] = rowAtOrAfter(end, from: first)
                for l in 0..<lanes.count { out[l] = negated[scannedRow(lanes[l], i)] }
                continue
            }
            bucketRows[i + 1] = first + inBucket
            let before = first - 1
            for lane in Swift.stride(from: 0, to: stride, by: 8) {
                let phase = rawPhases.loadUnaligned(fromByteOffset: lane * 4, as: SIMD8<Int32>.self)
                // `compared` minus the offsets above the phase: `phase − offset` is negative there
                // (no overflow: both lie in −1…Int32.max), and its sign shifted in is −1.
                var count = SIMD8<Int32>(repeating: Int32(compared))
                for j in 0..<16 { count &+= (phase &- SIMD8(repeating: offsets[j])) &>> 31 }
                if compared > 16 {
                    for j in 16..<32 { count &+= (phase &- SIMD8(repeating: offsets[j])) &>> 31 }
                }
                for l in 0..<8 { out[lane + l] = negated[before &+ Int(count[l])] }
            }
        }
        clampLastPoints()
    }

    /// Redoes, with the row limit, the value of every lane whose last point lies in this block.
    func clampLastPoints() {
        for (l, lane) in lanes.enumerated() where lane.lastBucket >= block && lane.lastBucket < blockEnd {
            let i = Int(lane.lastBucket - block)
            values[i * stride + l] = negated[scannedRow(lane, i)]
        }
    }

    /// `row` for a bucket that is not compact (32 rows or more, or at the
    /// data's ends): a scan from its first row.
    @inline(never)
    func scannedRow(_ lane: Lane, _ i: Int) -> Int {
        max(AsOfSampling.lastRow(t, atOrBefore: blockTime + Int64(i) * step + lane.phase,
                                 from: bucketRows[i] - 1, limit: lane.lastRow), 0)
    }

    /// Lane `k`'s points in the buckets before `limit` of this block, in order.
    func advance(_ k: Int, to limit: Int64) {
        let lane = lanes[k]
        let stop = min(limit, lane.lastBucket + 1, blockEnd)
        guard lane.nextBucket < stop else { return }
        var m = sums[k]
        for bucket in lane.nextBucket..<stop { m.add(-values[Int(bucket - block) * stride + k]) }
        sums[k] = m
        lanes[k].nextBucket = stop
    }

    /// Lanes `k…k+3` over this block: each alone up to where all four hold a
    /// value and have a point in every bucket, then the four together.
    func advanceFour(from k: Int) {
        let l0 = lanes[k], l1 = lanes[k + 1], l2 = lanes[k + 2], l3 = lanes[k + 3]
        let start = max(l0.firstBucket + 1, l1.firstBucket + 1, l2.firstBucket + 1, l3.firstBucket + 1, block)
        let end = min(l0.lastBucket + 1, l1.lastBucket + 1, l2.lastBucket + 1, l3.lastBucket + 1, blockEnd)
        guard start < end, let base = sums.baseAddress, let table = values.baseAddress else { return }
        for l in k..<k + 4 { advance(l, to: start) }
        var vector = AR1MomentsLanes(base + k)
        let raw = UnsafeRawPointer(table + k)
        for bucket in start..<end {
            vector.add(-raw.loadUnaligned(fromByteOffset: Int(bucket - block) * stride * 8, as: SIMD4<Double>.self))
        }
        vector.store(base + k)
        for l in k..<k + 4 { lanes[l].nextBucket = end }
    }
}
