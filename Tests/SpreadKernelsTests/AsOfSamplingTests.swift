import Testing
import SpreadKernels

/// The vector walk of `AsOfSampling.forEachRow` against the definition: the
/// last row at or before each grid time, found one row at a time.
@Suite struct AsOfSamplingTests {
    static func oneByOne(_ t: [Int64], rows: Range<Int>, step: Int64) -> [Int] {
        guard !rows.isEmpty else { return [] }
        var sampled: [Int] = []
        var row = rows.lowerBound
        var time = t[row]
        for _ in 0...Int((t[rows.upperBound - 1] - t[rows.lowerBound]) / step) {
            while row < rows.upperBound - 1 && t[row + 1] <= time { row += 1 }
            sampled.append(row)
            time += step
        }
        return sampled
    }

    /// Series with every spacing that moves the cursor differently: bursts of
    /// equal times longer than 16 rows, runs of exactly 15, 16 and 17 rows per
    /// step, gaps of many steps, one row per step, and the vector window
    /// meeting the end of `rows`.
    @Test(arguments: 0..<40)
    func vectorWalkEqualsOneRowAtATime(seed: Int) {
        var random = TestRNG(UInt64(seed))
        let step: Int64 = 1_000
        var t: [Int64] = []
        var time: Int64 = 1_700_000_000_000_000_000 + Int64(random.next() % 1_000)
        while t.count < 3_000 {
            switch random.next() % 6 {
            case 0: for _ in 0..<Int(random.next() % 40) { t.append(time) }                 // a burst at one time
            case 1: let n = 15 + Int(random.next() % 3)                                       // 15–17 rows in one step
                    for k in 0..<n { t.append(time + Int64(k) * step / Int64(n)) }
            case 2: time += step * Int64(1 + random.next() % 50)                             // a gap
            case 3: t.append(time)                                                           // one row per step
            default: t.append(time + Int64(random.next() % UInt64(step)))                   // anywhere in the step
            }
            time += step
            if let last = t.last, last > time { time = last }
        }
        t.sort()
        for rows in [0..<t.count, 0..<1, 5..<21, 17..<18, 100..<2_000, (t.count - 40)..<t.count] {
            var sampled: [Int] = []
            t.withUnsafeBufferPointer { buffer in
                AsOfSampling.forEachRow(buffer, rows: rows, stepNanoseconds: step) { sampled.append($0) }
            }
            #expect(sampled == Self.oneByOne(t, rows: rows, step: step), "seed \(seed), rows \(rows)")
            for s in [step / 7, step * 3] {
                var other: [Int] = []
                t.withUnsafeBufferPointer { buffer in
                    AsOfSampling.forEachRow(buffer, rows: rows, stepNanoseconds: s) { other.append($0) }
                }
                #expect(other == Self.oneByOne(t, rows: rows, step: s), "seed \(seed), rows \(rows), step \(s)")
            }
        }
    }
}

/// The window statistics' sums from the stored series equal the sums of the
/// sampled values recomputed from the prices, bit for bit (same values, same
/// order), on every kind of series and many windows.
@Suite struct EntryCostMomentsTests {
    @Test(arguments: SeriesKind.allCases)
    func momentsFromTheIndexEqualMomentsOfTheSampledSpread(kind: SeriesKind) {
        let s = makeSeries(kind, count: 4_000, seed: 7)
        withColumns(s) { columns in
            let index = FirstPassageBacktest(columns: columns, maxHours: 6, spotFee: 0.0005, futFee: 0.0005)
            for rows in [0..<4_000, 0..<1, 13..<2_500, 1_999..<4_000, 3_990..<4_000] {
                for step: Int64 in [1_000_000_000, 250_000_000, 60_000_000_000] {
                    var expected = AR1Moments()
                    AsOfSampling.forEachEntryCost(columns, rows: rows, stepNanoseconds: step) { expected.add($0) }
                    let moments = index.entryCostMoments(rows: rows, stepNanoseconds: step)
                    #expect(moments == expected, "\(kind) rows \(rows) step \(step)")
                    #expect(moments.count == AsOfSampling.pointCount(columns, rows: rows, stepNanoseconds: step))
                }
            }
        }
    }

    /// One sweep over many windows gives every window's moments bit for bit:
    /// sliding windows (the walk-forward's), identical, nested, empty and
    /// one-row windows, block sizes from one grid step to more than the span.
    @Test(arguments: SeriesKind.allCases)
    func oneSweepOverManyWindowsEqualsAPassPerWindow(kind: SeriesKind) {
        let s = makeSeries(kind, count: 1_500, seed: 11)
        withColumns(s) { columns in
            let index = FirstPassageBacktest(columns: columns, maxHours: 6, spotFee: 0.0005, futFee: 0.0005)
            var sliding: [Range<Int>] = stride(from: 0, to: 1_200, by: 97).map { $0..<min($0 + 300, 1_500) }
            sliding.insert(sliding[3], at: 4)  // the same window twice, as across a data gap
            let odd: [Range<Int>] = [0..<1_500, 100..<200, 0..<0, 1_499..<1_500, 150..<1_400, 700..<700, 0..<1]
            // Many windows sharing most rows: the swept lanes run four at a time.
            let overlapping: [Range<Int>] = stride(from: 0, to: 120, by: 7).map { $0..<$0 + 400 }
            for windows in [sliding, overlapping, odd, [], [5..<6]] {
                for step: Int64 in [1_000_000_000, 60_000_000_000] {
                    let expected = windows.map { index.entryCostMoments(rows: $0, stepNanoseconds: step) }
                    for block in [1, 3, 64, 1 << 62] {
                        let swept = index.entryCostMoments(windows: windows, stepNanoseconds: step, blockPoints: block)
                        #expect(swept == expected, "\(kind) step \(step) block \(block) windows \(windows.count)")
                    }
                }
            }
        }
    }

    /// Dense seconds: buckets of 0 to 40 rows (the sweep compares 16 rows,
    /// then 32, then scans), rows exactly on bucket edges, and windows
    /// ending inside runs of equal times, at 100 ms and 1 s steps.
    @Test func denseBucketsSweepAsAPassPerWindow() {
        var rng = TestRNG(0xD0_5E)
        var s = makeSeries(.randomWalk, count: 6_000, seed: 3)
        var time: Int64 = 1_700_000_000_000_000_000
        var k = 0
        while k < s.count {
            let rows = rng.below(41)
            for r in 0..<rows where k < s.count {
                // Some rows on the second itself, some sharing a time with the row before.
                s.t[k] = r == 0 && rng.below(3) == 0 ? time : (k > 0 && rng.below(5) == 0 ? max(s.t[k - 1], time) : time + Int64(rng.below(1_000)) * 1_000_000)
                k += 1
            }
            time += 1_000_000_000
        }
        s.t.sort()
        withColumns(s) { columns in
            let index = FirstPassageBacktest(columns: columns, maxHours: 6, spotFee: 0.0005, futFee: 0.0005)
            let windows: [Range<Int>] = stride(from: 0, to: 3_000, by: 53).map { $0..<min($0 + 2_500 + rng.below(400), 6_000) }
            for step: Int64 in [1_000_000_000, 100_000_000] {
                let expected = windows.map { index.entryCostMoments(rows: $0, stepNanoseconds: step) }
                for block in [1, 7, 64] {
                    #expect(index.entryCostMoments(windows: windows, stepNanoseconds: step, blockPoints: block) == expected,
                            "step \(step) block \(block)")
                }
            }
        }
    }
}
