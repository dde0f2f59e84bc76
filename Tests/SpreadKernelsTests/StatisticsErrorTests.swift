import Testing
import SpreadKernels
#if canImport(Glibc)
import Glibc
#endif

/// Degenerate input gets a typed `StatisticsError`, never a trap.
@Suite("Statistics: degenerate input")
struct StatisticsErrorTests {
    static let constant = [Double](repeating: 0.25, count: 300)
    static let short: [Double] = [0.1, 0.3, 0.2]
    static var withNaN: [Double] {
        var x = (0..<300).map { Double($0 % 7) * 0.01 }
        x[123] = .nan
        return x
    }

    @Test func emptyAndShort() throws {
        let empty: [Double] = []
        #expect(throws: StatisticsError.tooFewObservations(needed: 1, got: 0)) {
            try empty.withUnsafeBufferPointer { try Descriptive.mean($0) }
        }
        #expect(throws: StatisticsError.tooFewObservations(needed: 2, got: 1)) {
            try [1.0].withUnsafeBufferPointer { try Descriptive.sampleStandardDeviation($0) }
        }
        #expect(throws: StatisticsError.tooFewObservations(needed: 51, got: 3)) {
            try Self.short.withUnsafeBufferPointer { try Autocorrelation.autocorrelation($0, maxLag: 50) }
        }
        #expect(throws: StatisticsError.tooFewObservations(needed: 4, got: 3)) { try AugmentedDickeyFuller.test(Self.short) }
        #expect(throws: StatisticsError.tooFewObservations(needed: 4, got: 3)) { try AutoRegression.ar1(Self.short) }
        #expect(throws: StatisticsError.tooFewObservations(needed: 12, got: 3)) { try ArchLM.test(Self.short, lags: 5) }
        #expect(throws: StatisticsError.tooFewObservations(needed: 2, got: 1)) { try ChangePoints.pelt([1.0], penalty: 1) }
        // A lag the series cannot support (statsmodels: maxlag ≤ n/2 − 2).
        let x = (0..<20).map { Double($0 % 3) }
        #expect(throws: StatisticsError.tooFewObservations(needed: 2 * 9 + 4, got: 20)) {
            try AugmentedDickeyFuller.test(x, maxLag: 9)
        }
    }

    @Test func constantSeries() {
        let c = Self.constant
        #expect(throws: StatisticsError.constantSeries) {
            try c.withUnsafeBufferPointer { try Autocorrelation.autocorrelation($0, maxLag: 50) }
        }
        #expect(throws: StatisticsError.constantSeries) { try AugmentedDickeyFuller.test(c) }
        #expect(throws: StatisticsError.constantSeries) { try AutoRegression.ar1(c) }
        #expect(throws: StatisticsError.constantSeries) { try ArchLM.test(c, lags: 5) }
        // Descriptive statistics and PELT are defined on a constant series.
        #expect((try? c.withUnsafeBufferPointer { try Descriptive.sampleStandardDeviation($0) }) == 0)
        #expect((try? ChangePoints.pelt(c, penalty: 0)) == [300])
        #expect((try? c.withUnsafeBufferPointer { try ChangePoints.regimePenalty(blockMeans: $0) }) == 0)
    }

    @Test func nonFinite() {
        let x = Self.withNaN
        #expect(throws: StatisticsError.nonFinite(index: 123)) { try x.withUnsafeBufferPointer { try Descriptive.mean($0) } }
        #expect(throws: StatisticsError.nonFinite(index: 123)) {
            try x.withUnsafeBufferPointer { try Descriptive.percentiles($0) }
        }
        #expect(throws: StatisticsError.nonFinite(index: 123)) {
            try x.withUnsafeBufferPointer { try Autocorrelation.autocorrelation($0, maxLag: 5) }
        }
        #expect(throws: StatisticsError.nonFinite(index: 123)) { try AugmentedDickeyFuller.test(x) }
        #expect(throws: StatisticsError.nonFinite(index: 123)) { try AutoRegression.ar1(x) }
        #expect(throws: StatisticsError.nonFinite(index: 123)) { try ArchLM.test(x) }
        #expect(throws: StatisticsError.nonFinite(index: 123)) { try ChangePoints.pelt(x, penalty: 1) }
        var inf = x
        inf[123] = 1
        inf[7] = -.infinity
        #expect(throws: StatisticsError.nonFinite(index: 7)) { try AugmentedDickeyFuller.test(inf) }
    }

    @Test func singularDesign() {
        // Two identical columns.
        let column = (0..<10).map { Double($0 * $0 % 7) }
        let design = [Double](repeating: 1, count: 10) + column + column
        let y = (0..<10).map { Double($0) }
        #expect(throws: StatisticsError.singularDesign) { try LeastSquares.ols(design: design, rows: 10, columns: 3, response: y) }
        // AR(1) whose lagged level is constant although the last value moves.
        let flatThenJump: [Double] = [1, 1, 1, 1, 1, 2]
        #expect(throws: StatisticsError.singularDesign) { try AutoRegression.ar1(flatThenJump) }
    }

    @Test func invalidParameters() {
        let x = (0..<100).map { Double($0 % 10) }
        #expect(throws: StatisticsError.self) { try ChangePoints.pelt(x, penalty: -1) }
        #expect(throws: StatisticsError.self) { try ChangePoints.pelt(x, penalty: .nan) }
        #expect(throws: StatisticsError.self) { try ChangePoints.pelt(x, penalty: 1, minSize: 0) }
        #expect(throws: StatisticsError.self) { try x.withUnsafeBufferPointer { try ChangePoints.blockMeans($0, blockSize: 0) } }
        #expect(throws: StatisticsError.self) { try x.withUnsafeBufferPointer { try Descriptive.percentiles($0, levels: [101]) } }
        #expect(throws: StatisticsError.self) { try ArchLM.test(x, lags: 0) }
        #expect(throws: StatisticsError.self) { try AugmentedDickeyFuller.test(x, maxLag: -1) }
    }

    @Test func blockMeansDropTrailingPartialBlock() throws {
        let x = (0..<130).map(Double.init)
        let means = try x.withUnsafeBufferPointer { try ChangePoints.blockMeans($0, blockSize: 60) }
        #expect(means == [29.5, 89.5])
    }

    @Test func penaltyFallsBackWhenMADIsZero() throws {
        // Flat block means with two jumps: more than half the differences are 0.
        let means: [Double] = [1, 1, 1, 1, 1, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 0]
        let sigma = try means.withUnsafeBufferPointer { try ChangePoints.differenceNoiseScale($0) }
        // std (ddof = 1) of d = [0,0,0,0,2,0,0,0,0,0,-3,0,0,0,0] over √2.
        let d: [Double] = [0, 0, 0, 0, 2, 0, 0, 0, 0, 0, -3, 0, 0, 0, 0]
        let m = d.reduce(0, +) / 15
        let sd = (d.map { ($0 - m) * ($0 - m) }.reduce(0, +) / 14).squareRoot()
        #expect(abs(sigma - sd / 2.0.squareRoot()) < 1e-15)
        let penalty = try means.withUnsafeBufferPointer { try ChangePoints.regimePenalty(blockMeans: $0) }
        #expect(try ChangePoints.pelt(means, penalty: penalty) == [5, 11, 16])
    }

    @Test func halfLifeRules() {
        let reverting = AR1Fit(alpha: 0.01, beta: -0.1, standardErrors: [], residuals: [])
        let r = reverting.meanReversion(gridStepSeconds: 1)
        #expect(isClose(r.halfLifeHours, -0.6931471805599453 / log(0.9) * (1.0 / 3600), relative: 1e-14))
        #expect(isClose(r.reversionSpeedPerHour, -log(0.9) * 3600, relative: 1e-14))
        #expect(isClose(r.longTermMean, 0.1, relative: 1e-15))
        #expect(r.isMeanReverting)
        for beta in [0.0, 0.2, -1.0, -1.5] {
            let p = AR1Fit(alpha: 0.01, beta: beta, standardErrors: [], residuals: []).meanReversion(gridStepSeconds: 1)
            #expect(p.halfLifeHours == .infinity)
            #expect(p.reversionSpeedPerHour == 0)
            #expect(!p.isMeanReverting)
        }
    }
}

