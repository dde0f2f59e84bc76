/// MacKinnon's response-surface approximations for the Dickey-Fuller τ
/// statistic with a constant and no trend (`regression = "c"`), one I(1)
/// variable (`N = 1`) — the tables statsmodels ships in `adfvalues.py`.
public enum MacKinnon {
    /// Above this τ the p-value is 1 (MacKinnon 1994, `tau_max_c[0]`).
    public static let tauMax = 2.74
    /// Below this τ the p-value is 0 (`tau_min_c[0]`).
    public static let tauMin = -18.83
    /// The split between the small-p and large-p polynomials (`tau_star_c[0]`).
    public static let tauStar = -1.61

    // `tau_c_smallp[0]` and `tau_c_largep[0]` with statsmodels' scaling
    // factors applied by multiplication, exactly as it builds them.
    private static let smallP: [Double] = [2.1659, 1.4412, 3.8269 * 1e-2]
    private static let largeP: [Double] = [1.7339, 9.3202 * 1e-1, -1.2745 * 1e-1, -1.0368 * 1e-2]

    /// MacKinnon (1994) approximate asymptotic p-value of a τ statistic
    /// (`statsmodels.tsa.adfvalues.mackinnonp(tau, regression="c", N=1)`):
    /// `1` above `tauMax`, `0` below `tauMin`, otherwise `Φ(Σᵢ cᵢ τⁱ)` with the
    /// quadratic small-p polynomial for `τ ≤ tauStar` and the cubic large-p
    /// polynomial above it.
    public static func pValue(tau: Double) -> Double {
        if tau.isNaN { return .nan }
        if tau > tauMax { return 1 }
        if tau < tauMin { return 0 }
        let c = tau <= tauStar ? smallP : largeP
        return SpecialFunctions.normalCDF(horner(c, tau))
    }

    // MacKinnon (2010) `tau_c_2010[0]`: for 1 %, 5 %, 10 %, the coefficients
    // of cv(T) = β∞ + β₁/T + β₂/T² + β₃/T³.
    private static let critical2010: [[Double]] = [
        [-3.43035, -6.5393, -16.786, -79.433],
        [-2.86154, -2.8903, -4.234, -40.040],
        [-2.56677, -1.5384, -2.809, 0],
    ]

    /// MacKinnon (2010) finite-sample critical values at 1 %, 5 % and 10 %
    /// for `nobs` regression observations
    /// (`mackinnoncrit(N=1, regression="c", nobs=nobs)`):
    /// `β∞ + β₁/T + β₂/T² + β₃/T³` with `T = nobs`.
    public static func criticalValues(nobs: Int) -> ADFCriticalValues {
        let x = 1.0 / Double(nobs)
        let v = critical2010.map { horner($0, x) }
        return ADFCriticalValues(onePercent: v[0], fivePercent: v[1], tenPercent: v[2])
    }

    /// `Σᵢ cᵢ xⁱ` by Horner's rule from the highest power, as `numpy.polyval`.
    private static func horner(_ c: [Double], _ x: Double) -> Double {
        var y = 0.0
        for coefficient in c.reversed() { y = y * x + coefficient }
        return y
    }
}

/// Critical values of the ADF τ statistic.
public struct ADFCriticalValues: Sendable, Equatable {
    /// Reject a unit root at 1 % when τ is below this.
    public var onePercent: Double
    /// … at 5 %.
    public var fivePercent: Double
    /// … at 10 %.
    public var tenPercent: Double

    /// Critical values at the 1 %, 5 % and 10 % levels.
    public init(onePercent: Double, fivePercent: Double, tenPercent: Double) {
        self.onePercent = onePercent
        self.fivePercent = fivePercent
        self.tenPercent = tenPercent
    }
}
