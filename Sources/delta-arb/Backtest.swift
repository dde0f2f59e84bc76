import ArgumentParser
import DeltaArbitrage
import Foundation

struct Backtest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Backtest the seed's entry/exit rule over a CSV file.",
        discussion: """
            One hedged position at a time. While flat, a position opens at the first row \
            whose entry cost (spot_ask − fut_bid) / spot_ask · 100 is below --entry: long \
            spot at the ask, short futures at the bid. It closes at the first later row \
            whose fee-adjusted net P&L reaches --exit percent (profit_target), or once it \
            has been held --max-hours (timeout). The closing row never opens a new position; \
            a position still open at the end is reported separately, not as a trade.
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

    @Flag(help: "Print one JSON document {\"trades\": [...], \"summary\": {...}} instead of tables.")
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

    func run() throws {
        try reportingFailures {
            let data = try input.load()
            let rule = self.rule
            let result = try ProgressIndicator.run("backtesting") {
                try deltaNeutralBacktest(data, rule: rule)
            }
            if json {
                try StandardOutput.writeLine(String(decoding: try makeJSONEncoder().encode(result), as: UTF8.self))
            } else {
                try StandardOutput.writeLine(BacktestReport(file: input.file, data: data, rule: rule, result: result, shown: show).text)
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
            summary.add(["exits: \(reason.seedName)", Format.count(s.exits(reason))])
        }
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
            var table = TextTable(
                headers: ["entry time (UTC)", "exit time (UTC)", "hours", "entry %", "exit %", "net %", "reason"],
                leftAligned: [0, 1, 6])
            for trade in result.trades.prefix(count) {
                table.add([
                    trade.entryTime, trade.exitTime, Format.fixed(trade.hours, 3),
                    Format.fixed(trade.entrySpreadPct, 4), Format.fixed(trade.exitSpreadPct, 4),
                    Format.fixed(trade.netPnlPct, 4), trade.exitReason.seedName,
                ])
            }
            lines.append(table.render())
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
            + "(\(Format.fixed(SeedFormulas.hours(fromNanoseconds: last - first), 2)) h)"
    }
}
