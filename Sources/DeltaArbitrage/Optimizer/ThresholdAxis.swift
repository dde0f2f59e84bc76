/// `steps` evenly spaced thresholds from `from` to `to` inclusive (percent),
/// written `FROM:TO:STEPS` on the command line.
public struct ThresholdAxis: Sendable, Hashable, Codable, CustomStringConvertible {
    /// First threshold, percent.
    public var from: Double
    /// Last threshold, percent (`≥ from`).
    public var to: Double
    /// Number of thresholds, 1…4096.
    public var steps: Int

    /// - Throws: `ParameterValidationError` naming `parameter` when the bounds
    ///   are not finite, `to < from`, or `steps` is not in 1…4096 (or a single
    ///   step spans two different bounds).
    public init(from: Double, to: Double, steps: Int, parameter: String = "grid") throws(ParameterValidationError) {
        guard from.isFinite else { throw ParameterValidationError(parameter: parameter, value: from, rule: "FROM must be finite") }
        guard to.isFinite else { throw ParameterValidationError(parameter: parameter, value: to, rule: "TO must be finite") }
        guard to >= from else { throw ParameterValidationError(parameter: parameter, value: to, rule: "TO must not be below FROM (\(from))") }
        guard (1...4096).contains(steps) else {
            throw ParameterValidationError(parameter: parameter, value: Double(steps), rule: "STEPS must be in 1...4096")
        }
        guard steps > 1 || from == to else {
            throw ParameterValidationError(parameter: parameter, value: Double(steps), rule: "one step needs FROM == TO")
        }
        self.from = from
        self.to = to
        self.steps = steps
    }

    /// Parses `FROM:TO:STEPS`, e.g. `0.1:0.9:33`.
    public init(parsing text: String, parameter: String = "grid") throws(ParameterValidationError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let from = Double(parts[0]), let to = Double(parts[1]), let steps = Int(parts[2]) else {
            throw ParameterValidationError(parameter: parameter, value: .nan,
                                           rule: "'\(text)' is not FROM:TO:STEPS (two numbers and an integer, e.g. 0.1:0.9:33)")
        }
        try self.init(from: from, to: to, steps: steps, parameter: parameter)
    }

    /// The thresholds: `from + k·(to − from)/(steps − 1)`, the last exactly `to`.
    public var values: [Double] {
        guard steps > 1 else { return [from] }
        let step = (to - from) / Double(steps - 1)
        return (0..<steps).map { $0 == steps - 1 ? to : from + Double($0) * step }
    }

    /// `FROM:TO:STEPS`, the form `init(parsing:)` reads.
    public var description: String { "\(from):\(to):\(steps)" }
}
