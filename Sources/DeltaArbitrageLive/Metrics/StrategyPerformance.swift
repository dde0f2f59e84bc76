/// Execution metrics of the live strategy (the seed's `StrategyPerformance`).
public struct StrategyPerformance: Sendable, Equatable, Codable {
    /// Mean time from a tick's arrival to the order decision, in milliseconds.
    public var avgTradeExecutionMs: Double
    /// Mean duration of the parameter updates so far (optimisation included), in milliseconds.
    public var parameterUpdateDurationMs: Double
    /// Peak resident memory, in MiB.
    public var memoryUsageMb: Double
    /// Share of the running time the strategy was able to trade, in percent.
    public var uptimePercentage: Double

    /// A record from its four measurements.
    public init(avgTradeExecutionMs: Double, parameterUpdateDurationMs: Double, memoryUsageMb: Double, uptimePercentage: Double) {
        self.avgTradeExecutionMs = avgTradeExecutionMs
        self.parameterUpdateDurationMs = parameterUpdateDurationMs
        self.memoryUsageMb = memoryUsageMb
        self.uptimePercentage = uptimePercentage
    }

    enum CodingKeys: String, CodingKey {
        case avgTradeExecutionMs = "avg_trade_execution_ms"
        case parameterUpdateDurationMs = "parameter_update_duration_ms"
        case memoryUsageMb = "memory_usage_mb"
        case uptimePercentage = "uptime_percentage"
    }
}
