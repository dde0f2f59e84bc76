/// Result of Engle's ARCH-LM test.
public struct ArchLMResult: Sendable, Equatable {
    /// Lagrange-multiplier statistic `nobs · R²` (statsmodels' `lm`).
    public var lm: Double
    /// `P(χ²_q > lm)` (`lmpval`).
    public var lmPValue: Double
    /// F statistic of the auxiliary regression (`fval`).
    public var fStatistic: Double
    /// `P(F_{q, nobs−q−1} > fval)` (`fpval`).
    public var fPValue: Double
    /// Number of lags `q`.
    public var lags: Int
    /// Rows of the auxiliary regression, `n − q`.
    public var nobs: Int
}

/// Engle's test for autoregressive conditional heteroskedasticity.
public enum ArchLM {
    /// ARCH-LM test with `lags` lags, as
    /// `statsmodels.stats.diagnostic.het_arch(resid, nlags=lags)` (statsmodels
    /// 0.15, `ddof = 0`, no demeaning):
    ///
    /// regress `e²_t` on `[1, e²_{t−1}, …, e²_{t−q}]` for `t = q … n − 1`
    /// (`nobs = n − q` rows); `R² = 1 − SSR/TSS` with `TSS = Σ(e²_t − mean)²`;
    /// `lm = nobs · R²`, `lmpval = χ²_q.sf(lm)`;
    /// `F = ((TSS − SSR)/q) / (SSR/(nobs − q − 1))`, `fpval = F_{q, nobs−q−1}.sf(F)`.
    ///
    /// - Throws: `.nonFinite`, `.tooFewObservations` when `n < 2q + 2`,
    ///   `.constantSeries` when `e²` is constant, `.singularDesign`.
    public static func test(_ residuals: UnsafeBufferPointer<Double>, lags: Int = 5) throws(StatisticsError) -> ArchLMResult {
        guard lags >= 1 else { throw .invalidParameter(name: "lags", detail: "must be ≥ 1, got \(lags)") }
        try StatisticsError.checkFinite(residuals)
        let n = residuals.count
        guard n >= 2 * lags + 2 else { throw .tooFewObservations(needed: 2 * lags + 2, got: n) }
        var e2 = [Double](repeating: 0, count: n)
        for i in 0..<n { e2[i] = residuals[i] * residuals[i] }
        let rows = n - lags
        let columns = lags + 1
        return try e2.withUnsafeBufferPointer { (e2) throws(StatisticsError) -> ArchLMResult in
            let y = UnsafeBufferPointer(rebasing: e2[lags...])
            let mean = Descriptive.sum(y) / Double(rows)
            var tss = 0.0
            for v in y { tss += (v - mean) * (v - mean) }
            guard tss > 0 else { throw .constantSeries }
            let design = [Double](unsafeUninitializedCapacity: rows * columns) { a, count in
                for i in 0..<rows { a[i] = 1 }
                for lag in 1...lags {
                    for i in 0..<rows { a[lag * rows + i] = e2[lags + i - lag] }
                }
                count = rows * columns
            }
            let fit = try design.withUnsafeBufferPointer { (d) throws(StatisticsError) -> OLSResult in
                try LeastSquares.ols(design: d, rows: rows, columns: columns, response: y)
            }
            let ssr = fit.sumOfSquaredResiduals
            let rSquared = 1 - ssr / tss
            let lm = Double(rows) * rSquared
            let dfModel = Double(lags), dfResid = Double(rows - columns)
            let f = ((tss - ssr) / dfModel) / (ssr / dfResid)
            return ArchLMResult(lm: lm, lmPValue: SpecialFunctions.chiSquaredSurvival(lm, degreesOfFreedom: dfModel),
                                fStatistic: f, fPValue: SpecialFunctions.fSurvival(f, d1: dfModel, d2: dfResid),
                                lags: lags, nobs: rows)
        }
    }

    /// `[Double]` convenience for `test(_:lags:)`.
    public static func test(_ residuals: [Double], lags: Int = 5) throws(StatisticsError) -> ArchLMResult {
        try residuals.withUnsafeBufferPointer { (p) throws(StatisticsError) -> ArchLMResult in try test(p, lags: lags) }
    }
}
