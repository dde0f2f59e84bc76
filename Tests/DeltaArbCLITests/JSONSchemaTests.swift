import DeltaArbitrage
import DeltaArbitrageLive
import Foundation
import Testing

/// The test validator itself, on small schemas and documents whose verdict is known.
@Suite("JSON Schema validator")
struct JSONSchemaValidatorTests {
    static let validator: JSONSchemaValidator = {
        let common = """
            {"$defs": {"time": {"type": "string", "format": "date-time", "description": "t"},
                       "point": {"type": "object", "properties": {"x": {"type": "integer", "minimum": 0, "description": "x"}},
                                 "required": ["x"], "additionalProperties": false}}}
            """
        let main = """
            {"type": "object",
             "properties": {
               "name": {"type": "string", "description": "n"},
               "count": {"type": "integer", "minimum": 0, "maximum": 10, "description": "c"},
               "ratio": {"type": ["number", "null"], "description": "r"},
               "kind": {"enum": ["a", "b"], "description": "k"},
               "tag": {"const": "fixed", "description": "g"},
               "flag": {"type": "boolean", "description": "f"},
               "when": {"$ref": "common.schema.json#/$defs/time", "description": "w"},
               "points": {"type": "array", "items": {"$ref": "common.schema.json#/$defs/point"}, "maxItems": 3, "description": "p"},
               "pair": {"type": "array", "minItems": 2, "description": "two or more"},
               "maybe": {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/local"}], "description": "m"}
             },
             "required": ["name", "count"],
             "additionalProperties": false,
             "$defs": {"local": {"type": "object", "properties": {}, "additionalProperties": false}}}
            """
        return JSONSchemaValidator(documents: [
            "common.schema.json": (try? JSONValue.parse(common)) ?? .null,
            "main.schema.json": (try? JSONValue.parse(main)) ?? .null,
        ])
    }()

    static func errors(_ document: String) throws -> [String] {
        validator.errors(of: try JSONValue.parse(document), against: "main.schema.json")
    }

    @Test func acceptsAConformingDocument() throws {
        let good = """
            {"name": "x", "count": 3, "ratio": null, "kind": "b", "tag": "fixed", "flag": true,
             "when": "2025-01-01T00:00:00.000Z", "points": [{"x": 0}, {"x": 2}, {"x": 1}], "pair": [1, "a"], "maybe": {}}
            """
        #expect(try Self.errors(good) == [])
        #expect(try Self.errors(#"{"name": "x", "count": 0, "ratio": 1.5, "maybe": null}"#) == [])
        #expect(try Self.errors(#"{"name": "x", "count": 10, "when": "2025-12-31T23:59:59.123456789Z"}"#) == [])
    }

    @Test(arguments: [
        (#"{"name": "x"}"#, "missing required 'count'"),
        (#"{"name": "x", "count": 1, "extra": 1}"#, "undocumented property 'extra'"),
        (#"{"name": 1, "count": 1}"#, "$.name: expected string"),
        (#"{"name": "x", "count": 1.5}"#, "$.count: expected integer"),
        (#"{"name": "x", "count": true}"#, "$.count: expected integer"),
        (#"{"name": "x", "count": 1, "flag": 1}"#, "$.flag: expected boolean"),
        (#"{"name": "x", "count": -1}"#, "below the minimum"),
        (#"{"name": "x", "count": 11}"#, "above the maximum"),
        (#"{"name": "x", "count": 1, "ratio": "1"}"#, "$.ratio: expected number or null"),
        (#"{"name": "x", "count": 1, "kind": "c"}"#, "not one of the allowed values"),
        (#"{"name": "x", "count": 1, "tag": "other"}"#, "not the required constant"),
        (#"{"name": "x", "count": 1, "points": [{"x": 1}, {"y": 1}]}"#, "$.points[1]: missing required 'x'"),
        (#"{"name": "x", "count": 1, "points": [{"x": -1}]}"#, "$.points[0].x: -1.0 is below the minimum"),
        (#"{"name": "x", "count": 1, "maybe": {"z": 1}}"#, "matches none of anyOf"),
        (#"{"name": "x", "count": 1, "points": [{"x": 0}, {"x": 1}, {"x": 2}, {"x": 3}]}"#, "4 items, more than maxItems 3"),
        (#"{"name": "x", "count": 1, "pair": [1]}"#, "1 items, fewer than minItems 2"),
        (#"{"name": "x", "count": 1, "when": "2025-01-01 00:00:00.000Z"}"#, "not ISO-8601 UTC"),
        (#"{"name": "x", "count": 1, "when": "2025-01-01T00:00:00.000+01:00"}"#, "not ISO-8601 UTC"),
        (#"{"name": "x", "count": 1, "when": "2025-13-01T00:00:00.000Z"}"#, "not ISO-8601 UTC"),
        (#"{"name": "x", "count": 1, "when": "2025-01-01T00:00:00Z"}"#, "not ISO-8601 UTC"),
        (#"{"name": "x", "count": 1, "when": 1735689600}"#, "expected string"),
    ])
    func rejectsAViolation(document: String, expected: String) throws {
        let errors = try Self.errors(document)
        #expect(errors.contains { $0.contains(expected) }, "\(errors)")
    }

    @Test func reportsKeywordsItDoesNotEnforce() throws {
        let v = JSONSchemaValidator(documents: ["s.schema.json": try JSONValue.parse(#"{"type": "string", "pattern": "^a"}"#)])
        #expect(v.errors(of: .string("b"), against: "s.schema.json").contains { $0.contains("unsupported schema keyword 'pattern'") })
        let dangling = JSONSchemaValidator(documents: ["s.schema.json": try JSONValue.parse(##"{"$ref": "#/$defs/nope"}"##)])
        #expect(dangling.errors(of: .null, against: "s.schema.json").contains { $0.contains("unresolvable $ref") })
    }
}

/// Every command's `--json` and every event, validated against docs/schema.
@Suite("JSON contract (docs/schema)")
struct JSONContractTests {
    static let schemas = Result { try JSONSchemaValidator(directory: JSONSchemaValidator.repositorySchemaDirectory) }

    /// Six hours of generated 1 s ticks, shared by the tests of this suite.
    static let csv = Result { () throws -> String in
        let directory = try CLITests.temporaryDirectory()
        let path = directory.appendingPathComponent("d.csv").path
        let generated = try CLITests.run(["generate", "--hours", "6", "--seed", "1", "--out", path])
        guard generated.status == 0 else { throw CLIFailure(message: generated.stderr) }
        return path
    }

    struct CLIFailure: Error { var message: String }

    static let commandSchemas = ["analyze", "backtest", "optimize", "walk-forward", "paper"]
    static let eventSchemas = [
        "parameter_update": "parameter-update.schema.json", "optimization_status": "optimization-status.schema.json",
        "order": "order.schema.json", "trade": "trade.schema.json", "alert": "alert.schema.json",
    ]

    /// Runs `arguments` (which include --json), expects exit 0 and returns stdout parsed.
    static func json(_ arguments: [String]) throws -> JSONValue {
        let outcome = try CLITests.run(arguments)
        #expect(outcome.status == 0, "\(arguments): \(outcome.stderr)")
        return try JSONValue.parse(outcome.stdout)
    }

    static func expectValid(_ document: JSONValue, _ file: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let errors = try schemas.get().errors(of: document, against: file)
        #expect(errors.isEmpty, "\(file): \(errors.prefix(10).joined(separator: "\n"))", sourceLocation: sourceLocation)
    }

    @Test func everyCommandAndEventHasASchema() throws {
        let files = Set(try Self.schemas.get().documents.keys)
        for name in Self.commandSchemas { #expect(files.contains("\(name).schema.json")) }
        for file in Self.eventSchemas.values { #expect(files.contains(file)) }
    }

    /// Walks every schema and yields each named property with where it is.
    static func properties(of schema: JSONValue, at path: String, into out: inout [(path: String, name: String, schema: JSONValue)]) {
        switch schema {
        case .object(let o):
            if let props = o["properties"]?.objectValue {
                for (name, p) in props { out.append((path, name, p)) }
            }
            for (key, child) in o { properties(of: child, at: "\(path)/\(key)", into: &out) }
        case .array(let a):
            for (i, child) in a.enumerated() { properties(of: child, at: "\(path)/\(i)", into: &out) }
        default:
            break
        }
    }

    @Test func everyPropertyHasADescription() throws {
        var all: [(path: String, name: String, schema: JSONValue)] = []
        for (file, document) in try Self.schemas.get().documents { Self.properties(of: document, at: file, into: &all) }
        #expect(all.count > 100)
        for p in all {
            let description = p.schema["description"]?.stringValue ?? ""
            #expect(description.count >= 3, "\(p.path): property '\(p.name)' has no description")
        }
    }

    @Test func percentFieldsEndInPctAndSaySo() throws {
        var all: [(path: String, name: String, schema: JSONValue)] = []
        for (file, document) in try Self.schemas.get().documents { Self.properties(of: document, at: file, into: &all) }
        for p in all where p.name.hasSuffix("_pct") {
            let description = p.schema["description"]?.stringValue ?? ""
            #expect(description.contains("percent"), "\(p.path): '\(p.name)' does not say it is in percent")
        }
        // A threshold has one name: no key spells it another way outside the seed's own event fields.
        let seedNames: Set<String> = ["old_entry_threshold", "new_entry_threshold", "old_exit_threshold", "new_exit_threshold"]
        for p in all where p.name.contains("threshold") && !seedNames.contains(p.name) && p.schema["type"] != .string("array") {
            #expect(p.name.hasSuffix("_threshold_pct") || p.name.hasSuffix("_thresholds_pct"), "\(p.path): '\(p.name)'")
        }
    }

    @Test func everyRefResolves() throws {
        let validator = try Self.schemas.get()
        func refs(_ v: JSONValue, _ file: String) {
            switch v {
            case .object(let o):
                if let ref = o["$ref"]?.stringValue { #expect(validator.resolve(ref, from: file) != nil, "\(file): \(ref)") }
                for child in o.values { refs(child, file) }
            case .array(let a):
                for child in a { refs(child, file) }
            default:
                break
            }
        }
        for (file, document) in validator.documents { refs(document, file) }
    }

    @Test func analyzeMatchesItsSchema() throws {
        let document = try Self.json(["analyze", try Self.csv.get(), "--json"])
        try Self.expectValid(document, "analyze.schema.json")
        #expect(document["details"]?["adf_critical_values"]?["5%"] != nil)
    }

    @Test func backtestMatchesItsSchema() throws {
        let document = try Self.json(["backtest", try Self.csv.get(), "--entry", "0.3", "--exit", "0.1", "--json"])
        try Self.expectValid(document, "backtest.schema.json")
        #expect((document["trades"]?.arrayValue?.count ?? 0) > 0)
    }

    @Test func optimizeMatchesItsSchema() throws {
        let document = try Self.json(["optimize", try Self.csv.get(), "--lookback-hours", "4", "--grid-steps", "8", "--json"])
        try Self.expectValid(document, "optimize.schema.json")
        let statistics = try #require(document["window_statistics"]?.objectValue)
        #expect(statistics["df_statistic_lag0"] != nil && statistics["dickey_fuller_statistic"] == nil)
        #expect(document["events"]?.arrayValue?.first?["clock"] == .string("wall"))
    }

    @Test func walkForwardMatchesItsSchema() throws {
        let csv = try Self.csv.get()
        let document = try Self.json(["walk-forward", csv, "--window-hours", "2", "--update-minutes", "60", "--json"])
        try Self.expectValid(document, "walk-forward.schema.json")
        #expect((document["optimization_history"]?.arrayValue?.count ?? 0) > 0)
        let fixed = try Self.json(["walk-forward", csv, "--entry", "0.3", "--exit", "0.1", "--json"])
        try Self.expectValid(fixed, "walk-forward.schema.json")
        #expect(fixed["static_params"]?["entry_threshold_pct"] == .number(0.3))
    }

    /// Paper with and without re-optimisation: the summary and every event-log line.
    @Test(arguments: [["--window-hours", "1", "--update-minutes", "20"], ["--no-update", "--entry", "0.3", "--exit", "0.1"]])
    func paperAndItsEventsMatchTheirSchemas(options: [String]) throws {
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("events.jsonl").path
        let document = try Self.json(["paper", try Self.csv.get(), "--json", "--event-log", log] + options)
        try Self.expectValid(document, "paper.schema.json")
        #expect((document["trades"]?.arrayValue?.count ?? 0) > 0)

        var seen = Set<String>()
        for line in try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n") {
            let event = try JSONValue.parse(String(line))
            let type = try #require(event["type"]?.stringValue)
            let file = try #require(Self.eventSchemas[type], "unknown event type \(type)")
            seen.insert(type)
            try Self.expectValid(event, file)
        }
        let expected: Set<String> = options.contains("--no-update")
            ? ["order", "trade"] : ["order", "trade", "parameter_update", "optimization_status"]
        #expect(seen.isSuperset(of: expected), "\(seen)")
    }

    /// With the same fixed thresholds the three commands hold the same position at
    /// the end, and report it as the same object (paper used to write its live
    /// record, with raw nanosecond times and fills, under the same key).
    @Test func openPositionHasOneShapeAcrossCommands() throws {
        let csv = try Self.csv.get(), thresholds = ["--entry", "0.6", "--exit", "0.3"]
        let backtest = try Self.json(["backtest", csv, "--json"] + thresholds)
        let walk = try Self.json(["walk-forward", csv, "--json"] + thresholds)
        let paper = try Self.json(["paper", csv, "--no-update", "--json"] + thresholds)
        let open = try #require(backtest["open_position"], "backtest has no open_position key")
        #expect(open != .null, "the data no longer ends with a position open; pick other thresholds")
        #expect(walk["open_position"] == open)
        #expect(paper["open_position"] == open)
        try Self.expectValid(open, "common.schema.json#/$defs/open_position")
        #expect(paper["open_position_legs"]?["spot_open"] == .bool(true))
    }

    /// The seed's misleading name and the lag-0 test are explained where a user looks: help and schema.
    @Test func optimizeExplainsHalfLifeAndLagZero() throws {
        let help = try CLITests.run(["help", "optimize"])
        let text = help.stdout.replacingOccurrences(of: "\n", with: " ").split(separator: " ").joined(separator: " ")
        #expect(text.contains("mean_reversion_speed is the AR(1) half-life of the spread in hours"), "\(text)")
        #expect(text.contains("df_statistic_lag0"))
        #expect(text.contains("Dickey–Fuller test at lag 0"))
        let validator = try Self.schemas.get()
        let speed = validator.resolve("common.schema.json#/$defs/optimization_result/properties/mean_reversion_speed", from: "")
        #expect(speed?.0["description"]?.stringValue?.contains("HALF-LIFE in hours") == true)
        let df = validator.resolve("optimize.schema.json#/properties/window_statistics/properties/df_statistic_lag0", from: "")
        #expect(df?.0["description"]?.stringValue?.contains("LAG 0") == true)
    }

    /// The events a replay of clean data does not raise: a failed order and an alert.
    @Test func failedOrdersAndAlertsMatchTheirSchemas() throws {
        let encoder = makeJSONEncoder(pretty: false)
        let order = MarketOrder(clientOrderId: "o7-fut", market: .futures, side: .sell, quantity: 0.002)
        let events: [StrategyEvent] = [
            .order(OrderEvent(timestamp: 1_735_689_600.5, purpose: .unwind, order: order, fill: nil, error: "rejected")),
            .alert(AlertEvent(timestamp: 1_735_689_600, message: "leg could not be hedged")),
            .optimizationStatus(OptimizationStatusEvent(timestamp: 1, clock: .data, status: .failed, dataPointsAnalyzed: 3,
                                                        errorMessage: "too little data", durationMs: 0.5)),
            .parameterUpdate(ParameterUpdateEvent(timestamp: 2, oldEntryThreshold: nil, newEntryThreshold: 0.5, oldExitThreshold: nil,
                                                  newExitThreshold: 0.1, confidenceScore: 0.7, optimizationDurationMs: 2)),
        ]
        for event in events {
            let document = try JSONValue.parse(String(decoding: try encoder.encode(event), as: UTF8.self))
            try Self.expectValid(document, try #require(Self.eventSchemas[event.type]))
            #expect(document["event"]?["clock"] != nil)
        }
    }

    /// The schemas are strict: a real document with an undocumented key or without a required one fails.
    @Test func undocumentedOrMissingFieldsFail() throws {
        let document = try Self.json(["backtest", try Self.csv.get(), "--entry", "0.3", "--exit", "0.1", "--json"])
        guard case .object(var root) = document, case .object(var summary)? = root["summary"] else {
            Issue.record("backtest JSON is not an object with a summary")
            return
        }
        summary["drawdown_pct"] = .number(1)
        root["summary"] = .object(summary)
        let extra = try Self.schemas.get().errors(of: .object(root), against: "backtest.schema.json")
        #expect(extra.contains { $0.contains("undocumented property 'drawdown_pct'") }, "\(extra)")
        summary["drawdown_pct"] = nil
        summary["hit_rate"] = nil
        root["summary"] = .object(summary)
        let missing = try Self.schemas.get().errors(of: .object(root), against: "backtest.schema.json")
        #expect(missing.contains { $0.contains("missing required 'hit_rate'") }, "\(missing)")
    }
}

/// The gap fields (`data_gaps`, `spans_gap`, `segments`, `optimized_segment`)
/// in real outputs: each command on gapped data under `--on-gap split`, `warn`
/// and `--max-gap off`, every optional shape present at least once and
/// validated, and the schemas shown to reject a wrong one.
extension JSONContractTests {
    /// The 24 h hole of `DataGapCLITests.gappedFile()` (two segments), and the
    /// same file with a second day-long hole before its last three rows (three
    /// segments, the last too short to analyse).
    static let gapped = Result { () throws -> (twoSegments: String, threeSegments: String) in
        let (directory, _, twoSegments, lines) = try DataGapCLITests.gappedFile()
        var shifted = lines
        for i in (lines.count - 3)..<lines.count {
            guard let comma = lines[i].firstIndex(of: ","), let time = Int64(lines[i][..<comma]) else {
                throw CLIFailure(message: "line \(i + 1) of the gapped file has no epoch timestamp")
            }
            shifted[i] = String(time + 86_400_000_000_000) + lines[i][comma...]
        }
        let threeSegments = directory.appendingPathComponent("three-segments.csv").path
        try (shifted.joined(separator: "\n") + "\n").write(toFile: threeSegments, atomically: true, encoding: .utf8)
        return (twoSegments, threeSegments)
    }

    /// Small settings per command; fixed thresholds for the trading commands,
    /// which hold one position across the hole of `gapped.twoSegments`.
    static let gapSettings: [String: [String]] = [
        "analyze": [],
        "backtest": ["--entry", "0.5", "--exit", "0.1"],
        "optimize": ["--lookback-hours", "2", "--grid-steps", "8"],
        "walk-forward": ["--entry", "0.5", "--exit", "0.1"],
        "paper": ["--entry", "0.5", "--exit", "0.1", "--no-update"],
    ]

    /// `--on-gap split`: analyze's segments (two analysed, one too short, with
    /// its error and nulls), backtest's segments (open at the end and flat) and
    /// optimize's optimized_segment, each validated.
    @Test func splitOutputsMatchTheirSchemas() throws {
        let files = try Self.gapped.get()
        let analysis = try Self.json(["analyze", files.threeSegments, "--on-gap", "split", "--json"])
        try Self.expectValid(analysis, "analyze.schema.json")
        #expect(analysis["data_gaps"]?["on_gap"] == .string("split"))
        let segments = try #require(analysis["segments"]?.arrayValue)
        #expect(segments.count == 3)
        for segment in segments.prefix(2) {
            #expect(segment["error"] == .null)
            #expect(segment["spread_analysis"]?.objectValue != nil && segment["details"]?.objectValue != nil)
        }
        let short = try #require(segments.last)
        #expect(short["rows"] == .number(3))
        #expect(short["error"]?.stringValue?.contains("insufficient data") == true, "\(short)")
        #expect(short["spread_analysis"] == .null && short["mean_reversion"] == .null && short["details"] == .null)

        let backtest = try Self.json(["backtest", files.threeSegments, "--on-gap", "split", "--entry", "0.3", "--exit", "0.1", "--json"])
        try Self.expectValid(backtest, "backtest.schema.json")
        let parts = try #require(backtest["segments"]?.arrayValue)
        #expect(parts.count == 3)
        #expect(parts.contains { $0["open_position"]?.objectValue != nil }, "a segment ends with a position open")
        #expect(parts.contains { $0["open_position"] == .null }, "a segment ends flat")
        let trades = try #require(backtest["trades"]?.arrayValue)
        #expect(!trades.isEmpty && trades.allSatisfy { $0["spans_gap"] == .bool(false) })

        let optimization = try Self.json(["optimize", files.twoSegments, "--on-gap", "split"] + Self.gapSettings["optimize", default: []] + ["--json"])
        try Self.expectValid(optimization, "optimize.schema.json")
        #expect(optimization["optimized_segment"]?["first_row"] == .number(Double(DataGapCLITests.holeRow)))
    }

    /// `--on-gap warn` (the default) on the hole: backtest, walk-forward and
    /// paper mark every trade, one of them true; paper's event lines (which
    /// carry no spans_gap) validate too.
    @Test(arguments: ["backtest", "walk-forward", "paper"])
    func gapsInWarnModeMatchTheSchemas(command: String) throws {
        let file = try Self.gapped.get().twoSegments
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("events.jsonl").path
        let extra = command == "paper" ? ["--event-log", log] : []
        let document = try Self.json([command, file] + Self.gapSettings[command, default: []] + extra + ["--json"])
        try Self.expectValid(document, "\(command).schema.json")
        #expect(document["data_gaps"]?["on_gap"] == .string("warn"))
        #expect(document["data_gaps"]?["count"] == .number(1))
        #expect(document["segments"] == nil, "segments only under --on-gap split")
        let trades = try #require(document["trades"]?.arrayValue)
        #expect(trades.allSatisfy { $0["spans_gap"] != nil }, "every trade says whether it spans a gap")
        #expect(trades.filter { $0["spans_gap"] == .bool(true) }.count == 1, "\(command): the position held across the hole")
        guard command == "paper" else { return }
        var tradeEvents = 0
        for line in try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n") {
            let event = try JSONValue.parse(String(line))
            let type = try #require(event["type"]?.stringValue)
            try Self.expectValid(event, try #require(Self.eventSchemas[type], "unknown event type \(type)"))
            if type == "trade" {
                tradeEvents += 1
                #expect(event["event"]?["trade"]?["spans_gap"] == nil, "the live strategy does not know the gaps")
            }
        }
        #expect(tradeEvents == trades.count)
    }

    /// `--max-gap off`: every command still has data_gaps, with a null
    /// threshold and nothing found, and no trade claims spans_gap.
    @Test(arguments: JSONContractTests.commandSchemas)
    func uncheckedGapsMatchTheSchemas(command: String) throws {
        let file = try Self.gapped.get().twoSegments
        let document = try Self.json([command, file, "--max-gap", "off"] + Self.gapSettings[command, default: []] + ["--json"])
        try Self.expectValid(document, "\(command).schema.json")
        let gaps = try #require(document["data_gaps"])
        #expect(gaps["max_gap_seconds"] == .null)
        #expect(gaps["count"] == .number(0) && gaps["gaps"]?.arrayValue?.isEmpty == true)
        if let trades = document["trades"]?.arrayValue {
            #expect(!trades.isEmpty, "\(command)")
            #expect(trades.allSatisfy { $0["spans_gap"] == nil }, "\(command): not checked, not claimed")
        }
    }

    /// The gap schemas are strict: a real split document changed in one place fails where it was changed.
    @Test func wrongGapFieldsFail() throws {
        let files = try Self.gapped.get()
        let validator = try Self.schemas.get()
        let analysis = try Self.json(["analyze", files.threeSegments, "--on-gap", "split", "--json"])
        let backtest = try Self.json(["backtest", files.threeSegments, "--on-gap", "split", "--entry", "0.3", "--exit", "0.1", "--json"])
        let optimization = try Self.json(["optimize", files.twoSegments, "--on-gap", "split"] + Self.gapSettings["optimize", default: []] + ["--json"])
        let manyGaps = JSONValue.array(Array(repeating: try #require(analysis["data_gaps"]?["gaps"]?.arrayValue?.first), count: 101))
        let cases: [(JSONValue, String, [String], JSONValue?, String)] = [
            (analysis, "analyze", ["segments", "0", "mean_spread"], .number(1), "$.segments[0]: undocumented property 'mean_spread'"),
            (analysis, "analyze", ["segments", "0", "error"], nil, "$.segments[0]: missing required 'error'"),
            (analysis, "analyze", ["segments", "1", "rows"], .number(0), "$.segments[1].rows: 0.0 is below the minimum"),
            (analysis, "analyze", ["segments", "1", "start_time"], .number(0), "$.segments[1].start_time: expected string"),
            (analysis, "analyze", ["segments", "1", "details"], .object([:]), "$.segments[1].details: matches none of anyOf"),
            (analysis, "analyze", ["segments", "2", "error"], .bool(true), "$.segments[2].error: expected string or null"),
            (analysis, "analyze", ["segments"], .array([]), "$.segments: 0 items, fewer than minItems 2"),
            (analysis, "analyze", ["data_gaps"], nil, "$: missing required 'data_gaps'"),
            (analysis, "analyze", ["data_gaps", "on_gap"], .string("ignore"), "$.data_gaps.on_gap: 'ignore' is not one of the allowed values"),
            (analysis, "analyze", ["data_gaps", "max_gap_seconds"], .string("60"), "$.data_gaps.max_gap_seconds: expected number or null"),
            (analysis, "analyze", ["data_gaps", "gaps"], manyGaps, "$.data_gaps.gaps: 101 items, more than maxItems 100"),
            (analysis, "analyze", ["data_gaps", "gaps", "0", "row"], .number(0), "$.data_gaps.gaps[0].row: 0.0 is below the minimum"),
            (backtest, "backtest", ["segments", "0", "trades"], nil, "$.segments[0]: missing required 'trades'"),
            (backtest, "backtest", ["segments", "0", "open_position"], .object(["entry_index": .number(1)]), "$.segments[0].open_position: matches none of anyOf"),
            (backtest, "backtest", ["trades", "0", "spans_gap"], .string("no"), "$.trades[0].spans_gap: expected boolean"),
            (optimization, "optimize", ["optimized_segment", "trades"], .number(1), "$.optimized_segment: undocumented property 'trades'"),
            (optimization, "optimize", ["optimized_segment", "last_row"], nil, "$.optimized_segment: missing required 'last_row'"),
        ]
        for (document, command, path, value, expected) in cases {
            let changed = try #require(document.replacing(path[...], with: value), "\(command): no \(path) in the output")
            let errors = validator.errors(of: changed, against: "\(command).schema.json")
            #expect(errors.contains { $0.hasPrefix(expected) }, "\(command) \(path): \(errors)")
        }
    }
}

extension JSONValue {
    /// This value with the member at `path` (object keys; array indices as
    /// decimal text) replaced by `value`, or removed when `value` is nil; nil
    /// when the path's parent does not exist.
    func replacing(_ path: ArraySlice<String>, with value: JSONValue?) -> JSONValue? {
        guard let key = path.first else { return value }
        switch self {
        case .object(var members):
            if path.count == 1 {
                members[key] = value
            } else {
                guard let child = members[key]?.replacing(path.dropFirst(), with: value) else { return nil }
                members[key] = child
            }
            return .object(members)
        case .array(var items):
            guard let index = Int(key), items.indices.contains(index) else { return nil }
            if path.count == 1 {
                guard let value else { items.remove(at: index); return .array(items) }
                items[index] = value
            } else {
                guard let child = items[index].replacing(path.dropFirst(), with: value) else { return nil }
                items[index] = child
            }
            return .array(items)
        default:
            return nil
        }
    }
}
