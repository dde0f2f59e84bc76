#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Result of an augmented Dickey-Fuller test with a constant.
public struct ADFResult: Sendable, Equatable {
    /// τ: the t-statistic of the lagged level in the chosen regression.
    public var statistic: Double
    /// MacKinnon (1994) approximate p-value of τ.
    public var pValue: Double
    /// Number of lagged differences chosen by AIC.
    public var usedLag: Int
    /// Observations in the final regression, `n − 1 − usedLag`.
    public var nobs: Int
    /// MacKinnon (2010) critical values for `nobs`.
    public var criticalValues: ADFCriticalValues
    /// The smallest AIC of the lag search (statsmodels' `icbest`).
    public var icBest: Double
    /// The largest lag searched.
    public var maxLag: Int
}

/// The augmented Dickey-Fuller unit-root test, as
/// `statsmodels.tsa.stattools.adfuller(x, regression="c", autolag="AIC")`.
public enum AugmentedDickeyFuller {
    /// statsmodels' default maximum lag (Schwert 1989):
    /// `min(⌊n/2⌋ − 2, ⌈12·(n/100)^{1/4}⌉)`.
    ///
    /// statsmodels rounds **up**; docs/design.md writes ⌊·⌋. The reference
    /// implementation wins here because results must equal it (for n = 86 400
    /// the two give 66 and 65).
    public static func defaultMaxLag(observations n: Int) -> Int {
        let schwert = Int((12 * pow(Double(n) / 100, 0.25)).rounded(.up))
        return min(n / 2 - 2, schwert)
    }

    /// Runs the test on `x`.
    ///
    /// The regression for `k` lags is
    /// `Δx_t = c + γ x_{t−1} + Σ_{i=1}^{k} δᵢ Δx_{t−i} + ε_t`, and τ = γ̂ / se(γ̂).
    ///
    /// Lag selection: with `K = maxLag`, every `k ∈ 0…K` is fitted on the same
    /// `m = n − 1 − K` rows. The design is built once with columns ordered
    /// `[1, x_{t−1}, Δx_{t−1}, …, Δx_{t−K}]`, so model `k` is the leading
    /// `k + 2` columns; one Householder QR gives every model's SSR as the tail
    /// `‖(Qᵀy)[k+2..<m]‖²`. Its AIC is statsmodels' llf-based one,
    /// `AIC_k = −2·llf + 2(k + 2)` with `llf = −m/2·(ln 2π + ln(SSR/m) + 1)`; the
    /// smallest wins, ties to the smaller `k` (Python's tuple `min`). The chosen
    /// lag is then refitted on all `n − 1 − k` usable rows.
    ///
    /// - Parameter maxLag: the largest lag to search; `nil` uses `defaultMaxLag`.
    /// - Throws: `.nonFinite`, `.constantSeries` (max = min, as statsmodels),
    ///   `.tooFewObservations` when the series is too short for the lag
    ///   (`maxLag > ⌊n/2⌋ − 2`), `.singularDesign` for a collinear design.
    public static func test(_ x: UnsafeBufferPointer<Double>, maxLag: Int? = nil) throws(StatisticsError) -> ADFResult {
        try StatisticsError.checkFinite(x)
        let n = x.count
        // ⌊n/2⌋ − 2 ≥ 0 needs n ≥ 4.
        guard n >= 4 else { throw .tooFewObservations(needed: 4, got: n) }
        var lo = x[0], hi = x[0]
        for v in x { lo = min(lo, v); hi = max(hi, v) }
        guard lo != hi else { throw .constantSeries }
        let lagCap = n / 2 - 2
        let K = maxLag ?? defaultMaxLag(observations: n)
        guard K >= 0 else { throw .invalidParameter(name: "maxLag", detail: "must be ≥ 0, got \(K)") }
        guard K <= lagCap else { throw .tooFewObservations(needed: 2 * K + 4, got: n) }

        var dx = [Double](repeating: 0, count: n - 1)
        for t in 0..<(n - 1) { dx[t] = x[t + 1] - x[t] }

        return try dx.withUnsafeBufferPointer { (dx) throws(StatisticsError) -> ADFResult in
            // Lag search on the common sample.
            let m = n - 1 - K
            let search = try HouseholderQR(factoring: design(x, dx, lags: K), rows: m, columns: K + 2,
                                           response: UnsafeBufferPointer(rebasing: dx[K...]))
            try search.checkRank(leadingColumns: K + 2)
            let half = Double(m) / 2
            var bestLag = 0
            var bestAIC = Double.infinity
            for k in 0...K {
                let ssr = search.residualSumOfSquares(leadingColumns: k + 2)
                let llf = -half * log(2 * Double.pi) - half * log(ssr / Double(m)) - half
                let aic = -2 * llf + 2 * Double(k + 2)
                if aic < bestAIC { bestAIC = aic; bestLag = k }
            }

            // Refit the chosen lag on every usable row.
            let rows = n - 1 - bestLag
            let d = design(x, dx, lags: bestLag)
            let y = UnsafeBufferPointer(rebasing: dx[bestLag...])
            let fit = try d.withUnsafeBufferPointer { (dp) throws(StatisticsError) -> OLSResult in
                let qr = try HouseholderQR(design: dp, rows: rows, columns: bestLag + 2, response: y)
                return try LeastSquares.fit(qr, design: dp, response: y, leadingColumns: bestLag + 2)
            }
            let tau = fit.coefficients[1] / fit.standardErrors[1]
            return ADFResult(statistic: tau, pValue: MacKinnon.pValue(tau: tau), usedLag: bestLag, nobs: rows,
                             criticalValues: MacKinnon.criticalValues(nobs: rows), icBest: bestAIC, maxLag: K)
        }
    }

    /// `[Double]` convenience for `test(_:maxLag:)`.
    public static func test(_ x: [Double], maxLag: Int? = nil) throws(StatisticsError) -> ADFResult {
        try x.withUnsafeBufferPointer { (p) throws(StatisticsError) -> ADFResult in try test(p, maxLag: maxLag) }
    }

    /// Column-major design `[1, x_{t−1}, Δx_{t−1}, …, Δx_{t−k}]` for the rows
    /// `t = k … n − 2` of `Δx` (row `i` is `Δx_{k+i}`).
    private static func design(_ x: UnsafeBufferPointer<Double>, _ dx: UnsafeBufferPointer<Double>, lags k: Int) -> [Double] {
        let rows = dx.count - k
        let columns = k + 2
        return [Double](unsafeUninitializedCapacity: rows * columns) { a, count in
            for i in 0..<rows { a[i] = 1 }
            for i in 0..<rows { a[rows + i] = x[k + i] }
            if k > 0 {
                for lag in 1...k {
                    let base = (lag + 1) * rows
                    for i in 0..<rows { a[base + i] = dx[k + i - lag] }
                }
            }
            count = rows * columns
        }
    }
}
