#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Distribution functions needed for p-values: standard normal CDF,
/// regularized incomplete gamma and beta functions, and the χ² and F
/// survival functions built on them.
///
/// The incomplete functions use the classical series / continued-fraction
/// split (modified Lentz evaluation of the continued fractions), which
/// converges to full double precision in a few dozen terms on the side of
/// the split where each is used; relative accuracy is limited mainly by
/// `lgamma` in the prefactor (≈1e-13 even for shape parameters ~10⁵).
public enum SpecialFunctions {
    private static let epsilon = 1e-16
    private static let tiny = 1e-300
    private static let maxIterations = 100_000

    /// Standard normal CDF `Φ(z)`, evaluated as Cephes `ndtr` (SciPy's
    /// `norm.cdf`): `½ + ½·erf(z/√2)` near 0, `½·erfc(|z|/√2)` in the tails,
    /// so tail probabilities keep full relative precision.
    public static func normalCDF(_ z: Double) -> Double {
        if z.isNaN { return .nan }
        let x = z * 0.70710678118654752440
        let ax = abs(x)
        if ax < 0.70710678118654752440 { return 0.5 + 0.5 * erf(x) }
        let y = 0.5 * erfc(ax)
        return x > 0 ? 1 - y : y
    }

    /// Regularized lower incomplete gamma `P(a, x) = γ(a, x)/Γ(a)`, `a > 0`, `x ≥ 0`.
    public static func regularizedGammaP(_ a: Double, _ x: Double) -> Double {
        guard a > 0, x >= 0, !a.isNaN, !x.isNaN else { return .nan }
        if x == 0 { return 0 }
        if x.isInfinite { return 1 }
        return x < a + 1 ? gammaSeries(a, x) : 1 - gammaContinuedFraction(a, x)
    }

    /// Regularized upper incomplete gamma `Q(a, x) = Γ(a, x)/Γ(a) = 1 − P(a, x)`,
    /// computed directly on the side where it is small, so tiny tail
    /// probabilities keep their relative precision.
    public static func regularizedGammaQ(_ a: Double, _ x: Double) -> Double {
        guard a > 0, x >= 0, !a.isNaN, !x.isNaN else { return .nan }
        if x == 0 { return 1 }
        if x.isInfinite { return 0 }
        return x < a + 1 ? 1 - gammaSeries(a, x) : gammaContinuedFraction(a, x)
    }

    /// `e^{−x} xᵃ / Γ(a)` in log space.
    private static func gammaPrefactor(_ a: Double, _ x: Double) -> Double {
        exp(a * log(x) - x - lgamma(a))
    }

    /// `P(a, x) = e^{−x} xᵃ/Γ(a) · Σₙ xⁿ / (a(a+1)…(a+n))`, for `x < a + 1`.
    private static func gammaSeries(_ a: Double, _ x: Double) -> Double {
        var ap = a
        var term = 1 / a
        var sum = term
        for _ in 0..<maxIterations {
            ap += 1
            term *= x / ap
            sum += term
            if abs(term) < abs(sum) * epsilon { break }
        }
        return sum * gammaPrefactor(a, x)
    }

    /// `Q(a, x)` by its Legendre continued fraction, for `x ≥ a + 1`.
    private static func gammaContinuedFraction(_ a: Double, _ x: Double) -> Double {
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        var i = 1.0
        for _ in 0..<maxIterations {
            let an = -i * (i - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < epsilon { break }
            i += 1
        }
        return h * gammaPrefactor(a, x)
    }

    /// Regularized incomplete beta `I_x(a, b)`, `a, b > 0`, `0 ≤ x ≤ 1`.
    ///
    /// - Parameter oneMinusX: `1 − x` when the caller can form it without
    ///   cancellation (the F survival function can); defaults to `1 − x`.
    public static func regularizedBeta(_ x: Double, a: Double, b: Double, oneMinusX: Double? = nil) -> Double {
        let y = oneMinusX ?? (1 - x)
        guard a > 0, b > 0, x >= 0, x <= 1, !a.isNaN, !b.isNaN else { return .nan }
        if x == 0 { return 0 }
        if y == 0 { return 1 }
        // The continued fraction converges fast for x < (a+1)/(a+b+2); on the
        // other side use I_x(a, b) = 1 − I_{1−x}(b, a).
        if x < (a + 1) / (a + b + 2) {
            return betaPrefactor(x, y, a, b) * betaContinuedFraction(x, a, b) / a
        }
        return 1 - betaPrefactor(x, y, a, b) * betaContinuedFraction(y, b, a) / b
    }

    /// `xᵃ (1−x)ᵇ / B(a, b)` in log space.
    private static func betaPrefactor(_ x: Double, _ y: Double, _ a: Double, _ b: Double) -> Double {
        exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(y))
    }

    /// The continued fraction of `I_x(a, b)` (modified Lentz).
    private static func betaContinuedFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let qab = a + b, qap = a + 1, qam = a - 1
        var c = 1.0
        var d = 1 - qab * x / qap
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        var m = 1.0
        for _ in 0..<maxIterations {
            let m2 = 2 * m
            var aa = m * (b - m) * x / ((qam + m2) * (a + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < epsilon { break }
            m += 1
        }
        return h
    }

    /// χ² survival function `P(X > x)` for `k` degrees of freedom:
    /// `Q(k/2, x/2)` (SciPy's `chi2.sf`). Returns 1 for `x ≤ 0`.
    public static func chiSquaredSurvival(_ x: Double, degreesOfFreedom k: Double) -> Double {
        if x.isNaN || !(k > 0) { return .nan }
        if x <= 0 { return 1 }
        return regularizedGammaQ(k / 2, x / 2)
    }

    /// F survival function `P(F > f)` with `(d1, d2)` degrees of freedom:
    /// `I_{d2/(d2 + d1·f)}(d2/2, d1/2)` (SciPy's `f.sf`). Returns 1 for `f ≤ 0`.
    public static func fSurvival(_ f: Double, d1: Double, d2: Double) -> Double {
        if f.isNaN || !(d1 > 0) || !(d2 > 0) { return .nan }
        if f <= 0 { return 1 }
        if f.isInfinite { return 0 }
        let denominator = d2 + d1 * f
        return regularizedBeta(d2 / denominator, a: d2 / 2, b: d1 / 2, oneMinusX: d1 * f / denominator)
    }
}
