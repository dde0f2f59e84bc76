import Foundation
import Testing

/// `delta-arb optimize` and `delta-arb walk-forward` end to end.
@Suite("delta-arb optimize / walk-forward")
struct OptimizerCLITests {
    static func generated(hours: String, seed: String = "2") throws -> (URL, String) {
        let directory = try CLITests.temporaryDirectory()
        let csv = directory.appendingPathComponent("d.csv").path
        let generated = try CLITests.run(["generate", "--hours", hours, "--seed", seed, "--out", csv])
        #expect(generated.status == 0, "\(generated.stderr)")
        return (directory, csv)
    }

    @Test func optimizeJSONCarriesResultStatusStatisticsAndPerformance() throws {
        let (directory, csv) = try Self.generated(hours: "8")
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try CLITests.run(["optimize", csv, "--lookback-hours", "6", "--entry-grid", "0.1:0.6:6",
                                       "--exit-grid", "0.05:0.3:6", "--max-hold-minutes", "60", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let optimum = try #require(json["optimization_result"] as? [String: Any])
        for key in ["entry_threshold_pct", "exit_threshold_pct", "confidence_score", "analysis_period_hours",
                    "mean_reversion_speed", "spread_volatility", "optimization_timestamp"] {
            #expect(optimum.keys.contains(key), "optimization_result lacks \(key)")
        }
        let entry = try #require(optimum["entry_threshold_pct"] as? Double)
        #expect([0.1, 0.2, 0.3, 0.4, 0.5, 0.6].contains { abs($0 - entry) < 1e-12 })
        let status = try #require(json["constraint_status"] as? [String: Any])
        #expect((status["targets"] as? [Any])?.count == 3)
        #expect(status["total_points"] as? Int == 36)
        let stats = try #require(json["chosen_trade_statistics"] as? [String: Any])
        #expect(stats["trades"] is Int)
        let performance = try #require(json["optimization_performance"] as? [String: Any])
        for key in ["optimization_duration_ms", "data_points_processed", "memory_usage_mb", "cache_hit_ratio"] {
            #expect(performance.keys.contains(key), "optimization_performance lacks \(key)")
        }
        let surface = try #require(json["grid_surface"] as? [String: Any])
        #expect((surface["points"] as? [Any])?.count == 36)
    }

    @Test func optimizeHumanOutputNamesTheChoice() throws {
        let (directory, csv) = try Self.generated(hours: "8")
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try CLITests.run(["optimize", csv, "--lookback-hours", "6", "--grid-steps", "8"])
        #expect(result.status == 0, "\(result.stderr)")
        for text in ["Optimisation of \(csv)", "Best: enter below", "Confidence", "Targets:", "Next best"] {
            #expect(result.stdout.contains(text), "missing \(text)")
        }
    }

    @Test func optimizeErrors() throws {
        let (directory, csv) = try Self.generated(hours: "1")
        defer { try? FileManager.default.removeItem(at: directory) }
        // Too little data for a 24 h lookback: exit 1, one line, nothing on stdout.
        let short = try CLITests.run(["optimize", csv, "--json"])
        #expect(short.status == 1)
        #expect(short.stdout.isEmpty)
        #expect(short.stderr.contains("insufficient data"))
        // A grid with no safe point.
        let unsafe = try CLITests.run(["optimize", csv, "--lookback-hours", "1", "--entry-grid", "2:3:2"])
        #expect(unsafe.status == 1)
        #expect(unsafe.stderr.contains("safety rules"))
        // Malformed grid and settings are usage errors naming the option.
        let malformed = try CLITests.run(["optimize", csv, "--entry-grid", "0.1:0.5"])
        #expect(malformed.status == 64)
        #expect(malformed.stderr.contains("--entry-grid"))
        let badTarget = try CLITests.run(["optimize", csv, "--target-hit-rate", "1.5"])
        #expect(badTarget.status == 64)
        #expect(badTarget.stderr.contains("--target-hit-rate"))
    }

    @Test func walkForwardJSONHasTradesHistoryAndUpdates() throws {
        let (directory, csv) = try Self.generated(hours: "6")
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try CLITests.run(["walk-forward", csv, "--window-hours", "2", "--update-minutes", "30",
                                       "--max-hold-minutes", "60", "--grid-steps", "8", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let updates = try #require(json["updates"] as? [[String: Any]])
        #expect(updates.count == 12)  // every 30 min over 6 h
        let history = try #require(json["optimization_history"] as? [[String: Any]])
        #expect(history.count == updates.filter { $0["status"] as? String == "optimized" }.count)
        #expect(history.count >= 8)
        #expect(json["trades"] is [Any])
        let human = try CLITests.run(["walk-forward", csv, "--window-hours", "2", "--update-minutes", "30",
                                      "--max-hold-minutes", "60", "--grid-steps", "8"])
        #expect(human.stdout.contains("Re-optimised every 30.00 min"))
        let fixed = try CLITests.run(["walk-forward", csv, "--entry", "0.5", "--exit", "0.1", "--json"])
        let backtest = try CLITests.run(["backtest", csv, "--entry", "0.5", "--exit", "0.1", "--json"])
        let a = try JSONSerialization.jsonObject(with: Data(fixed.stdout.utf8)) as? [String: Any]
        let b = try JSONSerialization.jsonObject(with: Data(backtest.stdout.utf8)) as? [String: Any]
        #expect((a?["trades"] as? [[String: Any]])?.count == (b?["trades"] as? [[String: Any]])?.count)
        let lonely = try CLITests.run(["walk-forward", csv, "--entry", "0.5"])
        #expect(lonely.status == 64)
    }

    @Test func walkForwardWritesAnHTMLReport() throws {
        let (directory, csv) = try Self.generated(hours: "6")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("wf-report").path
        let result = try CLITests.run(["walk-forward", csv, "--window-hours", "2", "--update-minutes", "30",
                                       "--max-hold-minutes", "60", "--grid-steps", "8", "--report", out])
        #expect(result.status == 0, "\(result.stderr)")
        let index = (out as NSString).appendingPathComponent("index.html")
        #expect(result.stderr.contains("report: \(index)"))
        let html = try String(contentsOfFile: index, encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<svg"))
    }
}
