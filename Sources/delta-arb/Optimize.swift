import ArgumentParser
import DeltaArbitrage
import DeltaArbitrageReporting
import Foundation

struct Optimize: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find the entry/exit thresholds that traded the recent spread best.",
        discussion: """
            Takes the trailing --lookback-hours of the file and backtests every (entry, exit) \
            pair of a threshold grid in parallel. Pairs that break a safety rule (entry above \
            --max-entry, exit below --min-exit, exit not below entry, entry/exit above \
            --max-ratio) are never run. Among the rest, the pairs that meet every target \
            (--target-hit-rate, --min-daily-trades, --max-drawdown) compete on total net P&L; \
            when none does, every safe pair competes and the output says which targets the \
            choice misses and by how much. Ties go to the smaller drawdown, higher hit rate, \
            more trades, then the lower entry and exit.

            The default grid has --grid-steps points per axis: entries from μ − 2.33σ to \
            μ + 2.33σ of the spread (clipped to the safety bounds), exits from --min-exit to \
            4.66σ. The confidence score (0–1) weighs stationarity of the spread, the number \
            of trades behind the choice, how flat P&L is around it, and whether the choice \
            made on the first half of the window holds up on the second.

            --report DIR writes DIR/index.html: a P&L heatmap over the grid (feasible region \
            and optimum marked), the equity curve of the chosen thresholds and the spread \
            statistics, in one self-contained file.

            With --on-gap split the window is the trailing --lookback-hours of the last \
            continuous segment (rows after the last gap longer than --max-gap), and the \
            output says so (JSON "optimized_segment").

            In the JSON (docs/schema/optimize.schema.json), optimization_result keeps the \
            seed's field names: its mean_reversion_speed is the AR(1) half-life of the spread \
            in hours (larger = slower reversion; null when the spread does not revert). \
            window_statistics.df_statistic_lag0 and df_p_value_lag0 are the Dickey–Fuller \
            test at lag 0 (constant, no lagged differences, MacKinnon p-value) — not the \
            augmented test with an AIC-chosen lag that `analyze` reports.
            """
    )

    @OptionGroup var input: InputOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("Hours of trailing data to optimise on (0.5 = 30 min), or 'all'.", valueName: "hours|all"))
    var lookbackHours: HoursOrAll = .hours(24)

    @OptionGroup var settings: OptimizerOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("Alternatives listed in the human output.", valueName: "n"))
    var show: Int = 5

    @Option(help: ArgumentHelp("Write an HTML report (index.html) into this directory.", valueName: "dir"))
    var report: String?

    @Flag(help: "Print one JSON document (optimization_result, constraint_status, chosen_trade_statistics, optimization_performance, grid_surface, data_gaps, …) instead of text.")
    var json = false

    func validate() throws {
        try lookbackHours.validate(option: "--lookback-hours")
        guard show >= 0 else { throw ValidationError("--show must be 0 or more") }
        _ = try settings.optimizer()
    }

    func run() async throws {
        try await reportingFailures {
            let data = try await input.load()
            let gaps = try input.checkGaps(data)
            let optimizer = try settings.optimizer()
            // Split: the trailing window of the last continuous segment, so no gap lies inside it.
            let segment = gaps.splits ? gaps.report?.lastSegment : nil
            let optimised = segment.map { data.rows($0) } ?? data
            let hours = try lookbackHours.hours(of: optimised, option: "--lookback-hours", refusingLonger: false)
            var outcome = try await ProgressIndicator.run("optimising") { _ in
                guard let segment else { return try await optimizer.optimize(data, lookbackHours: hours) }
                do {
                    return try await optimizer.optimize(optimised, lookbackHours: hours)
                } catch let error as InsufficientDataError {
                    throw CommandFailure(SegmentFailure(segment: SegmentPlace(segment, in: data), underlying: error))
                }
            }
            if let segment {
                outcome.window.firstRow += segment.lowerBound
                outcome.window.endRow += segment.lowerBound
            }
            if let report {
                let path = try writeReport(outcome, data: data, optimizer: optimizer, directory: report)
                StandardError.write("report: \(path)\n")
            }
            if json {
                let place = segment.map { ["optimized_segment": SegmentPlace($0, in: data)] } ?? [:]
                let output = MergedJSON(outcome, ["data_gaps": gaps.json], place)
                try StandardOutput.writeLine(String(decoding: try makeJSONEncoder().encode(output), as: UTF8.self))
            } else {
                let note = segment.map { "\nSplit at gaps: optimised on the last continuous segment, \(SegmentPlace($0, in: data).text)" } ?? ""
                try StandardOutput.writeLine(OptimizationText(file: input.sourceName, report: outcome, shown: show).text + "\n\n" + gaps.text + note)
            }
        }
    }

    func writeReport(_ outcome: OptimizationReport, data: MarketData, optimizer: DeltaArbitrageOptimizer,
                     directory: String) throws -> String {
        let window = data.rows(outcome.window.firstRow..<outcome.window.endRow)
        let rule = optimizer.config.rule(entryThresholdPct: outcome.result.entryThresholdPct,
                                         exitThresholdPct: outcome.result.exitThresholdPct)
        let trades = try deltaNeutralBacktest(window, rule: rule).trades
        let spread = try? SpreadAnalyzer.analyze(window, options: SpreadAnalysisOptions())
        let html = OptimizationHTMLReport(title: input.sourceName, report: outcome, chosenTrades: trades, spread: spread).html
        return try writeHTMLReport(html, into: directory)
    }
}

/// The human rendering of an optimisation.
struct OptimizationText {
    let file: String
    let report: OptimizationReport
    let shown: Int

    var text: String {
        let r = report.result, s = report.chosen, c = report.confidence, status = report.constraintStatus
        var lines: [String] = []
        lines.append("Optimisation of \(file): \(Format.count(report.window.endRow - report.window.firstRow)) rows, "
            + "\(report.window.firstTime) → \(report.window.lastTime) (\(Format.fixed(report.window.spanHours, 2)) h)")
        lines.append("Grid: \(report.surface.entries.count) entries × \(report.surface.exits.count) exits = "
            + "\(Format.count(status.totalPoints)) points, \(Format.count(status.safePoints)) safe, "
            + "\(Format.count(status.feasiblePoints)) meet every target")
        lines.append("")
        lines.append("Best: enter below \(Format.percent(r.entryThresholdPct, 4)), exit at net ≥ \(Format.percent(r.exitThresholdPct, 4))")
        lines.append("Confidence \(Format.fixed(r.confidenceScore, 3)): stationarity \(Format.fixed(c.stationarity, 3)), "
            + "trade support \(Format.fixed(c.tradeSupport, 3)), smoothness \(Format.fixed(c.smoothness, 3)), "
            + "out of sample \(Format.fixed(c.outOfSample, 3))")
        lines.append((status.targetsMet ? "Targets: all met — " : "Targets: NOT all met — ") + status.summary)
        lines.append("")
        var table = TextTable(headers: ["target", "wanted", "actual", "met", "shortfall"])
        for t in status.targets {
            table.add([t.name, (t.name == "max_drawdown" ? "≤ " : "≥ ") + Format.fixed(t.target, 4), Format.fixed(t.actual, 4),
                       t.met ? "yes" : "no", Format.fixed(t.shortfall, 4)])
        }
        lines.append(table.render())
        lines.append("")
        var summary = TextTable(headers: ["chosen point", "value"])
        summary.add(["trades", Format.count(s.trades)])
        summary.add(["hit rate", Format.percent(s.hitRate * 100, 1)])
        summary.add(["total net P&L", Format.percent(s.totalPnlPct, 4)])
        summary.add(["trades per day", Format.fixed(s.tradesPerDay, 2)])
        summary.add(["max drawdown", Format.percent(s.maxDrawdown * 100, 4)])
        summary.add(["spread σ (1 s grid)", Format.percent(r.spreadVolatility, 4)])
        summary.add(["half-life", r.meanReversionSpeed.isFinite ? "\(Format.fixed(r.meanReversionSpeed * 60, 2)) min" : "no reversion"])
        summary.add(["Dickey–Fuller p (lag 0)", Format.fixed(report.statistics.dickeyFullerPValue, 4)])
        lines.append(summary.render())
        if shown > 0 && !report.alternatives.isEmpty {
            lines.append("")
            lines.append("Next best")
            var alternatives = TextTable(headers: ["entry %", "exit %", "trades", "hit rate", "net P&L %", "drawdown", "targets"])
            for p in report.alternatives.prefix(shown) {
                alternatives.add([Format.fixed(p.entryThresholdPct, 4), Format.fixed(p.exitThresholdPct, 4),
                                  Format.count(p.trades ?? 0), Format.percent((p.hitRate ?? .nan) * 100, 1),
                                  Format.fixed(p.totalPnlPct ?? .nan, 4), Format.percent((p.maxDrawdown ?? .nan) * 100, 3),
                                  p.feasible ? "met" : "missed"])
            }
            lines.append(alternatives.render())
        }
        let p = report.performance
        lines.append("")
        lines.append("Took \(Format.fixed(p.optimizationDurationMs, 1)) ms over \(Format.count(p.dataPointsProcessed)) rows; "
            + "peak memory \(Format.fixed(p.memoryUsageMb, 0)) MB")
        return lines.joined(separator: "\n")
    }
}

/// An optimisation under `--on-gap split` that failed for lack of data in the last segment.
struct SegmentFailure: Error, CustomStringConvertible {
    let segment: SegmentPlace
    let underlying: any Error
    var description: String {
        "\(underlying) (--on-gap split: only the last continuous segment is used, \(segment.text))"
    }
}
