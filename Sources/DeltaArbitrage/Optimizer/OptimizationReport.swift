import SpreadKernels

/// One performance target checked against the chosen thresholds.
///
/// JSON: `name` (`hit_rate`, `trades_per_day`, `max_drawdown`), `target`,
/// `actual`, `met`, `shortfall` (how far `actual` is on the wrong side of
/// `target`, 0 when met).
public struct TargetCheck: Sendable, Hashable, Codable {
    /// `hit_rate`, `trades_per_day` or `max_drawdown`.
    public var name: String
    /// Configured target: a fraction for `hit_rate` and `max_drawdown`, trades per
    /// day for `trades_per_day`.
    public var target: Double
    /// The chosen point's value over the window, in the unit of `target`.
    public var actual: Double
    /// `actual ≥ target` for a minimum, `actual ≤ target` for a maximum.
    public var met: Bool
    /// `|actual − target|` when missed, 0 when met.
    public var shortfall: Double

    /// Checks `actual` against `target`: a minimum when `atLeast`, else a maximum.
    public init(name: String, target: Double, actual: Double, atLeast: Bool) {
        self.name = name
        self.target = target
        self.actual = actual
        met = Self.meets(actual: actual, target: target, atLeast: atLeast)
        shortfall = met ? 0 : abs(actual - target)
    }

    /// Whether `actual` is on the right side of `target` (`≥` when `atLeast`, else `≤`).
    @inlinable
    public static func meets(actual: Double, target: Double, atLeast: Bool) -> Bool {
        atLeast ? actual >= target : actual <= target
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
    /// The chosen thresholds pass the safety rules (always true in a returned report).
    public var safe: Bool
    /// The chosen point meets every target in `targets`.
    public var targetsMet: Bool
    /// One check per target: `hit_rate`, `trades_per_day`, `max_drawdown`.
    public var targets: [TargetCheck]
    /// Grid points, entries × exits.
    public var totalPoints: Int
    /// Grid points that pass the safety rules (the ones backtested).
    public var safePoints: Int
    /// Safe points that meet every target.
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
    /// Entry threshold, percent.
    public var entryThresholdPct: Double
    /// Exit threshold, percent.
    public var exitThresholdPct: Double
    /// Passes the safety rules; an unsafe point is not backtested.
    public var safe: Bool
    /// Safe and meets every performance target.
    public var feasible: Bool
    /// Closed trades over the window; nil when not `safe`.
    public var trades: Int?
    /// `wins / trades`, a fraction (0 without trades); nil when not `safe`.
    public var hitRate: Double?
    /// Σ `net_pnl_pct`, percent; nil when not `safe`.
    public var totalPnlPct: Double?
    /// Largest fall of the cumulative `net_pnl_pct / 100`, a fraction; nil when not `safe`.
    public var maxDrawdown: Double?
    /// Trades per day of the window's span (0 for a zero span); nil when not `safe`.
    public var tradesPerDay: Double?

    enum CodingKeys: String, CodingKey {
        case entryThresholdPct = "entry_threshold_pct", exitThresholdPct = "exit_threshold_pct", safe, feasible
        case trades, hitRate = "hit_rate", totalPnlPct = "total_pnl_pct", maxDrawdown = "max_drawdown"
        case tradesPerDay = "trades_per_day"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeFinite(entryThresholdPct, forKey: .entryThresholdPct)
        try c.encodeFinite(exitThresholdPct, forKey: .exitThresholdPct)
        try c.encode(safe, forKey: .safe)
        try c.encode(feasible, forKey: .feasible)
        // An unsafe point writes its statistics as explicit nulls, so every point has every key.
        try c.encode(trades, forKey: .trades)
        try c.encodeFinite(hitRate, forKey: .hitRate)
        try c.encodeFinite(totalPnlPct, forKey: .totalPnlPct)
        try c.encodeFinite(maxDrawdown, forKey: .maxDrawdown)
        try c.encodeFinite(tradesPerDay, forKey: .tradesPerDay)
    }
}

/// Every grid point of an optimisation, entry-major:
/// `points[e · exits.count + x]` is `(entries[e], exits[x])`.
///
/// JSON: `entry_thresholds_pct`, `exit_thresholds_pct` (the axes, percent), `points`.
public struct GridSurface: Sendable, Hashable, Codable {
    /// Entry-threshold axis, percent.
    public var entries: [Double]
    /// Exit-threshold axis, percent.
    public var exits: [Double]
    /// `entries.count × exits.count` points, entry-major.
    public var points: [GridSurfacePoint]

    /// A surface over `entries × exits`; `points` are entry-major.
    ///
    /// - Precondition: `points.count == entries.count * exits.count`.
    public init(entries: [Double], exits: [Double], points: [GridSurfacePoint]) {
        precondition(points.count == entries.count * exits.count, "GridSurface: \(points.count) points for \(entries.count) × \(exits.count)")
        self.entries = entries
        self.exits = exits
        self.points = points
    }

    /// The point `(entries[e], exits[x])`.
    public subscript(entry e: Int, exit x: Int) -> GridSurfacePoint { points[e * exits.count + x] }

    enum CodingKeys: String, CodingKey {
        case entries = "entry_thresholds_pct", exits = "exit_thresholds_pct", points
    }
}

/// What the window's spread looked like (1 s as-of grid).
///
/// `df_statistic_lag0` / `df_p_value_lag0` are the Dickey–Fuller test with a
/// constant and no lagged differences: the t-statistic of β in
/// `Δs_t = α + β s_{t−1} + ε` with its MacKinnon (1994) p-value — the ADF test
/// at lag 0 (not `analyze`'s AIC-chosen lag), cheap enough to run at every
/// walk-forward step. `null` p-value/statistic for a constant spread.
public struct WindowStatistics: Sendable, Hashable, Codable {
    /// Points of the 1 s as-of grid over the window.
    public var gridPoints: Int
    /// Mean `entry_cost_pct` on the grid, percent; NaN (`null`) without points.
    @NonFiniteAsNull public var meanSpread: Double
    /// Sample standard deviation (ddof = 1) of `entry_cost_pct` on the grid,
    /// percent; NaN (`null`) below two points.
    @NonFiniteAsNull public var stdSpread: Double
    /// Lag-0 Dickey–Fuller `τ = β̂ / se(β̂)`; NaN (`null`) below four points or for a constant spread.
    @NonFiniteAsNull public var dickeyFullerStatistic: Double
    /// MacKinnon p-value of the lag-0 τ; NaN (`null`) when τ is not finite.
    @NonFiniteAsNull public var dickeyFullerPValue: Double
    /// AR(1) half-life, hours; +∞ (`null`) when the spread does not revert or the
    /// fit is undefined.
    @NonFiniteAsNull public var halfLifeHours: Double

    enum CodingKeys: String, CodingKey {
        case gridPoints = "grid_points", meanSpread = "mean_spread", stdSpread = "std_spread"
        case dickeyFullerStatistic = "df_statistic_lag0", dickeyFullerPValue = "df_p_value_lag0"
        case halfLifeHours = "half_life_hours"
    }
}

/// The optimisation window.
public struct OptimizationWindow: Sendable, Hashable, Codable {
    /// Rows of the input data, first and one past the last.
    public var firstRow: Int
    /// One past the last row of the window, in rows of the input data.
    public var endRow: Int
    /// Time of the first row, ISO-8601 UTC (`2025-10-12T06:17:00.123Z`).
    public var firstTime: String
    /// Time of the last row, ISO-8601 UTC.
    public var lastTime: String
    /// Time from the first row to the last, hours.
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
    /// The chosen thresholds and the seed's result fields.
    public var result: OptimizationResult
    /// Safety and target checks of the choice, with grid point counts.
    public var constraintStatus: ConstraintStatus
    /// Trade statistics of the chosen thresholds over the window.
    public var chosen: BacktestSummary
    /// Components of `result.confidenceScore`.
    public var confidence: ConfidenceScore
    /// The next best safe points, best first (at most five).
    public var alternatives: [GridSurfacePoint]
    /// Spread statistics of the window.
    public var statistics: WindowStatistics
    /// Rows and times optimised over.
    public var window: OptimizationWindow
    /// Duration, rows processed, peak memory and index reuse of the run.
    public var performance: OptimizationPerformance
    /// Status events emitted, in order: `started`, then `completed`.
    public var events: [OptimizationStatusEvent]
    /// Every grid point with its trade statistics.
    public var surface: GridSurface

    enum CodingKeys: String, CodingKey {
        case result = "optimization_result", constraintStatus = "constraint_status", chosen = "chosen_trade_statistics"
        case confidence, alternatives, statistics = "window_statistics", window, performance = "optimization_performance"
        case events, surface = "grid_surface"
    }
}
