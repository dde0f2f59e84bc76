/// Base of the optimizer's errors (the seed's `OptimizationError`).
///
/// Catch `any OptimizationError` to handle every optimisation failure; each
/// concrete type below is one of the seed's subclasses.
public protocol OptimizationError: Error, Sendable, CustomStringConvertible {}

/// Not enough data for a reliable optimisation or analysis (the seed's
/// `InsufficientDataError`).
public struct InsufficientDataError: OptimizationError, Equatable {
    /// What was being computed (`"optimizeParameters"`, `"adf"`, ...).
    public var operation: String
    /// How many data points (rows or grid samples) it needs at least.
    public var required: Int
    /// How many it got.
    public var available: Int
    /// Extra context (window length, constant series, ...).
    public var detail: String

    /// An error for `operation`, which needed `required` data points and got `available`.
    public init(operation: String, required: Int, available: Int, detail: String = "") {
        self.operation = operation
        self.required = required
        self.available = available
        self.detail = detail
    }

    /// `operation: insufficient data: need at least N, got M (detail)`, the
    /// parenthesis only with a detail.
    public var description: String {
        "\(operation): insufficient data: need at least \(required), got \(available)"
            + (detail.isEmpty ? "" : " (\(detail))")
    }
}

/// Thresholds fail the safety rules (the seed's `ParameterValidationError`).
public struct ParameterValidationError: OptimizationError, Equatable {
    /// The parameter at fault, by its seed name (`entry_threshold`, `max_hours`, ...).
    public var parameter: String
    /// The offending value.
    public var value: Double
    /// The rule it broke.
    public var rule: String

    /// An error for `parameter` at `value`, which broke `rule`.
    public init(parameter: String, value: Double, rule: String) {
        self.parameter = parameter
        self.value = value
        self.rule = rule
    }

    /// `invalid parameter = value: rule`, the value as typed (`0`, not `0.0`).
    public var description: String { "invalid \(parameter) = \(NumberText.plain(value)): \(rule)" }
}

/// The optimisation did not finish within its time budget (the seed's
/// `OptimizationTimeoutError`).
public struct OptimizationTimeoutError: OptimizationError, Equatable {
    /// The budget, in milliseconds.
    public var budgetMilliseconds: Double
    /// Grid points evaluated before the search stopped.
    public var evaluatedPoints: Int
    /// Grid points requested.
    public var totalPoints: Int

    /// An error for a budget of `budgetMilliseconds` that stopped the search after
    /// `evaluatedPoints` of `totalPoints`.
    public init(budgetMilliseconds: Double, evaluatedPoints: Int, totalPoints: Int) {
        self.budgetMilliseconds = budgetMilliseconds
        self.evaluatedPoints = evaluatedPoints
        self.totalPoints = totalPoints
    }

    /// The budget and how many grid points were evaluated.
    public var description: String {
        "optimisation exceeded its \(budgetMilliseconds) ms budget after \(evaluatedPoints) of \(totalPoints) grid points"
    }
}
