#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Streaming moments of a series and its AR(1) / Dickey–Fuller regression
/// `Δs_t = α + β s_{t−1} + ε_t`, one value at a time, in O(1) memory.
///
/// `AutoRegression.ar1` solves the same regression by QR with residuals (as
/// statsmodels does, for the analysis fixtures); this accumulator is for
/// callers that need only the coefficients and the t-statistic of β many
/// times over — the optimiser runs it on every walk-forward window — and
/// must not allocate. Values are shifted by the first one before squaring,
/// so sums of nearby values keep their precision; the closed-form OLS then
/// reads
///
/// ```
/// β̂ = S_xy / S_xx,  α̂ = ȳ − β̂ x̄,  σ̂² = (S_yy − β̂ S_xy)/(m − 2),
/// se(β̂) = √(σ̂² / S_xx),  τ = β̂ / se(β̂)
/// ```
///
/// with `x = s_{t−1}`, `y = Δs_t`, `m = n − 1` pairs and `S` the centred
/// cross-products. The tests hold it to `AutoRegression.ar1`.
public struct AR1Moments: Sendable, Equatable {
    /// Number of values added.
    public var count: Int { n }
    @usableFromInline var n = 0
    @usableFromInline var shift = 0.0
    @usableFromInline var previous = 0.0
    @usableFromInline var su = 0.0, suu = 0.0
    @usableFromInline var sx = 0.0, sxx = 0.0, sy = 0.0, syy = 0.0, sxy = 0.0

    /// An empty accumulator.
    public init() {}

    /// Adds the next value of the series.
    // Inlinable: the walk-forward adds 86,400 values per window, and a call per value cost as much as the sums.
    @inlinable
    public mutating func add(_ s: Double) {
        if n == 0 { shift = s }
        let u = s - shift
        su += u
        suu += u * u
        if n > 0 {
            let x = previous, y = u - previous
            sx += x
            sxx += x * x
            sy += y
            syy += y * y
            sxy += x * y
        }
        previous = u
        n += 1
    }

    /// Mean of the values (NaN without values).
    public var mean: Double { count > 0 ? shift + su / Double(count) : .nan }

    /// Sample standard deviation, ddof = 1 (NaN below two values).
    public var sampleStandardDeviation: Double {
        guard count > 1 else { return .nan }
        let n = Double(count)
        return (max(suu - su * su / n, 0) / (n - 1)).squareRoot()
    }

    /// The regression, or nil when it is undefined: fewer than 4 values, or
    /// a constant lagged level (`S_xx = 0`).
    public var fit: (alpha: Double, beta: Double, betaStandardError: Double)? {
        guard count >= 4 else { return nil }
        let m = Double(count - 1)
        let xBar = sx / m, yBar = sy / m
        let cxx = sxx - sx * xBar, cxy = sxy - sx * yBar, cyy = syy - sy * yBar
        guard cxx > 0 else { return nil }
        let beta = cxy / cxx
        let alphaShifted = yBar - beta * xBar
        // Undo the shift: Δs is unchanged, s_{t−1} = x + shift.
        let alpha = alphaShifted - beta * shift
        let variance = max(cyy - beta * cxy, 0) / (m - 2)
        return (alpha, beta, (variance / cxx).squareRoot())
    }

    /// `τ = β̂ / se(β̂)`, the Dickey–Fuller statistic with a constant and no
    /// lagged differences (NaN when the fit is undefined).
    public var dickeyFullerStatistic: Double {
        guard let f = fit else { return .nan }
        return f.beta / f.betaStandardError
    }
}

/// Four `AR1Moments` side by side, one per SIMD lane, that take the next
/// value of four series at once. Lane `l` performs exactly the operations of
/// `AR1Moments.add` on series `l`, in the same order, element-wise, so it
/// rounds exactly as that series' own accumulator would.
///
/// Only for accumulators that already hold a value: the shift is then fixed
/// and every value added is a lagged one, so the lanes need no branch.
@usableFromInline
struct AR1MomentsLanes {
    @usableFromInline var shift, previous, su, suu, sx, sxx, sy, syy, sxy: SIMD4<Double>
    @usableFromInline var added = 0

    /// The four accumulators at `m[0]`…`m[3]`, each holding at least one value.
    @inlinable
    init(_ m: UnsafePointer<AR1Moments>) {
        func lanes(_ field: (AR1Moments) -> Double) -> SIMD4<Double> {
            SIMD4(field(m[0]), field(m[1]), field(m[2]), field(m[3]))
        }
        shift = lanes(\.shift)
        previous = lanes(\.previous)
        su = lanes(\.su)
        suu = lanes(\.suu)
        sx = lanes(\.sx)
        sxx = lanes(\.sxx)
        sy = lanes(\.sy)
        syy = lanes(\.syy)
        sxy = lanes(\.sxy)
    }

    /// Adds `s[l]` to lane `l`'s series (`AR1Moments.add` with `n > 0`).
    @inlinable @inline(__always)
    mutating func add(_ s: SIMD4<Double>) {
        let u = s - shift
        su += u
        suu += u * u
        let x = previous, y = u - previous
        sx += x
        sxx += x * x
        sy += y
        syy += y * y
        sxy += x * y
        previous = u
        added += 1
    }

    /// Writes the lanes back to `m[0]`…`m[3]`.
    @inlinable
    func store(_ m: UnsafeMutablePointer<AR1Moments>) {
        for l in 0..<4 {
            m[l].n += added
            m[l].previous = previous[l]
            m[l].su = su[l]
            m[l].suu = suu[l]
            m[l].sx = sx[l]
            m[l].sxx = sxx[l]
            m[l].sy = sy[l]
            m[l].syy = syy[l]
            m[l].sxy = sxy[l]
        }
    }
}
