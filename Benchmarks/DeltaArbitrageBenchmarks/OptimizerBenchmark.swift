import ArgumentParser
import DeltaArbitrage
import Foundation

extension Benchmark {
    /// `optimizeParameters` on a day of 1 s ticks with the default 32 x 32 grid,
    /// beside the numba grid loop over the same thresholds on the same file.
    func measureOptimize(_ workload: Workload) throws -> [String: Any] {
        log("== \(workload.name): generating \(workload.hours) h of \(workload.tickMs) ms ticks")
        let data = try workload.generate(seed: seed)
        let optimizer = DeltaArbitrageOptimizer()
        _ = try optimizer.optimizeNow(data, lookbackHours: 24)  // warm-up
        let (report, seconds) = try Stopwatch.best(of: max(repeats, 5)) { try optimizer.optimizeNow(data, lookbackHours: 24) }
        let s = report.surface
        log("   optimizeParameters \(seconds * 1000) ms: \(s.entries.count)x\(s.exits.count) grid, "
            + "\(report.constraintStatus.safePoints) safe points, confidence \(report.result.confidenceScore)")
        var document = header(workload, rows: data.count)
        document["engine"] = [
            "optimize_parameters": [
                "seconds": seconds, "grid": [s.entries.count, s.exits.count],
                "entry_range": [s.entries.first!, s.entries.last!], "exit_range": [s.exits.first!, s.exits.last!],
                "safe_points_backtested": report.constraintStatus.safePoints,
                "points": report.constraintStatus.totalPoints,
                "result": try jsonObject(report.result),
                "constraint_status_summary": report.constraintStatus.summary,
                "optimization_performance": try jsonObject(report.performance),
            ] as [String: Any],
        ]
        if peers != "none" {
            let csv = "\(workDirectory)/\(workload.name).csv"
            try data.writeCSV(to: csv)
            defer { try? FileManager.default.removeItem(atPath: csv) }
            log("   running peer grid_numba on the same \(s.entries.count)x\(s.exits.count) thresholds")
            let rule = optimizer.config.rule(entryThresholdPct: 0.5, exitThresholdPct: 0.1)
            let peer = Peers.run(
                csv: csv, rule: (rule.entryThresholdPct, rule.exitThresholdPct, rule.maxHours, rule.spotFee, rule.futFee),
                only: ["grid_numba"], rowLoopLimit: rowLoopLimit, workDirectory: workDirectory,
                extra: ["--grid", "\(s.entries.count)", "--grid-rows-limit", "0",
                        "--entry-min", "\(s.entries.first!)", "--entry-max", "\(s.entries.last!)",
                        "--exit-min", "\(s.exits.first!)", "--exit-max", "\(s.exits.last!)"])
            document["peers"] = peer
            if let numba = peer.number("grid_numba", "seconds") {
                document["ratios_peer_seconds_over_engine_seconds"] = ["optimize_vs_numba_grid": numba / seconds]
                log("   optimize_vs_numba_grid: \(numba / seconds)")
            }
        }
        return document
    }

    /// The walk-forward over 90 days of 1 s ticks: 5-minute updates, 24 h
    /// window, 32 x 32 grid. The peer (numba grid per update) is extrapolated
    /// from one window's grid time in the optimize-1d-1s result when present.
    func measureWalkForward(_ workload: Workload) throws -> [String: Any] {
        log("== \(workload.name): generating \(workload.hours) h of \(workload.tickMs) ms ticks")
        let data = try workload.generate(seed: seed)
        let columns = Double(data.columnBytes) / 1_048_576
        let neededColumns = Double(data.count * 40) / 1_048_576
        let optimizer = DeltaArbitrageOptimizer()
        let progress = ProgressLog(label: "   walk-forward")
        let (result, seconds) = try Stopwatch.time { () throws -> WalkForwardResult in
            try waitFor { try await optimizedDeltaNeutralBacktest(
                data, optimizer: optimizer, optimizationWindowHours: 24, updateInterval: .seconds(300),
                progress: { progress.report($0) }) }
        }
        let peak = ProcessMemory.peakResidentMegabytes()
        let updates = result.updates.count
        log("   walk-forward \(seconds) s: \(updates) updates (\(result.optimizationHistory.count) optimised), "
            + "\(result.trades.count) trades; peak RSS \(peak) MB vs columns \(columns) MB")
        var document = header(workload, rows: data.count)
        document["engine"] = [
            "walk_forward": [
                "seconds": seconds, "updates": updates, "optimised": result.optimizationHistory.count,
                "seconds_per_update": seconds / Double(max(updates, 1)),
                "window_hours": 24, "update_minutes": 5, "grid": [optimizer.defaultGridSteps, optimizer.defaultGridSteps],
                "trades": result.trades.count, "total_pnl_pct": result.summary.totalPnlPct,
                "peak_rss_mb": peak, "column_mb_all_nine": columns, "column_mb_backtest_five": neededColumns,
                "peak_rss_over_all_columns": peak / columns,
            ] as [String: Any],
        ]
        // Peer: the numba grid timed on one 24 h window of the same shape, once per update.
        if let single = try? Data(contentsOf: URL(fileURLWithPath: "\(out)/optimize-1d-1s.json")),
           let object = try? JSONSerialization.jsonObject(with: single) as? [String: Any],
           let numba = object.number("peers", "grid_numba", "seconds") {
            let extrapolated = numba * Double(updates)
            document["peers"] = ["grid_numba_per_update_extrapolated": [
                "seconds_per_window": numba, "updates": updates, "seconds": extrapolated,
                "source": "bench-results/optimize-1d-1s.json (same grid shape, one 24 h window of 1 s ticks)"]]
            document["ratios_peer_seconds_over_engine_seconds"] = ["walk_forward_vs_numba_grid_per_update": extrapolated / seconds]
            log("   walk_forward_vs_numba_grid_per_update: \(extrapolated / seconds)")
        }
        return document
    }

    func header(_ workload: Workload, rows: Int) -> [String: Any] {
        ["workload": ["name": workload.name, "hours": workload.hours, "mean_tick_ms": workload.tickMs, "rows": rows, "seed": seed],
         "machine": machineDescription(), "date": ISO8601DateFormatter().string(from: Date()), "build": "release"]
    }

    func jsonObject<T: Encodable>(_ value: T) throws -> Any {
        try JSONSerialization.jsonObject(with: JSONEncoder().encode(value))
    }
}

/// Runs an async call to completion from synchronous code.
func waitFor<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { box.set(.success(try await body())) } catch { box.set(.failure(error)) }
        done.signal()
    }
    done.wait()
    return try box.get()
}

final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, any Error>?
    func set(_ r: Result<T, any Error>) { lock.lock(); result = r; lock.unlock() }
    func get() throws -> T { lock.lock(); defer { lock.unlock() }; return try result!.get() }
}

/// Logs progress to stderr every 10 %.
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0.1
    let label: String
    init(label: String) { self.label = label }
    func report(_ fraction: Double) {
        lock.lock()
        defer { lock.unlock() }
        guard fraction >= next else { return }
        FileHandle.standardError.write(Data("\(label) \(Int(fraction * 100)) %\n".utf8))
        next += 0.1
    }
}
