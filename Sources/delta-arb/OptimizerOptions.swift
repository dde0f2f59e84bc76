import ArgumentParser
import DeltaArbitrage

/// Safety rules, targets, fees and grid of the optimiser, shared by `optimize` and `walk-forward`.
struct OptimizerOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Entry thresholds to try: STEPS values from FROM to TO percent inclusive (default: derived from the spread).", valueName: "FROM:TO:STEPS"))
    var entryGrid: String?

    @Option(help: ArgumentHelp("Exit thresholds to try, as --entry-grid (default: derived from the spread).", valueName: "FROM:TO:STEPS"))
    var exitGrid: String?

    @Option(help: ArgumentHelp("Points per axis of a derived grid.", valueName: "n"))
    var gridSteps: Int = 32

    @Option(help: ArgumentHelp("Safety: never use an entry threshold above this, percent.", valueName: "pct"))
    var maxEntry: Double = 1.0

    @Option(help: ArgumentHelp("Safety: never use an exit threshold below this, percent.", valueName: "pct"))
    var minExit: Double = 0.05

    @Option(help: ArgumentHelp("Safety: largest entry/exit threshold ratio.", valueName: "ratio"))
    var maxRatio: Double = 10

    @Option(help: ArgumentHelp("Hold limit: close a position after this many minutes.", valueName: "minutes"))
    var maxHoldMinutes: Int = 360

    @Option(help: ArgumentHelp("Target: fraction of winning trades.", valueName: "fraction"))
    var targetHitRate: Double = 0.7

    @Option(help: ArgumentHelp("Target: trades per day.", valueName: "n"))
    var minDailyTrades: Int = 5

    @Option(help: ArgumentHelp("Target: largest drawdown of cumulative net P&L, a fraction (0.02 = 2 %).", valueName: "fraction"))
    var maxDrawdown: Double = 0.02

    @Option(help: ArgumentHelp("Fewest rows an optimisation accepts.", valueName: "n"))
    var minPoints: Int = 100

    @Option(help: ArgumentHelp("Spot taker fee, as a fraction (0.0005 = 5 bp).", valueName: "fraction"))
    var spotFee: Double = 0.0005

    @Option(help: ArgumentHelp("Futures taker fee, as a fraction.", valueName: "fraction"))
    var futFee: Double = 0.0005

    @Option(help: ArgumentHelp("Give up an optimisation after this many milliseconds.", valueName: "ms"))
    var timeBudgetMs: Double?

    /// The configured optimiser, or a usage error naming the bad option.
    func optimizer() throws -> DeltaArbitrageOptimizer {
        var config = DeltaArbitrageConfig()
        config.maxEntryThreshold = maxEntry
        config.minExitThreshold = minExit
        config.maxThresholdRatio = maxRatio
        config.maxPositionHoldMinutes = maxHoldMinutes
        config.targetHitRate = targetHitRate
        config.minDailyTrades = minDailyTrades
        config.maxDrawdownTolerance = maxDrawdown
        config.minSpreadDataPoints = minPoints
        config.spotFee = spotFee
        config.futFee = futFee
        do {
            try config.validate()
            var optimizer = DeltaArbitrageOptimizer(config: config)
            optimizer.entryGrid = try entryGrid.map { try ThresholdAxis(parsing: $0, parameter: "--entry-grid") }
            optimizer.exitGrid = try exitGrid.map { try ThresholdAxis(parsing: $0, parameter: "--exit-grid") }
            guard (1...512).contains(gridSteps) else {
                throw ParameterValidationError(parameter: "--grid-steps", value: Double(gridSteps), rule: "must be in 1...512")
            }
            optimizer.defaultGridSteps = gridSteps
            if let timeBudgetMs {
                guard timeBudgetMs > 0, timeBudgetMs <= 1e9 else {
                    throw ParameterValidationError(parameter: "--time-budget-ms", value: timeBudgetMs, rule: "must be in (0, 1e9]")
                }
                optimizer.timeBudget = .nanoseconds(Int64(timeBudgetMs * 1e6))
            }
            return optimizer
        } catch let error as ParameterValidationError {
            throw ValidationError(Self.optionName(error))
        }
    }

    /// Checks an hours-of-lookback option against the engine's bound.
    static func requireLookback(_ hours: Int, option: String) throws {
        guard (1...DeltaArbitrageConfig.maxLookbackHours).contains(hours) else {
            throw ValidationError("\(option) must be in 1...\(DeltaArbitrageConfig.maxLookbackHours)")
        }
    }

    /// The error with the configuration field renamed to its command-line option.
    static func optionName(_ error: ParameterValidationError) -> String {
        let options = [
            "max_entry_threshold": "--max-entry", "min_exit_threshold": "--min-exit", "max_threshold_ratio": "--max-ratio",
            "max_position_hold_minutes": "--max-hold-minutes", "target_hit_rate": "--target-hit-rate",
            "min_daily_trades": "--min-daily-trades", "max_drawdown_tolerance": "--max-drawdown",
            "min_spread_data_points": "--min-points", "spot_fee": "--spot-fee", "fut_fee": "--fut-fee",
            "optimization_lookback_hours": "--window-hours", "parameter_update_interval_minutes": "--update-minutes",
        ]
        var renamed = error
        renamed.parameter = options[error.parameter] ?? error.parameter
        return renamed.description
    }
}
