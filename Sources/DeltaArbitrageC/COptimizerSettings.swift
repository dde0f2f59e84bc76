import DeltaArbitrage
import Foundation

/// The optimiser settings of the ABI's `config_json`: every key optional,
/// the seed's defaults otherwise (include/deltaarb.h lists the keys). The
/// same settings as the CLI's optimizer options, checked the same way.
struct COptimizerSettings: Codable {
    var targetHitRate: Double?
    var minDailyTrades: Int?
    var maxDrawdownTolerance: Double?
    var maxEntryThreshold: Double?
    var minExitThreshold: Double?
    var maxThresholdRatio: Double?
    var maxPositionHoldMinutes: Int?
    var minSpreadDataPoints: Int?
    var spotFee: Double?
    var futFee: Double?
    var gridSteps: Int?
    var entryGrid: String?
    var exitGrid: String?
    var timeBudgetMs: Double?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case targetHitRate = "target_hit_rate", minDailyTrades = "min_daily_trades"
        case maxDrawdownTolerance = "max_drawdown_tolerance", maxEntryThreshold = "max_entry_threshold"
        case minExitThreshold = "min_exit_threshold", maxThresholdRatio = "max_threshold_ratio"
        case maxPositionHoldMinutes = "max_position_hold_minutes", minSpreadDataPoints = "min_spread_data_points"
        case spotFee = "spot_fee", futFee = "fut_fee", gridSteps = "grid_steps"
        case entryGrid = "entry_grid", exitGrid = "exit_grid", timeBudgetMs = "time_budget_ms"
    }

    /// Parses `config_json` (NULL: all defaults); unknown keys and wrong
    /// types are `DELTAARB_INVALID_ARGUMENT` naming the key.
    init(json: UnsafePointer<CChar>?) throws {
        guard let json else { return }
        let data = Data(String(cString: json).utf8)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw CFailure(.invalidArgument, "config_json is not valid JSON: \(error.localizedDescription)")
        }
        guard let keys = (object as? [String: Any])?.keys else {
            throw CFailure(.invalidArgument, "config_json must be a JSON object")
        }
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let unknown = keys.sorted().first(where: { !known.contains($0) }) {
            throw CFailure(.invalidArgument, "config_json: unknown key '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        do {
            self = try JSONDecoder().decode(COptimizerSettings.self, from: data)
        } catch let error as DecodingError {
            throw CFailure(.invalidArgument, "config_json: \(error.summary)")
        }
    }

    init() {}

    /// The configured optimiser; `ParameterValidationError` naming the
    /// setting by its key when one is out of range.
    func optimizer() throws -> DeltaArbitrageOptimizer {
        var config = OptimizerConfig()
        if let v = targetHitRate { config.targetHitRate = v }
        if let v = minDailyTrades { config.minDailyTrades = v }
        if let v = maxDrawdownTolerance { config.maxDrawdownTolerance = v }
        if let v = maxEntryThreshold { config.maxEntryThreshold = v }
        if let v = minExitThreshold { config.minExitThreshold = v }
        if let v = maxThresholdRatio { config.maxThresholdRatio = v }
        if let v = maxPositionHoldMinutes { config.maxPositionHoldMinutes = v }
        if let v = minSpreadDataPoints { config.minSpreadDataPoints = v }
        if let v = spotFee { config.spotFee = v }
        if let v = futFee { config.futFee = v }
        try config.validate()
        var optimizer = DeltaArbitrageOptimizer(config: config)
        optimizer.entryGrid = try entryGrid.map { try ThresholdAxis(parsing: $0, parameter: "entry_grid") }
        optimizer.exitGrid = try exitGrid.map { try ThresholdAxis(parsing: $0, parameter: "exit_grid") }
        let steps = gridSteps ?? optimizer.defaultGridSteps
        guard (1...512).contains(steps) else {
            throw ParameterValidationError(parameter: "grid_steps", value: Double(steps), rule: "must be in 1...512")
        }
        optimizer.defaultGridSteps = steps
        let points = (optimizer.entryGrid?.steps ?? steps) * (optimizer.exitGrid?.steps ?? steps)
        guard points <= DeltaArbitrageOptimizer.maxGridPoints else {
            throw ParameterValidationError(parameter: "entry_grid × exit_grid", value: Double(points),
                                           rule: "threshold pairs exceed the limit of \(DeltaArbitrageOptimizer.maxGridPoints)")
        }
        if let ms = timeBudgetMs {
            guard ms > 0, ms <= 1e9 else {
                throw ParameterValidationError(parameter: "time_budget_ms", value: ms, rule: "must be in (0, 1e9]")
            }
            optimizer.timeBudget = .nanoseconds(Int64(ms * 1e6))
        }
        return optimizer
    }

    /// Every setting in force for `optimizer`, the form `deltaarb_optimizer_config` returns.
    static func resolved(_ optimizer: DeltaArbitrageOptimizer) -> COptimizerSettings {
        let c = optimizer.config
        var s = COptimizerSettings()
        s.targetHitRate = c.targetHitRate
        s.minDailyTrades = c.minDailyTrades
        s.maxDrawdownTolerance = c.maxDrawdownTolerance
        s.maxEntryThreshold = c.maxEntryThreshold
        s.minExitThreshold = c.minExitThreshold
        s.maxThresholdRatio = c.maxThresholdRatio
        s.maxPositionHoldMinutes = c.maxPositionHoldMinutes
        s.minSpreadDataPoints = c.minSpreadDataPoints
        s.spotFee = c.spotFee
        s.futFee = c.futFee
        s.gridSteps = optimizer.defaultGridSteps
        s.entryGrid = optimizer.entryGrid?.description
        s.exitGrid = optimizer.exitGrid?.description
        s.timeBudgetMs = optimizer.timeBudget.map { Double($0.components.seconds) * 1e3 + Double($0.components.attoseconds) / 1e15 }
        return s
    }

    /// Encodes absent settings as explicit nulls, so every key is listed.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(targetHitRate, forKey: .targetHitRate)
        try c.encode(minDailyTrades, forKey: .minDailyTrades)
        try c.encode(maxDrawdownTolerance, forKey: .maxDrawdownTolerance)
        try c.encode(maxEntryThreshold, forKey: .maxEntryThreshold)
        try c.encode(minExitThreshold, forKey: .minExitThreshold)
        try c.encode(maxThresholdRatio, forKey: .maxThresholdRatio)
        try c.encode(maxPositionHoldMinutes, forKey: .maxPositionHoldMinutes)
        try c.encode(minSpreadDataPoints, forKey: .minSpreadDataPoints)
        try c.encode(spotFee, forKey: .spotFee)
        try c.encode(futFee, forKey: .futFee)
        try c.encode(gridSteps, forKey: .gridSteps)
        try c.encode(entryGrid, forKey: .entryGrid)
        try c.encode(exitGrid, forKey: .exitGrid)
        try c.encode(timeBudgetMs, forKey: .timeBudgetMs)
    }
}
