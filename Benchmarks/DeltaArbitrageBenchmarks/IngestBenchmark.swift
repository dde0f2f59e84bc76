import ArgumentParser
import DeltaArbitrage
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The loader alone: `MarketDataCSVLoader.load(path:)` on the same data
/// written with ISO-8601, epoch-millisecond and epoch-nanosecond timestamps, in GB/s of CSV
/// text, with CPU seconds and the peak resident memory the load adds beside
/// the bytes of the columns it returns; then pandas, pyarrow and polars
/// `read_csv` on the same files (`peers/ingest_peers.py`).
extension Benchmark {
    func measureIngest(_ workload: Workload) throws -> [String: Any] {
        log("== \(workload.name): generating \(workload.hours) h of \(workload.tickMs) ms ticks")
        let generated = try workload.generate(seed: seed)
        var files: [String: String] = [:]
        for (layout, format) in [("iso8601", MarketDataCSVTimestampFormat.iso8601), ("epoch_ns", .epochNanoseconds)] {
            let path = "\(workDirectory)/\(workload.name)-\(layout).csv"
            try generated.writeCSV(to: path, timestampFormat: format)
            files[layout] = path
        }
        // Epoch milliseconds, the exchanges' own form: the nanosecond file
        // with the six trailing zeros of each time taken off.
        if let nanoseconds = files["epoch_ns"] {
            let path = "\(workDirectory)/\(workload.name)-epoch_ms.csv"
            try Self.writeMillisecondCopy(of: nanoseconds, to: path)
            files["epoch_ms"] = path
        }
        // The files just written are still being written back to disk;
        // measured meanwhile, the first layout would share the machine with that.
        sync()
        var engine: [String: Any] = [:]
        for (layout, path) in files.sorted(by: { $0.key < $1.key }) {
            let measured = try timeLoader(path: path)
            guard measured.data == generated else { throw ValidationError("\(layout): CSV round trip changed the data") }
            engine[layout] = measured.json
        }
        var document: [String: Any] = [
            "workload": ["name": workload.name, "hours": workload.hours, "mean_tick_ms": workload.tickMs,
                         "rows": generated.count, "seed": seed],
            "machine": machineDescription(),
            "date": ISO8601DateFormatter().string(from: Date()),
            "build": "release",
            "engine": engine,
        ]
        if peers != "none" {
            let peerResult = IngestPeers.run(files: files, repeats: min(repeats, 3), workDirectory: workDirectory)
            document["peers"] = peerResult
            var ratios: [String: Any] = [:]
            for layout in files.keys.sorted() {
                for peer in ["pandas", "pyarrow", "polars"] {
                    if let peerSeconds = peerResult.number(layout, peer, "seconds"),
                       let engineSeconds = (engine[layout] as? [String: Any])?.number("seconds") {
                        ratios["\(layout)_vs_\(peer)_read_csv"] = peerSeconds / engineSeconds
                    }
                }
            }
            document["ratios_peer_seconds_over_engine_seconds"] = ratios
        }
        return document
    }

    /// `source` (an epoch-nanosecond CSV whose times are whole milliseconds)
    /// with each row's first field in milliseconds.
    static func writeMillisecondCopy(of source: String, to path: String) throws {
        guard let text = FileManager.default.contents(atPath: source) else { throw ValidationError("cannot read \(source)") }
        var out = [UInt8]()
        out.reserveCapacity(text.count)
        var lineStart = true, digits = 0
        for byte in text {
            if lineStart && byte == UInt8(ascii: ",") && out.count >= 6 && digits > 6 {
                guard out.suffix(6).allSatisfy({ $0 == UInt8(ascii: "0") }) else {
                    throw ValidationError("\(source): a time is not a whole millisecond")
                }
                out.removeLast(6)
            }
            if byte == UInt8(ascii: ",") { lineStart = false }
            if lineStart { digits = (byte >= 48 && byte <= 57) ? digits + 1 : 0 }
            out.append(byte)
            if byte == 0x0A { lineStart = true; digits = 0 }
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(out)) else { throw ValidationError("cannot write \(path)") }
    }

    /// Times the loader on existing files (`--ingest-files`), for profiling
    /// the loader on data of one's own.
    func measureIngestFiles(_ paths: [String]) throws -> [String: Any] {
        var results: [String: Any] = [:]
        for path in paths {
            results[path] = try timeLoader(path: path).json
        }
        return ["files": results, "machine": machineDescription(), "date": ISO8601DateFormatter().string(from: Date())]
    }

    /// Best-of-`repeats` wall time of loading `path`, its CPU time, and the
    /// peak resident memory of the first load over the memory before it.
    private func timeLoader(path: String) throws -> (data: MarketData, json: [String: Any]) {
        let bytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        let loader = MarketDataCSVLoader()
        let before = ProcessMemory.residentMegabytes()
        let peakReset = PeakMemory.reset()
        let (first, firstSeconds) = try Stopwatch.time { try loader.load(path: path) }
        let peak = ProcessMemory.peakResidentMegabytes()
        var best = firstSeconds
        var bestCPU = Double.infinity
        for _ in 0..<max(1, repeats) {
            let cpuBefore = PeakMemory.cpuSeconds()
            let (_, seconds) = try Stopwatch.time { try loader.load(path: path) }
            best = min(best, seconds)
            bestCPU = min(bestCPU, PeakMemory.cpuSeconds() - cpuBefore)
        }
        let data = first.data
        let columnBytes = Double(data.count * 8 * 9)
        var json: [String: Any] = [
            "csv_bytes": bytes, "rows": data.count, "seconds": best,
            "gb_per_second": Double(bytes) / best / 1e9,
            "cpu_seconds": bestCPU,
            "cpu_gb_per_second": Double(bytes) / bestCPU / 1e9,
            "column_mb": columnBytes / 1_048_576,
        ]
        // Memory speed beside it: reading the text (page cache to a buffer)
        // and writing the column bytes into fresh pages, each the least a
        // load must do; their sum is the fastest a loader could be here.
        let readSeconds = MemoryCeiling.readSeconds(path: path, repeats: max(1, repeats))
        let writeSeconds = MemoryCeiling.freshCopySeconds(bytes: Int(columnBytes), threads: Self.cores,
                                                          repeats: max(1, repeats))
        json["memory_ceiling"] = [
            "read_seconds": readSeconds, "fresh_column_write_seconds": writeSeconds,
            "threads": Self.cores, "gb_per_second": Double(bytes) / (readSeconds + writeSeconds) / 1e9,
            "loader_share_of_ceiling": (readSeconds + writeSeconds) / best,
        ]
        if peakReset {
            json["peak_added_rss_mb"] = peak - before
            json["peak_over_column_bytes"] = (peak - before) * 1_048_576 / columnBytes
        }
        log("   \(path): \(bytes / 1_000_000) MB, \(data.count) rows: best \(best) s = "
            + "\(Double(bytes) / best / 1e9) GB/s; CPU \(bestCPU) s"
            + (peakReset ? "; peak +\(Int(peak - before)) MiB for \(Int(columnBytes / 1_048_576)) MiB of columns" : "")
            + "; memory ceiling \(Double(bytes) / (readSeconds + writeSeconds) / 1e9) GB/s "
            + "(read \(readSeconds) s + fresh column write \(writeSeconds) s)")
        return (data, json)
    }
}

/// Peak-memory resets and CPU time of this process.
enum PeakMemory {
    /// Resets the kernel's peak resident size (`VmHWM`) to the current one
    /// (Linux `clear_refs` 5); false where that is not possible.
    static func reset() -> Bool {
        #if canImport(Glibc)
        guard let file = fopen("/proc/self/clear_refs", "w") else { return false }
        let written = fputs("5", file) >= 0
        return fclose(file) == 0 && written
        #else
        return false
        #endif
    }

    /// User plus system CPU seconds of this process, all threads.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}

/// Runs `Benchmarks/peers/ingest_peers.py` (pandas, pyarrow and polars
/// `read_csv`) on the files and returns its JSON, keyed by layout.
enum IngestPeers {
    static func run(files: [String: String], repeats: Int, workDirectory: String) -> [String: Any] {
        let output = workDirectory + "/ingest-peers.json"
        let arguments = ["--repeats", "\(repeats)", "--out", output]
            + files.sorted(by: { $0.key < $1.key }).flatMap { ["--csv", "\($0.key)=\($0.value)"] }
        switch PythonPeer.run("ingest_peers.py", arguments, output: output) {
        case .result(let object): return object
        case .skipped(let why, _): return ["skipped": why]
        }
    }
}
