/// One performance target checked against the chosen thresholds.
///
/// JSON: `name` (`hit_rate`, `trades_per_day`, `max_drawdown`), `target`,
/// `actual`, `met`, `shortfall` (how far `actual` is on the wrong side of
/// `target`, 0 when met).
public struct TargetCheck: Sendable, Hashable, Codable {
    public var name: String
    public var target: Double
    public var actual: Double
    public var met: Bool
    public var shortfall: Double

    public init(name: String, target: Double, actual: Double, atLeast: Bool) {
        self.name = name
        self.target = target
        self.actual = actual
        met = atLeast ? actual >= target : actual <= target
        shortfall = met ? 0 : abs(actual - target)
    }
}

/// Whether the chosen thresholds meet the safety rules and the performance
/// targets, and how much of the grid did.
///
/// The returned thresholds always pass the safety rules (otherwise the
/// optimiser throws `ParameterValidationError`). When no safe point meets
/// every target, the optimiser still returns the best safe point and says so
/// here: `targets_met` is false and `targets` shows each miss and its size.
public struct ConstraintStatus: Sendable, Hashable, Codable {
    public var safe: Bool
    public var targetsMet: Bool
    public var targets: [TargetCheck]
    public var totalPoints: Int
    public var safePoints: Int
    public var feasiblePoints: Int
    /// One sentence for people.
    public var summary: String

    enum CodingKeys: String, CodingKey {
        case safe, targetsMet = "targets_met", targets, totalPoints = "total_points"
        case safePoints = "safe_points", feasiblePoints = "feasible_points", summary
    }
}

/// Trade statistics of one grid point over the optimisation window.
///
/// `safe` is false for points the safety rules reject; those are not
/// backtested and carry no statistics (`null` in JSON).
public struct GridSurfacePoint: Sendable, Hashable, Codable {
    public var entryThresholdPct: Double
    public var exitThresholdPct: Double
    public var safe: Bool
    /// Safe and meets every performance target.
    public var feasible: Bool
    public var trades: Int?
    public var hitRate: Double?
    public var totalPnlPct: Double?
    public var maxDrawdown: Double?
    public var tradesPerDay: Double?

    enum CodingKeys: String, CodingKey {
        case entryThresholdPct = "entry_threshold_pct", exitThresholdPct = "exit_threshold_pct", safe, feasible
        case trades, hitRate = "hit_rate", totalPnlPct = "total_pnl_pct", maxDrawdown = "max_drawdown"
        case tradesPerDay = "trades_per_day"
    }
}

/// Every grid point of an optimisation, entry-major:
/// `points[e · exits.count + x]` is `(entries[e], exits[x])`.
public struct GridSurface: Sendable, Hashable, Codable {
    public var entries: [Double]
    public var exits: [Double]
    public var points: [GridSurfacePoint]

    public subscript(entry e: Int, exit x: Int) -> GridSurfacePoint { points[e * exits.count + x] }
}

/// What the window's spread looked like (1 s as-of grid).
///
/// `dickey_fuller_*` is the Dickey–Fuller test with a constant and no lagged
/// differences: the t-statistic of β in `Δs_t = α + β s_{t−1} + ε` with its
/// MacKinnon (1994) p-value — the ADF test at lag 0, cheap enough to run at
/// every walk-forward step. `null` p-value/statistic for a constant spread.
public struct WindowStatistics: Sendable, Hashable, Codable {
    public var gridPoints: Int
    @NonFiniteAsNull public var meanSpread: Double
    @NonFiniteAsNull public var stdSpread: Double
    @NonFiniteAsNull public var dickeyFullerStatistic: Double
    @NonFiniteAsNull public var dickeyFullerPValue: Double
    @NonFiniteAsNull public var halfLifeHours: Double

    enum CodingKeys: String, CodingKey {
        case gridPoints = "grid_points", meanSpread = "mean_spread", stdSpread = "std_spread"
        case dickeyFullerStatistic = "dickey_fuller_statistic", dickeyFullerPValue = "dickey_fuller_p_value"
        case halfLifeHours = "half_life_hours"
    }
}

/// The optimisation window.
public struct OptimizationWindow: Sendable, Hashable, Codable {
    /// Rows of the input data, first and one past the last.
    public var firstRow: Int
    public var endRow: Int
    public var firstTime: String
    public var lastTime: String
    public var spanHours: Double

    enum CodingKeys: String, CodingKey {
        case firstRow = "first_row", endRow = "end_row", firstTime = "first_time", lastTime = "last_time"
        case spanHours = "span_hours"
    }
}

/// Everything one optimisation found: the seed's `OptimizationResult` plus
/// the constraint status, the chosen point's trade statistics, the
/// confidence components, the runner-up points, the whole grid surface, the
/// window's spread statistics, `OptimizationPerformance` and the status events.
public struct OptimizationReport: Sendable, Codable {
    public var result: OptimizationResult
    public var constraintStatus: ConstraintStatus
    /// Trade statistics of the chosen thresholds over the window.
    public var chosen: BacktestSummary
    public var confidence: ConfidenceScore
    /// The next best safe points, best first (at most five).
    public var alternatives: [GridSurfacePoint]
    public var statistics: WindowStatistics
    public var window: OptimizationWindow
    public var performance: OptimizationPerformance
    public var events: [OptimizationStatusEvent]
    public var surface: GridSurface

    enum CodingKeys: String, CodingKey {
        case result = "optimization_result", constraintStatus = "constraint_status", chosen = "chosen_trade_statistics"
        case confidence, alternatives, statistics = "window_statistics", window, performance = "optimization_performance"
        case events, surface = "grid_surface"
    }
}
