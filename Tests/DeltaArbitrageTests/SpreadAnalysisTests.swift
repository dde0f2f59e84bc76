import Foundation
import SpreadKernels
import Testing
@testable import DeltaArbitrage

private let second: Int64 = 1_000_000_000
private let epoch: Int64 = 1_760_000_000 * second

/// Market data whose entry cost at row i is `100 − futBid[i]` (spot ask 100).
private func book(_ times: [Int64], futBids: [Double]) throws -> MarketData {
    let n = times.count
    return try MarketData(timestamps: times,
                          spotAskPrice: [Double](repeating: 100, count: n),
                          spotBidPrice: [Double](repeating: 99.9, count: n),
                          futAskPrice: futBids.map { $0 + 0.1 },
                          futBidPrice: futBids)
}

@Suite("Spread grid and analyzer")
struct SpreadAnalysisTests {
    /// Rows at 0 s, 0.5 s (twice), 2.7 s (twice) and 5 s: the grid at 1 s holds
    /// the last row at or before each whole second — the later duplicate, and
    /// the last row before each gap.
    @Test func asOfGridByHand() throws {
        let times = [0, second / 2, second / 2, 2 * second + 7 * second / 10, 2 * second + 7 * second / 10, 5 * second]
            .map { epoch + $0 }
        let bids: [Double] = [99.0, 99.1, 99.2, 99.3, 99.4, 99.5]
        let data = try book(times, futBids: bids)
        let e = bids.map { SpreadFormulas.entryCostPct(spotAsk: 100, futBid: $0) }

        let grid = try SpreadGrid.asOf(data, stepSeconds: 1)
        #expect(grid.startNanoseconds == epoch)
        #expect(grid.stepNanoseconds == second)
        // t = 0 1 2 3 4 5 s → rows 0, 2, 2, 4, 4, 5.
        #expect(grid.values == [e[0], e[2], e[2], e[4], e[4], e[5]])

        let coarse = try SpreadGrid.asOf(data, stepSeconds: 2)
        // t = 0 2 4 s (6 s is past the end) → rows 0, 2, 4.
        #expect(coarse.values == [e[0], e[2], e[4]])

        let fine = try SpreadGrid.asOf(data, stepSeconds: 0.5)
        #expect(fine.count == 11)
        #expect(fine.values[1] == e[2])   // 0.5 s: exactly on the duplicates
        #expect(fine.values[5] == e[2])   // 2.5 s: before 2.7 s
        #expect(fine.values[6] == e[4])   // 3.0 s
        #expect(fine.values[10] == e[5])  // 5.0 s

        let single = try SpreadGrid.asOf(try book([epoch], futBids: [99.7]), stepSeconds: 1)
        #expect(single.values == [SpreadFormulas.entryCostPct(spotAsk: 100, futBid: 99.7)])
    }

    @Test func gridRejectsBadInput() throws {
        let empty = try book([], futBids: [])
        #expect(throws: InsufficientDataError.self) { try SpreadGrid.asOf(empty) }
        let one = try book([epoch], futBids: [99])
        #expect(throws: ParameterValidationError.self) { try SpreadGrid.asOf(one, stepSeconds: 0) }
        #expect(throws: ParameterValidationError.self) { try SpreadGrid.asOf(one, stepSeconds: .nan) }
    }

    /// The analyzer on a fixture series (as a 1 s grid) reports exactly the
    /// kernels' results, which the kernel tests match against statsmodels.
    @Test func analyzerOnFixtureGrid() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/stats/level_shifts.json")
        struct Fixture: Decodable {
            var series: [Double]; var mean: Double; var std: Double; var acf: [Double]
            struct ADF: Decodable { var statistic: Double; var p_value: Double; var used_lag: Int; var nobs: Int }
            var adf: ADF
            struct Blocks: Decodable { var breakpoints: [Int]; var penalty: Double }
            var blocks: Blocks
        }
        let f = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        let grid = SpreadGrid(startNanoseconds: epoch, stepNanoseconds: second, values: f.series)
        let report = try SpreadAnalyzer.analyze(grid: grid)
        let a = report.spreadAnalysis
        #expect(abs(a.meanSpread - f.mean) <= 1e-8 * abs(f.mean))
        #expect(abs(a.stdSpread - f.std) <= 1e-8 * abs(f.std))
        #expect(a.autocorrelation.count == 51)
        #expect(zip(a.autocorrelation, f.acf).allSatisfy { abs($0 - $1) <= 1e-8 * max(abs($1), 1e-4) })
        #expect(Set(a.percentiles.keys) == [1, 5, 10, 25, 50, 75, 90, 95, 99])
        #expect(a.regimeChanges == f.blocks.breakpoints.count - 1)
        #expect(report.details.regimeBreakpoints == f.blocks.breakpoints)
        #expect(report.details.adfUsedLag == f.adf.used_lag)
        #expect(report.details.adfNobs == f.adf.nobs)
        #expect(report.details.gridPoints == f.series.count)
        #expect(report.details.gridStepSeconds == 1)
        #expect(abs(report.meanReversion.adfStatistic - f.adf.statistic) <= 1e-8 * abs(f.adf.statistic))
        #expect(a.halfLifeHours.isFinite && a.halfLifeHours > 0)
        #expect(a.halfLifeHours == report.meanReversion.halfLife)
    }

    @Test func analyzerOnMarketData() throws {
        // 10 minutes of 250 ms ticks of a mean-reverting spread.
        var state: UInt64 = 42
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53) - 0.5
        }
        var bids: [Double] = []
        var level = 0.0
        for _ in 0..<2400 {
            level = 0.95 * level + 0.02 * uniform()
            bids.append(99.9 + level)
        }
        let times = (0..<2400).map { epoch + Int64($0) * second / 4 }
        let report = try SpreadAnalyzer.analyze(try book(times, futBids: bids))
        #expect(report.details.gridPoints == 600)   // 0 … 599 s
        #expect(report.details.regimeBlocks == 10)
        #expect(report.spreadAnalysis.autocorrelation.first == 1)
        #expect(report.meanReversion.pValue < 0.05)
        #expect(report.spreadAnalysis.halfLifeHours.isFinite)
    }

    @Test func tooFewGridPointsThrowsInsufficientData() throws {
        let times = (0..<100).map { epoch + Int64($0) * second }
        let bids = (0..<100).map { 99.9 + 0.001 * Double($0 % 7) }
        let data = try book(times, futBids: bids)
        #expect(throws: InsufficientDataError(
            operation: "analyzeSpread", required: 120, available: 100,
            detail: "grid points at 1.0 s spacing; the statistics need 50 autocorrelation lags and two 60-sample regime blocks")) {
            try SpreadAnalyzer.analyze(data)
        }
        // Constant spread: a clear InsufficientDataError, not a trap.
        let flat = try book((0..<300).map { epoch + Int64($0) * second }, futBids: [Double](repeating: 99.9, count: 300))
        do {
            _ = try SpreadAnalyzer.analyze(flat)
            Issue.record("constant spread should throw")
        } catch let error as InsufficientDataError {
            #expect(error.detail.contains("constant"))
        }
    }

    @Test func jsonEncodesInfiniteHalfLifeAsNull() throws {
        let analysis = SpreadAnalysis(meanSpread: 0.1, stdSpread: 0.02,
                                      percentiles: [1: 0.05, 5: 0.06, 10: 0.07, 25: 0.08, 50: 0.1, 75: 0.12, 90: 0.13, 95: 0.14, 99: 0.15],
                                      autocorrelation: [1, 0.5, 0.25], halfLifeHours: .infinity, regimeChanges: 3)
        let metrics = MeanReversionMetrics(halfLife: .infinity, reversionSpeed: 0, longTermMean: .nan,
                                           volatilityClustering: true, adfStatistic: -1.2, pValue: 0.67)
        let encoder = makeJSONEncoder(pretty: false)
        let a = try JSONSerialization.jsonObject(with: encoder.encode(analysis)) as? [String: Any]
        #expect(a?["half_life_hours"] is NSNull)
        #expect(a?["regime_changes"] as? Int == 3)
        #expect(a?["mean_spread"] as? Double == 0.1)
        let p = a?["percentiles"] as? [String: Any]
        #expect(Set(p?.keys.map { $0 } ?? []) == ["1", "5", "10", "25", "50", "75", "90", "95", "99"])
        #expect(p?["50"] as? Double == 0.1)
        let m = try JSONSerialization.jsonObject(with: encoder.encode(metrics)) as? [String: Any]
        #expect(m?["half_life"] is NSNull)
        #expect(m?["long_term_mean"] is NSNull)
        #expect(m?["reversion_speed"] as? Double == 0)
        #expect(m?["volatility_clustering"] as? Bool == true)
        #expect(Set(m?.keys.map { $0 } ?? []) == ["half_life", "reversion_speed", "long_term_mean", "volatility_clustering",
                                                  "adf_statistic", "p_value"])
        // Round trip: null half-life reads back as +∞.
        let back = try JSONDecoder().decode(SpreadAnalysis.self, from: encoder.encode(analysis))
        #expect(back == analysis)
        let backMetrics = try JSONDecoder().decode(MeanReversionMetrics.self, from: encoder.encode(metrics))
        #expect(backMetrics.halfLife == .infinity)
        #expect(backMetrics.longTermMean.isNaN)
    }

    @Test func reportJSONHasSnakeCaseSections() throws {
        let times = (0..<600).map { epoch + Int64($0) * second }
        // A sine plus hashed noise (a purely deterministic recurrence would make
        // the ADF lag design exactly collinear).
        let bids: [Double] = (0..<600).map { (i: Int) -> Double in
            let wave: Double = 0.01 * sin(Double(i) / 7)
            let hash = (UInt64(i) &* 0x9E37_79B9_7F4A_7C15) >> 40
            return 99.9 + wave + 0.001 * Double(hash) / Double(1 << 24)
        }
        let report = try SpreadAnalyzer.analyze(try book(times, futBids: bids))
        let object = try JSONSerialization.jsonObject(with: makeJSONEncoder().encode(report)) as? [String: Any]
        #expect(Set(object?.keys.map { $0 } ?? []) == ["spread_analysis", "mean_reversion", "details"])
        let details = object?["details"] as? [String: Any]
        for key in ["adf_used_lag", "adf_nobs", "adf_critical_values", "arch_lm_statistic", "arch_lm_p_value",
                    "grid_step_seconds", "grid_points"] {
            #expect(details?[key] != nil, "missing \(key)")
        }
        // Keyed by significance level as statsmodels does, not as `_pct` fields (they are τ values, not percentages).
        let critical = details?["adf_critical_values"] as? [String: Double]
        #expect(Set(critical?.keys.map { $0 } ?? []) == ["1%", "5%", "10%"])
        #expect(critical?["5%"].map { abs($0 - report.details.adfCriticalValue5Pct) < 1e-12 } == true)
        let back = try JSONDecoder().decode(SpreadReport.self, from: makeJSONEncoder().encode(report))
        #expect(back == report)
    }
}
