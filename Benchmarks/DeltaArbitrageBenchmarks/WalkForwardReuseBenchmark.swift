import ArgumentParser
import DeltaArbitrage
import DeltaArbitrageMockData
import Foundation

extension Benchmark {
    /// The walk-forward from an Arrow file (5-minute updates, 24 h window,
    /// 32 x 32 grid) with each window reusing the previous window's trade
    /// chains and with every window searched from scratch (the default),
    /// side by side: load + walk-forward seconds and the peak
    /// resident size of each (the peak is reset between them), and a check
    /// that both give the same trades, updates and optimisation history.
    func measureWalkForwardReuse(_ workload: Workload) throws -> [String: Any] {
        let hours = walkForwardHours ?? workload.hours
        let path = "\(workDirectory)/\(workload.name).arrow"
        var rows = 0
        do {
            log("== \(workload.name): generating \(hours) h of \(workload.tickMs) ms ticks")
            let data = try generateMockMarketData(hours: hours, seed: seed, tickInterval: workload.tickMs / 1000)
            rows = data.count
            let (_, writeSeconds) = try Stopwatch.time { try ArrowFileWriter().write(data, to: path) }
            log("   \(rows) rows written to \(path) in \(writeSeconds) s")
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try ArrowFileReader().load(path: path)  // warm the page cache for both runs alike

        struct Run {
            var loadSeconds: Double, walkSeconds: Double, peakMb: Double, result: WalkForwardResult
        }
        func run(reusing: Bool) throws -> Run {
            let resetOK = PeakMemory.reset()
            if !resetOK { log("   (peak RSS not resettable here: the second figure includes the first)") }
            let label = reusing ? "reusing chains" : "full search"
            let started = ContinuousClock.now
            let data = try ArrowFileReader().load(path: path).data
            let loadSeconds = (ContinuousClock.now - started).seconds
            let optimizer = { var o = DeltaArbitrageOptimizer(); o.reusesTradeChains = reusing; return o }()
            let progress = ProgressLog(label: "   walk-forward (\(label))")
            let (result, walkSeconds) = try Stopwatch.time { () throws -> WalkForwardResult in
                try waitFor { try await optimizedDeltaNeutralBacktest(
                    data, optimizer: optimizer, optimizationWindowHours: 24, updateInterval: .seconds(300),
                    progress: { progress.report($0) }) }
            }
            let peak = ProcessMemory.peakResidentMegabytes()
            log("   \(label): load \(loadSeconds) s + walk-forward \(walkSeconds) s = \(loadSeconds + walkSeconds) s; "
                + "\(result.updates.count) updates, \(result.trades.count) trades; peak RSS \(peak) MB")
            return Run(loadSeconds: loadSeconds, walkSeconds: walkSeconds, peakMb: peak, result: result)
        }
        let new = try run(reusing: true)
        let old = try run(reusing: false)
        let identical = new.result.trades == old.result.trades
            && "\(new.result.optimizationHistory)" == "\(old.result.optimizationHistory)"
            && "\(new.result.updates)" == "\(old.result.updates)"
            && "\(new.result.summary)" == "\(old.result.summary)"
            && "\(String(describing: new.result.openPosition))" == "\(String(describing: old.result.openPosition))"
        guard identical else { throw ValidationError("the reusing walk-forward differs from the full search") }
        let newTotal = new.loadSeconds + new.walkSeconds, oldTotal = old.loadSeconds + old.walkSeconds
        log("   identical results; total old/new \(oldTotal / newTotal)x, walk-forward old/new \(old.walkSeconds / new.walkSeconds)x, "
            + "peak RSS old/new \(old.peakMb / new.peakMb)")
        func figures(_ r: Run) -> [String: Any] {
            ["load_arrow_seconds": r.loadSeconds, "walk_forward_seconds": r.walkSeconds,
             "total_seconds": r.loadSeconds + r.walkSeconds, "peak_rss_mb": r.peakMb,
             "seconds_per_update": r.walkSeconds / Double(max(r.result.updates.count, 1))]
        }
        var document = header(Workload(name: workload.name, hours: hours, tickMs: workload.tickMs), rows: rows)
        document["walk_forward"] = [
            "window_hours": 24, "update_minutes": 5, "grid": [32, 32],
            "updates": new.result.updates.count, "optimised": new.result.optimizationHistory.count,
            "trades": new.result.trades.count, "total_pnl_pct": new.result.summary.totalPnlPct,
            "identical_results": identical,
        ] as [String: Any]
        document["engine"] = ["reusing_chains": figures(new), "full_search": figures(old)]
        document["ratios_old_over_new"] = [
            "total_seconds": oldTotal / newTotal, "walk_forward_seconds": old.walkSeconds / new.walkSeconds,
            "peak_rss": old.peakMb / new.peakMb,
        ]
        document["load_average"] = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown"
        return document
    }
}
