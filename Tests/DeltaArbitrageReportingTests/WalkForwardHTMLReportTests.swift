import Foundation
import Testing
import DeltaArbitrage
@testable import DeltaArbitrageReporting
import DeltaArbitrageMockData

/// A real walk-forward: 8 h of mock data, re-optimised every 30 min on the
/// trailing 2 h (16 updates; the first ones fail for too little data).
private struct WalkForwardFixture {
    var data: MarketData
    var optimizer: DeltaArbitrageOptimizer
    var result: WalkForwardResult

    static func make(hours: Double = 8, interval: Duration = .seconds(1800),
                     staticParams: ThresholdPair? = nil) async throws -> WalkForwardFixture {
        let data = try generateMockMarketData(hours: hours, seed: 3)
        var c = OptimizerConfig()
        c.maxPositionHoldMinutes = 60
        var o = DeltaArbitrageOptimizer(config: c)
        o.defaultGridSteps = 8
        let result = try await optimizedDeltaNeutralBacktest(data, optimizer: o, optimizationWindowHours: 2,
                                                             updateInterval: interval, staticParams: staticParams)
        return WalkForwardFixture(data: data, optimizer: o, result: result)
    }

    var start: Int64 { data.timestamps[0] }
    var end: Int64 { data.timestamps[data.count - 1] }

    func report(title: String = "mock.csv", result: WalkForwardResult? = nil) -> WalkForwardHTMLReport {
        WalkForwardHTMLReport(title: title, result: result ?? self.result, dataStart: start, dataEnd: end)
    }

    func html(title: String = "mock.csv", result: WalkForwardResult? = nil) -> String {
        report(title: title, result: result).html
    }
}

/// One command of an SVG path as the charts write it: `M x y`, `H x`, `V y`, `Z`.
private struct PathCommand {
    var letter: Character
    var numbers: [Double]
}

private func pathCommands(_ d: String) -> [PathCommand] {
    var commands: [PathCommand] = []
    var number = ""
    func flush() {
        if let x = Double(number), !commands.isEmpty { commands[commands.count - 1].numbers.append(x) }
        number = ""
    }
    for ch in d {
        if ch.isLetter {
            flush()
            commands.append(PathCommand(letter: ch, numbers: []))
        } else if ch == " " || ch == "," {
            flush()
        } else {
            number.append(ch)
        }
    }
    flush()
    return commands
}

/// The times at which the threshold `value` picks out changes: the first
/// update with thresholds, then every update whose value differs from the
/// previous update's.
private func changeTimes(_ updates: [WalkForwardUpdate], _ value: (ThresholdPair) -> Double) -> [(Int64, Double)] {
    var previous: Double?
    var changes: [(Int64, Double)] = []
    for u in updates {
        let v = u.thresholds.map(value)
        if let v, v != previous { changes.append((u.timeNanoseconds, v)) }
        previous = v
    }
    return changes
}

/// The runs of consecutive failed updates: (first index, count).
private func failureRuns(_ updates: [WalkForwardUpdate]) -> [(Int, Int)] {
    var runs: [(Int, Int)] = []
    for (k, u) in updates.enumerated() where !u.optimized {
        if let last = runs.last, last.0 + last.1 == k { runs[runs.count - 1].1 += 1 } else { runs.append((k, 1)) }
    }
    return runs
}

@Suite("WalkForwardHTMLReport")
struct WalkForwardHTMLReportTests {
    @Test func documentIsWellFormedAndSelfContained() async throws {
        let fixture = try await WalkForwardFixture.make()
        let html = fixture.html()
        if let out = ProcessInfo.processInfo.environment["DELTA_ARB_REPORT_OUT"], !out.isEmpty {
            let stem = out.hasSuffix(".html") ? String(out.dropLast(5)) : out
            try html.write(toFile: stem + "-walk-forward.html", atomically: true, encoding: .utf8)
        }
        try #require(fixture.result.trades.count >= 2 && fixture.result.updates.count == 16)
        try expectWellFormedSelfContainedReport(html, figures: 3)
        for name in ["equity", "thresholds", "confidence"] { _ = try figure(name, in: html) }
        #expect(html.contains("<title>mock.csv — walk-forward report</title>"))
        // Summary cards and the run's counts.
        let r = fixture.result, failed = r.updates.filter { !$0.optimized }.count
        #expect(html.contains("<span>Trades</span><b>\(r.summary.trades)</b>"))
        #expect(html.contains("<span>Updates: optimised / kept</span><b>\(r.updates.count - failed) / \(failed)</b>"))
        #expect(try #require(row("updates", in: html)).contains(">\(r.updates.count)<"))
        #expect(try #require(row("updates-optimised", in: html)).contains(">\(r.optimizationHistory.count)<"))
        #expect(try #require(row("updates-kept", in: html)).contains(">\(failed)<"))
        for reason in ExitReason.allCases {
            #expect(try #require(row("exit-\(reason.rawValue)", in: html)).contains(">\(r.summary.exits(reason))<"))
        }
        #expect(r.summary.exits(.profitTarget) + r.summary.exits(.timeout) == r.trades.count)
        // The open position, when there is one, is shown; otherwise said to be absent.
        #expect(html.contains("data-open-position=\"\(r.openPosition != nil)\""))
        #expect((row("open-mark-pnl", in: html) != nil) == (r.openPosition != nil))
        // All 16 updates fit the table, in order.
        #expect(html.contains("<h2>Updates</h2>"))
        #expect(row("update-15", in: html) != nil && row("update-16", in: html) == nil)
    }

    @Test func equityCurveEndsAtTheTradesTotal() async throws {
        let fixture = try await WalkForwardFixture.make()
        let trades = fixture.result.trades
        try #require(trades.count >= 2)
        let total = trades.reduce(0) { $0 + $1.netPnlPct }
        let elements = try figure("equity", in: fixture.html())
        let line = try #require(elements.first { $0["class"] == "equity-line" })
        #expect(line.number("data-final-pnl") == total)
        #expect(abs(total - fixture.result.summary.totalPnlPct) < 1e-9)
        #expect(elements.filter { $0.name == "circle" }.count == trades.count)
        // The curve starts at the data's first time and runs to its last.
        let curve = fixture.report().equityCurve
        #expect(curve.points[0].timeNanoseconds == fixture.start && curve.finalPct == total)
        let commands = pathCommands(try #require(line["d"]))
        #expect(commands.first?.letter == "M" && commands.first?.numbers.first == SVGLineChart.plotLeft)
        #expect(commands.last?.letter == "H" && commands.last?.numbers.first == SVGLineChart.plotRight)
    }

    @Test func thresholdLinesStepOncePerChange() async throws {
        let fixture = try await WalkForwardFixture.make()
        var results = [fixture.result]
        // Make one successful update re-optimise to the thresholds already in
        // force: it must draw no step.
        var same = fixture.result
        let k = try #require(same.updates.indices.dropFirst().first {
            same.updates[$0].optimized && same.updates[$0 - 1].thresholds != nil
                && same.updates[$0].thresholds != same.updates[$0 - 1].thresholds
        })
        same.updates[k].thresholds = same.updates[k - 1].thresholds
        results.append(same)
        #expect(changeTimes(same.updates, \.entryThresholdPct).count
            == changeTimes(fixture.result.updates, \.entryThresholdPct).count - 1)

        for result in results {
            let report = fixture.report(result: result)
            let chart = try #require(report.thresholdsChart)
            let elements = try figure("thresholds", in: report.html)
            for (key, value) in [("entry", \ThresholdPair.entryThresholdPct), ("exit", \ThresholdPair.exitThresholdPct)] {
                let changes = changeTimes(result.updates, { $0[keyPath: value] })
                try #require(changes.count >= 2)
                let path = try #require(elements.first { $0["class"] == "\(key)-line" })
                let commands = pathCommands(try #require(path["d"]))
                // One run (no line before the first success): one M, then H…V per change, H to the end.
                #expect(commands.filter { $0.letter == "M" }.count == 1)
                #expect(commands.filter { $0.letter == "V" }.count == changes.count - 1, "\(key)")
                let m = try #require(commands.first)
                #expect(m.letter == "M" && abs(m.numbers[0] - chart.x(changes[0].0)) < 0.006)
                var levels = [(changes[0].1, m.numbers[1])]
                var stepXs: [Double] = []
                for (h, v) in zip(commands, commands.dropFirst()) where v.letter == "V" {
                    #expect(h.letter == "H")
                    stepXs.append(h.numbers[0])
                    levels.append((changes[levels.count].1, v.numbers[0]))
                }
                #expect(stepXs.count == changes.count - 1)
                for (x, change) in zip(stepXs, changes.dropFirst()) { #expect(abs(x - chart.x(change.0)) < 0.006) }
                #expect(commands.last?.letter == "H" && commands.last?.numbers.first == SVGLineChart.plotRight)
                // Each level sits at its value: y is one linear function of the threshold.
                let lo = try #require(levels.min { $0.0 < $1.0 }), hi = try #require(levels.max { $0.0 < $1.0 })
                try #require(hi.0 > lo.0)
                let slope = (hi.1 - lo.1) / (hi.0 - lo.0)
                #expect(slope < 0)
                for (value, y) in levels { #expect(abs(lo.1 + slope * (value - lo.0) - y) < 0.02) }
            }
        }
    }

    @Test func failedUpdatesAreMarkedAndCounted() async throws {
        let fixture = try await WalkForwardFixture.make()
        var result = fixture.result
        try #require(!result.updates[0].optimized, "the fixture's first update should fail (too little data)")
        // Fail one update in the middle: it keeps the thresholds in force.
        let k = try #require(result.updates.indices.dropFirst(2).first {
            result.updates[$0].optimized && result.updates[$0 - 1].optimized && result.updates[$0 + 1].optimized
        })
        result.updates[k].optimized = false
        result.updates[k].thresholds = result.updates[k - 1].thresholds
        result.updates[k].confidenceScore = nil
        result.updates[k].error = "optimizer <timeout> & \"budget\""
        let failed = result.updates.filter { !$0.optimized }.count
        let runs = failureRuns(result.updates)
        #expect(runs.count >= 2)

        let report = fixture.report(result: result)
        let html = report.html
        for name in ["thresholds", "confidence"] {
            let marks = try figure(name, in: html).filter { $0["class"] == "failed-update" }
            #expect(marks.count == runs.count)
            #expect(marks.compactMap { $0.number("data-count") }.reduce(0, +) == Double(failed))
            for (mark, run) in zip(marks, runs) {
                #expect(mark["data-count"] == "\(run.1)")
                #expect(mark["data-time"] == UTCTime.iso8601(nanoseconds: result.updates[run.0].timeNanoseconds))
                // The span runs to the next update (or the end of the data).
                let next = run.0 + run.1
                let end = next < result.updates.count ? result.updates[next].timeNanoseconds : fixture.end
                #expect(mark["data-end"] == UTCTime.iso8601(nanoseconds: end))
            }
        }
        // The mark's hover text names the (unescaped, after parsing) reason and what was kept.
        let titles = try figure("thresholds", in: html).filter { $0.name == "title" }.map(\.text)
        #expect(titles.contains { $0.contains("optimizer <timeout> & \"budget\"") && $0.contains("thresholds kept") })
        #expect(titles.contains { $0.contains("no thresholds in force yet") })
        // Counted in the card, the run table and the table of updates.
        #expect(html.contains("<b>\(result.updates.count - failed) / \(failed)</b>"))
        #expect(try #require(row("updates-kept", in: html)).contains(">\(failed)<"))
        let line = try #require(row("update-\(k)", in: html))
        #expect(line.contains("class=\"failed\"") && line.contains("✗ kept"))
        #expect(line.contains("optimizer &lt;timeout&gt; &amp; &quot;budget&quot;"))
        let kept = try #require(result.updates[k].thresholds)
        #expect(line.contains(HTMLFormat.fixed(kept.entryThresholdPct, report.entryDigits)))
        #expect(html.components(separatedBy: "✗ kept</td>").count - 1 == failed)
        // The confidence chart dots each successful update, within [0, 1] on its axis.
        let confidence = try figure("confidence", in: html)
        let dots = confidence.filter { $0.name == "circle" && $0["cx"] != nil && $0.attributes["r"] == "3" }
        #expect(dots.count == result.updates.count - failed)
        let frame = try #require(confidence.last { $0.name == "rect" })
        let top = try #require(frame.number("y")), height = try #require(frame.number("height"))
        for dot in dots {
            let cy = try #require(dot.number("cy"))
            #expect(cy >= top && cy <= top + height)
        }
        // The confidence line carries the kept score over the failed update: no step there.
        let steps = report.confidenceSteps
        #expect(steps[k].value == steps[k - 1].value)
    }

    @Test func tableListsTheLastTwentyUpdates() async throws {
        let fixture = try await WalkForwardFixture.make(interval: .seconds(900))
        let n = fixture.result.updates.count
        try #require(n > 20)
        let html = fixture.html()
        #expect(html.contains("<h2>Last 20 of \(n) updates</h2>"))
        #expect(row("update-\(n - 21)", in: html) == nil)
        for k in (n - 20)..<n {
            let line = try #require(row("update-\(k)", in: html))
            let u = fixture.result.updates[k]
            #expect(line.contains(UTCTime.iso8601(nanoseconds: u.timeNanoseconds)))
            #expect(line.contains(u.optimized ? "✓ optimised" : "✗ kept"))
        }
    }

    @Test func textIsEscaped() async throws {
        let fixture = try await WalkForwardFixture.make()
        let html = fixture.html(title: "prices <&> \"Q3\" 'run'.csv")
        #expect(html.contains("<title>prices &lt;&amp;&gt; &quot;Q3&quot; &#39;run&#39;.csv — walk-forward report</title>"))
        #expect(html.contains("<h1>prices &lt;&amp;&gt; &quot;Q3&quot; &#39;run&#39;.csv</h1>"))
        #expect(!html.contains("<&>") && !html.contains("\"Q3\"") && !html.contains("'run'"))
        // Error text from the optimiser is escaped in the table (and parses in the SVG titles).
        #expect(!html.contains("<script"))
    }

    @Test func fixedThresholdsDrawNoThresholdsChart() async throws {
        let fixed = ThresholdPair(entryThresholdPct: 0.5, exitThresholdPct: 0.1)
        let fixture = try await WalkForwardFixture.make(staticParams: fixed)
        #expect(fixture.result.updates.isEmpty && fixture.result.trades.count >= 1)
        let report = fixture.report()
        let html = report.html
        try expectWellFormedSelfContainedReport(html, figures: 1)
        #expect(report.thresholdsChart == nil && report.confidenceChart == nil)
        #expect(!html.contains("data-figure=\"thresholds\"") && !html.contains("data-figure=\"confidence\""))
        #expect(html.contains("data-figure=\"equity\""))
        #expect(html.contains("data-static-params=\"true\""))
        #expect(html.contains("<span>Entry threshold (fixed)</span><b>0.500 %</b>"))
        #expect(html.contains("<span>Exit threshold (fixed)</span><b>0.100 %</b>"))
        #expect(try #require(row("fixed-entry", in: html)).contains("0.500 %"))
        #expect(try #require(row("fixed-exit", in: html)).contains("0.100 %"))
        #expect(row("updates", in: html) == nil && !html.contains("Updates: optimised / kept"))
        #expect(html.contains("Fixed thresholds: no updates."))
    }

    @Test func zeroTradesShowAMessage() async throws {
        let fixture = try await WalkForwardFixture.make()
        var result = fixture.result
        result.trades = []
        result.summary = BacktestSummary(trades: [], spanNanoseconds: fixture.data.spanNanoseconds)
        let html = fixture.html(result: result)
        try expectWellFormedSelfContainedReport(html, figures: 2)
        #expect(html.contains("data-no-trades=\"true\""))
        #expect(!html.contains("data-figure=\"equity\"") && html.contains("data-figure=\"thresholds\""))
        #expect(html.contains("<span>Trades</span><b>0</b>"))

        // Data shorter than one update interval: no update, no trade, no figure.
        let short = try await WalkForwardFixture.make(hours: 1, interval: .seconds(7200))
        #expect(short.result.updates.isEmpty && short.result.trades.isEmpty)
        let empty = short.html()
        try expectWellFormedSelfContainedReport(empty, figures: 0)
        #expect(empty.contains("data-no-trades=\"true\"") && empty.contains("data-no-updates=\"true\""))
        #expect(empty.contains("<b>0 / 0</b>"))
    }

    @Test func nonFiniteNumbersPrintAsDash() async throws {
        let fixture = try await WalkForwardFixture.make()
        var result = fixture.result
        let k = try #require(result.updates.firstIndex { $0.optimized })
        result.updates[k].confidenceScore = .nan
        result.summary.maxDrawdown = .infinity
        let html = fixture.html(result: result)
        let line = try #require(row("update-\(k)", in: html))
        #expect(line.contains("<td class=\"num\">—</td>") && !line.lowercased().contains("nan"))
        let drawdown = try #require(row("max-drawdown", in: html))
        #expect(drawdown.contains("—") && !drawdown.contains("inf"))
        try expectWellFormedSelfContainedReport(html, figures: 3)
        // A trade with a non-finite P&L replaces the equity chart by a message.
        result.trades[0].netPnlPct = .nan
        let broken = fixture.html(result: result)
        #expect(broken.contains("data-non-finite=\"true\"") && !broken.contains("data-figure=\"equity\""))
    }
}
