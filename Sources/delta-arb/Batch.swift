import ArgumentParser
import DeltaArbitrage
import DeltaArbitrageReporting
import Foundation

struct Batch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Walk-forward, fixed backtests and analysis of many datasets, sharded by time, into one directory.",
        discussion: """
            MANIFEST is a JSON or YAML file: {"datasets": [{"name": "a", "file": "a.csv"}, \
            {"name": "b", "spot": ["s.csv"], "futures": ["f.csv"]}, {"name": "c", "db": URL, \
            "symbol": "BTC/USDT", "spot_market": …, "futures_market": …, "from": …, "to": …}], \
            "slice_hours": 48, "walk_forward": {"window_hours": 24, "update_minutes": 5, "grid_steps": 32, \
            …optimiser options by their option names, e.g. "max_hold_minutes": 360}, \
            "backtests": [{"entry": 0.3, "exit": 0.1}], "analyze": true, "max_gap": "auto", "on_gap": "warn"}. \
            Relative paths are relative to the manifest. The same manifest may be written in YAML, with \
            the same keys: a manifest whose first character after blanks is '{' is read as JSON, any \
            other as YAML (whatever the file's name). YAML values are typed as JSON types them (YAML 1.2): \
            true/false are the only booleans, so yes, no, on, off stay text, and so do dates. \
            walk_forward.time_budget_ms is refused: a time budget makes results depend on the machine.

            Writes DIR/<name>/walk_forward.json (as walk-forward --json), backtests.json, \
            analysis.json, DIR/summary.json and DIR/index.html. Each dataset is cut into \
            slices of slice_hours; each shard runs alone, and the merge carries the open \
            position and the thresholds across every cut, so the results equal one unsharded \
            run. Work files live in DIR/.batch; a killed batch resumes without redoing \
            finished shards (a shard's result is keyed by the settings and a hash of its rows, \
            so a changed file or database range re-runs only the shards whose rows changed; a \
            database range is read again on every run). --plan-only, --shard and --merge-only \
            run one stage (the Ray driver, distributed/ray_batch.py, uses them).
            """
    )

    @Argument(help: ArgumentHelp("The batch manifest (JSON or YAML).", valueName: "manifest"))
    var manifest: String

    @Option(help: ArgumentHelp("Output directory.", valueName: "dir"))
    var out: String

    @Option(help: ArgumentHelp("Shards run at once (each holds one shard's rows).", valueName: "n"))
    var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Only plan: load each dataset, write its shards' inputs, print {\"shards\": [ID…]} on stdout.")
    var planOnly = false

    @Option(help: ArgumentHelp("Only run this planned shard (NAME/INDEX, as --plan-only lists).", valueName: "id"))
    var shard: String?

    @Flag(help: "Only merge the finished shards and write the outputs.")
    var mergeOnly = false

    func validate() throws {
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
        guard [planOnly, shard != nil, mergeOnly].filter({ $0 }).count <= 1 else {
            throw ValidationError("give at most one of --plan-only, --shard and --merge-only")
        }
    }

    func run() async throws {
        try await reportingFailures {
            let job = try BatchJob(manifestPath: manifest, out: out)
            if let shard {
                try job.runShard(id: shard)
                return
            }
            if mergeOnly {
                try job.mergeAll()
                return
            }
            var ids: [String] = []
            for dataset in job.manifest.datasets { ids += try await job.plan(dataset) }
            if planOnly {
                try StandardOutput.writeLine(String(decoding: try makeJSONEncoder(pretty: false).encode(["shards": ids]), as: UTF8.self))
                return
            }
            let pending = try ids.filter { try !job.isDone(id: $0) }
            if pending.count < ids.count {
                StandardError.write("note: \(ids.count - pending.count) of \(ids.count) shards already done (resuming)\n")
            }
            let bar = BatchProgressBar(total: ids.count, done: ids.count - pending.count)
            try await withThrowingTaskGroup(of: Void.self) { group in
                var next = pending.makeIterator()
                func add() {
                    guard let id = next.next() else { return }
                    group.addTask { try job.runShard(id: id) }
                }
                for _ in 0..<workers { add() }
                while try await group.next() != nil {
                    bar.advance()
                    add()
                }
            }
            bar.finish()
            try job.mergeAll()
            StandardError.write("batch: \(ids.count) shards of \(job.manifest.datasets.count) datasets; outputs in \(out)\n")
        }
    }
}

/// A progress bar on stderr, drawn only when stderr is a terminal.
final class BatchProgressBar: @unchecked Sendable {
    private let lock = NSLock()
    private let total: Int
    private var done: Int
    private let enabled = StandardError.isTerminal

    init(total: Int, done: Int) {
        self.total = total
        self.done = done
        draw()
    }

    func advance() {
        lock.lock()
        done += 1
        lock.unlock()
        draw()
    }

    private func draw() {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let width = 30, filled = total == 0 ? width : width * done / total
        StandardError.write("\r[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] "
            + "\(done)/\(total) shards ")
    }

    func finish() {
        if enabled { StandardError.write("\r\u{1B}[2K") }
    }
}

/// A manifest's dataset, checked.
struct BatchDataset: Sendable {
    var name: String
    /// The `InputOptions` arguments that load it.
    var inputArguments: [String]
    /// The files it reads (for the data's identity), empty for a database range.
    var files: [String]
    /// Its manifest entry, canonical JSON (part of the identity).
    var canonical: String
}

/// The manifest, checked: every error names the manifest and the key.
struct BatchManifest: Sendable {
    var datasets: [BatchDataset]
    var sliceHours: Double
    var windowHours: Double
    var updateMinutes: Double
    var optimizerArguments: [String]
    var backtests: [ThresholdPair]
    var analyze: Bool
    var gapArguments: [String]
    /// The settings shared by every dataset, canonical JSON (part of every shard's key).
    var canonicalSettings: String

    static func read(path: String) throws -> BatchManifest {
        let url = URL(fileURLWithPath: path)
        let base = url.deletingLastPathComponent().path
        let bytes: Data
        do { bytes = try Data(contentsOf: url) } catch {
            throw UsageFailure("\(path): cannot read the manifest (\(error.localizedDescription))")
        }
        func fail(_ message: String) -> UsageFailure { UsageFailure("\(path): \(message)") }
        let parsed: Any
        do { parsed = try ManifestText.parse(bytes) } catch { throw fail(error.description) }
        guard let root = parsed as? [String: Any] else {
            throw fail(ManifestText.isJSON(bytes) ? "not a JSON object (a manifest is {\"datasets\": [...], ...})"
                       : "not a YAML mapping (a manifest is datasets: [...], ...)")
        }
        let known: Set = ["datasets", "slice_hours", "walk_forward", "backtests", "analyze", "max_gap", "on_gap"]
        if let unknown = root.keys.sorted().first(where: { !known.contains($0) }) { throw fail("unknown key '\(unknown)'") }
        func number(_ object: [String: Any], _ key: String, _ place: String, default value: Double) throws -> Double {
            guard let raw = object[key] else { return value }
            guard let n = ManifestText.number(raw), n.doubleValue.isFinite, n.doubleValue > 0 else {
                throw fail("\(place)\(key) must be a positive number")
            }
            return n.doubleValue
        }
        func absolute(_ p: String) -> String { p.hasPrefix("/") ? p : base + "/" + p }
        func strings(_ raw: Any?, _ key: String) throws -> [String] {
            if let s = raw as? String { return [absolute(s)] }
            guard let list = raw as? [String], !list.isEmpty else { throw fail("\(key) must be a file name or a list of them") }
            return list.map(absolute)
        }
        guard let rawDatasets = root["datasets"] as? [[String: Any]], !rawDatasets.isEmpty else {
            throw fail("'datasets' must be a non-empty list of objects")
        }
        var datasets: [BatchDataset] = []
        for (k, d) in rawDatasets.enumerated() {
            let place = "datasets[\(k)]."
            guard let name = d["name"] as? String, !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }),
                  !name.hasPrefix(".") else {
                throw fail("\(place)name must be a non-empty name of letters, digits, '.', '_' and '-' (not starting with '.')")
            }
            guard !datasets.contains(where: { $0.name == name }) else { throw fail("\(place)name '\(name)' appears twice") }
            var arguments: [String] = [], files: [String] = []
            if let file = d["file"] {
                guard let file = file as? String else { throw fail("\(place)file must be a file name") }
                arguments = [absolute(file)]
                files = arguments
                if let other = d.keys.sorted().first(where: { $0 != "name" && $0 != "file" }) {
                    throw fail("\(place)\(other) does not go with 'file'")
                }
            } else if d["spot"] != nil || d["futures"] != nil {
                let spot = try strings(d["spot"], place + "spot"), futures = try strings(d["futures"], place + "futures")
                arguments = ["--spot"] + spot + ["--futures"] + futures
                files = spot + futures
                if let other = d.keys.sorted().first(where: { !["name", "spot", "futures"].contains($0) }) {
                    throw fail("\(place)\(other) does not go with 'spot'/'futures'")
                }
            } else if d["db"] != nil {
                for key in ["db", "symbol", "spot_market", "futures_market", "from", "to"] {
                    guard let value = d[key] as? String else { throw fail("\(place)\(key) must be given as a string with 'db'") }
                    arguments += ["--" + key.replacingOccurrences(of: "_", with: "-"), value]
                }
                if let other = d.keys.sorted().first(where: { !["name", "db", "symbol", "spot_market", "futures_market", "from", "to"].contains($0) }) {
                    throw fail("\(place)\(other) does not go with 'db'")
                }
            } else {
                throw fail("\(place) needs a source: 'file', or 'spot' and 'futures', or 'db' with symbol, spot_market, futures_market, from, to")
            }
            let canonical = String(decoding: try JSONSerialization.data(withJSONObject: ["name": name, "input": arguments],
                                                                       options: [.sortedKeys]), as: UTF8.self)
            datasets.append(BatchDataset(name: name, inputArguments: arguments, files: files, canonical: canonical))
        }
        let slice = try number(root, "slice_hours", "", default: 48)
        let walk = root["walk_forward"] as? [String: Any] ?? [:]
        if root["walk_forward"] != nil && !(root["walk_forward"] is [String: Any]) { throw fail("walk_forward must be an object") }
        let window = try number(walk, "window_hours", "walk_forward.", default: 24)
        let update = try number(walk, "update_minutes", "walk_forward.", default: 5)
        var optimizerArguments: [String] = []
        for key in walk.keys.sorted() where key != "window_hours" && key != "update_minutes" {
            guard let text = walk[key] as? String ?? ManifestText.number(walk[key])?.stringValue else {
                throw fail("walk_forward.\(key) must be a number or text")
            }
            let option = "--" + key.replacingOccurrences(of: "_", with: "-")
            if option == "--time-budget-ms" {
                throw fail("walk_forward.\(key) is refused in a batch: a time budget stops each optimisation after so many "
                    + "milliseconds, so its result depends on the machine's speed and load, and a sharded run, a resumed "
                    + "run or a Ray run would not equal one unsharded walk-forward")
            }
            optimizerArguments += [option, text]
        }
        var backtests: [ThresholdPair] = []
        if let raw = root["backtests"] {
            guard let list = raw as? [[String: Any]] else { throw fail("backtests must be a list of {\"entry\": pct, \"exit\": pct}") }
            for (k, b) in list.enumerated() {
                backtests.append(ThresholdPair(entryThresholdPct: try number(b, "entry", "backtests[\(k)].", default: .nan),
                                               exitThresholdPct: try number(b, "exit", "backtests[\(k)].", default: .nan)))
                guard backtests[k].entryThresholdPct.isFinite, backtests[k].exitThresholdPct.isFinite else {
                    throw fail("backtests[\(k)] needs both 'entry' and 'exit' (percent)")
                }
            }
        }
        if let raw = root["analyze"], ManifestText.boolean(raw) == nil { throw fail("analyze must be true or false") }
        var gapArguments: [String] = []
        for key in ["max_gap", "on_gap"] {
            guard let raw = root[key] else { continue }
            guard let text = raw as? String else { throw fail("\(key) must be text, as the --\(key.replacingOccurrences(of: "_", with: "-")) option takes") }
            gapArguments += ["--" + key.replacingOccurrences(of: "_", with: "-"), text]
        }
        let settings: [String: Any] = ["slice_hours": slice, "window_hours": window, "update_minutes": update,
                                       "optimizer": optimizerArguments, "gaps": gapArguments,
                                       "backtests": backtests.map { [$0.entryThresholdPct, $0.exitThresholdPct] }, "version": 2]
        return BatchManifest(
            datasets: datasets, sliceHours: slice, windowHours: window, updateMinutes: update,
            optimizerArguments: optimizerArguments, backtests: backtests, analyze: ManifestText.boolean(root["analyze"]) ?? true,
            gapArguments: gapArguments,
            canonicalSettings: String(decoding: try JSONSerialization.data(withJSONObject: settings, options: [.sortedKeys]), as: UTF8.self))
    }
}

/// What the planner leaves for the shards and the merge: the plan, its key,
/// and the data's gaps. JSON, in DIR/.batch/NAME/plan.json.
struct BatchPlanFile: Codable {
    struct Gap: Codable { var row: Int; var start: Int64; var end: Int64 }
    var key: String
    var plan: BatchPlan
    /// Gap threshold, nanoseconds; nil with max_gap off.
    var gapThreshold: Int64?
    var gapPolicy: String
    var gapDerived: Bool
    var gaps: [Gap]
    /// Per shard, a hash of the rows it loads (`BatchHash.rows`), written
    /// with its input file: part of its result's key, so changed rows re-run
    /// exactly the shards that load them, whatever the source.
    var inputKeys: [String]
}

/// One batch over one output directory: planning, shards and merge.
struct BatchJob: Sendable {
    let manifest: BatchManifest
    let out: URL
    let optimizer: DeltaArbitrageOptimizer

    init(manifestPath: String, out: String) throws {
        manifest = try BatchManifest.read(path: manifestPath)
        self.out = URL(fileURLWithPath: out)
        do {
            optimizer = try OptimizerOptions.parse(manifest.optimizerArguments).optimizer()
        } catch {
            throw UsageFailure("\(manifestPath): walk_forward: \(OptimizerOptions.message(for: error))")
        }
    }

    func work(_ name: String) -> URL { out.appendingPathComponent(".batch").appendingPathComponent(name) }
    func planURL(_ name: String) -> URL { work(name).appendingPathComponent("plan.json") }
    func inputURL(_ name: String, _ k: Int) -> URL { work(name).appendingPathComponent("shard-\(k).arrow") }

    var intervalNanoseconds: Int64 { Int64((manifest.updateMinutes * 60e9).rounded()) }

    /// The files' identity (path, size, modification time) and every
    /// setting: while it holds, a file dataset's plan and shard inputs are
    /// kept without loading the files again. A database range has no such
    /// identity; it is loaded and planned on every run.
    func key(_ dataset: BatchDataset) -> String {
        var text = manifest.canonicalSettings + "\n" + dataset.canonical
        for file in dataset.files {
            let attributes = try? FileManager.default.attributesOfItem(atPath: file)
            let size = (attributes?[.size] as? NSNumber)?.int64Value ?? -1
            let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1
            text += "\n\(file) \(size) \(modified)"
        }
        return BatchHash.hex(text)
    }

    func readPlan(_ name: String) throws -> BatchPlanFile {
        let url = planURL(name)
        guard let bytes = FileManager.default.contents(atPath: url.path) else {
            throw BatchError("\(url.path): no plan for dataset '\(name)' (run the batch, or --plan-only, first)")
        }
        do { return try JSONDecoder().decode(BatchPlanFile.self, from: bytes) } catch {
            throw BatchError("\(url.path): not a batch plan (\(error))")
        }
    }

    /// Plans `dataset` unless it is read from files and a plan with the same
    /// key is there: loads it, finds its gaps, writes each shard's rows (those
    /// whose rows changed) with their hashes and (with analyze) analysis.json;
    /// returns the shard ids.
    func plan(_ dataset: BatchDataset) async throws -> [String] {
        let key = self.key(dataset)
        // A plan that does not read (an older version's, a damaged one) is planned again.
        let existing = try? readPlan(dataset.name)
        if !dataset.files.isEmpty, let existing, existing.key == key {
            return existing.plan.shards.map { "\(dataset.name)/\($0.index)" }
        }
        let input: InputOptions
        do { input = try InputOptions.parse(dataset.inputArguments + manifest.gapArguments) } catch {
            throw UsageFailure("dataset '\(dataset.name)': \(InputOptions.message(for: error))")
        }
        try input.refuseSplit(command: "batch")
        let data = try await input.load()
        let gaps = try input.checkGaps(data)
        guard manifest.windowHours <= data.spanHours else {
            throw UsageFailure("dataset '\(dataset.name)': walk_forward.window_hours \(Format.plain(manifest.windowHours)) is longer than "
                + "the data's \(Format.fixed(data.spanHours, 2)) h")
        }
        let plan = try BatchPlan(timestamps: data.timestamps, sliceNanoseconds: Int64((manifest.sliceHours * 3.6e12).rounded()),
                                 windowHours: manifest.windowHours, updateIntervalNanoseconds: intervalNanoseconds)
        try FileManager.default.createDirectory(at: work(dataset.name), withIntermediateDirectories: true)
        if existing != nil {
            // While the inputs are replaced no plan may vouch for them: a batch
            // killed here plans again from nothing.
            try BatchFiles.remove(planURL(dataset.name))
        }
        var inputKeys: [String] = []
        var released = 0
        for spec in plan.shards {
            // Shards go in time order: rows before this one's are done (for a mapped file, out of resident memory).
            if spec.loadedRows.lowerBound > released {
                data.releaseResidentPages(rows: released..<spec.loadedRows.lowerBound)
                released = spec.loadedRows.lowerBound
            }
            let rows = data.rows(spec.loadedRows)
            let inputKey = BatchHash.rows(rows)
            inputKeys.append(inputKey)
            let url = inputURL(dataset.name, spec.index)
            if let existing, existing.inputKeys.indices.contains(spec.index), existing.inputKeys[spec.index] == inputKey,
               FileManager.default.fileExists(atPath: url.path) {
                continue
            }
            let temporary = url.path + ".tmp"
            try ArrowFileWriter().write(rows, to: temporary)
            try BatchFiles.rename(temporary, to: url.path)
        }
        let outputs = out.appendingPathComponent(dataset.name)
        try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
        if manifest.analyze {
            let report = try SpreadAnalyzer.analyze(data, options: SpreadAnalysisOptions())
            try BatchFiles.write(MergedJSON(report, ["data_gaps": gaps.json]), to: outputs.appendingPathComponent("analysis.json"))
        }
        let file = BatchPlanFile(key: key, plan: plan, gapThreshold: gaps.report?.thresholdNanoseconds, gapPolicy: gaps.policy.rawValue,
                                 gapDerived: gaps.derived,
                                 gaps: gaps.report?.gaps.map { .init(row: $0.row, start: $0.startNanoseconds, end: $0.endNanoseconds) } ?? [],
                                 inputKeys: inputKeys)
        try BatchFiles.write(file, to: planURL(dataset.name))
        return plan.shards.map { "\(dataset.name)/\($0.index)" }
    }

    func parse(id: String) throws -> (name: String, index: Int) {
        let parts = id.split(separator: "/")
        guard parts.count == 2, let index = Int(parts[1]), index >= 0,
              manifest.datasets.contains(where: { $0.name == parts[0] }) else {
            throw UsageFailure("--shard '\(id)': not NAME/INDEX of a dataset in the manifest")
        }
        return (String(parts[0]), index)
    }

    /// Where shard `index`'s result goes, keyed by everything the result
    /// depends on: the settings, the shard's place (its rows' numbers, its
    /// slice, the update times it runs, which start at the data's first time
    /// and, for the last shard, stop at its last) and the hash of its rows.
    /// Not the source's identity: a file touched but unchanged, or a
    /// database range whose rows for this shard are the same, keeps the result.
    func resultURL(_ name: String, _ index: Int, plan: BatchPlanFile) throws -> URL {
        guard plan.plan.shards.indices.contains(index) else {
            throw UsageFailure("--shard '\(name)/\(index)': dataset '\(name)' has \(plan.plan.shards.count) shards")
        }
        guard plan.inputKeys.count == plan.plan.shards.count else {
            throw BatchError("\(planURL(name).path): \(plan.inputKeys.count) input keys for \(plan.plan.shards.count) shards (plan again)")
        }
        let spec = plan.plan.shards[index]
        let updatesEnd = min(spec.sliceEndNanoseconds, plan.plan.lastTimeNanoseconds &+ 1)
        let key = BatchHash.hex([manifest.canonicalSettings, "\(plan.plan.firstTimeNanoseconds) \(updatesEnd)",
                                 "\(spec.index) \(spec.sliceStartNanoseconds) \(spec.sliceEndNanoseconds) \(spec.loadFirstRow) "
                                 + "\(spec.sliceFirstRow) \(spec.endRow)", plan.inputKeys[index]].joined(separator: "\n"))
        return work(name).appendingPathComponent("shard-\(index)-\(key).json")
    }

    func isDone(id: String) throws -> Bool {
        let (name, index) = try parse(id: id)
        return FileManager.default.fileExists(atPath: try resultURL(name, index, plan: readPlan(name)).path)
    }

    func load(_ name: String, _ spec: BatchShardSpec) throws -> MarketData {
        do {
            return try ArrowFileReader().load(path: inputURL(name, spec.index).path).data
        } catch {
            throw CommandFailure(error)
        }
    }

    /// Runs one shard unless its result is there; writes it atomically.
    func runShard(id: String) throws {
        let (name, index) = try parse(id: id)
        let plan = try readPlan(name)
        let url = try resultURL(name, index, plan: plan)
        if FileManager.default.fileExists(atPath: url.path) { return }
        let spec = plan.plan.shards[index]
        let result = try plan.plan.runShard(spec, data: load(name, spec), optimizer: optimizer, backtests: manifest.backtests)
        try BatchFiles.write(result, to: url)
    }

    /// Merges every dataset and writes the outputs, summary.json and index.html.
    func mergeAll() throws {
        var datasets: [BatchHTMLReport.Dataset] = []
        var rows: [BatchSummaryRow] = []
        for dataset in manifest.datasets {
            let planFile = try readPlan(dataset.name)
            let plan = planFile.plan
            let results = try plan.shards.map { spec -> BatchShardResult in
                let url = try resultURL(dataset.name, spec.index, plan: planFile)
                guard let bytes = FileManager.default.contents(atPath: url.path) else {
                    throw BatchError("\(url.path): shard \(dataset.name)/\(spec.index) has not finished (run it, then merge)")
                }
                do { return try JSONDecoder().decode(BatchShardResult.self, from: bytes) } catch {
                    throw BatchError("\(url.path): not a shard result (\(error))")
                }
            }
            var merged = try plan.merge(results, optimizer: optimizer, backtests: manifest.backtests) { try load(dataset.name, $0) }
            let report = planFile.gapThreshold.map {
                DataGapReport(thresholdNanoseconds: $0, rowCount: plan.rowCount,
                              gaps: planFile.gaps.map { DataGap(row: $0.row, startNanoseconds: $0.start, endNanoseconds: $0.end) })
            }
            let gaps = GapCheck(report: report, policy: GapPolicy(rawValue: planFile.gapPolicy) ?? .warn, derived: planFile.gapDerived)
            merged.walkForward.trades = gaps.marking(merged.walkForward.trades)
            for b in merged.backtests.indices { merged.backtests[b].trades = gaps.marking(merged.backtests[b].trades) }
            let outputs = out.appendingPathComponent(dataset.name)
            try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
            try BatchFiles.write(MergedJSON(merged.walkForward, ["data_gaps": gaps.json]), to: outputs.appendingPathComponent("walk_forward.json"))
            let fixed = zip(manifest.backtests, merged.backtests).map { MergedJSON($0.0, $0.1, ["data_gaps": gaps.json]) }
            try BatchFiles.write(["backtests": fixed], to: outputs.appendingPathComponent("backtests.json"))
            rows.append(BatchSummaryRow(name: dataset.name, rows: plan.rowCount, walkForward: merged.walkForward,
                                        backtests: Array(zip(manifest.backtests, merged.backtests))))
            datasets.append(.init(name: dataset.name, walkForward: merged.walkForward,
                                  backtests: zip(manifest.backtests, merged.backtests).map { ($0.0, $0.1) },
                                  dataStart: plan.firstTimeNanoseconds, dataEnd: plan.lastTimeNanoseconds))
        }
        try BatchFiles.write(["datasets": rows], to: out.appendingPathComponent("summary.json"))
        let html = BatchHTMLReport(title: "Batch \(URL(fileURLWithPath: manifestName).lastPathComponent)", datasets: datasets).html
        try BatchFiles.write(bytes: Data(html.utf8), to: out.appendingPathComponent("index.html"))
    }

    var manifestName: String { manifest.datasets.map(\.name).joined(separator: ", ") }
}

/// One dataset's row of summary.json: `name`, `rows`, the walk-forward's
/// `trades`, `total_pnl_pct`, `hit_rate` (fraction), `max_drawdown`
/// (fraction), `updates`, `optimized_updates`, `confidence` ({first, last,
/// mean, min, max} of the optimisations' scores, null without any) and
/// `confidence_over_time` ([{time, confidence_score}] per successful update),
/// and per fixed backtest the same figures with its thresholds.
struct BatchSummaryRow: Encodable {
    let name: String
    let rows: Int
    let walkForward: WalkForwardResult
    let backtests: [(ThresholdPair, BacktestResult)]

    struct Figures: Encodable {
        let s: BacktestSummary
        enum CodingKeys: String, CodingKey { case trades, totalPnlPct = "total_pnl_pct", hitRate = "hit_rate", maxDrawdown = "max_drawdown" }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(s.trades, forKey: .trades)
            try c.encodeFinite(s.totalPnlPct, forKey: .totalPnlPct)
            try c.encodeFinite(s.hitRate, forKey: .hitRate)
            try c.encodeFinite(s.maxDrawdown, forKey: .maxDrawdown)
        }
    }

    struct ConfidencePoint: Encodable {
        let time: String
        let confidenceScore: Double
        enum CodingKeys: String, CodingKey { case time, confidenceScore = "confidence_score" }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: DynamicKey.self)
        try c.encode(name, forKey: "name")
        try c.encode(rows, forKey: "rows")
        try Figures(s: walkForward.summary).encode(to: encoder)
        try c.encode(walkForward.updates.count, forKey: "updates")
        try c.encode(walkForward.optimizationHistory.count, forKey: "optimized_updates")
        let scores = walkForward.optimizationHistory.map(\.confidenceScore)
        if let first = scores.first, let last = scores.last {
            try c.encode(["first": first, "last": last, "mean": scores.reduce(0, +) / Double(scores.count),
                          "min": scores.min() ?? first, "max": scores.max() ?? first], forKey: "confidence")
        } else {
            try c.encodeNil(forKey: "confidence")
        }
        let points = walkForward.updates.compactMap { u in
            u.confidenceScore.map { ConfidencePoint(time: UTCTime.iso8601(nanoseconds: u.timeNanoseconds), confidenceScore: $0) }
        }
        try c.encode(points, forKey: "confidence_over_time")
        try c.encode(backtests.map { MergedJSON($0.0, Figures(s: $0.1.summary)) }, forKey: "backtests")
    }

    struct DynamicKey: CodingKey, ExpressibleByStringLiteral {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
        init(stringLiteral value: String) { stringValue = value }
    }
}

/// Stable 64-bit keys as 16 hex digits, for file names (not security hashes).
enum BatchHash {
    /// A hash of every column of `data` (the values' bit patterns, in row
    /// order) and its row count: two shard inputs with the same key hold the
    /// same rows. Each step (xor a value, multiply by an odd constant, fold
    /// the high half down) is invertible, so one changed value always
    /// changes the key.
    static func rows(_ data: MarketData) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(data.count)
        func mix(_ buffer: UnsafeBufferPointer<UInt64>) {
            for word in buffer {
                h = (h ^ word) &* 0x9e37_79b9_7f4a_7c15
                h ^= h >> 32
            }
        }
        data.timestamps.withUnsafeBufferPointer { t in
            t.withMemoryRebound(to: UInt64.self) { mix($0) }
        }
        for column in [data.spotAskPrice, data.spotBidPrice, data.spotAskQuantity, data.spotBidQuantity,
                       data.futAskPrice, data.futBidPrice, data.futAskQuantity, data.futBidQuantity] {
            column.withUnsafeBufferPointer { c in
                c.withMemoryRebound(to: UInt64.self) { mix($0) }
            }
        }
        let digits = String(h, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// FNV-1a of the text's UTF-8 bytes.
    static func hex(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        let digits = String(h, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// Atomic writes: a temporary file beside the target, then rename(2), so a
/// killed batch never leaves a partial result under the final name.
enum BatchFiles {
    static func write(_ value: some Encodable, to url: URL) throws {
        try write(bytes: makeJSONEncoder().encode(value), to: url)
    }

    static func write(bytes: Data, to url: URL) throws {
        do {
            try bytes.write(to: url, options: .atomic)
        } catch {
            throw BatchError("\(url.path): cannot write (\(error.localizedDescription))")
        }
    }

    /// Removes `url`; a file already gone is no failure.
    static func remove(_ url: URL) throws {
        guard unlink(url.path) == 0 || errno == ENOENT else {
            throw BatchError("\(url.path): cannot remove (\(String(cString: strerror(errno))))")
        }
    }

    static func rename(_ from: String, to: String) throws {
        guard Foundation.rename(from, to) == 0 else {
            throw BatchError("\(to): cannot move the written file into place (\(String(cString: strerror(errno))))")
        }
    }
}
