import Foundation
import SpreadKernels

/// The entry-cost spread sampled on a uniform time grid (docs/design.md,
/// "Spread statistics"): `t_k = t₀ + k·Δ` for `k = 0 … ⌊(t_end − t₀)/Δ⌋`,
/// each value taken from the last row at or before `t_k` (as-of sampling).
public struct SpreadGrid: Sendable, Equatable {
    /// `t₀`: the first row's timestamp, nanoseconds since the Unix epoch.
    public var startNanoseconds: Int64
    /// `Δ` in nanoseconds.
    public var stepNanoseconds: Int64
    /// `entry_cost_pct` at each grid time, `values[k]` at `t₀ + k·Δ`.
    public var values: [Double]

    /// A grid from `t₀` and `Δ` (nanoseconds) and the values at `t₀ + k·Δ`.
    public init(startNanoseconds: Int64, stepNanoseconds: Int64, values: [Double]) {
        self.startNanoseconds = startNanoseconds
        self.stepNanoseconds = stepNanoseconds
        self.values = values
    }

    /// `Δ` in seconds.
    public var stepSeconds: Double { Double(stepNanoseconds) / 1e9 }

    /// Number of grid points.
    public var count: Int { values.count }

    /// Samples `SpreadFormulas.entryCostPct(spotAsk:futBid:)` of `data` on the grid.
    ///
    /// One forward pass: a row cursor advances while the next row's time is at
    /// or before `t_k`, so among rows sharing a timestamp the last one wins, and
    /// across a gap the value is held from the last row before it. Only the
    /// output array is allocated.
    ///
    /// - Parameter stepSeconds: `Δ`, rounded to whole nanoseconds.
    /// - Throws: `InsufficientDataError` for empty data;
    ///   `ParameterValidationError` for a step that is not positive and finite
    ///   or rounds to 0 ns; `SpreadGridSizeError` when `span/Δ + 1` exceeds
    ///   `maxPoints(rows:)`.
    public static func asOf(_ data: MarketData, stepSeconds: Double = 1) throws -> SpreadGrid {
        guard stepSeconds.isFinite, stepSeconds > 0, stepSeconds * 1e9 < 9.2e18 else {
            throw ParameterValidationError(parameter: "grid_step_seconds", value: stepSeconds,
                                           rule: "must be positive and finite")
        }
        let step = Int64((stepSeconds * 1e9).rounded())
        guard step > 0 else {
            throw ParameterValidationError(parameter: "grid_step_seconds", value: stepSeconds,
                                           rule: "must be at least 1 ns")
        }
        guard let first = data.timestamps.first else {
            throw InsufficientDataError(operation: "spreadGrid", required: 1, available: 0, detail: "no market data rows")
        }
        let span = (data.timestamps.last ?? first) - first
        let (steps, overflow) = (span / step).addingReportingOverflow(1)
        let points = overflow ? Int.max : Int(steps)
        let limit = maxPoints(rows: data.count)
        guard points <= limit else {
            throw SpreadGridSizeError(stepSeconds: stepSeconds, points: points, limit: limit, spanSeconds: Double(span) / 1e9)
        }
        let values = data.withBookColumns { AsOfSampling.entryCost($0, rows: 0..<data.count, stepNanoseconds: step) }
        return SpreadGrid(startNanoseconds: first, stepNanoseconds: step, values: values)
    }

    /// Estimated bytes the analysis holds per grid point: about 3 KB measured at
    /// 10⁶ points, the lagged regressions of the ADF test dominating.
    static let estimatedBytesPerPoint: UInt64 = 4096

    /// The most grid points sampled for `rows` rows: 16 per row, at least
    /// 1,000,000, and never more than a quarter of physical memory holds at
    /// `estimatedBytesPerPoint` (a too-fine step would otherwise allocate tens of GB).
    public static func maxPoints(rows: Int, physicalMemory: UInt64 = ProcessInfo.processInfo.physicalMemory) -> Int {
        let byData = max(rows.multipliedReportingOverflow(by: 16).overflow ? Int.max : rows * 16, 1_000_000)
        let byMemory = Int(clamping: physicalMemory / 4 / estimatedBytesPerPoint)
        return min(byData, byMemory)
    }
}

/// The sampling grid would need more points than the data and the machine
/// allow (`SpreadGrid.maxPoints(rows:)`): a larger step is needed.
public struct SpreadGridSizeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The requested step `Δ`, seconds.
    public var stepSeconds: Double
    /// Points the grid would have, `⌊span/Δ⌋ + 1`.
    public var points: Int
    /// The most points allowed for this data on this machine.
    public var limit: Int
    /// Time spanned by the data, seconds.
    public var spanSeconds: Double

    /// An error for a step of `stepSeconds` over `spanSeconds` of data needing `points` of at most `limit`.
    public init(stepSeconds: Double, points: Int, limit: Int, spanSeconds: Double) {
        self.stepSeconds = stepSeconds
        self.points = points
        self.limit = limit
        self.spanSeconds = spanSeconds
    }

    /// The step, the points it needs and the limit.
    public var description: String {
        "a grid step of \(stepSeconds) s needs \(points) grid points over \(spanSeconds) s of data; "
            + "the limit is \(limit) (16 per row, at least 1,000,000, within a quarter of physical memory)"
    }
}
