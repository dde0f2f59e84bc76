import ArgumentParser
import DeltaArbitrage
import Foundation

extension Benchmark {
    /// Arrow IPC file read on a warm page cache: `ArrowFileReader` (columns
    /// copied on several threads, and on one); throughput is the file's bytes
    /// over the load's wall time. Then a whole optimisation (64 x 64 grid over
    /// every row) loaded from the Arrow file and from the CSV of the same rows.
    func measureArrowRead(_ workload: Workload) throws -> [String: Any] {
        log("== \(workload.name): generating \(workload.hours) h of \(workload.tickMs) ms ticks")
        let data = try workload.generate(seed: seed)
        let path = "\(workDirectory)/\(workload.name).arrow"
        let (_, writeSeconds) = try Stopwatch.time { try ArrowFileWriter().write(data, to: path) }
        let bytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        log("   \(data.count) rows, \(bytes / 1_000_000) MB Arrow; write \(writeSeconds) s")

        var result: [String: Any] = ["workload": workload.name, "rows": data.count, "arrow_bytes": bytes,
                                     "write_seconds": writeSeconds]
        // The peak memory of one load (the file's pages, mapped, count), and
        // whether its columns are read in place.
        do {
            let before = ProcessMemory.residentMegabytes()
            let peakReset = PeakMemory.reset()
            let loaded = try ArrowFileReader().load(path: path).data
            let peak = ProcessMemory.peakResidentMegabytes()
            let columnMegabytes = Double(loaded.columnBytes) / 1_048_576
            result["columns_in_place"] = loaded.timestamps.isView && loaded.futBidQuantity.isView
            if peakReset {
                result["peak_added_rss_mb"] = peak - before
                result["peak_over_column_bytes"] = (peak - before) / columnMegabytes
            }
            log("   in place: \(loaded.timestamps.isView); peak +\(Int(peak - before)) MiB for \(Int(columnMegabytes)) MiB of columns")
        }
        for (name, parallel) in [("parallel", true), ("serial", false)] {
            let reader = ArrowFileReader(options: MarketDataCSVOptions(parallel: parallel))
            _ = try reader.load(path: path)  // warm the page cache
            let (loaded, seconds) = try Stopwatch.best(of: max(repeats, 3)) { try reader.load(path: path) }
            guard loaded.data.count == data.count else { throw ValidationError("arrow read lost rows") }
            let rate = Double(bytes) / seconds / 1e9
            log("   read (\(name)): \(seconds * 1000) ms, \(rate) GB/s, \(Double(data.count) / seconds / 1e6) M rows/s")
            result["read_\(name)_seconds"] = seconds
            result["read_\(name)_gb_per_second"] = rate
        }
        // Memory speed beside it: the file's bytes copied into fresh pages
        // (what a copying reader must at least do), on as many threads as the
        // parallel read and on one.
        for (name, threads) in [("parallel", Self.cores), ("serial", 1)] {
            let seconds = MemoryCeiling.freshCopySeconds(bytes: bytes, threads: threads, repeats: max(repeats, 3))
            let readSeconds = result["read_\(name)_seconds"] as? Double ?? .nan
            log("   memory ceiling (\(name), \(threads) thread(s)): fresh copy \(seconds * 1000) ms = "
                + "\(Double(bytes) / seconds / 1e9) GB/s; the read takes \(readSeconds / seconds)x that")
            result["memory_ceiling_\(name)"] = ["threads": threads, "fresh_copy_seconds": seconds,
                                                "gb_per_second": Double(bytes) / seconds / 1e9,
                                                "read_share_of_ceiling": seconds / readSeconds]
        }
        // A whole optimisation over every row (64 x 64 grid) from each file:
        // the load's share of it, from Arrow and from CSV.
        let csvPath = "\(workDirectory)/\(workload.name).csv"
        try data.writeCSV(to: csvPath, timestampFormat: .epochNanoseconds)
        defer { try? FileManager.default.removeItem(atPath: csvPath) }
        var optimizer = DeltaArbitrageOptimizer()
        optimizer.defaultGridSteps = 64
        let lookback = workload.hours
        for (name, load) in [("arrow", { try ArrowFileReader().load(path: path).data }),
                             ("csv", { try MarketDataCSVLoader().load(path: csvPath).data })] as [(String, () throws -> MarketData)] {
            _ = try load()  // warm the page cache
            let (loaded, loadSeconds) = try Stopwatch.best(of: 3) { try load() }
            let (report, gridSeconds) = try Stopwatch.best(of: 3) { try optimizer.optimizeNow(loaded, lookbackHours: lookback) }
            let s = report.surface
            log("   optimize from \(name): load \(loadSeconds) s + optimise \(gridSeconds) s (\(s.entries.count)x\(s.exits.count) grid); "
                + "load share \(loadSeconds / (loadSeconds + gridSeconds))")
            result["optimize_from_\(name)"] = ["load_seconds": loadSeconds, "optimize_seconds": gridSeconds,
                                               "grid": [s.entries.count, s.exits.count],
                                               "load_share": loadSeconds / (loadSeconds + gridSeconds)]
        }
        result["cores"] = Self.cores
        return result
    }
}
