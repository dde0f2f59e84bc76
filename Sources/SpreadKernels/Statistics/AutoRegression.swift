#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The AR(1) mean-reversion regression `Δs_t = α + β s_{t−1} + ε_t`.
public struct AR1Fit: Sendable, Equatable {
    /// Intercept α̂.
    public var alpha: Double
    /// Slope β̂ on the lagged level (`1 + β̂` is the AR(1) coefficient).
    public var beta: Double
    /// Standard errors of (α̂, β̂) as statsmodels' `bse`.
    public var standardErrors: [Double]
    /// Residuals `ε̂_t`, `t = 1 … n − 1` (length `n − 1`).
    public var residuals: [Double]

    /// A fit from its coefficients, standard errors `[se(α̂), se(β̂)]` and residuals.
    public init(alpha: Double, beta: Double, standardErrors: [Double], residuals: [Double]) {
        self.alpha = alpha
        self.beta = beta
        self.standardErrors = standardErrors
        self.residuals = residuals
    }

    /// Mean-reversion parameters for a grid step of `gridStepSeconds`.
    ///
    /// With `φ = 1 + β`:
    /// * half-life (hours) `= −ln 2 / ln φ · Δ/3600`,
    /// * reversion speed (per hour) `= −ln φ / (Δ/3600)`,
    /// * long-term mean `= −α/β` (NaN when β = 0).
    ///
    /// When `β ≥ 0` or `φ ≤ 0` the process does not revert monotonically:
    /// the half-life is `+∞` and the speed 0. `ln φ` is evaluated as
    /// `log1p(β)` so that the small β of a 1-second grid keeps full precision.
    public func meanReversion(gridStepSeconds: Double) -> MeanReversionParameters {
        MeanReversionParameters(alpha: alpha, beta: beta, gridStepSeconds: gridStepSeconds)
    }
}

/// Half-life, speed and level of mean reversion derived from an AR(1) fit.
public struct MeanReversionParameters: Sendable, Equatable {
    /// Hours for a deviation to halve; `+∞` when the series does not revert.
    public var halfLifeHours: Double
    /// `−ln(1+β)` per hour; 0 when the series does not revert.
    public var reversionSpeedPerHour: Double
    /// `−α/β`, the level the series reverts to (meaningful only when reverting).
    public var longTermMean: Double
    /// `−1 < β < 0`.
    public var isMeanReverting: Bool

    /// The parameters of `Δs_t = α + β s_{t−1} + ε_t` on a grid of `gridStepSeconds`
    /// (see `AR1Fit.meanReversion(gridStepSeconds:)`).
    public init(alpha: Double, beta: Double, gridStepSeconds: Double) {
        let stepHours = gridStepSeconds / 3600
        longTermMean = beta == 0 ? Double.nan : -alpha / beta
        guard beta < 0, 1 + beta > 0 else {
            halfLifeHours = .infinity
            reversionSpeedPerHour = 0
            isMeanReverting = false
            return
        }
        let logPhi = log1p(beta)
        halfLifeHours = -M_LN2 / logPhi * stepHours
        reversionSpeedPerHour = -logPhi / stepHours
        isMeanReverting = true
    }
}

/// Autoregressive fits.
public enum AutoRegression {
    /// OLS of `Δs_t = α + β s_{t−1} + ε_t` for `t = 1 … n − 1`, as
    /// `statsmodels.OLS(np.diff(s), add_constant(s[:-1])).fit()`.
    ///
    /// - Throws: `.nonFinite`, `.tooFewObservations` when `n < 4` (two
    ///   coefficients need a residual degree of freedom), `.constantSeries`.
    public static func ar1(_ s: UnsafeBufferPointer<Double>) throws(StatisticsError) -> AR1Fit {
        try StatisticsError.checkFinite(s)
        let n = s.count
        guard n >= 4 else { throw .tooFewObservations(needed: 4, got: n) }
        let rows = n - 1
        var constant = true
        for i in 1..<n where s[i] != s[0] { constant = false; break }
        guard !constant else { throw .constantSeries }
        let design = [Double](unsafeUninitializedCapacity: 2 * rows) { a, count in
            for i in 0..<rows { a[i] = 1; a[rows + i] = s[i] }
            count = 2 * rows
        }
        var dy = [Double](repeating: 0, count: rows)
        for t in 0..<rows { dy[t] = s[t + 1] - s[t] }
        let fit = try design.withUnsafeBufferPointer { (d) throws(StatisticsError) -> OLSResult in
            try dy.withUnsafeBufferPointer { (y) throws(StatisticsError) -> OLSResult in
                try LeastSquares.ols(design: d, rows: rows, columns: 2, response: y)
            }
        }
        return AR1Fit(alpha: fit.coefficients[0], beta: fit.coefficients[1],
                      standardErrors: fit.standardErrors, residuals: fit.residuals)
    }

    /// `[Double]` convenience for `ar1(_:)`.
    public static func ar1(_ s: [Double]) throws(StatisticsError) -> AR1Fit {
        try s.withUnsafeBufferPointer { (p) throws(StatisticsError) -> AR1Fit in try ar1(p) }
    }
}
