#if canImport(Glibc)
import Glibc
#endif

/// Cost of one optimisation or analysis run (the seed's `OptimizationPerformance`).
public struct OptimizationPerformance: Sendable, Equatable, Codable {
    /// Wall-clock duration of the run, in milliseconds.
    public var optimizationDurationMs: Double
    /// Rows (or grid samples) the run read.
    public var dataPointsProcessed: Int
    /// Peak resident memory of the process when the run ended, in MiB.
    public var memoryUsageMb: Double
    /// Fraction of reusable intermediate results (spread columns, grid
    /// samples, first-passage searches) served from a cache rather than
    /// recomputed, in [0, 1]; 0 when the run used no cache.
    public var cacheHitRatio: Double

    /// A record from its four measurements.
    public init(optimizationDurationMs: Double, dataPointsProcessed: Int, memoryUsageMb: Double, cacheHitRatio: Double) {
        self.optimizationDurationMs = optimizationDurationMs
        self.dataPointsProcessed = dataPointsProcessed
        self.memoryUsageMb = memoryUsageMb
        self.cacheHitRatio = cacheHitRatio
    }

    enum CodingKeys: String, CodingKey {
        case optimizationDurationMs = "optimization_duration_ms"
        case dataPointsProcessed = "data_points_processed"
        case memoryUsageMb = "memory_usage_mb"
        case cacheHitRatio = "cache_hit_ratio"
    }
}

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

/// Resident-memory readings of this process (Linux `/proc/self/status`).
public enum ProcessMemory {
    /// Peak resident set size (`VmHWM`) in MiB, or NaN where unavailable.
    public static func peakResidentMegabytes() -> Double { read("VmHWM:") }

    /// Current resident set size (`VmRSS`) in MiB, or NaN where unavailable.
    public static func residentMegabytes() -> Double { read("VmRSS:") }

    private static func read(_ key: String) -> Double {
        #if canImport(Glibc)
        guard let file = fopen("/proc/self/status", "r") else { return .nan }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 256)
        while fgets(&buffer, Int32(buffer.count), file) != nil {
            let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard line.hasPrefix(key) else { continue }
            let digits = line.dropFirst(key.count).filter(\.isNumber)
            return (Double(String(digits)) ?? .nan) / 1024  // the kernel reports kB
        }
        return .nan
        #else
        return .nan
        #endif
    }
}
