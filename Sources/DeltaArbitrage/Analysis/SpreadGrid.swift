import SpreadKernels

/// The entry-cost spread sampled on a uniform time grid (DESIGN.md,
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

    /// Samples `SeedFormulas.entryCostPct(spotAsk:futBid:)` of `data` on the grid.
    ///
    /// One forward pass: a row cursor advances while the next row's time is at
    /// or before `t_k`, so among rows sharing a timestamp the last one wins, and
    /// across a gap the value is held from the last row before it. Only the
    /// output array is allocated.
    ///
    /// - Parameter stepSeconds: `Δ`, rounded to whole nanoseconds.
    /// - Throws: `InsufficientDataError` for empty data;
    ///   `ParameterValidationError` for a step that is not positive and finite
    ///   or rounds to 0 ns.
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
        let values = data.withBookColumns { AsOfSampling.entryCost($0, rows: 0..<data.count, stepNanoseconds: step) }
        return SpreadGrid(startNanoseconds: first, stepNanoseconds: step, values: values)
    }
}
