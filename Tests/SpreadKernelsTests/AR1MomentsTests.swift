import Testing
import SpreadKernels
#if canImport(Glibc)
import Glibc
#endif

@Suite("Streaming AR(1) moments")
struct AR1MomentsTests {
    /// Coefficients, standard error, mean and deviation agree with the QR
    /// regression and the two-pass moments, on series far from zero (where a
    /// naive sum of squares would lose digits) and across reversion speeds.
    @Test(arguments: [(0.35, 0.99), (-1200.5, 0.5), (0.0, 0.9999), (1e6, 0.95)] as [(Double, Double)])
    func agreesWithQR(level: Double, phi: Double) throws {
        var rng = TestRNG(UInt64(abs(level) + 7))
        var s: [Double] = []
        var x = 0.0
        for _ in 0..<20_000 {
            x = phi * x + 0.01 * rng.normal()
            s.append(level + x)
        }
        var moments = AR1Moments()
        for v in s { moments.add(v) }
        let qr = try AutoRegression.ar1(s)
        let fit = try #require(moments.fit)
        func close(_ a: Double, _ b: Double, _ tol: Double = 1e-7) -> Bool { abs(a - b) <= tol * max(abs(b), 1e-300) }
        #expect(close(fit.beta, qr.beta), "beta \(fit.beta) vs \(qr.beta)")
        #expect(close(fit.alpha, qr.alpha, 1e-6), "alpha \(fit.alpha) vs \(qr.alpha)")
        #expect(close(fit.betaStandardError, qr.standardErrors[1]), "se \(fit.betaStandardError) vs \(qr.standardErrors[1])")
        #expect(close(moments.mean, try s.withUnsafeBufferPointer { try Descriptive.mean($0) }, 1e-12))
        #expect(close(moments.sampleStandardDeviation,
                      try s.withUnsafeBufferPointer { try Descriptive.sampleStandardDeviation($0) }, 1e-7))
        #expect(moments.count == s.count)
    }

    @Test func degenerateSeriesHaveNoFit() {
        var constant = AR1Moments()
        for _ in 0..<100 { constant.add(0.5) }
        #expect(constant.fit == nil)
        #expect(constant.dickeyFullerStatistic.isNaN)
        #expect(constant.sampleStandardDeviation == 0)
        var short = AR1Moments()
        for v in [1.0, 2, 3] { short.add(v) }
        #expect(short.fit == nil)
        #expect(AR1Moments().mean.isNaN)
    }
}
