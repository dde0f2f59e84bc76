import ArgumentParser
import DeltaArbitrage
import Foundation

extension Benchmark {
    /// MB/s of `MarketQuotesCSVReader` on the spot market of the workload
    /// written in each one-market layout, plain and gzip-compressed, beside
    /// the merged-CSV loader on the merged file of the same rows (single-threaded,
    /// so that both are per core), and `gzip -dc` to /dev/null as the
    /// decompression bound of the compressed reads.
    func measurePerMarketRead(_ workload: Workload) throws -> [String: Any] {
        log("== \(workload.name): generating \(workload.hours) h of \(workload.tickMs) ms ticks")
        let data = try workload.generate(seed: seed)
        let merged = "\(workDirectory)/\(workload.name)-merged.csv"
        try data.writeCSV(to: merged, timestampFormat: .epochNanoseconds)
        // Millisecond times, so that every layout holds the same instants.
        let ms = data.timestamps.map { $0 / 1_000_000 }
        func write(_ name: String, _ header: String, _ row: (Int) -> String) throws -> String {
            var text = header + "\n"
            text.reserveCapacity(data.count * 100)
            for i in 0..<data.count { text += row(i) + "\n" }
            let path = "\(workDirectory)/\(workload.name)-\(name).csv"
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            return path
        }
        let b = data.spotBidPrice, bq = data.spotBidQuantity, a = data.spotAskPrice, aq = data.spotAskQuantity
        let files: [(String, String)] = [
            ("generic-epoch-ms", try write("generic", "timestamp,bid_price,bid_qty,ask_price,ask_qty") { i in
                "\(ms[i]),\(b[i]),\(bq[i]),\(a[i]),\(aq[i])" }),
            ("binance-bookticker", try write("binance", MarketQuotesCSVReader.Layout.binanceBookTicker.header) { i in
                "\(1_000_000 + i),\(b[i]),\(bq[i]),\(a[i]),\(aq[i]),\(ms[i] - 2),\(ms[i])" }),
            ("tardis-quotes", try write("tardis", MarketQuotesCSVReader.Layout.tardisQuotes.header) { i in
                "binance,BTCUSDT,\(ms[i] * 1_000),\(ms[i] * 1_000 + 700),\(aq[i]),\(a[i]),\(b[i]),\(bq[i])" }),
        ]
        func size(_ path: String) -> Int { (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0 }
        func shell(_ command: String) throws -> Double {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", command]
            let (_, seconds) = try Stopwatch.time { try process.run(); process.waitUntilExit() }
            guard process.terminationStatus == 0 else { throw ValidationError("'\(command)' failed") }
            return seconds
        }
        var results: [String: Any] = ["workload": workload.name, "rows": data.count]
        let loader = MarketDataCSVLoader(options: MarketDataCSVOptions(parallel: false))
        let (_, mergedSeconds) = try Stopwatch.best(of: min(repeats, 3)) { try loader.load(path: merged) }
        results["merged_csv_loader_single_thread_mb_per_s"] = Double(size(merged)) / mergedSeconds / 1e6
        log("   merged-CSV loader (1 thread): \(Int(Double(size(merged)) / mergedSeconds / 1e6)) MB/s")
        for (name, path) in files {
            let (plain, plainSeconds) = try Stopwatch.best(of: min(repeats, 3)) { try MarketQuotesCSVReader.read(path: path) }
            precondition(plain.quotes.count == data.count, "\(name): \(plain.quotes.count) quotes for \(data.count) rows")
            _ = try shell("gzip -kf1 '\(path)'")
            let gzipSeconds = try shell("gzip -dc '\(path).gz' > /dev/null")
            let (_, gzSeconds) = try Stopwatch.best(of: min(repeats, 3)) { try MarketQuotesCSVReader.read(path: path + ".gz") }
            let bytes = Double(size(path))
            results[name] = ["csv_bytes": Int(bytes), "plain_mb_per_s": bytes / plainSeconds / 1e6,
                             "gzip_mb_per_s_of_text": bytes / gzSeconds / 1e6,
                             "gzip_dc_mb_per_s_of_text": bytes / gzipSeconds / 1e6]
            log("   \(name): \(Int(bytes / 1e6)) MB; plain \(Int(bytes / plainSeconds / 1e6)) MB/s; .gz \(Int(bytes / gzSeconds / 1e6)) MB/s of text (gzip -dc alone \(Int(bytes / gzipSeconds / 1e6)) MB/s)")
        }
        return results
    }
}
