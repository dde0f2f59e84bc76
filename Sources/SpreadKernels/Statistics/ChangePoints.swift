#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exact penalised change-point detection in the mean (PELT, L2 cost).
public enum ChangePoints {
    /// Breakpoints of `signal` by PELT with the L2 cost, exactly as
    /// `ruptures.Pelt(model="l2", min_size=minSize, jump=1).fit(signal).predict(pen=penalty)`
    /// (ruptures 1.1):
    ///
    /// `F(0) = 0`, `F(b) = min_{t ∈ A_b} F(t) + C(t, b) + pen`, where
    /// `C(t, b) = Σ_{t≤i<b} (xᵢ − x̄_{t:b})²`. Ends `b` run over
    /// `minSize, …, n`; before each, `b − minSize` joins the admissible set `A`
    /// (ruptures adds `1 … minSize−1` too, but no partition ends there, so they
    /// never take part). Ties go to the smallest `t` (Python's `min` keeps the
    /// first), and after each step `t` stays admissible only while
    /// `F(t) + C(t, b) + pen ≤ F(b) + pen`. Sums are associated as ruptures
    /// sums its partition dictionaries: `F(t) + (C + pen)`.
    ///
    /// `C` comes from prefix sums of the series centred on its overall mean
    /// (centring removes the cancellation of `Σx² − (Σx)²/len` when the level
    /// is large against the noise); ruptures evaluates `var·len` per segment,
    /// so the two can differ in the last bits of a cost and could only disagree
    /// on an exact tie.
    ///
    /// - Returns: the sorted segment ends, the last being `n` (ruptures'
    ///   convention); the number of change points is `count − 1`.
    /// - Throws: `.nonFinite`, `.tooFewObservations` when `n < minSize`,
    ///   `.invalidParameter` for `minSize < 1` or a negative / non-finite penalty.
    public static func pelt(_ signal: UnsafeBufferPointer<Double>, penalty: Double, minSize: Int = 2) throws(StatisticsError) -> [Int] {
        guard minSize >= 1 else { throw .invalidParameter(name: "minSize", detail: "must be ≥ 1, got \(minSize)") }
        guard penalty.isFinite, penalty >= 0 else {
            throw .invalidParameter(name: "penalty", detail: "must be finite and ≥ 0, got \(penalty)")
        }
        try StatisticsError.checkFinite(signal)
        let n = signal.count
        guard n >= minSize, n >= 1 else { throw .tooFewObservations(needed: max(minSize, 1), got: n) }

        let center = Descriptive.sum(signal) / Double(n)
        var s1 = [Double](repeating: 0, count: n + 1)
        var s2 = [Double](repeating: 0, count: n + 1)
        for i in 0..<n {
            let v = signal[i] - center
            s1[i + 1] = s1[i] + v
            s2[i + 1] = s2[i] + v * v
        }
        var total = [Double](repeating: .infinity, count: n + 1)
        var previous = [Int](repeating: 0, count: n + 1)
        total[0] = 0
        var admissible: [Int] = []
        admissible.reserveCapacity(64)
        var values: [Double] = []
        values.reserveCapacity(64)

        s1.withUnsafeBufferPointer { s1 in
            s2.withUnsafeBufferPointer { s2 in
                @inline(__always) func cost(_ t: Int, _ b: Int) -> Double {
                    let a = s1[b] - s1[t]
                    let c = (s2[b] - s2[t]) - a * a / Double(b - t)
                    return max(c, 0)  // rounding can leave a tiny negative
                }
                for end in minSize...n {
                    let candidate = end - minSize
                    if candidate == 0 || candidate >= minSize { admissible.append(candidate) }
                    values.removeAll(keepingCapacity: true)
                    var best = Double.infinity
                    var bestStart = 0
                    for t in admissible {
                        let v = total[t] + (cost(t, end) + penalty)
                        values.append(v)
                        if v < best { best = v; bestStart = t }
                    }
                    total[end] = best
                    previous[end] = bestStart
                    var kept = 0
                    for (index, t) in admissible.enumerated() where values[index] <= best + penalty {
                        admissible[kept] = t
                        kept += 1
                    }
                    admissible.removeLast(admissible.count - kept)
                }
            }
        }
        var ends: [Int] = []
        var b = n
        while b > 0 { ends.append(b); b = previous[b] }
        return ends.reversed()
    }

    /// `[Double]` convenience for `pelt(_:penalty:minSize:)`.
    public static func pelt(_ signal: [Double], penalty: Double, minSize: Int = 2) throws(StatisticsError) -> [Int] {
        try signal.withUnsafeBufferPointer { (p) throws(StatisticsError) -> [Int] in
            try pelt(p, penalty: penalty, minSize: minSize)
        }
    }

    /// Means of consecutive blocks of `blockSize` samples.
    ///
    /// An incomplete trailing block (fewer than `blockSize` samples) is
    /// dropped: its mean would carry a different noise level than the others
    /// and the MAD scale and PELT's L2 cost both assume equal variances.
    ///
    /// - Throws: `.invalidParameter` for `blockSize < 1`, `.nonFinite`.
    public static func blockMeans(_ x: UnsafeBufferPointer<Double>, blockSize: Int) throws(StatisticsError) -> [Double] {
        guard blockSize >= 1 else { throw .invalidParameter(name: "blockSize", detail: "must be ≥ 1, got \(blockSize)") }
        try StatisticsError.checkFinite(x)
        let blocks = x.count / blockSize
        var means = [Double](repeating: 0, count: blocks)
        for b in 0..<blocks {
            let block = UnsafeBufferPointer(rebasing: x[(b * blockSize)..<((b + 1) * blockSize)])
            means[b] = Descriptive.sum(block) / Double(blockSize)
        }
        return means
    }

    /// Robust noise scale of a piecewise-constant series from its first
    /// differences `d`: `σ̂ = 1.4826 · median(|d − median(d)|) / √2`
    /// (the MAD of `d` scaled to a Gaussian σ; `/√2` because a difference of two
    /// independent samples has twice the variance).
    ///
    /// When more than half of the differences are equal, the MAD is 0; then
    /// `σ̂` falls back to the sample standard deviation of `d` (ddof = 1) over √2,
    /// so rare jumps in an otherwise flat series are still weighed against the
    /// jumps' own spread. It is 0 only when all differences are equal.
    ///
    /// - Throws: `.tooFewObservations` when fewer than 2 values, `.nonFinite`.
    public static func differenceNoiseScale(_ x: UnsafeBufferPointer<Double>) throws(StatisticsError) -> Double {
        try StatisticsError.checkFinite(x)
        guard x.count >= 2 else { throw .tooFewObservations(needed: 2, got: x.count) }
        var d = [Double](repeating: 0, count: x.count - 1)
        for i in 0..<(x.count - 1) { d[i] = x[i + 1] - x[i] }
        let m = median(d)
        let mad = median(d.map { abs($0 - m) })
        let sigma = 1.4826 * mad / 2.0.squareRoot()
        if sigma > 0 || d.count < 2 { return sigma }
        return d.withUnsafeBufferPointer { p in
            ((try? Descriptive.sampleStandardDeviation(p)) ?? 0) / 2.0.squareRoot()
        }
    }

    /// The docs/design.md regime penalty `2 σ̂² ln n` for `n` block means, with σ̂
    /// from `differenceNoiseScale`. Returns 0 when the block means are all
    /// equal (no change can lower the cost, so PELT finds none with any penalty).
    public static func regimePenalty(blockMeans x: UnsafeBufferPointer<Double>) throws(StatisticsError) -> Double {
        let sigma = try differenceNoiseScale(x)
        return 2 * (sigma * sigma) * log(Double(x.count))
    }

    /// The median as numpy computes it: the middle value, or the mean
    /// `(a + b)/2` of the two middle values.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let n = sorted.count
        if n % 2 == 1 { return sorted[n / 2] }
        return (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
}
