import SpreadKernels

/// The optimiser's part of the configuration: the data it needs, the
/// safety rules thresholds must pass, the hold limit and fees the backtest
/// applies, and the performance targets. The live strategy's
/// `DeltaArbitrageConfig` (the seed's configuration) adds position sizing and
/// the update schedule to it.
///
/// Thresholds are in percent, like the backtest's: `max_entry_threshold = 1.0`
/// means "never enter when the entry cost is 1 % or more".
///
/// Beyond the seed: the fees the backtest charges (`spot_fee`, `fut_fee`,
/// fractions) and `max_threshold_ratio`, the bound on `entry / exit` that the
/// seed's validation calls "bounded ratio".
public struct OptimizerConfig: Sendable, Hashable, Codable {
    /// Hours of trailing data each optimisation sees (fractions allowed: 0.5 = 30 min).
    public var optimizationLookbackHours = 24.0
    /// Fewest rows an optimisation accepts.
    public var minSpreadDataPoints = 100

    /// Largest entry threshold ever used, percent.
    public var maxEntryThreshold = 1.0
    /// Smallest exit threshold ever used, percent.
    public var minExitThreshold = 0.05
    /// Hold limit: a position is closed after this long (the backtest's `max_hours · 60`).
    public var maxPositionHoldMinutes = 360

    /// Performance target: fraction of winning trades.
    public var targetHitRate = 0.7
    /// Performance target: trades per day.
    public var minDailyTrades = 5
    /// Performance target: largest drawdown of cumulative net P&L, a fraction.
    public var maxDrawdownTolerance = 0.02

    /// Spot taker fee, a fraction.
    public var spotFee = 0.0005
    /// Futures taker fee, a fraction.
    public var futFee = 0.0005
    /// Largest `entry / exit` threshold ratio the safety rules allow.
    public var maxThresholdRatio = 10.0

    /// The seed's defaults.
    public init() {}

    /// Longest lookback accepted (about 11 years): keeps every window in nanoseconds far from `Int64` overflow.
    public static let maxLookbackHours = 100_000
    /// True for a lookback the optimiser accepts: positive, finite, at most `maxLookbackHours`.
    public static func isValidLookback(_ hours: Double) -> Bool { hours > 0 && hours <= Double(maxLookbackHours) }

    /// Longest update interval or hold limit accepted, in minutes (about 2 years).
    public static let maxUpdateIntervalMinutes = 1_000_000

    /// The hold limit in hours, as the backtest takes it.
    public var maxHoldHours: Double { Double(maxPositionHoldMinutes) / 60 }

    /// The backtest rule for a pair of thresholds under this configuration.
    public func rule(entryThresholdPct: Double, exitThresholdPct: Double) -> BacktestRule {
        BacktestRule(entryThresholdPct: entryThresholdPct, exitThresholdPct: exitThresholdPct,
                     maxHours: maxHoldHours, spotFee: spotFee, futFee: futFee)
    }

    /// Checks every field, naming the first one out of range.
    public func validate() throws(ParameterValidationError) {
        func require(_ ok: Bool, _ name: String, _ value: Double, _ rule: String) throws(ParameterValidationError) {
            if !ok { throw ParameterValidationError(parameter: name, value: value, rule: rule) }
        }
        try require(Self.isValidLookback(optimizationLookbackHours), "optimization_lookback_hours",
                    optimizationLookbackHours, "must be positive and at most \(Self.maxLookbackHours)")
        try require(minSpreadDataPoints >= 4, "min_spread_data_points", Double(minSpreadDataPoints), "must be at least 4 (an AR(1) fit needs them)")
        // max_entry alone first, so that an exit floor above it is blamed on min_exit, with both named.
        try require(maxEntryThreshold > 0 && maxEntryThreshold.isFinite, "max_entry_threshold", maxEntryThreshold, "must be positive and finite")
        try require(minExitThreshold > 0 && minExitThreshold.isFinite, "min_exit_threshold", minExitThreshold, "must be positive and finite")
        try require(minExitThreshold < maxEntryThreshold, "min_exit_threshold", minExitThreshold,
                    "must be below max_entry_threshold (\(NumberText.plain(maxEntryThreshold)))")
        try require((1...Self.maxUpdateIntervalMinutes).contains(maxPositionHoldMinutes), "max_position_hold_minutes",
                    Double(maxPositionHoldMinutes), "must be in 1...\(Self.maxUpdateIntervalMinutes)")
        try require(targetHitRate >= 0 && targetHitRate <= 1, "target_hit_rate", targetHitRate, "must be in [0, 1]")
        try require(minDailyTrades >= 0, "min_daily_trades", Double(minDailyTrades), "must not be negative")
        try require(maxDrawdownTolerance >= 0 && maxDrawdownTolerance.isFinite, "max_drawdown_tolerance", maxDrawdownTolerance, "must be a non-negative fraction")
        try require(spotFee >= 0 && spotFee < 1, "spot_fee", spotFee, "must be a fraction in [0, 1)")
        try require(futFee >= 0 && futFee < 1, "fut_fee", futFee, "must be a fraction in [0, 1)")
        try require(maxThresholdRatio > 1 && !maxThresholdRatio.isNaN, "max_threshold_ratio", maxThresholdRatio, "must be above 1 (exit < entry)")
    }

    /// The safety rules thresholds must pass, in the order they are checked.
    enum SafetyRule: Sendable, Hashable {
        /// `entry` is positive and finite.
        case entryPositiveAndFinite
        /// `exit` is positive and finite.
        case exitPositiveAndFinite
        /// `entry ≤ max_entry_threshold`.
        case entryAtMostMaxEntry
        /// `exit ≥ min_exit_threshold`.
        case exitAtLeastMinExit
        /// `exit < entry`.
        case exitBelowEntry
        /// `entry / exit ≤ max_threshold_ratio`.
        case ratioAtMostMaxRatio
    }

    /// The first safety rule `(entry, exit)` breaks, or nil when it is safe.
    /// Allocation-free: the optimiser asks it for every grid point, so the
    /// message is left to `safetyViolation(entryThreshold:exitThreshold:)`.
    func brokenSafetyRule(entryThreshold entry: Double, exitThreshold exit: Double) -> SafetyRule? {
        if !(entry.isFinite && entry > 0) { return .entryPositiveAndFinite }
        if !(exit.isFinite && exit > 0) { return .exitPositiveAndFinite }
        if entry > maxEntryThreshold { return .entryAtMostMaxEntry }
        if exit < minExitThreshold { return .exitAtLeastMinExit }
        if !(exit < entry) { return .exitBelowEntry }
        if entry / exit > maxThresholdRatio { return .ratioAtMostMaxRatio }
        return nil
    }

    /// True when `(entry, exit)` passes every safety rule.
    public func isSafe(entryThreshold entry: Double, exitThreshold exit: Double) -> Bool {
        brokenSafetyRule(entryThreshold: entry, exitThreshold: exit) == nil
    }

    /// The first safety rule `(entry, exit)` breaks, as an error naming the
    /// threshold and the bound, or nil when it is safe:
    /// both positive and finite, `entry ≤ max_entry_threshold`,
    /// `exit ≥ min_exit_threshold`, `exit < entry`, `entry / exit ≤ max_threshold_ratio`.
    public func safetyViolation(entryThreshold entry: Double, exitThreshold exit: Double) -> ParameterValidationError? {
        guard let broken = brokenSafetyRule(entryThreshold: entry, exitThreshold: exit) else { return nil }
        switch broken {
        case .entryPositiveAndFinite:
            return ParameterValidationError(parameter: "entry_threshold_pct", value: entry, rule: "must be positive and finite")
        case .exitPositiveAndFinite:
            return ParameterValidationError(parameter: "exit_threshold_pct", value: exit, rule: "must be positive and finite")
        case .entryAtMostMaxEntry:
            return ParameterValidationError(parameter: "entry_threshold_pct", value: entry,
                                            rule: "must not exceed max_entry_threshold \(NumberText.plain(maxEntryThreshold))")
        case .exitAtLeastMinExit:
            return ParameterValidationError(parameter: "exit_threshold_pct", value: exit,
                                            rule: "must be at least min_exit_threshold \(NumberText.plain(minExitThreshold))")
        case .exitBelowEntry:
            return ParameterValidationError(parameter: "exit_threshold_pct", value: exit,
                                            rule: "must be below the entry threshold \(NumberText.plain(entry))")
        case .ratioAtMostMaxRatio:
            return ParameterValidationError(parameter: "entry_threshold_pct", value: entry,
                                            rule: "entry/exit ratio \(NumberText.plain(entry / exit)) exceeds max_threshold_ratio \(NumberText.plain(maxThresholdRatio))")
        }
    }

    enum CodingKeys: String, CodingKey {
        case optimizationLookbackHours = "optimization_lookback_hours"
        case minSpreadDataPoints = "min_spread_data_points"
        case maxEntryThreshold = "max_entry_threshold", minExitThreshold = "min_exit_threshold"
        case maxPositionHoldMinutes = "max_position_hold_minutes"
        case targetHitRate = "target_hit_rate", minDailyTrades = "min_daily_trades"
        case maxDrawdownTolerance = "max_drawdown_tolerance"
        case spotFee = "spot_fee", futFee = "fut_fee", maxThresholdRatio = "max_threshold_ratio"
    }
}
