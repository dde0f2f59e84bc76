import Testing
@testable import SpreadKernels

@Suite("Timeout cut-off")
struct TimeoutCutoffTests {
    /// The integer cut-off is the first elapsed time whose hours reach the limit,
    /// for limits that are and are not whole nanoseconds.
    @Test(arguments: [6.0, 0.5, 1e-9, 1.0 / 3.0, 123.456789, 0.1 + 0.2, 2.0.nextUp, 1e5])
    func cutoffIsTheFirstQualifyingNanosecond(maxHours: Double) {
        let cutoff = SpreadFormulas.timeoutCutoffNanoseconds(maxHours: maxHours)
        #expect(SpreadFormulas.hours(fromNanoseconds: cutoff) >= maxHours)
        #expect(cutoff == 0 || SpreadFormulas.hours(fromNanoseconds: cutoff - 1) < maxHours)
    }

    @Test func degenerateLimits() {
        #expect(SpreadFormulas.timeoutCutoffNanoseconds(maxHours: .infinity) == .max)
        #expect(SpreadFormulas.timeoutCutoffNanoseconds(maxHours: .nan) == .max)
        #expect(SpreadFormulas.timeoutCutoffNanoseconds(maxHours: 0) == 0)
        #expect(SpreadFormulas.timeoutCutoffNanoseconds(maxHours: -3) == 0)
    }

    /// Each row's hold-limit distance is the linear search's, across chunk
    /// boundaries, with runs of equal times, for limits that tie with an
    /// elapsed time and for limits no row reaches.
    @Test(arguments: [1, 3, 16, 1000])
    func holdLimitDistancesEqualALinearSearch(chunk: Int) {
        for kind in SeriesKind.allCases {
            let s = makeSeries(kind, count: 700, seed: UInt64(chunk))
            let span = s.t[s.count - 1] - s.t[0]
            for cutoff in [0, 1, s.t[300] - s.t[100], (s.t[300] - s.t[100]) + 1, span, span + 1, .max] as [Int64] {
                let distances = s.t.withUnsafeBufferPointer {
                    FirstPassageBacktest.holdLimitDistances($0, cutoff: cutoff, chunk: chunk)
                }
                for e in s.t.indices {
                    let r = s.t[e...].firstIndex { $0 - s.t[e] >= cutoff }
                    #expect(distances[e] == r.map { UInt32($0 - e) } ?? .max, "\(s) cutoff \(cutoff) row \(e)")
                }
            }
        }
    }

    /// A carried position whose entry row is not a row of this index (from
    /// another slice, or out of range) times out by its entry time alone,
    /// exactly as one whose row is known.
    @Test(arguments: SeriesKind.allCases)
    func positionsFromElsewhereTimeOutByTheirTime(kind: SeriesKind) {
        let s = makeSeries(kind, count: 1500, seed: 9)
        withColumns(s) { columns in
            for maxHours in [0.05, 0.2, 2.0] {
                let index = FirstPassageBacktest(columns: columns, maxHours: maxHours, spotFee: 0.0005, futFee: 0.0005)
                for e in stride(from: 0, to: s.count - 1, by: 37) {
                    let known = OpenPosition(entryIndex: e, entryTime: s.t[e], entrySpotAsk: s.spotAsk[e], entryFutBid: s.futBid[e])
                    func exits(_ held: OpenPosition) -> [Int] {
                        var out: [Int] = []
                        let open = index.forEachTrade(entryThresholdPct: 0.3, exitThresholdPct: 0.4, rows: e + 1..<s.count,
                                                      from: held) { out.append($0.exitIndex * 2 + ($0.reason == .timeout ? 1 : 0)) }
                        return out + [open == nil ? -1 : -2]
                    }
                    let expected = exits(known)
                    for entryIndex in [-3, e + 1, s.count + 5] {
                        var foreign = known
                        foreign.entryIndex = entryIndex
                        #expect(exits(foreign) == expected, "\(s) max hours \(maxHours) entry \(e) as \(entryIndex)")
                    }
                }
            }
        }
    }
}
