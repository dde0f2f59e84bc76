/// The thresholds an optimisation chose and what it saw (the seed's
/// `OptimizationResult`).
///
/// JSON keys are the seed's: `entry_threshold_pct, exit_threshold_pct,
/// confidence_score, analysis_period_hours, mean_reversion_speed,
/// spread_volatility, optimization_timestamp`.
public struct OptimizationResult: Sendable, Hashable, Codable {
    /// Chosen entry threshold, percent (enter while `entry_cost_pct` is below it).
    public var entryThresholdPct: Double
    /// Chosen exit threshold, percent (close once `net_pnl_pct` reaches it).
    public var exitThresholdPct: Double
    /// Reliability of the choice in [0, 1]; see `ConfidenceScore`.
    public var confidenceScore: Double
    /// Hours of data the optimisation analysed (the window's span, rounded).
    public var analysisPeriodHours: Int
    /// AR(1) half-life of the spread over the window, hours (`null` when it does not revert).
    /// The seed calls it `mean_reversion_speed` but defines it as the half-life of
    /// spread convergence: larger means slower reversion.
    @NonFiniteAsNull public var meanReversionSpeed: Double
    /// Standard deviation (ddof = 1) of the spread on the window's 1 s grid, percent.
    @NonFiniteAsNull public var spreadVolatility: Double
    /// Time of the newest row the optimisation saw, Unix seconds on the data
    /// clock — in live use the moment of the latest tick, in a backtest the
    /// simulated "now". A number, as the seed defines it (not ISO text).
    public var optimizationTimestamp: Double

    /// A result from its seed fields; `meanReversionSpeed` is the half-life in
    /// hours and `optimizationTimestamp` Unix seconds.
    public init(entryThresholdPct: Double, exitThresholdPct: Double, confidenceScore: Double,
                analysisPeriodHours: Int, meanReversionSpeed: Double, spreadVolatility: Double,
                optimizationTimestamp: Double) {
        self.entryThresholdPct = entryThresholdPct
        self.exitThresholdPct = exitThresholdPct
        self.confidenceScore = confidenceScore
        self.analysisPeriodHours = analysisPeriodHours
        self.meanReversionSpeed = meanReversionSpeed
        self.spreadVolatility = spreadVolatility
        self.optimizationTimestamp = optimizationTimestamp
    }

    enum CodingKeys: String, CodingKey {
        case entryThresholdPct = "entry_threshold_pct", exitThresholdPct = "exit_threshold_pct"
        case confidenceScore = "confidence_score", analysisPeriodHours = "analysis_period_hours"
        case meanReversionSpeed = "mean_reversion_speed", spreadVolatility = "spread_volatility"
        case optimizationTimestamp = "optimization_timestamp"
    }
}

/// An entry/exit threshold pair (the seed's `static_params` and
/// `get_current_parameters()` dictionaries). JSON: `entry_threshold_pct`,
/// `exit_threshold_pct`.
public struct ThresholdPair: Sendable, Hashable, Codable {
    /// Entry threshold, percent: open while `entry_cost_pct` is below it.
    public var entryThresholdPct: Double
    /// Exit threshold, percent: close once `net_pnl_pct` reaches it.
    public var exitThresholdPct: Double

    /// A pair of thresholds, both in percent.
    public init(entryThresholdPct: Double, exitThresholdPct: Double) {
        self.entryThresholdPct = entryThresholdPct
        self.exitThresholdPct = exitThresholdPct
    }

    enum CodingKeys: String, CodingKey {
        case entryThresholdPct = "entry_threshold_pct", exitThresholdPct = "exit_threshold_pct"
    }
}
