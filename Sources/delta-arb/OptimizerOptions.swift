import ArgumentParser
import DeltaArbitrage
import Foundation

/// Safety rules, targets, fees and grid of the optimiser, shared by `optimize` and `walk-forward`.
struct OptimizerOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Entry thresholds to try: STEPS values from FROM to TO percent inclusive (default: derived from the spread).", valueName: "FROM:TO:STEPS"))
    var entryGrid: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Exit thresholds to try, as --entry-grid (default: derived from the spread).", valueName: "FROM:TO:STEPS"))
    var exitGrid: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Points per axis of a derived grid.", valueName: "n"))
    var gridSteps: Int = 32

    @Option(parsing: .unconditional, help: ArgumentHelp("Safety: never use an entry threshold above this, percent.", valueName: "pct"))
    var maxEntry: Double = 1.0

    @Option(parsing: .unconditional, help: ArgumentHelp("Safety: never use an exit threshold below this, percent.", valueName: "pct"))
    var minExit: Double = 0.05

    @Option(parsing: .unconditional, help: ArgumentHelp("Safety: largest entry/exit threshold ratio.", valueName: "ratio"))
    var maxRatio: Double = 10

    @Option(parsing: .unconditional, help: ArgumentHelp("Hold limit: close a position after this many minutes.", valueName: "minutes"))
    var maxHoldMinutes: Int = 360

    @Option(parsing: .unconditional, help: ArgumentHelp("Target: fraction of winning trades.", valueName: "fraction"))
    var targetHitRate: Double = 0.7

    @Option(parsing: .unconditional, help: ArgumentHelp("Target: trades per day.", valueName: "n"))
    var minDailyTrades: Int = 5

    @Option(parsing: .unconditional, help: ArgumentHelp("Target: largest drawdown of cumulative net P&L, a fraction (0.02 = 2 %).", valueName: "fraction"))
    var maxDrawdown: Double = 0.02

    @Option(parsing: .unconditional, help: ArgumentHelp("Fewest rows an optimisation accepts.", valueName: "n"))
    var minPoints: Int = 100

    @Option(parsing: .unconditional, help: ArgumentHelp("Spot taker fee, as a fraction (0.0005 = 5 bp).", valueName: "fraction"))
    var spotFee: Double = 0.0005

    @Option(parsing: .unconditional, help: ArgumentHelp("Futures taker fee, as a fraction.", valueName: "fraction"))
    var futFee: Double = 0.0005

    @Option(parsing: .unconditional, help: ArgumentHelp("Give up an optimisation after this many milliseconds.", valueName: "ms"))
    var timeBudgetMs: Double?

    /// The configured optimiser, or a usage error naming the bad option.
    func optimizer() throws -> DeltaArbitrageOptimizer {
        var config = OptimizerConfig()
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
            optimizer.entryGrid = try entryGrid.map { try Self.axis($0, option: "--entry-grid") }
            optimizer.exitGrid = try exitGrid.map { try Self.axis($0, option: "--exit-grid") }
            guard (1...512).contains(gridSteps) else {
                throw ValidationError("--grid-steps must be in 1...512, got \(gridSteps)")
            }
            optimizer.defaultGridSteps = gridSteps
            let points = (optimizer.entryGrid?.steps ?? gridSteps) * (optimizer.exitGrid?.steps ?? gridSteps)
            guard points <= DeltaArbitrageOptimizer.maxGridPoints else {
                throw ValidationError("--entry-grid × --exit-grid (or --grid-steps) gives \(Format.count(points)) threshold pairs; "
                    + "the limit is \(Format.count(DeltaArbitrageOptimizer.maxGridPoints)) (e.g. 512 × 512)")
            }
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

    /// `FROM:TO:STEPS` for `option`, or a usage error saying which part is wrong.
    static func axis(_ text: String, option: String) throws -> ThresholdAxis {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw ValidationError("\(option) '\(text)' is not FROM:TO:STEPS (two numbers and an integer, e.g. 0.1:0.9:33)")
        }
        for (name, part) in zip(["FROM", "TO"], parts.prefix(2)) where Double(part) == nil {
            throw ValidationError("\(option) '\(text)': \(name) '\(part)' is not a number")
        }
        guard Int(parts[2]) != nil else {
            throw ValidationError("\(option) '\(text)': STEPS '\(parts[2])' is not a whole number")
        }
        return try ThresholdAxis(parsing: text, parameter: option)
    }

    /// The first safety rule the fixed thresholds `--entry`/`--exit` break, as a usage error.
    func requireSafe(entry: Double, exit: Double) throws {
        let config = try optimizer().config
        if let violation = config.safetyViolation(entryThreshold: entry, exitThreshold: exit) {
            throw ValidationError(Self.optionName(violation))
        }
    }

    /// The error with configuration fields renamed to their command-line
    /// options, in the parameter and in the rule's text.
    static func optionName(_ error: ParameterValidationError, also extra: [String: String] = [:]) -> String {
        var options = [
            "max_entry_threshold": "--max-entry", "min_exit_threshold": "--min-exit", "max_threshold_ratio": "--max-ratio",
            "max_position_hold_minutes": "--max-hold-minutes", "target_hit_rate": "--target-hit-rate",
            "min_daily_trades": "--min-daily-trades", "max_drawdown_tolerance": "--max-drawdown",
            "min_spread_data_points": "--min-points", "spot_fee": "--spot-fee", "fut_fee": "--fut-fee",
            "optimization_lookback_hours": "--window-hours", "parameter_update_interval_minutes": "--update-minutes",
            "entry_threshold_pct": "--entry", "exit_threshold_pct": "--exit",
        ]
        options.merge(extra) { _, new in new }
        var renamed = error
        renamed.parameter = options[error.parameter] ?? error.parameter
        // Longest names first, so that no name is replaced inside a longer one.
        for (field, option) in options.sorted(by: { $0.key.count > $1.key.count }) where field.contains("_") {
            renamed.rule = renamed.rule.replacingOccurrences(of: field, with: option)
        }
        return renamed.description
    }
}

/// `--lookback-hours` / `--window-hours`: a positive number of hours (fractions
/// allowed) or `all`, the whole input.
enum HoursOrAll: ExpressibleByArgument, Equatable {
    case hours(Double)
    case all

    init?(argument: String) {
        if argument == "all" {
            self = .all
        } else if let hours = Double(argument) {
            self = .hours(hours)
        } else {
            return nil
        }
    }

    var defaultValueDescription: String { text }

    /// As typed: `24`, `0.5`, `all`.
    var text: String {
        switch self {
        case .all: "all"
        case .hours(let h): Format.plain(h)
        }
    }

    /// A usage error unless the hours are within the optimiser's bounds.
    func validate(option: String) throws {
        if case .hours(let h) = self, !OptimizerConfig.isValidLookback(h) {
            throw ValidationError("\(option) must be a positive number of hours at most "
                + "\(OptimizerConfig.maxLookbackHours), or 'all'; got \(Format.plain(h))")
        }
    }

    /// The hours for `data`: `all` is its whole span. With `refusingLonger`, a
    /// number of hours beyond the span is an error (the walk-forward and paper
    /// would otherwise run without a single successful optimisation).
    func hours(of data: MarketData, option: String, refusingLonger: Bool) throws -> Double {
        let span = Double(data.spanNanoseconds) / 3.6e12
        switch self {
        case .all:
            guard span > 0 else { throw CommandFailure(DataSpanError(text: "\(option) all: the data spans no time")) }
            return span
        case .hours(let h):
            if refusingLonger && h > span {
                throw CommandFailure(DataSpanError(text: "\(option) \(Format.plain(h)) is longer than the data "
                    + "(\(Format.fixed(span, 2)) h); use a shorter window or 'all'"))
            }
            return h
        }
    }
}

/// Options that do not fit the data read: exit status 1 with the text.
struct DataSpanError: Error, CustomStringConvertible {
    let text: String
    var description: String { text }
}
