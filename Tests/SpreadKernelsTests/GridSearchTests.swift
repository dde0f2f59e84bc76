import Testing
import SpreadKernels

@Suite("First-passage index and threshold grid search")
struct GridSearchTests {
    /// Every query answer equals a plain scan, over sizes around the fan-out's
    /// powers, with ties, NaN and every (from, to, level) on small arrays.
    @Test(arguments: [0, 1, 2, 15, 16, 17, 255, 256, 257, 300, 4097])
    func queriesEqualLinearScan(count n: Int) {
        var rng = TestRNG(UInt64(n) &+ 7)
        var values = (0..<n).map { _ in Double(rng.below(50)) }  // many ties
        if n > 3 { values[n / 2] = .nan }
        let index = FirstPassageIndex(values)
        let levels: [Double] = [-.infinity, -1, 0, 10, 25, 48, 49, 49.5, 50, .infinity, .nan]
        let starts = n <= 300 ? Array(0...n) : (0..<200).map { _ in rng.below(n + 1) }
        for from in starts {
            let ends = n <= 20 ? Array(from...n) : [from, min(from + 1, n), min(from + 17, n), (from + n) / 2, n]
            for to in ends {
                for level in levels {
                    let want = (from..<to).first { values[$0] >= level }
                    #expect(index.firstIndex(atLeast: level, from: from, to: to) == want,
                            "n \(n) from \(from) to \(to) level \(level)")
                }
            }
        }
    }

    /// Grid tallies equal the summary of the reference loop's trades at every
    /// point, and the before-split tallies equal a reference run on the rows
    /// before the split alone.
    @Test(arguments: SeriesKind.allCases)
    func gridTalliesEqualReferenceRuns(kind: SeriesKind) {
        for seed in 0..<3 as Range<UInt64> {
            let s = makeSeries(kind, count: 1500 + Int(seed) * 101, seed: seed)
            let entries = [-0.1, 0.2, 0.35, 0.4, 0.45, 0.5, 1, 10]
            let exits = [-0.2, 0, 0.05, 0.1, 0.2, 0.4]
            let (spotFee, futFee) = fees[Int(seed) % fees.count]
            let maxHours = [0.05, 0.5, 6][Int(seed) % 3]
            let split = s.count / 3
            let evaluation = withColumns(s) { columns in
                ThresholdGridSearch.evaluate(
                    FirstPassageBacktest(columns: columns, maxHours: maxHours, spotFee: spotFee, futFee: futFee),
                    entries: entries, exits: exits, rows: 0..<s.count, split: split)
            }
            #expect(evaluation.evaluated == entries.count * exits.count)
            #expect(!evaluation.stopped)
            var withTrades = 0
            for (e, entry) in entries.enumerated() {
                for (x, exit) in exits.enumerated() {
                    let rule = BacktestRule(entryThresholdPct: entry, exitThresholdPct: exit, maxHours: maxHours,
                                            spotFee: spotFee, futFee: futFee)
                    guard let point = evaluation.points[e * exits.count + x] else {
                        Issue.record("missing point \(entry), \(exit)")
                        continue
                    }
                    let want = referenceTally(s, rule, rows: 0..<s.count)
                    #expect(point.all == want, "\(s) \(rule)")
                    #expect(point.beforeSplit == referenceTally(s, rule, rows: 0..<split), "\(s) \(rule) split")
                    if want.trades > 0 { withTrades += 1 }
                }
            }
            if kind != .constantSpread { #expect(withTrades > entries.count, "grid should trade") }
        }
    }

    /// A stop request skips the remaining points and is reported.
    @Test func stopSkipsRemainingPoints() {
        let s = makeSeries(.randomWalk, count: 500, seed: 4)
        let evaluation = withColumns(s) { columns in
            ThresholdGridSearch.evaluate(FirstPassageBacktest(columns: columns, rule: BacktestRule()),
                                         entries: [0.3, 0.4, 0.5], exits: [0.1, 0.2], rows: 0..<s.count, split: 0,
                                         shouldStop: { true })
        }
        #expect(evaluation.stopped)
        #expect(evaluation.evaluated == 0)
        #expect(evaluation.points.allSatisfy { $0 == nil })
    }

    /// Masked-out points are not evaluated.
    @Test func maskSkipsPoints() {
        let s = makeSeries(.randomWalk, count: 500, seed: 5)
        let mask = [true, false, false, true]
        let evaluation = withColumns(s) { columns in
            ThresholdGridSearch.evaluate(FirstPassageBacktest(columns: columns, rule: BacktestRule()),
                                         entries: [0.3, 0.5], exits: [0.1, 0.2], rows: 0..<s.count, split: 0, mask: mask)
        }
        #expect(evaluation.points.map { $0 != nil } == mask)
        #expect(evaluation.evaluated == 2)
    }
}

/// Totals of the reference loop's trades over `rows` (a sub-series), in the
/// reference's own arithmetic.
func referenceTally(_ s: Series, _ rule: BacktestRule, rows: Range<Int>) -> TradeTally {
    var sub = Series(label: s.label)
    sub.t = Array(s.t[rows])
    sub.spotAsk = Array(s.spotAsk[rows])
    sub.spotBid = Array(s.spotBid[rows])
    sub.futAsk = Array(s.futAsk[rows])
    sub.futBid = Array(s.futBid[rows])
    var tally = TradeTally()
    for trade in reference(sub, rule).trades {
        let pnl = referenceNetPnlPct(sub, entry: trade.entry, exit: trade.exit, spotFee: rule.spotFee, futFee: rule.futFee)
        let hours = Double(sub.t[trade.exit] - sub.t[trade.entry]) / 1e9 / 3600
        tally.add(netPnlPct: pnl, hours: hours, reason: trade.reason == "timeout" ? .timeout : .profitTarget)
    }
    return tally
}
