/// Sample autocorrelation function.
public enum Autocorrelation {
    /// Autocorrelations at lags `0 … maxLag`, as
    /// `statsmodels.tsa.stattools.acf(x, nlags=maxLag, fft=False)` (demeaned,
    /// `adjusted=False`):
    ///
    /// `γ̂(k) = (1/n) Σ_{t=k}^{n−1} (x_t − x̄)(x_{t−k} − x̄)`, `ρ̂(k) = γ̂(k)/γ̂(0)`.
    ///
    /// Cost O(n·maxLag) with one scratch buffer for the demeaned series.
    ///
    /// - Returns: `maxLag + 1` values; the first is 1.
    /// - Throws: `.tooFewObservations` when `n ≤ maxLag` (statsmodels' own
    ///   limit), `.nonFinite`, `.constantSeries` when `γ̂(0) = 0`,
    ///   `.invalidParameter` for a negative `maxLag`.
    public static func autocorrelation(_ x: UnsafeBufferPointer<Double>, maxLag: Int) throws(StatisticsError) -> [Double] {
        guard maxLag >= 0 else { throw .invalidParameter(name: "maxLag", detail: "must be ≥ 0, got \(maxLag)") }
        try StatisticsError.checkCount(x, atLeast: maxLag + 1)
        let m = try Descriptive.mean(x)
        let n = x.count
        let centered = [Double](unsafeUninitializedCapacity: n) { buffer, count in
            for i in 0..<n { buffer[i] = x[i] - m }
            count = n
        }
        let acf: [Double]? = centered.withUnsafeBufferPointer { xo in
            func lagged(_ k: Int) -> Double {
                var s = 0.0
                var t = k
                while t < n { s += xo[t] * xo[t - k]; t += 1 }
                return s
            }
            let c0 = lagged(0)
            guard c0 > 0 else { return nil }
            var result = [Double](repeating: 0, count: maxLag + 1)
            result[0] = 1
            // Divide both autocovariances by n first, as statsmodels does, so
            // the rounding matches its acovf/acf split.
            let g0 = c0 / Double(n)
            if maxLag > 0 { for k in 1...maxLag { result[k] = (lagged(k) / Double(n)) / g0 } }
            return result
        }
        guard let acf else { throw .constantSeries }
        return acf
    }
}
