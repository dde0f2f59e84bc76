import ArgumentParser
import DeltaArbitrage
import Foundation

struct Backtest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Backtest the seed's entry/exit rule over a CSV file.",
        discussion: """
            One hedged position at a time. While flat, a position opens at the first row \
            whose entry cost (spot_ask − fut_bid) / spot_ask · 100 is below --entry: long \
            spot at the ask, short futures at the bid. It closes at the first later row \
            whose fee-adjusted net P&L reaches --exit percent (profit_target), or once it \
            has been held --max-hours (timeout). The closing row never opens a new position; \
            a position still open at the end is reported separately, not as a trade.

            With --on-gap split each continuous segment (see --max-gap) is backtested on \
            its own: nothing is held across a gap, a position open at a segment's end is \
            reported with its segment (not a trade), and trades keep the file's row numbers.
            """
    )

    @OptionGroup var input: InputOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("Entry threshold: open when the entry cost is below this, in percent.", valueName: "pct"))
    var entry: Double = 0.5

    @Option(name: .customLong("exit"), parsing: .unconditional, help: ArgumentHelp("Exit threshold: take profit when net P&L reaches this, in percent.", valueName: "pct"))
    var exitThreshold: Double = 0.1

    @Option(parsing: .unconditional, help: ArgumentHelp("Close a position held this many hours.", valueName: "hours"))
    var maxHours: Double = 6

    @Option(parsing: .unconditional, help: ArgumentHelp("Spot taker fee, as a fraction (0.0005 = 5 bp).", valueName: "fraction"))
    var spotFee: Double = 0.0005

    @Option(parsing: .unconditional, help: ArgumentHelp("Futures taker fee, as a fraction.", valueName: "fraction"))
    var futFee: Double = 0.0005

    @Option(parsing: .unconditional, help: ArgumentHelp("Trades listed in the human output (the JSON has all).", valueName: "n"))
    var show: Int = 20

    @Flag(help: "Print one JSON document {\"trades\": [...], \"summary\": {...}, \"open_position\", \"data_gaps\"} (with --on-gap split also \"segments\") instead of tables.")
    var json = false

    func validate() throws {
        guard show >= 0 else { throw ValidationError("--show must be 0 or more") }
        do {
            try rule.validate()
        } catch {
            throw ValidationError(OptimizerOptions.optionName(error, also: [
                "max_entry_cost_pct": "--entry", "min_profit_pct": "--exit", "max_hours": "--max-hours"]))
        }
    }

    var rule: BacktestRule {
        BacktestRule(entryThresholdPct: entry, exitThresholdPct: exitThreshold, maxHours: maxHours, spotFee: spotFee, futFee: futFee)
    }

    func run() async throws {
        try await reportingFailures {
            let data = try await input.load()
            let gaps = try input.checkGaps(data)
            let rule = self.rule
            var segments: [BacktestSegment]?
            var result = try ProgressIndicator.run("backtesting") {
                guard gaps.splits, let report = gaps.report else { return try deltaNeutralBacktest(data, rule: rule) }
                let split = try deltaNeutralBacktest(data, rule: rule, segments: report.segments)
                segments = split.segments
                return split.result
            }
            result.trades = gaps.marking(result.trades)
            if json {
                let parts = segments.map { ["segments": $0.map { BacktestSegmentJSON(segment: $0, data: data) }] } ?? [:]
                let output = MergedJSON(result, ["data_gaps": gaps.json], parts)
                try StandardOutput.writeLine(String(decoding: try makeJSONEncoder().encode(output), as: UTF8.self))
            } else {
                try StandardOutput.writeLine(BacktestReport(file: input.sourceName, data: data, rule: rule, result: result, shown: show).text + "\n\n" + gaps.text
                      + (segments.map { "\n\n" + BacktestSegmentJSON.table($0, data: data) } ?? ""))
            }
        }
    }
}

/// The human rendering of a backtest: header, summary, trade list.
struct BacktestReport {
    let file: String
    let data: MarketData
    let rule: BacktestRule
    let result: BacktestResult
    let shown: Int

    var text: String {
        let s = result.summary
        var lines: [String] = []
        lines.append("Backtest of \(file): \(Format.count(data.count)) rows, \(DataSpan(data).text)")
        lines.append(
            "Rule: open when entry cost < \(Format.percent(rule.entryThresholdPct)), take profit at net ≥ "
                + "\(Format.percent(rule.exitThresholdPct)), time out after \(Format.fixed(rule.maxHours, 2)) h; "
                + "fees \(Format.fixed(rule.spotFee * 1e4, 1)) bp spot, \(Format.fixed(rule.futFee * 1e4, 1)) bp futures")
        lines.append("")
        var summary = TextTable(headers: ["summary", "value"])
        summary.add(["trades", Format.count(s.trades)])
        summary.add(["wins (net > 0)", Format.count(s.wins)])
        summary.add(["hit rate", Format.percent(s.hitRate * 100, 1)])
        summary.add(["total net P&L", Format.percent(s.totalPnlPct, 4)])
        summary.add(["average net P&L", Format.percent(s.avgPnlPct, 4)])
        summary.add(["best / worst", "\(Format.percent(s.bestPnlPct, 4)) / \(Format.percent(s.worstPnlPct, 4))"])
        summary.add(["average hold", "\(Format.fixed(s.avgHours, 3)) h"])
        summary.add(["trades per day", Format.fixed(s.tradesPerDay, 2)])
        summary.add(["max drawdown", Format.percent(s.maxDrawdown * 100, 4)])
        for reason in ExitReason.allCases {
            summary.add(["exits: \(reason.rawValue)", Format.count(s.exits(reason))])
        }
        let acrossGaps = result.trades.filter { $0.spansGap == true }.count
        if result.trades.contains(where: { $0.spansGap != nil }) { summary.add(["trades across a data gap", Format.count(acrossGaps)]) }
        lines.append(summary.render())
        if let open = result.openPosition {
            lines.append("")
            lines.append("Open at the end (not a trade): entered \(UTCTime.iso8601(nanoseconds: open.entryTimeNanoseconds)) "
                + "(row \(open.entryIndex)) at entry cost \(Format.percent(open.entrySpreadPct, 4)), held "
                + "\(Format.fixed(open.hoursHeld, 2)) h, marked at \(Format.percent(open.markNetPnlPct, 4)) net")
        }
        if shown > 0 && !result.trades.isEmpty {
            lines.append("")
            let count = min(shown, result.trades.count)
            lines.append(count < result.trades.count ? "First \(count) of \(Format.count(result.trades.count)) trades" : "Trades")
            // A `gap` column only when some trade was held across a data gap.
            let gapColumn = acrossGaps > 0
            var table = TextTable(
                headers: ["entry time (UTC)", "exit time (UTC)", "hours", "entry %", "exit %", "net %", "reason"] + (gapColumn ? ["gap"] : []),
                leftAligned: [0, 1, 6, 7])
            for trade in result.trades.prefix(count) {
                table.add([
                    trade.entryTime, trade.exitTime, Format.fixed(trade.hours, 3),
                    Format.fixed(trade.entrySpreadPct, 4), Format.fixed(trade.exitSpreadPct, 4),
                    Format.fixed(trade.netPnlPct, 4), trade.exitReason.rawValue,
                ] + (gapColumn ? [trade.spansGap == true ? "yes" : ""] : []))
            }
            lines.append(table.render())
            if gapColumn { lines.append("  gap: held across a data gap (quotes before and after the hole)") }
        }
        return lines.joined(separator: "\n")
    }
}

/// "2025-10-12T00:00:00.000Z → 2025-10-14T00:00:00.000Z (48.00 h)".
struct DataSpan {
    let text: String
    init(_ data: MarketData) {
        guard let first = data.timestamps.first, let last = data.timestamps.last else {
            text = "no rows"
            return
        }
        text = "\(UTCTime.iso8601(nanoseconds: first)) → \(UTCTime.iso8601(nanoseconds: last)) "
            + "(\(Format.fixed(data.spanHours, 2)) h)"
    }
}

/// A segment of `backtest --on-gap split`. JSON: the segment's place
/// (`first_row`, `last_row`, `start_time`, `end_time`, `rows`), `trades`
/// (closed inside it) and `open_position` (open at its last row, not a trade; null when flat).
struct BacktestSegmentJSON: Encodable {
    let segment: BacktestSegment
    let data: MarketData

    enum CodingKeys: String, CodingKey { case trades, openPosition = "open_position" }

    func encode(to encoder: any Encoder) throws {
        try SegmentPlace(segment.rows, in: data).encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(segment.trades, forKey: .trades)
        try c.encode(segment.openPosition, forKey: .openPosition)
    }

    /// The per-segment table of the human output.
    static func table(_ segments: [BacktestSegment], data: MarketData) -> String {
        var table = TextTable(headers: ["segment", "trades", "open at its end"], leftAligned: [0, 2])
        for (k, s) in segments.enumerated() {
            let open = s.openPosition.map { "entered row \($0.entryIndex), marked \(Format.percent($0.markNetPnlPct, 4)) net (not a trade)" } ?? "flat"
            table.add(["\(k + 1): \(SegmentPlace(s.rows, in: data).text)", Format.count(s.trades), open])
        }
        return "Per continuous segment (--on-gap split: nothing is held across a gap)\n" + table.render()
    }
}
