import ArgumentParser
import DeltaArbitrage
import DeltaArbitrageMockData
import DeltaArbitrageSources
import Foundation

/// The symbol and markets the database-read workload fills and reads; their
/// rows are deleted and rewritten on every run, nothing else in the store is touched.
private enum BenchStore {
    static let symbol = "DBBENCH/USDT"
    static let spotMarket = "DBBENCH_SPOT"
    static let futuresMarket = "DBBENCH_FUTURES"
    /// A second symbol, only for timing `importQuotes` on a slice (deleted again).
    static let importProbeSymbol = "DBBENCHIMPORT/USDT"
}

extension Benchmark {
    /// The database URL of the db-read workload: `--db`, else DELTA_ARB_TEST_DB.
    var databaseURLText: String? {
        if let db, !db.isEmpty { return db }
        if let env = ProcessInfo.processInfo.environment["DELTA_ARB_TEST_DB"], !env.isEmpty { return env }
        return nil
    }

    /// Fills the book-ticker store with `dbRows` quotes of two markets in time
    /// order and times, on the same rows: the server alone (psql's binary
    /// `COPY (SELECT …) TO /dev/null`, per market and both at once), the
    /// engine's `PostgresBookTickerSource.load()` (both markets concurrently
    /// plus the merge), and the seed's path (asyncpg + pandas, peers/db_read.py).
    /// Nil, with a message, when no database is given.
    func measureDatabaseRead(_ workload: Workload) throws -> [String: Any]? {
        guard let urlText = databaseURLText else {
            log("== \(workload.name): skipped, no database: give --db URL or set DELTA_ARB_TEST_DB "
                + "(scripts/with-postgres.sh scripts/bench.sh --workloads \(workload.name) starts a throwaway one)")
            return nil
        }
        guard dbRows >= 2 else { throw ValidationError("--db-rows must be at least 2 (got \(dbRows))") }
        let url = try PostgresURL(urlText)
        let perMarket = dbRows / 2
        log("== \(workload.name): \(perMarket) quotes per market, 2 markets, \(workload.tickMs) ms ticks, into \(url)")

        let hours = Double(perMarket) * workload.tickMs / 1000 / 3600
        let generated = try generateMockMarketData(hours: hours, seed: seed, tickInterval: workload.tickMs / 1000)
        let (spot, futures) = Self.twoMarkets(generated, limit: perMarket, futuresLagNs: Int64(workload.tickMs * 370_000))
        let rows = spot.count + futures.count

        try waitFor { try await BookTickerStoreWriter.initialize(url) }
        // The rows' exchanges and symbols: an import of no quotes creates them.
        for (market, type) in [(BenchStore.spotMarket, "SPOT"), (BenchStore.futuresMarket, "FUTURES")] {
            _ = try waitFor { try await BookTickerStoreWriter.importQuotes(MarketQuotes(), into: url, symbol: BenchStore.symbol,
                                                                          market: market, marketType: type) }
        }
        let spotID = try symbolID(urlText, BenchStore.symbol, BenchStore.spotMarket)
        let futuresID = try symbolID(urlText, BenchStore.symbol, BenchStore.futuresMarket)
        _ = try psql(urlText, "DELETE FROM book_ticker_snapshots WHERE symbol_id IN (\(spotID), \(futuresID))")

        // Filling: importQuotes on a slice (for its rate), then psql \copy of a CSV, which is faster.
        let probeCount = min(100_000, spot.count)
        let probe = MarketQuotes(timestamps: Array(spot.timestamps[0..<probeCount]), bidPrice: Array(spot.bidPrice[0..<probeCount]),
                                 bidQuantity: Array(spot.bidQuantity[0..<probeCount]), askPrice: Array(spot.askPrice[0..<probeCount]),
                                 askQuantity: Array(spot.askQuantity[0..<probeCount]))
        let (_, importSeconds) = try Stopwatch.time {
            try waitFor { try await BookTickerStoreWriter.importQuotes(probe, into: url, symbol: BenchStore.importProbeSymbol,
                                                                      market: BenchStore.spotMarket, marketType: "SPOT") }
        }
        let probeID = try symbolID(urlText, BenchStore.importProbeSymbol, BenchStore.spotMarket)
        _ = try psql(urlText, "DELETE FROM book_ticker_snapshots WHERE symbol_id = \(probeID)")
        log("   importQuotes: \(probeCount) quotes in \(importSeconds) s = \(Double(probeCount) / importSeconds) rows/s")

        let csv = "\(workDirectory)/\(workload.name).csv"
        let (_, csvSeconds) = try Stopwatch.time {
            try Self.writeStoreCSV(spot: spot, spotID: spotID, futures: futures, futuresID: futuresID, to: csv)
        }
        let (_, copySeconds) = try Stopwatch.time {
            _ = try psql(urlText, "\\copy book_ticker_snapshots (\"timestamp\", symbol_id, bid_price, bid_qty, ask_price, ask_qty, "
                         + "sequence_number, update_type) FROM '\(csv)' WITH (FORMAT csv)")
        }
        try? FileManager.default.removeItem(atPath: csv)
        let (_, vacuumSeconds) = try Stopwatch.time { _ = try psql(urlText, "VACUUM ANALYZE book_ticker_snapshots") }
        log("   filled \(rows) rows: CSV \(csvSeconds) s, \\copy \(copySeconds) s = \(Double(rows) / copySeconds) rows/s, "
            + "VACUUM ANALYZE \(vacuumSeconds) s")

        let from = spot.timestamps[0] < futures.timestamps[0] ? spot.timestamps[0] : futures.timestamps[0]
        let to = max(spot.timestamps[spot.count - 1], futures.timestamps[futures.count - 1])
        let (fromUs, toUs) = (from / 1000, to / 1000)
        // The engine's query, word for word.
        func select(_ id: Int) -> String { PostgresBookTickerSource.selectSQL(symbolID: id, from: from, to: to) }
        let plan = try psql(urlText, "EXPLAIN " + select(spotID)).split(separator: "\n").map(String.init)
        let runs = min(max(repeats, 1), 3)

        // (a) The server alone: binary COPY of the same rows to /dev/null.
        func copyOut(_ ids: [Int]) throws -> Double {
            try Stopwatch.best(of: runs) { () throws -> Void in
                let processes = try ids.map { try startPsql(urlText, "\\copy (\(select($0))) TO '/dev/null' WITH (FORMAT binary)") }
                for process in processes { try finish(process) }
            }.1
        }
        let serverSpot = try copyOut([spotID])
        let serverFutures = try copyOut([futuresID])
        let serverBoth = try copyOut([spotID, futuresID])
        log("   server (psql binary COPY to /dev/null): spot \(serverSpot) s, futures \(serverFutures) s, "
            + "both at once \(serverBoth) s = \(Double(rows) / serverBoth) rows/s")

        // (b) The engine: both markets concurrently, decoded into columns, merged.
        let source = PostgresBookTickerSource(url: url, symbol: BenchStore.symbol, spotMarket: BenchStore.spotMarket,
                                              futuresMarket: BenchStore.futuresMarket, from: from, to: to)
        let (loaded, engineSeconds) = try Stopwatch.best(of: runs) { try waitFor { try await source.loadWithDetails() } }
        let (_, mergeSeconds) = try Stopwatch.best(of: runs) {
            try TwoMarketMerge.merge(spot: loaded.spot.quotes, futures: loaded.futures.quotes)
        }
        let engineRows = loaded.spot.quotes.count + loaded.futures.quotes.count
        guard engineRows == rows else { throw ValidationError("the engine read \(engineRows) rows, \(rows) were written") }
        let merged = loaded.merged.data
        log("   engine load(): \(engineSeconds) s = \(Double(rows) / engineSeconds) rows/s "
            + "(merge alone \(mergeSeconds) s), \(merged.count) merged rows")

        var document = header(workload, rows: rows)
        document["workload"] = ["name": workload.name, "hours": hours, "mean_tick_ms": workload.tickMs, "rows": rows,
                                "markets": 2, "seed": seed] as [String: Any]
        document["store"] = [
            "rows": rows, "spot_rows": spot.count, "futures_rows": futures.count,
            "inserted_in_time_order": true, "index": "book_ticker_snapshots_symbol_order (symbol_id, \"timestamp\", sequence_number, id)",
            "query_plan_spot": plan,
            "fill": [
                "method": "psql \\copy FROM a generated CSV (FORMAT csv), then VACUUM ANALYZE",
                "csv_write_seconds": csvSeconds, "copy_seconds": copySeconds, "copy_rows_per_second": Double(rows) / copySeconds,
                "vacuum_analyze_seconds": vacuumSeconds,
                "import_quotes_probe": ["rows": probeCount, "seconds": importSeconds,
                                        "rows_per_second": Double(probeCount) / importSeconds],
            ] as [String: Any],
        ] as [String: Any]
        document["server_psql_binary_copy_to_dev_null"] = [
            "runs": runs,
            "spot": ["rows": spot.count, "seconds": serverSpot, "rows_per_second": Double(spot.count) / serverSpot],
            "futures": ["rows": futures.count, "seconds": serverFutures, "rows_per_second": Double(futures.count) / serverFutures],
            "both_concurrently": ["rows": rows, "seconds": serverBoth, "rows_per_second": Double(rows) / serverBoth],
        ]
        document["engine"] = ["postgres_book_ticker_source_load": [
            "runs": runs, "rows": rows, "seconds": engineSeconds, "rows_per_second": Double(rows) / engineSeconds,
            "merged_rows": merged.count, "merge_seconds": mergeSeconds,
        ] as [String: Any]]

        var ratios: [String: Any] = [
            "engine_seconds_over_server_both_seconds": engineSeconds / serverBoth,
            "engine_seconds_over_server_spot_plus_futures_seconds": engineSeconds / (serverSpot + serverFutures),
        ]
        var checks: [String: Any] = [:]
        if peers != "none" {
            log("   running peer: peers/db_read.py (asyncpg + pandas)")
            let peer = Self.runDatabasePeer(url: urlText, spotID: spotID, futuresID: futuresID, fromUs: fromUs, toUs: toUs,
                                            workDirectory: workDirectory)
            document["peers"] = ["seed_asyncpg_pandas": peer]
            if let peerSeconds = peer.number("seconds") {
                ratios["seed_seconds_over_engine_seconds"] = peerSeconds / engineSeconds
                log("   seed path \(peerSeconds) s = \(Double(rows) / peerSeconds) rows/s")
            }
            if let peerMerged = peer.number("merged_rows") { checks["merged_rows_equal_seed"] = Int(peerMerged) == merged.count }
            if let sum = peer.number("fut_bid_price_sum") {
                let engineSum = merged.futBidPrice.reduce(0, +)
                checks["merged_fut_bid_sum_relative_difference"] = abs(sum - engineSum) / abs(engineSum)
            }
        }
        document["ratios"] = ratios
        document["cross_checks"] = checks
        for (name, value) in ratios.sorted(by: { $0.key < $1.key }) { log("   \(name): \(value)") }
        _ = try psql(urlText, "DELETE FROM book_ticker_snapshots WHERE symbol_id IN (\(spotID), \(futuresID))")
        return document
    }

    /// Two markets' quotes from one generated set: spot at the generated
    /// times, futures `futuresLagNs` later, both to the microsecond (the
    /// store's resolution) and strictly increasing, at most `limit` each.
    static func twoMarkets(_ data: MarketData, limit: Int, futuresLagNs: Int64) -> (MarketQuotes, MarketQuotes) {
        var spot = MarketQuotes()
        var futures = MarketQuotes()
        spot.reserveCapacity(min(limit, data.count))
        futures.reserveCapacity(min(limit, data.count))
        for i in 0..<data.count where spot.count < limit {
            let t = data.timestamps[i] / 1000 * 1000
            let f = (data.timestamps[i] + futuresLagNs) / 1000 * 1000
            if let last = spot.timestamps.last, t <= last { continue }
            if let last = futures.timestamps.last, f <= last { continue }
            spot.append(timestamp: t, bidPrice: data.spotBidPrice[i], bidQuantity: data.spotBidQuantity[i],
                        askPrice: data.spotAskPrice[i], askQuantity: data.spotAskQuantity[i])
            futures.append(timestamp: f, bidPrice: data.futBidPrice[i], bidQuantity: data.futBidQuantity[i],
                           askPrice: data.futAskPrice[i], askQuantity: data.futAskQuantity[i])
        }
        return (spot, futures)
    }

    /// The rows of both markets as a CSV for `\copy`, merged in time order so
    /// that the table's physical order is the order they were recorded in.
    static func writeStoreCSV(spot: MarketQuotes, spotID: Int, futures: MarketQuotes, futuresID: Int, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw ValidationError("cannot create \(path)")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        var text = ""
        var (i, j) = (0, 0)
        var sequence = 0
        while i < spot.count || j < futures.count {
            let takeSpot = j == futures.count || (i < spot.count && spot.timestamps[i] <= futures.timestamps[j])
            let (quotes, k, id) = takeSpot ? (spot, i, spotID) : (futures, j, futuresID)
            if takeSpot { i += 1 } else { j += 1 }
            sequence += 1
            text += "\(UTCTime.iso8601(nanoseconds: quotes.timestamps[k])),\(id),\(quotes.bidPrice[k]),\(quotes.bidQuantity[k]),"
                + "\(quotes.askPrice[k]),\(quotes.askQuantity[k]),\(sequence),bench\n"
            if text.utf8.count > 1 << 20 {
                try handle.write(contentsOf: Data(text.utf8))
                text = ""
            }
        }
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    func symbolID(_ db: String, _ symbol: String, _ market: String) throws -> Int {
        let parts = symbol.split(separator: "/").map(String.init)
        let text = try psql(db, "SELECT s.id FROM symbols s JOIN exchanges e ON e.id = s.exchange_id "
                            + "WHERE e.enum_value = '\(market)' AND s.symbol_base = '\(parts[0])' AND s.symbol_quote = '\(parts[1])'")
        guard let id = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ValidationError("no symbols row for \(symbol) on \(market) (psql said '\(text)')")
        }
        return id
    }

    /// Starts `psql -X -q -A -t` on the database URL `db`, running one command.
    func startPsql(_ db: String, _ command: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", command]
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        do { try process.run() } catch { throw ValidationError("cannot start psql (install PostgreSQL's client): \(error)") }
        return process
    }

    /// Waits for a started psql; its stdout, or an error with its stderr.
    @discardableResult
    func finish(_ process: Process) throws -> String {
        let out = (process.standardOutput as? Pipe)?.fileHandleForReading.readDataToEndOfFile() ?? Data()
        let err = (process.standardError as? Pipe)?.fileHandleForReading.readDataToEndOfFile() ?? Data()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("psql exited \(process.terminationStatus): \(String(decoding: err, as: UTF8.self))")
        }
        return String(decoding: out, as: UTF8.self)
    }

    func psql(_ db: String, _ command: String) throws -> String { try finish(try startPsql(db, command)) }

    /// Runs `peers/db_read.py`; its JSON, or `["skipped": why]`.
    static func runDatabasePeer(url: String, spotID: Int, futuresID: Int, fromUs: Int64, toUs: Int64,
                                workDirectory: String) -> [String: Any] {
        let output = workDirectory + "/db_read.json"
        let arguments = ["--url", url, "--spot-id", "\(spotID)", "--futures-id", "\(futuresID)",
                         "--from-us", "\(fromUs)", "--to-us", "\(toUs)", "--out", output]
        switch PythonPeer.run("db_read.py", arguments, output: output) {
        case .result(let object):
            return object
        case .skipped(let why, let status):
            return ["skipped": why + (status == 2 ? " (asyncpg or pandas missing: pip install asyncpg pandas)" : "")]
        }
    }
}
