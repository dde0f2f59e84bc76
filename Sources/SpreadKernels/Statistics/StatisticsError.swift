/// Why a statistic could not be computed from its input.
///
/// Every kernel in this folder validates its input and throws one of these
/// instead of trapping or silently returning NaN, so that the domain layer can
/// turn degenerate data into a message a user can act on.
public enum StatisticsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The series is shorter than the statistic needs.
    case tooFewObservations(needed: Int, got: Int)
    /// Every value of the series is the same (zero variance), so the
    /// statistic is undefined (ADF regression, autocorrelation, ...).
    case constantSeries
    /// The value at `index` is NaN or infinite.
    case nonFinite(index: Int)
    /// The least-squares design matrix is rank deficient (collinear columns).
    case singularDesign
    /// A parameter is outside its domain (negative lag, block size 0, ...).
    case invalidParameter(name: String, detail: String)

    /// A one-line message naming the problem and its values.
    public var description: String {
        switch self {
        case let .tooFewObservations(needed, got):
            return "too few observations: need at least \(needed), got \(got)"
        case .constantSeries:
            return "the series is constant"
        case let .nonFinite(index):
            return "non-finite value at index \(index)"
        case .singularDesign:
            return "the regression design matrix is singular"
        case let .invalidParameter(name, detail):
            return "invalid parameter \(name): \(detail)"
        }
    }
}

extension StatisticsError {
    /// Throws `.nonFinite` at the first NaN or infinity of `x`.
    @usableFromInline
    static func checkFinite(_ x: UnsafeBufferPointer<Double>) throws(StatisticsError) {
        for i in x.indices where !x[i].isFinite { throw .nonFinite(index: i) }
    }

    /// Throws `.tooFewObservations` when `x.count < needed`.
    @usableFromInline
    static func checkCount(_ x: UnsafeBufferPointer<Double>, atLeast needed: Int) throws(StatisticsError) {
        if x.count < needed { throw .tooFewObservations(needed: needed, got: x.count) }
    }
}
