import Testing
import SpreadKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Kernel vs `referenceBacktest`, trade for trade, on generated series and on
// thresholds built to tie exactly with values the formulas produce.

/// SplitMix64: tiny, deterministic, good enough to make test series.
struct TestRNG {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    /// Box–Muller; one variate per call is plenty here.
    mutating func normal() -> Double {
        let u = 1 - unit(), v = unit()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}

enum SeriesKind: String, CaseIterable, Sendable {
    /// GBM-ish mid, mean-reverting basis, irregular gaps (some zero).
    case randomWalk
    /// Prices on a 0.5 tick grid: many rows with identical costs and P&L.
    case coarseTicks
    /// Every row the same book: only timeouts can close.
    case constantSpread
    /// Bursts of rows sharing one timestamp.
    case equalTimestamps
}

func makeSeries(_ kind: SeriesKind, count n: Int, seed: UInt64) -> Series {
    var rng = TestRNG(seed &* 31 &+ UInt64(n))
    var s = Series(label: "\(kind.rawValue) seed \(seed)")
    var time: Int64 = 1_700_000_000_000_000_000
    var mid = 100.0
    var basis = -0.004
    for i in 0..<n {
        switch kind {
        case .equalTimestamps:
            if rng.below(4) == 0 { time += Int64(rng.below(120_000)) * 1_000_000 }
        case .constantSpread:
            time += Int64(rng.below(600)) * 1_000_000_000
        default:
            let gaps: [Int64] = [0, 1_000_000, 1_000_000_000, Int64(rng.below(60_000)) * 1_000_000]
            if i > 0 { time += gaps[rng.below(gaps.count)] }
        }
        s.t.append(time)
        if kind != .constantSpread {
            mid *= exp(0.0008 * rng.normal())
            basis = -0.004 + 0.95 * (basis + 0.004) + 0.0012 * rng.normal()
        }
        let hs = kind == .constantSpread ? 0.0001 : 0.0002 * rng.unit()
        let hf = kind == .constantSpread ? 0.0001 : 0.0002 * rng.unit()
        let fut = mid * (1 + basis)
        var sa = mid * (1 + hs), sb = mid * (1 - hs), fa = fut * (1 + hf), fb = fut * (1 - hf)
        if kind == .coarseTicks {
            sa = (sa * 2).rounded(.up) / 2
            sb = (sb * 2).rounded(.down) / 2
            fa = (fa * 2).rounded(.up) / 2
            fb = (fb * 2).rounded(.down) / 2
        }
        s.spotAsk.append(sa)
        s.spotBid.append(sb)
        s.futAsk.append(fa)
        s.futBid.append(fb)
    }
    return s
}

func withColumns<R>(_ s: Series, _ body: (BookColumns) -> R) -> R {
    s.t.withUnsafeBufferPointer { t in
        s.spotAsk.withUnsafeBufferPointer { sa in
            s.spotBid.withUnsafeBufferPointer { sb in
                s.futAsk.withUnsafeBufferPointer { fa in
                    s.futBid.withUnsafeBufferPointer { fb in
                        body(BookColumns(timestamps: t, spotAsk: sa, spotBid: sb, futAsk: fa, futBid: fb))
                    }
                }
            }
        }
    }
}

/// The kernel's answer in the reference's terms; `cuts` splits the rows into
/// consecutive ranges run one after another, carrying the open position.
func kernelBacktest(_ s: Series, _ rule: BacktestRule, cuts: [Int] = []) -> (trades: [ReferenceTrade], openEntry: Int?) {
    withColumns(s) { columns in
        var indices: [TradeIndices] = []
        var open: OpenPosition?
        var start = 0
        for end in cuts + [s.count] {
            open = BacktestKernel.run(columns, rule: rule, rows: start..<end, from: open, trades: &indices)
            start = end
        }
        return (indices.map { ReferenceTrade(entry: $0.entryIndex, exit: $0.exitIndex, reason: $0.reason.rawValue) },
                open?.entryIndex)
    }
}

/// The same through `FirstPassageBacktest` (the grid search's index).
func firstPassageBacktest(_ s: Series, _ rule: BacktestRule, cuts: [Int] = []) -> (trades: [ReferenceTrade], openEntry: Int?) {
    withColumns(s) { columns in
        let index = FirstPassageBacktest(columns: columns, rule: rule)
        var indices: [TradeIndices] = []
        var open: OpenPosition?
        var start = 0
        for end in cuts + [s.count] {
            open = index.forEachTrade(entryThresholdPct: rule.entryThresholdPct, exitThresholdPct: rule.exitThresholdPct,
                                      rows: start..<end, from: open) { indices.append($0) }
            start = end
        }
        return (indices.map { ReferenceTrade(entry: $0.entryIndex, exit: $0.exitIndex, reason: $0.reason.rawValue) },
                open?.entryIndex)
    }
}

func reference(_ s: Series, _ rule: BacktestRule) -> (trades: [ReferenceTrade], openEntry: Int?) {
    referenceBacktest(s, maxEntryCostPct: rule.entryThresholdPct, minProfitPct: rule.exitThresholdPct,
                      maxHours: rule.maxHours, spotFee: rule.spotFee, futFee: rule.futFee)
}

/// Expects identical trades and open position; returns the number of trades.
@discardableResult
func expectParity(_ s: Series, _ rule: BacktestRule, sourceLocation: SourceLocation = #_sourceLocation) -> Int {
    let want = reference(s, rule)
    let got = kernelBacktest(s, rule)
    #expect(got.trades == want.trades, "\(s) \(rule)", sourceLocation: sourceLocation)
    #expect(got.openEntry == want.openEntry, "\(s) \(rule)", sourceLocation: sourceLocation)
    let indexed = firstPassageBacktest(s, rule)
    #expect(indexed.trades == want.trades, "first-passage \(s) \(rule)", sourceLocation: sourceLocation)
    #expect(indexed.openEntry == want.openEntry, "first-passage \(s) \(rule)", sourceLocation: sourceLocation)
    return want.trades.count
}

/// Entry thresholds that sit exactly on, just below and just above costs
/// that occur in the series, plus a few round values.
func entryThresholds(_ s: Series, rng: inout TestRNG) -> [Double] {
    var out: [Double] = [-1, 0, 0.3, 0.5, 1, .infinity]
    for _ in 0..<min(s.count, 4) {
        let c = referenceEntryCostPct(s, rng.below(s.count))
        out += [c, c.nextUp, c.nextDown]
    }
    return out
}

let fees: [(Double, Double)] = [(0.0005, 0.0005), (0, 0), (0.001, 0.0002)]

@Suite("Kernel and first-passage index parity with the row-by-row reference")
struct BacktestParityTests {
    @Test(arguments: [0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 64, 65, 200, 3001])
    func randomWalkLengths(count: Int) {
        for seed in 0..<6 as Range<UInt64> {
            for kind in SeriesKind.allCases {
                let s = makeSeries(kind, count: count, seed: seed)
                var rng = TestRNG(seed)
                let entries = count > 0 ? entryThresholds(s, rng: &rng) : [0.5]
                for entry in entries {
                    for exit in [-0.5, -0.1, 0, 0.1, 0.3] {
                        for maxHours in [0.001, 0.25, 6] {
                            let (spotFee, futFee) = fees[rng.below(fees.count)]
                            expectParity(s, BacktestRule(entryThresholdPct: entry, exitThresholdPct: exit,
                                                         maxHours: maxHours, spotFee: spotFee, futFee: futFee))
                        }
                    }
                }
            }
        }
    }

    /// Exit thresholds equal to a P&L the held position actually reaches,
    /// and their neighbours: `>=` must take the exact value and nothing below.
    @Test(arguments: SeriesKind.allCases)
    func exitThresholdTies(kind: SeriesKind) {
        var tiesHit = 0
        for seed in 0..<20 as Range<UInt64> {
            let s = makeSeries(kind, count: 400 + Int(seed), seed: seed)
            var rng = TestRNG(seed ^ 0xABCD)
            let (spotFee, futFee) = fees[rng.below(fees.count)]
            // Enter at the first row, then pick later rows and use their P&L.
            let entryRule = BacktestRule(entryThresholdPct: .infinity, exitThresholdPct: .infinity,
                                         maxHours: .infinity, spotFee: spotFee, futFee: futFee)
            guard let entry = reference(s, entryRule).openEntry else { continue }
            for _ in 0..<6 {
                let exitRow = entry + 1 + rng.below(s.count - entry - 1)
                let pnl = referenceNetPnlPct(s, entry: entry, exit: exitRow, spotFee: spotFee, futFee: futFee)
                for threshold in [pnl, pnl.nextUp, pnl.nextDown] {
                    let rule = BacktestRule(entryThresholdPct: 10, exitThresholdPct: threshold,
                                            maxHours: 1000, spotFee: spotFee, futFee: futFee)
                    expectParity(s, rule)
                    if threshold == pnl, let first = reference(s, rule).trades.first, first.exit <= exitRow {
                        tiesHit += 1
                    }
                }
            }
        }
        #expect(tiesHit > 0, "the exact thresholds should close positions")
    }

    /// Hold limits equal to an elapsed time between two rows, and neighbours.
    @Test(arguments: SeriesKind.allCases)
    func maxHoursTies(kind: SeriesKind) {
        for seed in 0..<20 as Range<UInt64> {
            let s = makeSeries(kind, count: 300 + 7 * Int(seed), seed: seed)
            var rng = TestRNG(seed ^ 0x1234)
            for _ in 0..<6 {
                let j = rng.below(s.count - 1)
                let i = j + 1 + rng.below(s.count - j - 1)
                let hours = Double(s.t[i] - s.t[j]) / 1e9 / 3600
                guard hours > 0 else { continue }
                for maxHours in [hours, hours.nextUp, hours.nextDown] {
                    // Entries always, profit never: every trade is a timeout.
                    expectParity(s, BacktestRule(entryThresholdPct: 10, exitThresholdPct: 100, maxHours: maxHours))
                    expectParity(s, BacktestRule(entryThresholdPct: 0.4, exitThresholdPct: 0.05, maxHours: maxHours))
                }
            }
        }
    }

    /// A threshold equal to the entry cost of a given row must not open there
    /// (strict `<`), and its next representable value up must.
    @Test func entryThresholdTieIsStrict() {
        let s = makeSeries(.randomWalk, count: 50, seed: 3)
        let cost = referenceEntryCostPct(s, 0)
        let at = kernelBacktest(s, BacktestRule(entryThresholdPct: cost, exitThresholdPct: 100, maxHours: 1e9))
        let above = kernelBacktest(s, BacktestRule(entryThresholdPct: cost.nextUp, exitThresholdPct: 100, maxHours: 1e9))
        #expect(at.openEntry != 0)
        #expect(above.openEntry == 0)
    }

    /// Running over consecutive row ranges, carrying the open position,
    /// is the same as one run over the whole range.
    @Test(arguments: SeriesKind.allCases)
    func splitRunsEqualOneRun(kind: SeriesKind) {
        for seed in 0..<8 as Range<UInt64> {
            let s = makeSeries(kind, count: 1000 + Int(seed) * 13, seed: seed)
            var rng = TestRNG(seed ^ 0x5151)
            for rule in [BacktestRule(), BacktestRule(entryThresholdPct: 0.45, exitThresholdPct: 0.05, maxHours: 0.2),
                         BacktestRule(entryThresholdPct: 1, exitThresholdPct: -0.2, maxHours: 0.01)] {
                let whole = kernelBacktest(s, rule)
                #expect(whole.trades == reference(s, rule).trades)
                for _ in 0..<5 {
                    var cuts = (0..<(1 + rng.below(8))).map { _ in rng.below(s.count + 1) }
                    cuts += [0, s.count]  // empty ranges at both ends
                    cuts.sort()
                    let split = kernelBacktest(s, rule, cuts: cuts)
                    #expect(split.trades == whole.trades, "\(s) cuts \(cuts)")
                    #expect(split.openEntry == whole.openEntry, "\(s) cuts \(cuts)")
                    let indexed = firstPassageBacktest(s, rule, cuts: cuts)
                    #expect(indexed.trades == whole.trades, "first-passage \(s) cuts \(cuts)")
                    #expect(indexed.openEntry == whole.openEntry, "first-passage \(s) cuts \(cuts)")
                }
                // Every single-row range.
                let everyRow = kernelBacktest(s, rule, cuts: Array(0..<s.count))
                #expect(everyRow.trades == whole.trades)
                #expect(everyRow.openEntry == whole.openEntry)
            }
        }
    }

    /// The generated series must exercise both exit reasons, or parity is vacuous.
    @Test func seriesProduceBothExitReasons() {
        let s = makeSeries(.randomWalk, count: 3001, seed: 1)
        let trades = reference(s, BacktestRule(entryThresholdPct: 0.45, exitThresholdPct: 0.05, maxHours: 0.25)).trades
        #expect(trades.contains { $0.reason == "profit_target" })
        #expect(trades.contains { $0.reason == "timeout" })
    }

    /// Timeouts in the kernel are an integer comparison against a cutoff;
    /// check that equivalence directly around many hold limits.
    @Test func timeoutCutoffMatchesHoursFormula() {
        var rng = TestRNG(99)
        for _ in 0..<2000 {
            let maxHours = [rng.unit() * 10, rng.unit() * 1e-3, Double(rng.below(48)) / 4][rng.below(3)]
            guard maxHours > 0 else { continue }
            let cutoff = SpreadFormulas.timeoutCutoffNanoseconds(maxHours: maxHours)
            #expect(Double(cutoff) / 1e9 / 3600 >= maxHours)
            #expect(Double(cutoff - 1) / 1e9 / 3600 < maxHours)
        }
    }
}
