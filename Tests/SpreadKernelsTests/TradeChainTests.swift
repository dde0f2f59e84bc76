import Testing
import SpreadKernels

/// The tally's fields as bit patterns: equal means bit for bit, NaN and signed zeros included.
func bits(_ t: TradeTally) -> [UInt64] {
    [UInt64(t.trades), UInt64(t.wins), UInt64(t.profitTargetExits), UInt64(t.timeoutExits)]
        + [t.totalPnlPct, t.totalHours, t.bestPnlPct, t.worstPnlPct, t.cumulative, t.peak, t.maxDrawdown].map(\.bitPattern)
}

func bits(_ points: [GridPointTally?]) -> [[UInt64]?] {
    points.map { $0.map { bits($0.all) + bits($0.beforeSplit) } }
}

@Suite("Trade-chain reuse across sliding windows")
struct TradeChainTests {
    /// The range maximum equals a plain scan, over sizes around the fan-out's powers, with ties and NaN.
    @Test(arguments: [0, 1, 2, 15, 16, 17, 255, 256, 257, 300, 4097, 70_000])
    func maxValueEqualsLinearScan(count n: Int) {
        var rng = TestRNG(UInt64(n) &+ 11)
        var values = (0..<n).map { _ in Double(rng.below(1000)) - 500 }
        if n > 3 { values[n / 2] = .nan }
        if n > 40 { for k in 20..<40 { values[k] = .nan } }
        let index = FirstPassageIndex(values)
        let pairs: [(Int, Int)] = n <= 300
            ? (0...n).flatMap { from in (from...n).map { (from, $0) } }
            : (0..<3000).map { _ in let a = rng.below(n + 1), b = rng.below(n + 1); return (min(a, b), max(a, b)) }
                + [(0, n), (20, 40), (25, 26), (n / 2, n / 2 + 1), (n - 1, n)]
        for (from, to) in pairs {
            var want = -Double.infinity
            for k in from..<to where values[k] > want { want = values[k] }
            #expect(index.maxValue(from: from, to: to) == want, "n \(n) \(from)..<\(to)")
        }
    }

    /// Sliding windows with thresholds that move a little at every step (as the
    /// derived grid does): the reusing search gives the full search's tallies bit
    /// for bit at every point of every window, and does reuse trades.
    @Test(arguments: SeriesKind.allCases)
    func slidingWindowsEqualFullSearch(kind: SeriesKind) {
        var reusedTotal = 0, tradesTotal = 0
        for seed in 0..<4 as Range<UInt64> {
            let s = makeSeries(kind, count: 6000 + Int(seed) * 257, seed: seed)
            let (spotFee, futFee) = fees[Int(seed) % fees.count]
            let maxHours = [0.05, 0.5, 6, 0.01][Int(seed)]
            var rng = TestRNG(seed &+ 99)
            withColumns(s) { columns in
                let backtest = FirstPassageBacktest(columns: columns, maxHours: maxHours, spotFee: spotFee, futFee: futFee)
                let cache = TradeChainCache()
                let width = [800, 1500, 3000, 400][Int(seed)]
                let stepRows = [7, 40, 1, 150][Int(seed)]
                var start = 0
                var step = 0
                while start + 2 < s.count {
                    let end = min(start + width, s.count)
                    // Mostly forward; now and then the same window, an end that does not move, or a jump back.
                    let rows: Range<Int>
                    switch step % 17 {
                    case 5: rows = start..<end  // same window as a repeat below
                    case 11: rows = max(0, start - 300)..<max(end - 200, start + 1)
                    default: rows = start..<end
                    }
                    let jitter = 1 + 0.02 * (rng.unit() - 0.5)
                    let entries = [0.2, 0.35, 0.4, 0.45, 0.5, 0.6].map { $0 * jitter }
                    let exits = [0.0, 0.05, 0.1, 0.2, 0.4].map { $0 * (step % 3 == 0 ? 1 : jitter) }
                    let split = rows.lowerBound + rows.count / 2
                    var mask = [Bool](repeating: true, count: entries.count * exits.count)
                    if step % 4 == 1 { mask[3] = false; mask[17] = false }
                    let full = ThresholdGridSearch.evaluate(
                        backtest, entries: entries, exits: exits, rows: rows, split: split, mask: mask)
                    let reusing = ThresholdGridSearch.evaluate(
                        backtest, entries: entries, exits: exits, rows: rows, split: split, mask: mask, chains: cache)
                    #expect(bits(reusing.points) == bits(full.points), "\(s.label) window \(rows) step \(step)")
                    #expect(reusing.evaluated == full.evaluated)
                    if step > 0 { reusedTotal += cache.reusedTrades }
                    tradesTotal += cache.storedTrades
                    if step % 17 == 5 {
                        // The same window again: the trades are taken over (but for the few whose held rows come
                        // within the exit search's rounding margin, which the reuse test treats as changed).
                        let again = ThresholdGridSearch.evaluate(
                            backtest, entries: entries, exits: exits, rows: rows, split: split, mask: mask, chains: cache)
                        #expect(bits(again.points) == bits(full.points))
                        #expect(Double(cache.reusedTrades) >= 0.9 * Double(cache.storedTrades))
                    }
                    start += stepRows + rng.below(stepRows + 1)
                    step += 1
                }
            }
        }
        #expect(tradesTotal > 1000, "the comparison should cover trades")
        if kind != .constantSpread {
            #expect(reusedTotal > tradesTotal / 2, "most trades should be taken over (\(reusedTotal) of \(tradesTotal))")
        }
    }

    /// The chains kept are the trades of a plain run of the point over the window.
    @Test func chainsAreThePlainRunsTrades() {
        let s = makeSeries(.randomWalk, count: 5000, seed: 3)
        withColumns(s) { columns in
            let backtest = FirstPassageBacktest(columns: columns, maxHours: 0.5, spotFee: 0.0005, futFee: 0.0005)
            let cache = TradeChainCache()
            let entries = [0.3, 0.45], exits = [0.05, 0.2]
            for start in stride(from: 0, to: 3000, by: 250) {
                let rows = start..<(start + 2000)
                _ = ThresholdGridSearch.evaluate(backtest, entries: entries, exits: exits, rows: rows, split: rows.upperBound,
                                                 chains: cache)
                var stored = 0
                for e in entries {
                    for x in exits { stored += backtest.trades(entryThresholdPct: e, exitThresholdPct: x, rows: rows).trades.count }
                }
                #expect(cache.storedTrades == stored)
            }
            #expect(cache.reusedTrades > 0)
        }
    }
}
