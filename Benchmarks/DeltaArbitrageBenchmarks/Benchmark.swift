import SpreadKernels
import ArgumentParser
import DeltaArbitrage
import Foundation

/// Times the engine (CSV ingest, backtest kernel, spread analysis) on generated
/// book-ticker data and, in the same run, the Python peers on the same files,
/// then writes one JSON result per workload into bench-results/.
@main
struct Benchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "DeltaArbitrageBenchmarks",
        abstract: "Engine vs. pandas / numba / statsmodels on generated book ticks (build with -c release).")

    @Option(help: "Workloads to run (comma-separated): \(Workload.all.map(\.name).joined(separator: ", ")).")
    var workloads: String = "1d-100ms,10m-rows-100ms"

    @Option(help: "Directory for the JSON results.")
    var out: String = "bench-results"

    @Option(help: "Scratch directory for the generated CSV files (large: ~130 bytes per row).")
    var workDirectory: String = NSTemporaryDirectory() + "delta-arb-bench"

    @Option(help: "Peers to run (comma-separated, as peers.py --only); 'none' to skip the peers.")
    var peers: String = "ingest,backtest_row_loop,backtest_vectorised,backtest_numba,grid_numba,analysis_statsmodels"

    @Option(help: "Rows of the seed's pandas row loop actually run (the rest is extrapolated per row).")
    var rowLoopLimit: Int = 200_000

    @Option(help: "Repetitions of each fast engine measurement (the best is kept).")
    var repeats: Int = 5

    @Option(help: "PostgreSQL URL for the db-read workload (default: $DELTA_ARB_TEST_DB; without either it is skipped). Its DBBENCH rows are rewritten.")
    var db: String?

    @Option(help: "Quotes the db-read workload writes and reads, over two markets (half each).")
    var dbRows: Int = 2_000_000

    @Option(help: "CSV files to time the loader alone on (comma-separated), instead of the workloads; the result is ingest-files.json.")
    var ingestFiles: String?

    @Option(help: "Seconds the live-soak-20k workload streams (600: the 10-minute soak).")
    var soakSeconds: Double = 600

    @Option(help: "Hours of data of the walk-forward-3m-100ms workload (default: its three months).")
    var walkForwardHours: Double?

    @Option(help: "Random seed of the generated data.")
    var seed: UInt64 = 42

    @Option(help: .hidden)
    var standInServers: String?

    func run() throws {
        ProcessMemory.retainFreedHeapMemory()  // as `delta-arb` does
        // The live workloads' servers, run as a child process of the benchmark (see StandInProcess).
        if let standInServers { return try StandInProcess.serve(standInServers) }
        try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        if let ingestFiles {
            let result = try measureIngestFiles(ingestFiles.split(separator: ",").map(String.init))
            let json = try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
            try json.write(to: URL(fileURLWithPath: "\(out)/ingest-files.json"))
            return
        }
        for name in workloads.split(separator: ",").map(String.init) {
            guard let workload = Workload.named(name) else {
                throw ValidationError("unknown workload '\(name)'; choose from \(Workload.all.map(\.name))")
            }
            let result: [String: Any]
            switch workload.job {
            case .databaseRead:
                guard let measured = try measureDatabaseRead(workload) else { continue }
                result = measured
            case .engine: result = try measure(workload)
            case .optimize: result = try measureOptimize(workload)
            case .walkForward: result = try measureWalkForward(workload)
            case .walkForwardReuse: result = try measureWalkForwardReuse(workload)
            case .paper: result = try measurePaper(workload)
            case .arrowRead: result = try measureArrowRead(workload)
            case .perMarketRead: result = try measurePerMarketRead(workload)
            case .ingest: result = try measureIngest(workload)
            case .liveLatency: result = try measureLiveFeed(workload, totalPerSecond: 50_000, seconds: 20)
            case .liveSoak: result = try measureLiveFeed(workload, totalPerSecond: 20_000, seconds: soakSeconds)
            }
            let path = "\(out)/\(workload.name).json"
            let json = try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
            try json.write(to: URL(fileURLWithPath: path))
            log("wrote \(path)")
        }
    }

    func log(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

    func measure(_ workload: Workload) throws -> [String: Any] {
        log("== \(workload.name): generating \(workload.hours) h of \(workload.tickMs) ms ticks")
        let (generated, generateSeconds) = try Stopwatch.time { try workload.generate(seed: seed) }
        let csv = "\(workDirectory)/\(workload.name).csv"
        let (_, writeSeconds) = try Stopwatch.time { try generated.writeCSV(to: csv) }
        let bytes = (try FileManager.default.attributesOfItem(atPath: csv)[.size] as? NSNumber)?.intValue ?? 0
        let rows = generated.count
        log("   \(rows) rows, \(bytes / 1_000_000) MB CSV; generate \(generateSeconds) s, write \(writeSeconds) s")

        // Ingest: parse the CSV into columns.
        let loader = MarketDataCSVLoader()
        let (loaded, ingestSeconds) = try Stopwatch.best(of: min(repeats, 3)) { try loader.load(path: csv) }
        let data = loaded.data
        guard data == generated else { throw ValidationError("CSV round trip changed the data") }
        log("   ingest \(ingestSeconds) s = \(Double(bytes) / ingestSeconds / 1e6) MB/s")

        // Backtest: the kernel over loaded columns, then the full domain call with trade records.
        let rule = BacktestRule()
        let (kernel, kernelSeconds) = data.withBookColumns { columns in
            Stopwatch.best(of: repeats) { BacktestKernel.run(columns, rule: rule) }
        }
        let (backtest, backtestSeconds) = try Stopwatch.best(of: repeats) { try deltaNeutralBacktest(data, rule: rule) }
        // Bytes the kernel must read: flat rows need spot ask + futures bid (16 B),
        // held rows need spot bid + futures ask + timestamp (24 B).
        let heldRows = kernel.trades.reduce(0) { $0 + $1.exitIndex - $1.entryIndex }
            + (kernel.open.map { rows - 1 - $0.entryIndex } ?? 0)
        let bytesRead = Double(16 * (rows - heldRows) + 24 * heldRows)
        log("   backtest kernel \(kernelSeconds) s (\(Double(rows) / kernelSeconds / 1e6) M rows/s), \(kernel.trades.count) trades")

        // Threshold grid: the same 64 x 64 grid as the numba peer, from loaded columns,
        // including building the first-passage index.
        let grid = ThresholdAxes.peerGrid
        let ((gridEvaluation, indexSeconds), gridSeconds) = data.withBookColumns { columns in
            Stopwatch.best(of: min(repeats, 3)) { () -> (ThresholdGridSearch.Evaluation, Double) in
                let (index, indexSeconds) = Stopwatch.time { FirstPassageBacktest(columns: columns, rule: rule) }
                let evaluation = ThresholdGridSearch.evaluate(
                    index, entries: grid.entries, exits: grid.exits, rows: 0..<rows, split: rows)
                return (evaluation, indexSeconds)
            }
        }
        let gridTrades = gridEvaluation.points.reduce(0) { $0 + ($1?.all.trades ?? 0) }
        log("   grid \(grid.entries.count)x\(grid.exits.count) \(gridSeconds) s (index \(indexSeconds) s), \(gridTrades) trades over the grid")

        // Spread analysis on the 1 s as-of grid.
        let (report, analysisSeconds) = try Stopwatch.best(of: min(repeats, 3)) {
            try SpreadAnalyzer.analyze(data, options: SpreadAnalysisOptions())
        }
        log("   analysis \(analysisSeconds) s")

        let performance = OptimizationPerformance(
            optimizationDurationMs: (backtestSeconds + analysisSeconds) * 1000,
            dataPointsProcessed: rows,
            memoryUsageMb: ProcessMemory.peakResidentMegabytes(),
            cacheHitRatio: 0)

        var engine: [String: Any] = [
            "ingest": ["seconds": ingestSeconds, "mb_per_second": Double(bytes) / ingestSeconds / 1e6,
                       "rows_per_second": Double(rows) / ingestSeconds],
            "backtest_kernel": ["seconds": kernelSeconds, "rows_per_second": Double(rows) / kernelSeconds,
                                "gb_per_second_of_needed_columns": bytesRead / kernelSeconds / 1e9,
                                "rows_in_position": heldRows,
                                "trades": kernel.trades.count],
            "grid_search": ["seconds": gridSeconds, "index_build_seconds": indexSeconds,
                            "points": grid.entries.count * grid.exits.count,
                            "entry_range": [grid.entries.first!, grid.entries.last!],
                            "exit_range": [grid.exits.first!, grid.exits.last!],
                            "total_trades_over_grid": gridTrades,
                            "threads": ProcessInfo.processInfo.activeProcessorCount],
            "backtest_with_trade_records": ["seconds": backtestSeconds, "rows_per_second": Double(rows) / backtestSeconds],
            "analysis": ["seconds": analysisSeconds, "grid_points": report.details.gridPoints,
                         "adf_statistic": report.meanReversion.adfStatistic,
                         "adf_used_lag": report.details.adfUsedLag,
                         "regime_changes": report.spreadAnalysis.regimeChanges],
            "optimization_performance": try JSONSerialization.jsonObject(with: JSONEncoder().encode(performance)),
        ]
        engine["generate_seconds"] = generateSeconds
        engine["write_csv_seconds"] = writeSeconds

        var document: [String: Any] = [
            "workload": ["name": workload.name, "hours": workload.hours, "mean_tick_ms": workload.tickMs,
                         "rows": rows, "csv_bytes": bytes, "seed": seed],
            "machine": machineDescription(),
            "date": ISO8601DateFormatter().string(from: Date()),
            "build": "release",
            "engine": engine,
            "backtest_summary": ["trades": backtest.summary.trades, "total_pnl_pct": backtest.summary.totalPnlPct],
        ]

        let selected = peers == "none" ? [] : peers.split(separator: ",").map(String.init)
        if !selected.isEmpty {
            log("   running peers: \(selected.joined(separator: ", "))")
            let peer = Peers.run(
                csv: csv, rule: (rule.entryThresholdPct, rule.exitThresholdPct, rule.maxHours, rule.spotFee, rule.futFee),
                only: selected, rowLoopLimit: rowLoopLimit, workDirectory: workDirectory)
            document["peers"] = peer
            var ratios: [String: Any] = [:]
            var checks: [String: Any] = [:]
            func ratio(_ name: String, _ peerSeconds: Double?, _ engineSeconds: Double) {
                if let peerSeconds { ratios[name] = peerSeconds / engineSeconds }
            }
            ratio("ingest_vs_pandas_read_csv", peer.number("ingest", "seconds"), ingestSeconds)
            ratio("backtest_vs_numba", peer.number("backtest_numba", "seconds"), kernelSeconds)
            ratio("grid_vs_numba_grid", peer.number("grid_numba", "seconds_full_file"), gridSeconds)
            // The seed's approach to a grid: its pandas row loop once per grid point (extrapolated per row).
            ratio("grid_vs_pandas_row_loop_extrapolated",
                  peer.number("backtest_row_loop", "extrapolated_full_file_seconds").map { $0 * Double(grid.entries.count * grid.exits.count) },
                  gridSeconds)
            ratio("backtest_vs_pandas_vectorised", peer.number("backtest_vectorised", "seconds"), kernelSeconds)
            ratio("backtest_vs_pandas_row_loop_extrapolated",
                  peer.number("backtest_row_loop", "extrapolated_full_file_seconds"), kernelSeconds)
            // statsmodels cannot analyse months of 1 s samples in reasonable time, so
            // peers.py analyses a leading slice; time the engine on the same rows.
            if let peerRows = peer.number("analysis_statsmodels", "rows").map(Int.init), peerRows < rows, peerRows > 0 {
                let slice = data.rows(0..<peerRows)
                let (sliceReport, sliceSeconds) = try Stopwatch.best(of: min(repeats, 3)) {
                    try SpreadAnalyzer.analyze(slice, options: SpreadAnalysisOptions())
                }
                engine["analysis_same_rows_as_peer"] = [
                    "rows": peerRows, "seconds": sliceSeconds, "grid_points": sliceReport.details.gridPoints,
                    "adf_statistic": sliceReport.meanReversion.adfStatistic,
                    "regime_changes": sliceReport.spreadAnalysis.regimeChanges,
                ]
                document["engine"] = engine
                ratio("analysis_vs_statsmodels", peer.number("analysis_statsmodels", "seconds"), sliceSeconds)
                if let adf = peer.number("analysis_statsmodels", "results", "adf", "statistic") {
                    checks["adf_statistic_relative_difference"] =
                        abs(adf - sliceReport.meanReversion.adfStatistic) / abs(adf)
                }
                if let changes = peer.number("analysis_statsmodels", "results", "regime_changes") {
                    checks["regime_changes_equal"] = Int(changes) == sliceReport.spreadAnalysis.regimeChanges
                }
            } else {
                ratio("analysis_vs_statsmodels", peer.number("analysis_statsmodels", "seconds"), analysisSeconds)
                if let adf = peer.number("analysis_statsmodels", "results", "adf", "statistic") {
                    checks["adf_statistic_relative_difference"] = abs(adf - report.meanReversion.adfStatistic) / abs(adf)
                }
                if let changes = peer.number("analysis_statsmodels", "results", "regime_changes") {
                    checks["regime_changes_equal"] = Int(changes) == report.spreadAnalysis.regimeChanges
                }
            }
            if let trades = peer.number("grid_numba", "total_trades_over_grid"), peer.number("grid_numba", "extrapolated") == 0 {
                checks["numba_grid_trades_equal_engine"] = Int(trades) == gridTrades
            }
            if let trades = peer.number("backtest_numba", "trades") {
                checks["numba_trades_equal_engine"] = Int(trades) == kernel.trades.count
            }
            document["ratios_peer_seconds_over_engine_seconds"] = ratios
            document["cross_checks"] = checks
            for (name, value) in ratios.sorted(by: { $0.key < $1.key }) { log("   \(name): \(value)") }
        }
        try? FileManager.default.removeItem(atPath: csv)
        return document
    }

    func machineDescription() -> [String: Any] {
        var cpu = "unknown"
        if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let name = line.split(separator: ":").last {
            cpu = name.trimmingCharacters(in: .whitespaces)
        }
        return ["cpu": cpu, "cores": ProcessInfo.processInfo.activeProcessorCount,
                "memory_gib": Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824]
    }
}
