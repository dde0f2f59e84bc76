import ArgumentParser
import DeltaArbitrage
import DeltaArbitrageReporting
import Foundation

struct WalkForward: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "walk-forward",
        abstract: "Backtest with thresholds re-optimised on a trailing window at a fixed interval.",
        discussion: """
            Every --update-minutes the thresholds are re-optimised (as `optimize` does) on \
            the --window-hours of data before that moment, and the rows until the next \
            update trade with them; nothing is seen before it happens. A failed \
            optimisation (too little data, nothing safe) keeps the thresholds in force; \
            nothing opens before the first success. One position runs through the whole \
            file, closing under the exit threshold in force at each row. \
            With --entry and --exit the thresholds stay fixed (no optimisation).

            --report DIR writes DIR/index.html: the equity curve, the thresholds and \
            confidence in force over time (failed updates marked), the exit reasons, \
            the open position and the last updates, in one self-contained file.

            Data gaps (see --max-gap) are reported and every trade says whether it was \
            held across one (JSON "spans_gap"); --on-gap takes error or warn here, not \
            split (one position runs through the whole file).
            """
    )

    @OptionGroup var input: InputOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("Hours of trailing data each re-optimisation sees (0.5 = 30 min), or 'all'.", valueName: "hours|all"))
    var windowHours: HoursOrAll = .hours(24)

    @Option(parsing: .unconditional, help: ArgumentHelp("Minutes between re-optimisations (at most one update per row, or 10,000 updates when the data has fewer rows).", valueName: "minutes"))
    var updateMinutes: Double = 5

    @Option(parsing: .unconditional, help: ArgumentHelp("Fixed entry threshold (with --exit): no optimisation.", valueName: "pct"))
    var entry: Double?

    @Option(name: .customLong("exit"), parsing: .unconditional, help: ArgumentHelp("Fixed exit threshold (with --entry).", valueName: "pct"))
    var exitThreshold: Double?

    @OptionGroup var settings: OptimizerOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("Updates listed in the human output (the JSON has all).", valueName: "n"))
    var show: Int = 10

    @Option(help: ArgumentHelp("Write an HTML report (index.html) into this directory.", valueName: "dir"))
    var report: String?

    @Flag(help: "Print one JSON document {\"trades\", \"optimization_history\", \"updates\", \"summary\", \"data_gaps\", …} instead of text.")
    var json = false

    func validate() throws {
        try windowHours.validate(option: "--window-hours")
        guard updateMinutes * 60e9 >= 1, updateMinutes <= Double(OptimizerConfig.maxUpdateIntervalMinutes) else {
            throw ValidationError("--update-minutes must be positive and at most \(OptimizerConfig.maxUpdateIntervalMinutes)")
        }
        guard (entry == nil) == (exitThreshold == nil) else { throw ValidationError("--entry and --exit go together") }
        guard show >= 0 else { throw ValidationError("--show must be 0 or more") }
        try input.refuseSplit(command: "walk-forward")
        _ = try settings.optimizer()
        if let entry, let exitThreshold { try settings.requireSafe(entry: entry, exit: exitThreshold) }
    }

    /// Fewest updates refused: a file with few rows still gets this many.
    static let minUpdateLimit = 10_000

    /// A usage error when `--update-minutes` would schedule more updates than
    /// the data has rows (and more than `minUpdateLimit`): each update is an
    /// optimisation and a line of output, so a tiny interval runs away.
    func requireUpdateCount(_ data: MarketData) throws {
        let updates = Double(data.spanNanoseconds) / (updateMinutes * 60e9)
        let limit = max(data.count, Self.minUpdateLimit)
        guard updates <= Double(limit) else {
            throw UsageFailure("--update-minutes \(Format.plain(updateMinutes)) gives \(Format.count(Int(min(updates, 9e18)))) updates "
                + "over the data's \(Format.fixed(Double(data.spanNanoseconds) / 3.6e12, 2)) h; the limit is \(Format.count(limit)) "
                + "(one per row, at least \(Format.count(Self.minUpdateLimit))): use a larger --update-minutes")
        }
    }

    func run() async throws {
        try await reportingFailures {
            let data = try await input.load()
            let gaps = try input.checkGaps(data)
            let optimizer = try settings.optimizer()
            let fixed = entry.flatMap { e in exitThreshold.map { ThresholdPair(entryThresholdPct: e, exitThresholdPct: $0) } }
            let windowHours = try self.windowHours.hours(of: data, option: "--window-hours", refusingLonger: fixed == nil)
            if fixed == nil { try requireUpdateCount(data) }
            var result = try await ProgressIndicator.run("walk-forward") { progress in
                try await optimizedDeltaNeutralBacktest(
                    data, optimizer: optimizer, optimizationWindowHours: windowHours,
                    updateInterval: .nanoseconds(Int64((updateMinutes * 60e9).rounded())), staticParams: fixed,
                    progress: { progress.update(String(format: "%.0f %%", $0 * 100)) })
            }
            result.trades = gaps.marking(result.trades)
            if let report {
                let path = try writeReport(result, data: data, directory: report)
                StandardError.write("report: \(path)\n")
            }
            if json {
                try StandardOutput.writeLine(String(decoding: try makeJSONEncoder().encode(MergedJSON(result, ["data_gaps": gaps.json])), as: UTF8.self))
            } else {
                try StandardOutput.writeLine(text(result, data: data) + "\n\n" + gaps.text)
            }
        }
    }

    func writeReport(_ result: WalkForwardResult, data: MarketData, directory: String) throws -> String {
        let html = WalkForwardHTMLReport(title: input.sourceName, result: result, dataStart: data.timestamps.first ?? 0,
                                         dataEnd: data.timestamps.last ?? 0).html
        return try writeHTMLReport(html, into: directory)
    }

    func text(_ r: WalkForwardResult, data: MarketData) -> String {
        let s = r.summary
        var lines: [String] = []
        lines.append("Walk-forward of \(input.sourceName): \(Format.count(data.count)) rows, \(DataSpan(data).text)")
        if let fixed = r.staticParams {
            lines.append("Fixed thresholds: entry \(Format.percent(fixed.entryThresholdPct, 4)), exit \(Format.percent(fixed.exitThresholdPct, 4))")
        } else {
            let failed = r.updates.filter { !$0.optimized }.count
            lines.append("Re-optimised every \(Format.fixed(r.updateIntervalSeconds / 60, 2)) min on the last \(Format.plain(r.windowHours)) h: "
                + "\(Format.count(r.updates.count)) updates, \(Format.count(r.optimizationHistory.count)) succeeded, "
                + "\(Format.count(failed)) kept the thresholds in force")
        }
        lines.append("Took \(Format.fixed(r.elapsedSeconds, 2)) s")
        lines.append("")
        var summary = TextTable(headers: ["summary", "value"])
        summary.add(["trades", Format.count(s.trades)])
        summary.add(["hit rate", Format.percent(s.hitRate * 100, 1)])
        summary.add(["total net P&L", Format.percent(s.totalPnlPct, 4)])
        summary.add(["trades per day", Format.fixed(s.tradesPerDay, 2)])
        summary.add(["max drawdown", Format.percent(s.maxDrawdown * 100, 4)])
        for reason in ExitReason.allCases { summary.add(["exits: \(reason.rawValue)", Format.count(s.exits(reason))]) }
        if r.trades.contains(where: { $0.spansGap != nil }) {
            summary.add(["trades across a data gap", Format.count(r.trades.filter { $0.spansGap == true }.count)])
        }
        lines.append(summary.render())
        let history = r.optimizationHistory
        if !history.isEmpty {
            let entries = history.map(\.entryThresholdPct), exits = history.map(\.exitThresholdPct)
            let confidence = history.map(\.confidenceScore)
            lines.append("")
            var ranges = TextTable(headers: ["chosen over time", "min", "mean", "max"])
            for (name, v) in [("entry %", entries), ("exit %", exits), ("confidence", confidence)] {
                ranges.add([name, Format.fixed(v.min()!, 4), Format.fixed(v.reduce(0, +) / Double(v.count), 4), Format.fixed(v.max()!, 4)])
            }
            lines.append(ranges.render())
        }
        if show > 0 && !r.updates.isEmpty {
            lines.append("")
            lines.append("Last \(min(show, r.updates.count)) updates")
            var table = TextTable(headers: ["time (UTC)", "status", "entry %", "exit %", "confidence"], leftAligned: [0, 1])
            for u in r.updates.suffix(show) {
                table.add([UTCTime.iso8601(nanoseconds: u.timeNanoseconds), u.optimized ? "optimized" : "kept",
                           Format.fixed(u.thresholds?.entryThresholdPct ?? .nan, 4),
                           Format.fixed(u.thresholds?.exitThresholdPct ?? .nan, 4), Format.fixed(u.confidenceScore ?? .nan, 3)])
            }
            lines.append(table.render())
        }
        return lines.joined(separator: "\n")
    }
}
