import Testing
import SpreadKernels

@Suite("Least squares")
struct LeastSquaresTests {
    /// One Householder QR serves every leading-column sub-model: its SSR tail,
    /// coefficients and standard errors equal separate fits of each subset.
    @Test func nestedModelsShareOneFactorisation() throws {
        let rows = 200, columns = 6
        var state: UInt64 = 7
        func noise() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53) - 0.5
        }
        var design = [Double](repeating: 1, count: rows)
        for _ in 1..<columns { design += (0..<rows).map { _ in noise() } }
        let y = (0..<rows).map { i in 0.3 + 2 * design[rows + i] - design[2 * rows + i] + 0.1 * noise() }
        let qr = try design.withUnsafeBufferPointer { d in
            try y.withUnsafeBufferPointer { try HouseholderQR(design: d, rows: rows, columns: columns, response: $0) }
        }
        for k in 1...columns {
            let sub = Array(design[0..<(k * rows)])
            let fit = try LeastSquares.ols(design: sub, rows: rows, columns: k, response: y)
            #expect(isClose(qr.residualSumOfSquares(leadingColumns: k), fit.sumOfSquaredResiduals, relative: 1e-12))
            #expect(worst(try qr.coefficients(leadingColumns: k), fit.coefficients) <= 1e-12)
            let gram = try qr.inverseGramDiagonal(leadingColumns: k)
            let scale = fit.sumOfSquaredResiduals / Double(rows - k)
            #expect(worst(gram.map { ($0 * scale).squareRoot() }, fit.standardErrors) <= 1e-12)
        }
    }

    @Test func exactFitRecoversCoefficients() throws {
        // y = 1 + 2x exactly, plus one perturbed row so SSR > 0.
        let x: [Double] = [0, 1, 2, 3, 4, 5]
        var y = x.map { 1 + 2 * $0 }
        y[5] += 0.6
        let fit = try LeastSquares.ols(design: [Double](repeating: 1, count: 6) + x, rows: 6, columns: 2, response: y)
        // Closed form for simple regression.
        let mx = 2.5, my = y.reduce(0, +) / 6
        let sxy = zip(x, y).map { ($0 - mx) * ($1 - my) }.reduce(0, +)
        let sxx = x.map { ($0 - mx) * ($0 - mx) }.reduce(0, +)
        #expect(isClose(fit.coefficients[1], sxy / sxx, relative: 1e-13))
        #expect(isClose(fit.coefficients[0], my - sxy / sxx * mx, relative: 1e-13))
        #expect(fit.residualDegreesOfFreedom == 4)
        #expect(isClose(fit.residuals.reduce(0, +), 0, relative: 0, absolute: 1e-13))
    }
}
