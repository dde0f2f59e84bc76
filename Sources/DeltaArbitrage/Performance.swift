import CIntrinsics
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

/// Resident-memory readings of this process (Linux `/proc/self/status`).
public enum ProcessMemory {
    /// Peak resident set size (`VmHWM`) in MiB, or NaN where unavailable.
    public static func peakResidentMegabytes() -> Double { read("VmHWM:") }

    /// Current resident set size (`VmRSS`) in MiB, or NaN where unavailable.
    public static func residentMegabytes() -> Double { read("VmRSS:") }

    /// Asks the C allocator to keep up to `bytes` of freed heap memory for
    /// reuse instead of handing it back to the system at every free (glibc
    /// `M_TRIM_THRESHOLD`; nothing elsewhere). A walk-forward optimises tens
    /// of thousands of windows, each allocating and freeing a few hundred KiB
    /// of grid results; by default each free gave the pages back and the next
    /// window faulted fresh zeroed ones in (half the system time of a run).
    /// A process-wide policy, so executables set it (`delta-arb`, the
    /// benchmarks), not the library. The peak stays what the process uses.
    public static func retainFreedHeapMemory(upTo bytes: Int = 256 << 20) {
        delta_arb_retain_freed_heap(Int32(clamping: bytes))
    }

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
