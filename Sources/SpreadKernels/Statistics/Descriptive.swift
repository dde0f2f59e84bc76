/// Location and scale of a sample, computed as numpy does.
public enum Descriptive {
    /// The percent levels the spread report uses: 1, 5, 10, 25, 50, 75, 90, 95, 99.
    public static let reportPercentLevels: [Double] = [1, 5, 10, 25, 50, 75, 90, 95, 99]

    /// Σ xᵢ by pairwise (cascade) summation over blocks of 128.
    ///
    /// Pairwise summation keeps the rounding error at O(ε·log n) instead of
    /// O(ε·n); numpy's `sum` does the same, so long series agree with it far
    /// below the tolerances the tests use.
    public static func sum(_ x: UnsafeBufferPointer<Double>) -> Double {
        pairwiseSum(x, 0, x.count) { $0 }
    }

    @inline(__always)
    static func pairwiseSum(_ x: UnsafeBufferPointer<Double>, _ lo: Int, _ hi: Int,
                            _ f: (Double) -> Double) -> Double {
        let n = hi - lo
        if n <= 128 {
            var s = 0.0
            var i = lo
            while i < hi { s += f(x[i]); i += 1 }
            return s
        }
        let mid = lo + (n / 2)
        return pairwiseSum(x, lo, mid, f) + pairwiseSum(x, mid, hi, f)
    }

    /// Arithmetic mean `x̄ = Σ xᵢ / n`.
    ///
    /// - Throws: `.tooFewObservations` for an empty sample, `.nonFinite` for NaN/±∞.
    public static func mean(_ x: UnsafeBufferPointer<Double>) throws(StatisticsError) -> Double {
        try StatisticsError.checkCount(x, atLeast: 1)
        try StatisticsError.checkFinite(x)
        return sum(x) / Double(x.count)
    }

    /// Sample standard deviation with one degree of freedom removed
    /// (`numpy.std(x, ddof=1)`): `√(Σ (xᵢ − x̄)² / (n − 1))`, two passes.
    ///
    /// - Throws: `.tooFewObservations` when `n < 2`, `.nonFinite` for NaN/±∞.
    public static func sampleStandardDeviation(_ x: UnsafeBufferPointer<Double>) throws(StatisticsError) -> Double {
        try StatisticsError.checkCount(x, atLeast: 2)
        let m = try mean(x)
        let ss = pairwiseSum(x, 0, x.count) { ($0 - m) * ($0 - m) }
        return (ss / Double(x.count - 1)).squareRoot()
    }

    /// Percentiles with numpy's default (`method="linear"`) interpolation.
    ///
    /// For percent level `q`, with the sample sorted ascending as `x₍₀₎ … x₍ₙ₋₁₎`:
    /// `h = (n − 1)·(q/100)`, `j = ⌊h⌋`, `γ = h − j`, and the result is the
    /// linear interpolation between `x₍ⱼ₎` and `x₍ⱼ₊₁₎`, evaluated as numpy's
    /// `_lerp`: `a + (b − a)·γ` when `γ < 0.5`, else `b − (b − a)·(1 − γ)`.
    ///
    /// - Parameter levels: percent levels in [0, 100].
    /// - Returns: one value per level, in the order given.
    /// - Throws: `.tooFewObservations` for an empty sample, `.nonFinite`,
    ///   `.invalidParameter` for a level outside [0, 100].
    public static func percentiles(_ x: UnsafeBufferPointer<Double>,
                                   levels: [Double] = reportPercentLevels) throws(StatisticsError) -> [Double] {
        try StatisticsError.checkCount(x, atLeast: 1)
        try StatisticsError.checkFinite(x)
        for q in levels where !(q >= 0 && q <= 100) {
            throw .invalidParameter(name: "levels", detail: "percent level \(q) outside [0, 100]")
        }
        let sorted = x.sorted()
        let n = sorted.count
        return levels.map { q in
            let h = Double(n - 1) * (q / 100)
            let j = min(Int(h.rounded(.down)), n - 1)
            let gamma = h - Double(j)
            let a = sorted[j]
            let b = sorted[min(j + 1, n - 1)]
            let d = b - a
            return gamma >= 0.5 ? b - d * (1 - gamma) : a + d * gamma
        }
    }
}
