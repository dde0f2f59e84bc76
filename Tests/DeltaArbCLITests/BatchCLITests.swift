import DeltaArbitrage
@testable import DeltaArbitrageSources
import Foundation
import Testing

/// `delta-arb batch`: outputs equal to the unsharded commands, resumable, checked in a browser.
/// The commands run for many seconds: they are awaited on threads of their own
/// (`CLITests.run(_:) async`), never blocking the cooperative pool.
@Suite("delta-arb batch")
struct BatchCLITests {
    static func json(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(path) is not a JSON object")
    }

    /// A JSON document with the wall-clock field removed, re-serialised canonically.
    static func canonical(_ object: [String: Any]) throws -> String {
        var o = object
        o.removeValue(forKey: "elapsed_seconds")
        return String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self)
    }

    /// Two generated datasets (a and b) and a manifest over them, in `directory`.
    static func setUp(_ directory: URL, sliceHours: Double = 5) async throws -> String {
        for (name, hours, seed) in [("a", "30", "1"), ("b", "20", "2")] {
            let made = try await CLITests.run(["generate", "--hours", hours, "--seed", seed, "--out", directory.appendingPathComponent("\(name).csv").path])
            #expect(made.status == 0, "\(made.stderr)")
        }
        let manifest = directory.appendingPathComponent("m.json")
        try Data("""
            {"datasets": [{"name": "a", "file": "a.csv"}, {"name": "b", "file": "b.csv"}], "slice_hours": \(sliceHours),
             "walk_forward": {"window_hours": 4, "update_minutes": 15, "grid_steps": 8, "max_hold_minutes": 90},
             "backtests": [{"entry": 0.3, "exit": 0.1}], "analyze": true}
            """.utf8).write(to: manifest)
        return manifest.path
    }

    /// m.json of `setUp` in YAML (numbers as YAML writes them, a comment,
    /// flow and block styles).
    static let yamlManifest = """
        # The batch of m.json, in YAML.
        datasets:
          - name: a
            file: a.csv
          - {name: b, file: "b.csv"}
        slice_hours: 5
        walk_forward:
          window_hours: 4
          update_minutes: 15
          grid_steps: 8
          max_hold_minutes: 90
        backtests:
          - entry: 0.3
            exit: 0.1
        analyze: true

        """

    /// The files under `directory` (relative paths, sorted), work files included.
    static func files(_ directory: String) throws -> [String] {
        let enumerator = try #require(FileManager.default.enumerator(atPath: directory))
        var names: [String] = []
        while let name = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: "\(directory)/\(name)", isDirectory: &isDirectory), !isDirectory.boolValue {
                names.append(name)
            }
        }
        return names.sorted()
    }

    /// A YAML manifest run stage by stage, as the Ray driver runs it
    /// (--plan-only, --shard for each shard, --merge-only), gives the files
    /// of the equivalent JSON manifest run in one command: the same shard
    /// result keys (so the same settings), byte for byte, and the same
    /// outputs but for the walk-forward's wall-clock time.
    @Test func yamlManifestGivesTheJSONOutputs() async throws {
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let json = try await Self.setUp(directory)
        let yaml = directory.appendingPathComponent("m.yaml")
        try Data(Self.yamlManifest.utf8).write(to: yaml)
        let fromJSON = directory.appendingPathComponent("json").path, fromYAML = directory.appendingPathComponent("yaml").path
        let batch = try await CLITests.run(["batch", json, "--out", fromJSON, "--workers", "2"])
        #expect(batch.status == 0, "\(batch.stderr)")

        let planned = try await CLITests.run(["batch", yaml.path, "--out", fromYAML, "--plan-only"])
        #expect(planned.status == 0, "\(planned.stderr)")
        let ids = try #require(try JSONSerialization.jsonObject(with: Data(planned.stdout.utf8)) as? [String: [String]])["shards"]
        #expect((ids?.count ?? 0) >= 10, "a: 30 h, b: 20 h in 5 h slices")
        for id in ids ?? [] {
            let shard = try await CLITests.run(["batch", yaml.path, "--out", fromYAML, "--shard", id])
            #expect(shard.status == 0, "\(id): \(shard.stderr)")
        }
        let merged = try await CLITests.run(["batch", yaml.path, "--out", fromYAML, "--merge-only"])
        #expect(merged.status == 0, "\(merged.stderr)")

        let files = try Self.files(fromJSON)
        #expect(try Self.files(fromYAML) == files)
        #expect(files.contains { $0.hasPrefix(".batch/a/shard-0-") && $0.hasSuffix(".json") })
        for file in files where !file.hasSuffix("walk_forward.json") {
            let a = try Data(contentsOf: URL(fileURLWithPath: "\(fromJSON)/\(file)"))
            let b = try Data(contentsOf: URL(fileURLWithPath: "\(fromYAML)/\(file)"))
            #expect(a == b, "\(file) differs")
        }
        for name in ["a", "b"] {
            #expect(try Self.canonical(Self.json("\(fromJSON)/\(name)/walk_forward.json"))
                == Self.canonical(Self.json("\(fromYAML)/\(name)/walk_forward.json")))
        }
    }

    /// Plain YAML scalars are typed as JSON would type them (YAML 1.2's core
    /// schema), never by YAML 1.1's surprises: `yes`/`on` are no booleans
    /// (so `analyze: yes` is refused, not taken as true), `false` is one, and
    /// numbers 1 and 0 are numbers (in JSON too, where Linux's `is Bool`
    /// once took them for booleans).
    @Test func yamlScalarsAreTypedAsJSONTypesThem() async throws {
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let made = try await CLITests.run(["generate", "--hours", "6", "--seed", "3", "--out", directory.appendingPathComponent("a.csv").path])
        #expect(made.status == 0, "\(made.stderr)")
        func plan(_ text: String, _ file: String) async throws -> (status: Int32, stdout: String, stderr: String, out: String) {
            let manifest = directory.appendingPathComponent(file)
            try Data(text.utf8).write(to: manifest)
            let out = directory.appendingPathComponent("out-\(file)").path
            let run = try await CLITests.run(["batch", manifest.path, "--out", out, "--plan-only"])
            return (run.status, run.stdout, run.stderr, out)
        }
        for (file, word) in [("yes.yaml", "yes"), ("on.yaml", "on"), ("no.yml", "NO"), ("one.yaml", "1"), ("one.json", "1")] {
            let text = file.hasSuffix(".json")
                ? #"{"datasets": [{"name": "a", "file": "a.csv"}], "analyze": \#(word)}"#
                : "datasets: [{name: a, file: a.csv}]\nanalyze: \(word)\n"
            let run = try await plan(text, file)
            #expect(run.status == 64 && run.stderr.contains("analyze must be true or false"), "\(file): \(run.stderr)")
        }
        // false is a boolean: planning writes no analysis. 1 is a number: one-hour slices.
        let off = try await plan("datasets: [{name: a, file: a.csv}]\nanalyze: false\nslice_hours: 1\nwalk_forward: {window_hours: 1}\n", "off.yaml")
        #expect(off.status == 0, "\(off.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(off.out)/a/analysis.json"))
        #expect(((try JSONSerialization.jsonObject(with: Data(off.stdout.utf8)) as? [String: [String]])?["shards"]?.count ?? 0) >= 6)
        let json = try await plan(#"{"datasets": [{"name": "a", "file": "a.csv"}], "slice_hours": 1, "walk_forward": {"window_hours": 1}}"#, "1.json")
        #expect(json.status == 0, "\(json.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(json.out)/a/analysis.json"))
        #expect(json.stdout == off.stdout)
        // A quoted number is text, as in JSON ("8"), and the option reads it; a date is text, not a timestamp.
        let quoted = try await plan("datasets: [{name: a, file: a.csv}]\nwalk_forward: {window_hours: 1, grid_steps: \"8\"}\n", "quoted.yaml")
        #expect(quoted.status == 0, "\(quoted.stderr)")
        // YAML 1.1 would make ON, yes and off booleans and the dates timestamps, all refused as "must be given as a string".
        let on = try await plan("datasets:\n  - {name: a, db: \"postgres://nobody@127.0.0.1:1/none\", symbol: ON, spot_market: X_SPOT, "
                                 + "futures_market: Y_FUTURES, from: 2025-01-01, to: 2025-01-02}\n", "symbol.yaml")
        #expect(on.status == 64 && on.stderr.contains("--symbol 'ON': expected BASE/QUOTE"), "\(on.stderr)")
        let dated = try await plan("datasets:\n  - {name: a, db: \"postgres://nobody@127.0.0.1:1/none\", symbol: NO/USDT, spot_market: yes, "
                                    + "futures_market: off, from: 2025-01-01, to: 2025-01-02}\n", "dated.yaml")
        #expect(dated.status == 1 && dated.stderr.contains("127.0.0.1:1/none: cannot connect"), "the database is tried: \(dated.stderr)")
    }

    /// A malformed YAML manifest is a usage error naming the line and column.
    @Test(arguments: [
        ("datasets:\n  - name: a\n    file: [a.csv\nslice_hours: 5\n", "not valid YAML (line 4, column 12: did not find expected ',' or ']'"),
        ("datasets:\n  - name: a\n   file: a.csv\n", "not valid YAML (line 3, column 4: did not find expected '-' indicator"),
        ("datasets: [{name: a, file: a.csv}]\nslice_hours: 5\nslice_hours: 6\n", "line 2, column 1: the key 'slice_hours' appears twice"),
        ("base: &b {name: a}\ndatasets:\n  - <<: *b\n    file: a.csv\n", "at line 3, column 5, a YAML merge key"),
        ("datasets: [{name: a, file: !!binary aGVsbG8=}]\n", "at line 1, column 28, 'aGVsbG8=' has the tag"),
    ])
    func malformedYAML(text: String, message: String) async throws {
        try await Self.expectYAMLRefused(text, naming: message)
    }

    /// Runs `batch` on a manifest file `m.yaml` holding `text`: exit 64, and
    /// stderr names the file and contains `message`.
    static func expectYAMLRefused(_ text: String, naming message: String) async throws {
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let manifest = directory.appendingPathComponent("m.yaml")
        try Data(text.utf8).write(to: manifest)
        let run = try await CLITests.run(["batch", manifest.path, "--out", directory.appendingPathComponent("o").path])
        #expect(run.status == 64)
        #expect(run.stderr.contains("m.yaml") && run.stderr.contains(message), "\(run.stderr)")
    }

    /// Each dataset's walk_forward.json equals `walk-forward --json`, its
    /// backtests.json entry `backtest --json`, its analysis.json `analyze
    /// --json` (all but wall-clock time); summary.json has a row per dataset.
    @Test func outputsEqualTheUnshardedCommands() async throws {
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let manifest = try await Self.setUp(directory)
        let out = directory.appendingPathComponent("out").path
        let batch = try await CLITests.run(["batch", manifest, "--out", out, "--workers", "2"])
        #expect(batch.status == 0, "\(batch.stderr)")
        #expect(batch.stdout.isEmpty)
        for name in ["a", "b"] {
            let csv = directory.appendingPathComponent("\(name).csv").path
            let walk = try await CLITests.run(["walk-forward", csv, "--window-hours", "4", "--update-minutes", "15", "--grid-steps", "8",
                                         "--max-hold-minutes", "90", "--json"])
            #expect(walk.status == 0, "\(walk.stderr)")
            let expected = try #require(try JSONSerialization.jsonObject(with: Data(walk.stdout.utf8)) as? [String: Any])
            #expect((expected["trades"] as? [Any])?.isEmpty == false)
            #expect(try Self.canonical(Self.json("\(out)/\(name)/walk_forward.json")) == Self.canonical(expected), "walk-forward of \(name)")

            let fixed = try await CLITests.run(["backtest", csv, "--entry", "0.3", "--exit", "0.1", "--max-hours", "1.5", "--json"])
            #expect(fixed.status == 0, "\(fixed.stderr)")
            var expectedFixed = try #require(try JSONSerialization.jsonObject(with: Data(fixed.stdout.utf8)) as? [String: Any])
            expectedFixed["entry_threshold_pct"] = 0.3
            expectedFixed["exit_threshold_pct"] = 0.1
            let backtests = try #require(Self.json("\(out)/\(name)/backtests.json")["backtests"] as? [[String: Any]])
            #expect(backtests.count == 1)
            #expect(try Self.canonical(backtests[0]) == Self.canonical(expectedFixed), "backtest of \(name)")

            let analysis = try await CLITests.run(["analyze", csv, "--json"])
            let expectedAnalysis = try #require(try JSONSerialization.jsonObject(with: Data(analysis.stdout.utf8)) as? [String: Any])
            #expect(try Self.canonical(Self.json("\(out)/\(name)/analysis.json")) == Self.canonical(expectedAnalysis), "analysis of \(name)")
        }
        let rows = try #require(Self.json("\(out)/summary.json")["datasets"] as? [[String: Any]])
        #expect(rows.map { $0["name"] as? String } == ["a", "b"])
        #expect(rows.allSatisfy { $0["trades"] is Int && $0["total_pnl_pct"] is Double && $0["confidence_over_time"] is [Any] })
    }

    /// A batch killed after some shards finished resumes without redoing
    /// them (their result files are untouched), and ends with the outputs of
    /// an uninterrupted run.
    @Test func killedBatchResumes() async throws {
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let manifest = try await Self.setUp(directory, sliceHours: 2)
        let out = directory.appendingPathComponent("out")
        let process = Process()
        process.executableURL = CLITests.executable
        process.arguments = ["batch", manifest, "--out", out.path, "--workers", "1"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        func results() -> [String] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent(".batch/a").path)) ?? []
            return names.filter { $0.hasPrefix("shard-") && $0.hasSuffix(".json") }.sorted()
        }
        let deadline = Date().addingTimeInterval(120)
        while results().count < 3 && process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let finished = results()
        #expect(finished.count >= 3, "the batch should have finished some shards of a before the kill")
        #expect(finished.count < 15, "the kill should come before dataset a's 15 shards are all done")
        func identity(_ name: String) throws -> [String] {
            let a = try FileManager.default.attributesOfItem(atPath: out.appendingPathComponent(".batch/a/\(name)").path)
            return ["\(a[.systemFileNumber] ?? 0)", "\((a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"]
        }
        let before = try finished.map(identity)
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("summary.json").path))

        let resumed = try await CLITests.run(["batch", manifest, "--out", out.path, "--workers", "2"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("already done (resuming)"), "\(resumed.stderr)")
        #expect(try finished.map(identity) == before, "finished shards must not be redone")

        let clean = directory.appendingPathComponent("clean").path
        #expect(try await CLITests.run(["batch", manifest, "--out", clean]).status == 0)
        for file in ["a/walk_forward.json", "b/walk_forward.json", "a/backtests.json", "summary.json"] {
            #expect(try Self.canonical(Self.json("\(out.path)/\(file)")) == Self.canonical(Self.json("\(clean)/\(file)")), "\(file)")
        }
    }

    /// One changed row re-runs exactly the shards that load it: their results
    /// get new keys, every other shard's result (of both datasets) is kept
    /// untouched (same inode and modification time), and the outputs equal a
    /// clean batch over the changed data.
    @Test func changedRowReRunsOnlyItsShards() async throws {
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let manifest = try await Self.setUp(directory)
        let out = directory.appendingPathComponent("out").path
        let first = try await CLITests.run(["batch", manifest, "--out", out, "--workers", "2"])
        #expect(first.status == 0, "\(first.stderr)")
        func results() throws -> [String: [String]] {
            var identities: [String: [String]] = [:]
            for name in ["a", "b"] {
                for file in try FileManager.default.contentsOfDirectory(atPath: "\(out)/.batch/\(name)")
                where file.hasPrefix("shard-") && file.hasSuffix(".json") {
                    let a = try FileManager.default.attributesOfItem(atPath: "\(out)/.batch/\(name)/\(file)")
                    identities["\(name)/\(file)"] = ["\(a[.systemFileNumber] ?? 0)", "\((a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"]
                }
            }
            return identities
        }
        let before = try results()
        #expect(before.count >= 10)

        // Row 40 % into a: its spot ask a little higher (the bid stays below it).
        let csv = directory.appendingPathComponent("a.csv")
        var lines = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0].hasPrefix("timestamp,spot_ask_price,"))
        let row = (lines.count - 2) * 2 / 5, line = row + 1
        var fields = lines[line].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let ask = try #require(Double(fields[1]))
        fields[1] = "\(ask * 1.002)"
        lines[line] = fields.joined(separator: ",")
        try Data(lines.joined(separator: "\n").utf8).write(to: csv)

        let plan = try #require(Self.json("\(out)/.batch/a/plan.json")["plan"] as? [String: Any])
        let shards = try #require(plan["shards"] as? [[String: Any]])
        let loading = Set(shards.filter { ($0["load_first_row"] as? Int ?? .max) <= row && row < ($0["end_row"] as? Int ?? .min) }
            .compactMap { $0["index"] as? Int })
        #expect(loading.count == 2, "a row 40 % in is in one slice and the next shard's warm-up: \(loading)")

        let second = try await CLITests.run(["batch", manifest, "--out", out, "--workers", "2"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("\(before.count - 2) of \(before.count) shards already done (resuming)"), "\(second.stderr)")
        let after = try results()
        for (file, identity) in before {
            #expect(after[file] == identity, "\(file) must be kept untouched")
        }
        let new = Set(after.keys).subtracting(before.keys)
        let rerun = Set(new.map { file -> Int in
            Int(file.split(separator: "-")[1]) ?? -1
        })
        #expect(new.allSatisfy { $0.hasPrefix("a/") }, "\(new)")
        #expect(rerun == loading, "re-run \(rerun), loading the row \(loading)")

        let clean = directory.appendingPathComponent("clean").path
        #expect(try await CLITests.run(["batch", manifest, "--out", clean]).status == 0)
        for file in ["a/walk_forward.json", "b/walk_forward.json", "a/backtests.json", "a/analysis.json", "summary.json"] {
            #expect(try Self.canonical(Self.json("\(out)/\(file)")) == Self.canonical(Self.json("\(clean)/\(file)")), "\(file)")
        }
    }

    /// A database range is read again on every run: one changed row in the
    /// store re-runs exactly the shards whose rows changed (their input files
    /// differ; the others' inputs and results stay untouched), and the outputs
    /// equal a clean batch over the changed store.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["DELTA_ARB_TEST_DB"] != nil || ProcessInfo.processInfo.environment["CI"] != nil,
                   "no test server: DELTA_ARB_TEST_DB is not set (run scripts/with-postgres.sh swift test, or scripts/test.sh)"))
    func changedDatabaseRowReRunsOnlyItsShards() async throws {
        let text = try DatabaseCLITests.url()
        let url = try PostgresURL(text)
        try await BookTickerStoreWriter.initialize(url)
        let symbol = "BATCH\(UInt32.random(in: 0..<UInt32.max))/USDT"
        let start: Int64 = 1_759_276_800_000_000_000
        let spot = DatabaseCLITests.quotes(count: 16_000, start: start, seed: 21, price: 1.2345)
        let futures = DatabaseCLITests.quotes(count: 16_000, start: start, seed: 22, price: 1.2331)
        _ = try await BookTickerStoreWriter.importQuotes(spot, into: url, symbol: symbol, market: "BATCHX_SPOT")
        _ = try await BookTickerStoreWriter.importQuotes(futures, into: url, symbol: symbol, market: "BATCHY_FUTURES")
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let manifest = directory.appendingPathComponent("m.yaml")
        try Data("""
            datasets:
              - name: d
                db: "\(text)"
                symbol: \(symbol)
                spot_market: BATCHX_SPOT
                futures_market: BATCHY_FUTURES
                from: \(UTCTime.iso8601(nanoseconds: start))
                to: \(UTCTime.iso8601(nanoseconds: start + 11 * 3_600_000_000_000))
            slice_hours: 2
            walk_forward: {window_hours: 1.5, update_minutes: 20, grid_steps: 6, max_hold_minutes: 60}
            backtests: [{entry: 0.3, exit: 0.1}]

            """.utf8).write(to: manifest)
        let out = directory.appendingPathComponent("out").path
        let first = try await CLITests.run(["batch", manifest.path, "--out", out, "--workers", "2"])
        #expect(first.status == 0, "\(first.stderr)")
        func snapshot() throws -> (inputs: [String: Data], results: [String: [String]]) {
            var inputs: [String: Data] = [:], results: [String: [String]] = [:]
            for file in try FileManager.default.contentsOfDirectory(atPath: "\(out)/.batch/d") where file.hasPrefix("shard-") {
                let path = "\(out)/.batch/d/\(file)"
                if file.hasSuffix(".arrow") { inputs[file] = try Data(contentsOf: URL(fileURLWithPath: path)) }
                if file.hasSuffix(".json") {
                    let a = try FileManager.default.attributesOfItem(atPath: path)
                    results[file] = ["\(a[.systemFileNumber] ?? 0)", "\((a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"]
                }
            }
            return (inputs, results)
        }
        let before = try snapshot()
        #expect(before.inputs.count == 6 && before.results.count == 6)

        // One futures quote 40 % in: its ask one tick (1e-8) higher.
        let changed = UTCTime.iso8601(nanoseconds: futures.timestamps[futures.count * 2 / 5])
        let connection = try PostgresConnection(url)
        try connection.query("""
            UPDATE book_ticker_snapshots SET ask_price = ask_price + 0.00000001
            WHERE "timestamp" = $1::timestamptz AND symbol_id = (SELECT s.id FROM symbols s JOIN exchanges e ON s.exchange_id = e.id
                WHERE e.enum_value = 'BATCHY_FUTURES' AND s.symbol_base || '/' || s.symbol_quote = $2)
            """, [changed, symbol])

        let second = try await CLITests.run(["batch", manifest.path, "--out", out, "--workers", "2"])
        #expect(second.status == 0, "\(second.stderr)")
        let after = try snapshot()
        let changedInputs = Set(after.inputs.keys.filter { after.inputs[$0] != before.inputs[$0] }.map { Int($0.dropFirst(6).dropLast(6)) ?? -1 })
        #expect(!changedInputs.isEmpty && changedInputs.count < 6, "the change is in one or two shards' rows: \(changedInputs)")
        for (file, identity) in before.results {
            let index = Int(file.split(separator: "-")[1]) ?? -1
            if !changedInputs.contains(index) { #expect(after.results[file] == identity, "\(file) must be kept untouched") }
        }
        let rerun = Set(Set(after.results.keys).subtracting(before.results.keys).map { Int($0.split(separator: "-")[1]) ?? -1 })
        #expect(rerun == changedInputs)
        #expect(second.stderr.contains("\(6 - changedInputs.count) of 6 shards already done (resuming)"), "\(second.stderr)")

        let clean = directory.appendingPathComponent("clean").path
        #expect(try await CLITests.run(["batch", manifest.path, "--out", clean]).status == 0)
        for file in ["d/walk_forward.json", "d/backtests.json", "d/analysis.json", "summary.json"] {
            #expect(try Self.canonical(Self.json("\(out)/\(file)")) == Self.canonical(Self.json("\(clean)/\(file)")), "\(file)")
        }
    }

    /// Bad manifests are refused with the manifest and the key named (exit 64).
    @Test(arguments: [
        (#"{"datasets": []}"#, "'datasets' must be a non-empty list"),
        (#"{"datasets": [{"name": "a"}]}"#, "datasets[0]. needs a source"),
        (#"{"datasets": [{"name": "a", "file": "x.csv"}], "slice_hourz": 3}"#, "unknown key 'slice_hourz'"),
        (#"{"datasets": [{"name": "a", "file": "x.csv"}], "slice_hours": -1}"#, "slice_hours must be a positive number"),
        (#"{"datasets": [{"name": "a", "file": "x.csv"}], "walk_forward": {"grid_stepz": 3}}"#, "walk_forward:"),
        (#"{"datasets": [{"name": "a", "file": "x.csv"}], "walk_forward": {"time_budget_ms": 50}}"#,
         "walk_forward.time_budget_ms is refused in a batch: a time budget"),
        (#"{"datasets": [{"name": "a", "file": "x.csv"}], "analyze": 1}"#, "analyze must be true or false"),
    ])
    func badManifest(text: String, message: String) async throws {
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let manifest = directory.appendingPathComponent("m.json")
        try Data(text.utf8).write(to: manifest)
        let run = try await CLITests.run(["batch", manifest.path, "--out", directory.appendingPathComponent("o").path])
        #expect(run.status == 64)
        #expect(run.stderr.contains(message) && run.stderr.contains("m.json"), "\(run.stderr)")
    }

    /// The bad manifests of `badManifest` in YAML are refused with the same messages.
    @Test(arguments: [
        ("datasets: []\n", "'datasets' must be a non-empty list"),
        ("datasets:\n  - name: a\n", "datasets[0]. needs a source"),
        ("datasets:\n  - {name: a, file: x.csv}\nslice_hourz: 3\n", "unknown key 'slice_hourz'"),
        ("datasets:\n  - {name: a, file: x.csv}\nslice_hours: -1\n", "slice_hours must be a positive number"),
        ("datasets:\n  - {name: a, file: x.csv}\nwalk_forward:\n  grid_stepz: 3\n", "walk_forward:"),
        ("datasets:\n  - {name: a, file: x.csv}\nwalk_forward:\n  time_budget_ms: 50\n",
         "walk_forward.time_budget_ms is refused in a batch: a time budget"),
        ("- a\n- b\n", "not a YAML mapping"),
    ])
    func badYAMLManifest(text: String, message: String) async throws {
        try await Self.expectYAMLRefused(text, naming: message)
    }

    /// index.html renders in headless Chromium without errors and holds the
    /// datasets' table and charts (scripts/check-report.sh).
    @Test(.enabled(if: BatchCLITests.chromiumRuns, "Chromium is not installed; set CI to make this a failure"))
    func indexRendersInChromium() async throws {
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let manifest = try await Self.setUp(directory, sliceHours: 10)
        let out = directory.appendingPathComponent("out").path
        #expect(try await CLITests.run(["batch", manifest, "--out", out]).status == 0)
        let html = try String(contentsOfFile: "\(out)/index.html", encoding: .utf8)
        #expect(html.contains(#"<tr data-dataset="a">"#) && html.contains(#"<tr data-dataset="b">"#))
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/check-report.sh").path
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/bin/bash")
        // Two datasets: an equity curve and a thresholds chart each.
        check.arguments = [script, "\(out)/index.html", "\(out)/index.png", "4"]
        let err = Pipe()
        check.standardError = err
        check.standardOutput = FileHandle.nullDevice
        try check.run()
        let stderr = try await CLITests.onOwnThread {
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            check.waitUntilExit()
            return text
        }
        #expect(check.terminationStatus == 0, "\(stderr)")
    }

    static let chromiumRuns: Bool = {
        if ProcessInfo.processInfo.environment["CI"] != nil { return true }
        return ["chromium", "chromium-browser", "google-chrome"].contains { name in
            (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
                .contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
        }
    }()
}
