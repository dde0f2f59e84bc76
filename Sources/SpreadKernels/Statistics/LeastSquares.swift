import CLapack

/// Ordinary least squares fitted with one Householder QR factorisation.
///
/// `HouseholderQR` factors a column-major `m × k` design `X = Q R` with
/// LAPACK `dgeqrf` and forms `Qᵀy` with `dormqr`. Because Householder QR
/// without pivoting processes columns left to right, the leading `j × j`
/// block of `R` and the first `j` entries of `Qᵀy` are exactly the QR of the
/// first `j` columns. So every nested model that uses a leading-column subset
/// of `X` is solved from the same factorisation:
///
/// * `β_j = R_jj⁻¹ (Qᵀy)[0..<j]` (`dtrtrs`),
/// * `SSR_j = ‖(Qᵀy)[j..<m]‖²` (the part of `y` the first `j` columns do not span),
/// * `diag((X_jᵀX_j)⁻¹) = ` squared row norms of `R_jj⁻¹` (`dtrtri`).
///
/// This is what lets the ADF lag search fit all candidate lags for the cost
/// of one factorisation.
public struct HouseholderQR: Sendable {
    /// Rows (observations) of the design.
    public let rows: Int
    /// Columns (regressors) of the design.
    public let columns: Int
    /// `dgeqrf` output: `R` in the upper triangle, reflectors below it.
    private let factor: [Double]
    /// `Qᵀy`, length `rows`.
    private let qty: [Double]
    /// `|R_ii|`, used to detect rank deficiency of each leading block.
    private let diagonal: [Double]

    /// Factors `design` (column-major, `rows × columns`, leading dimension
    /// `rows`) and applies `Qᵀ` to `response`.
    ///
    /// - Throws: `.tooFewObservations` unless `rows > columns ≥ 1` (a residual
    ///   degree of freedom is needed for standard errors), `.nonFinite`.
    public init(design: UnsafeBufferPointer<Double>, rows: Int, columns: Int,
                response: UnsafeBufferPointer<Double>) throws(StatisticsError) {
        try self.init(factoring: Array(design), rows: rows, columns: columns, response: response)
    }

    /// Takes ownership of a design array to avoid copying a large matrix.
    init(factoring design: consuming [Double], rows: Int, columns: Int,
         response: UnsafeBufferPointer<Double>) throws(StatisticsError) {
        guard columns >= 1 else { throw .invalidParameter(name: "columns", detail: "need at least one regressor") }
        guard rows > columns else { throw .tooFewObservations(needed: columns + 1, got: rows) }
        guard design.count == rows * columns, response.count == rows else {
            throw .invalidParameter(name: "design", detail: "expected \(rows)×\(columns) design and \(rows) responses")
        }
        guard rows <= Int(Int32.max) else {
            throw .invalidParameter(name: "rows", detail: "more rows than LAPACK's 32-bit indices allow")
        }
        for i in design.indices where !design[i].isFinite { throw .nonFinite(index: i % rows) }
        try StatisticsError.checkFinite(response)

        var a = design
        var tau = [Double](repeating: 0, count: columns)
        var q = Array(response)
        let m = Int32(rows), k = Int32(columns)
        let info = a.withUnsafeMutableBufferPointer { ap in
            tau.withUnsafeMutableBufferPointer { tp in
                LAPACKE_dgeqrf(LAPACK_COL_MAJOR, m, k, ap.baseAddress, m, tp.baseAddress)
            }
        }
        // info < 0 means an illegal argument, which the guards above exclude;
        // treat it as a singular design rather than trapping.
        guard info == 0 else { throw .singularDesign }
        let info2 = a.withUnsafeBufferPointer { ap in
            tau.withUnsafeBufferPointer { tp in
                q.withUnsafeMutableBufferPointer { qp in
                    LAPACKE_dormqr(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "L")), CChar(UInt8(ascii: "T")),
                                   m, 1, k, ap.baseAddress, m, tp.baseAddress, qp.baseAddress, m)
                }
            }
        }
        guard info2 == 0 else { throw .singularDesign }
        var diag = [Double](repeating: 0, count: columns)
        for j in 0..<columns { diag[j] = abs(a[j * rows + j]) }
        self.rows = rows
        self.columns = columns
        self.factor = a
        self.qty = q
        self.diagonal = diag
    }

    /// Residual sum of squares of the model on the first `k` columns:
    /// `‖(Qᵀy)[k..<rows]‖²`.
    public func residualSumOfSquares(leadingColumns k: Int) -> Double {
        var s = 0.0
        for i in k..<rows { s += qty[i] * qty[i] }
        return s
    }

    /// Throws `.singularDesign` when the first `k` columns are numerically
    /// collinear: some `|R_jj| ≤ max(rows, k)·ε·max|R_ii|` (numpy's
    /// `matrix_rank` tolerance, applied to the diagonal of `R`).
    public func checkRank(leadingColumns k: Int) throws(StatisticsError) {
        guard k >= 1, k <= columns else { throw .invalidParameter(name: "leadingColumns", detail: "\(k) not in 1...\(columns)") }
        var largest = 0.0
        for j in 0..<k { largest = max(largest, diagonal[j]) }
        let tolerance = Double(max(rows, k)) * Double.ulpOfOne * largest
        for j in 0..<k where !(diagonal[j] > tolerance) { throw .singularDesign }
    }

    /// Coefficients of the model on the first `k` columns: `R_kk⁻¹ (Qᵀy)[0..<k]`.
    public func coefficients(leadingColumns k: Int) throws(StatisticsError) -> [Double] {
        try checkRank(leadingColumns: k)
        var beta = Array(qty[0..<k])
        let info = factor.withUnsafeBufferPointer { ap in
            beta.withUnsafeMutableBufferPointer { bp in
                LAPACKE_dtrtrs(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "U")), CChar(UInt8(ascii: "N")),
                               CChar(UInt8(ascii: "N")), Int32(k), 1, ap.baseAddress, Int32(rows),
                               bp.baseAddress, Int32(k))
            }
        }
        guard info == 0 else { throw .singularDesign }
        return beta
    }

    /// `diag((X_kᵀX_k)⁻¹)` for the first `k` columns, from `R_kk⁻¹`.
    public func inverseGramDiagonal(leadingColumns k: Int) throws(StatisticsError) -> [Double] {
        try checkRank(leadingColumns: k)
        var r = [Double](repeating: 0, count: k * k)
        for j in 0..<k { for i in 0...j { r[j * k + i] = factor[j * rows + i] } }
        let info = r.withUnsafeMutableBufferPointer { rp in
            LAPACKE_dtrtri(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "U")), CChar(UInt8(ascii: "N")),
                           Int32(k), rp.baseAddress, Int32(k))
        }
        guard info == 0 else { throw .singularDesign }
        // (RᵀR)⁻¹ = R⁻¹R⁻ᵀ, whose diagonal is the squared row norms of R⁻¹.
        var d = [Double](repeating: 0, count: k)
        for j in 0..<k { for i in 0...j { d[i] += r[j * k + i] * r[j * k + i] } }
        return d
    }
}

/// The result of an OLS fit, with the quantities statsmodels'
/// `OLS(y, X).fit()` reports under the same names.
public struct OLSResult: Sendable, Equatable {
    /// `β̂`, one per design column, in column order.
    public var coefficients: [Double]
    /// `se(β̂_j) = √(s² · [(XᵀX)⁻¹]_jj)` with `s² = SSR / (n − k)` (`bse`).
    public var standardErrors: [Double]
    /// `e = y − X β̂` (`resid`).
    public var residuals: [Double]
    /// `SSR = eᵀe`, summed from the residuals as statsmodels does (`ssr`).
    public var sumOfSquaredResiduals: Double
    /// Observations `n`.
    public var observations: Int
    /// Residual degrees of freedom `n − k` (`df_resid`).
    public var residualDegreesOfFreedom: Int

    /// `t_j = β̂_j / se(β̂_j)` (`tvalues`).
    public var tValues: [Double] { zip(coefficients, standardErrors).map { $0 / $1 } }
}

/// Least-squares fits.
public enum LeastSquares {
    /// OLS of `response` on the column-major `rows × columns` `design`
    /// (include a column of ones for an intercept), via Householder QR.
    ///
    /// - Throws: `.tooFewObservations` unless `rows > columns`, `.nonFinite`,
    ///   `.singularDesign` for collinear columns.
    public static func ols(design: UnsafeBufferPointer<Double>, rows: Int, columns: Int,
                           response: UnsafeBufferPointer<Double>) throws(StatisticsError) -> OLSResult {
        let qr = try HouseholderQR(design: design, rows: rows, columns: columns, response: response)
        return try fit(qr, design: design, response: response, leadingColumns: columns)
    }

    /// `[Double]` convenience for `ols(design:rows:columns:response:)`.
    public static func ols(design: [Double], rows: Int, columns: Int, response: [Double]) throws(StatisticsError) -> OLSResult {
        try design.withUnsafeBufferPointer { (d) throws(StatisticsError) -> OLSResult in
            try response.withUnsafeBufferPointer { (y) throws(StatisticsError) -> OLSResult in
                try ols(design: d, rows: rows, columns: columns, response: y)
            }
        }
    }

    /// Completes an OLS fit of the first `k` columns from a factorisation:
    /// coefficients, residuals from the original design, SSR and standard errors.
    static func fit(_ qr: HouseholderQR, design: UnsafeBufferPointer<Double>, response: UnsafeBufferPointer<Double>,
                    leadingColumns k: Int) throws(StatisticsError) -> OLSResult {
        let n = qr.rows
        let beta = try qr.coefficients(leadingColumns: k)
        var residuals = Array(response)
        residuals.withUnsafeMutableBufferPointer { r in
            for j in 0..<k {
                let b = beta[j]
                let column = j * n
                for i in 0..<n { r[i] -= design[column + i] * b }
            }
        }
        var ssr = 0.0
        for e in residuals { ssr += e * e }
        let dfResid = n - k
        let scale = ssr / Double(dfResid)
        let gram = try qr.inverseGramDiagonal(leadingColumns: k)
        return OLSResult(coefficients: beta, standardErrors: gram.map { ($0 * scale).squareRoot() },
                         residuals: residuals, sumOfSquaredResiduals: ssr,
                         observations: n, residualDegreesOfFreedom: dfResid)
    }
}
