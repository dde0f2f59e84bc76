import Foundation
import Testing
import DeltaArbitrage
@testable import DeltaArbitrageReporting
import DeltaArbitrageMockData

/// A real optimisation of 6 h of mock data, the chosen point's trades and the
/// window's spread analysis — everything `OptimizationHTMLReport` takes.
private struct ReportFixture {
    var report: OptimizationReport
    var trades: [Trade]
    var spread: SpreadReport

    static func make(gridSteps: Int? = nil) async throws -> ReportFixture {
        let data = try generateMockMarketData(hours: 6, seed: 1)
        var c = OptimizerConfig()
        c.maxPositionHoldMinutes = 60
        var optimizer = DeltaArbitrageOptimizer(config: c)
        if let gridSteps { optimizer.defaultGridSteps = gridSteps }
        let report = try await optimizer.optimize(data, lookbackHours: 6)
        let window = data.rows(report.window.firstRow..<report.window.endRow)
        let rule = optimizer.config.rule(entryThresholdPct: report.result.entryThresholdPct,
                                         exitThresholdPct: report.result.exitThresholdPct)
        let trades = try deltaNeutralBacktest(window, rule: rule).trades
        let spread = try SpreadAnalyzer.analyze(window, options: SpreadAnalysisOptions())
        return ReportFixture(report: report, trades: trades, spread: spread)
    }

    func html(title: String = "mock.csv", trades: [Trade]? = nil, spread: SpreadReport?? = nil) -> String {
        OptimizationHTMLReport(title: title, report: report, chosenTrades: trades ?? self.trades,
                               spread: spread ?? self.spread).html
    }
}

/// Centre of a rect element.
private func centre(_ e: SVGElement) -> (x: Double, y: Double)? {
    guard let x = e.number("x"), let y = e.number("y"), let w = e.number("width"), let h = e.number("height") else { return nil }
    return (x + w / 2, y + h / 2)
}

private func cells(_ elements: [SVGElement]) -> [SVGElement] { elements.filter { $0["data-cell"] != nil } }

@Suite("HTMLReport")
struct HTMLReportTests {
    @Test func documentIsWellFormedAndSelfContained() async throws {
        let fixture = try await ReportFixture.make()
        let html = fixture.html()
        if let out = ProcessInfo.processInfo.environment["DELTA_ARB_REPORT_OUT"], !out.isEmpty {
            try html.write(toFile: out, atomically: true, encoding: .utf8)
        }
        try expectWellFormedSelfContainedReport(html, figures: 2)
        // The header's figures.
        let r = fixture.report
        #expect(html.contains(r.window.firstTime) && html.contains(r.window.lastTime))
        #expect(row("confidence-stationarity", in: html) != nil && row("confidence-out-of-sample", in: html) != nil)
        #expect(row("memory", in: html) != nil && row("duration", in: html) != nil)
        #expect(row("alternative-\(r.alternatives.count)", in: html) != nil)
        #expect(row("alternative-\(r.alternatives.count + 1)", in: html) == nil)
        for target in r.constraintStatus.targets {
            let line = try #require(row("target-\(target.name)", in: html))
            #expect(line.contains(target.met ? "✓ met" : "✗ missed"))
        }
        #expect(row("spread-adf-statistic", in: html) != nil && row("window-df-statistic", in: html) != nil)
    }

    @Test func heatmapHasOneCellPerGridPoint() async throws {
        let fixture = try await ReportFixture.make()
        let surface = fixture.report.surface
        let elements = try figure("heatmap", in: fixture.html())
        let grid = cells(elements)
        #expect(grid.count == surface.entries.count * surface.exits.count)
        #expect(Set(grid.compactMap { $0["data-cell"] }).count == grid.count)
        let unsafe = grid.filter { $0["data-state"] == "unsafe" }.count
        let feasible = grid.filter { $0["data-state"] == "feasible" }.count
        #expect(unsafe == surface.points.filter { !$0.safe }.count)
        #expect(feasible == surface.points.filter(\.feasible).count)
        #expect(unsafe > 0, "the fixture should exercise unsafe cells")
        #expect(grid.count - unsafe == fixture.report.constraintStatus.safePoints)
        #expect(feasible == fixture.report.constraintStatus.feasiblePoints)
        // Each cell's state is its own point's.
        for cell in grid {
            let indices = try #require(cell["data-cell"]).split(separator: ",").compactMap { Int($0) }
            let p = surface[entry: indices[0], exit: indices[1]]
            #expect(cell["data-state"] == (!p.safe ? "unsafe" : p.feasible ? "feasible" : "safe"))
            #expect((cell["fill"] == "url(#hm-hatch)") == !p.safe)
        }
        // Readable axes: at most 9 labels each, far enough apart not to overlap.
        let xLabels = elements.filter { $0["class"] == "tick-x" }.compactMap { $0.number("x") }
        let yLabels = elements.filter { $0["class"] == "tick-y" }.compactMap { $0.number("y") }
        #expect((1...9).contains(xLabels.count) && (1...9).contains(yLabels.count))
        for (a, b) in zip(xLabels, xLabels.dropFirst()) { #expect(abs(b - a) >= 40) }
        for (a, b) in zip(yLabels, yLabels.dropFirst()) { #expect(abs(b - a) >= 16) }
        #expect(elements.contains { $0.name == "text" && $0.text.contains("exit threshold (%)") })
        #expect(elements.contains { $0.name == "text" && $0.text.contains("entry threshold (%)") })
    }

    @Test func optimumIsMarkedOnceOnTheChosenCell() async throws {
        let fixture = try await ReportFixture.make()
        let html = fixture.html()
        #expect(html.components(separatedBy: "data-optimum-cell=").count == 2)
        let elements = try figure("heatmap", in: html)
        try expectOptimum(elements, report: fixture.report)
    }

    private func expectOptimum(_ elements: [SVGElement], report: OptimizationReport,
                               sourceLocation: SourceLocation = #_sourceLocation) throws {
        let markers = elements.filter { $0["data-optimum-cell"] != nil }
        try #require(markers.count == 1, sourceLocation: sourceLocation)
        let marker = markers[0]
        #expect(marker.number("data-entry") == report.result.entryThresholdPct, sourceLocation: sourceLocation)
        #expect(marker.number("data-exit") == report.result.exitThresholdPct, sourceLocation: sourceLocation)
        let key = try #require(marker["data-optimum-cell"], sourceLocation: sourceLocation)
        let indices = key.split(separator: ",").compactMap { Int($0) }
        let point = report.surface[entry: indices[0], exit: indices[1]]
        #expect(point.entryThresholdPct == report.result.entryThresholdPct, sourceLocation: sourceLocation)
        #expect(point.exitThresholdPct == report.result.exitThresholdPct, sourceLocation: sourceLocation)
        #expect(point.safe, sourceLocation: sourceLocation)
        // The frame is centred on that cell.
        let cell = try #require(cells(elements).first { $0["data-cell"] == key }, sourceLocation: sourceLocation)
        let frame = try #require(elements.first { $0["class"] == "optimum-frame" }, sourceLocation: sourceLocation)
        let a = try #require(centre(cell), sourceLocation: sourceLocation)
        let b = try #require(centre(frame), sourceLocation: sourceLocation)
        #expect(abs(a.x - b.x) < 0.02 && abs(a.y - b.y) < 0.02, sourceLocation: sourceLocation)
        #expect(elements.filter { $0["class"] == "optimum-frame" }.count == 1, sourceLocation: sourceLocation)
    }

    @Test func singleRowAndSingleColumnGrids() async throws {
        let fixture = try await ReportFixture.make()
        let full = fixture.report.surface
        let e = try #require(full.entries.firstIndex(of: fixture.report.result.entryThresholdPct))
        let x = try #require(full.exits.firstIndex(of: fixture.report.result.exitThresholdPct))

        var oneRow = fixture
        oneRow.report.surface = GridSurface(entries: [full.entries[e]], exits: full.exits,
                                            points: (0..<full.exits.count).map { full[entry: e, exit: $0] })
        var elements = try figure("heatmap", in: oneRow.html())
        #expect(cells(elements).count == full.exits.count)
        #expect(elements.filter { $0["class"] == "tick-y" }.count == 1)
        try expectOptimum(elements, report: oneRow.report)

        var oneColumn = fixture
        oneColumn.report.surface = GridSurface(entries: full.entries, exits: [full.exits[x]],
                                               points: (0..<full.entries.count).map { full[entry: $0, exit: x] })
        elements = try figure("heatmap", in: oneColumn.html())
        #expect(cells(elements).count == full.entries.count)
        #expect(elements.filter { $0["class"] == "tick-x" }.count == 1)
        try expectOptimum(elements, report: oneColumn.report)
    }

    @Test func largeGridStaysReadable() async throws {
        let fixture = try await ReportFixture.make(gridSteps: 64)
        let html = fixture.html(title: "mock.csv (64 × 64 grid)")
        if let out = ProcessInfo.processInfo.environment["DELTA_ARB_REPORT_OUT"], !out.isEmpty {
            let stem = out.hasSuffix(".html") ? String(out.dropLast(5)) : out
            try html.write(toFile: stem + "-64.html", atomically: true, encoding: .utf8)
        }
        let elements = try figure("heatmap", in: html)
        #expect(cells(elements).count == 64 * 64)
        let xLabels = elements.filter { $0["class"] == "tick-x" }
        let yLabels = elements.filter { $0["class"] == "tick-y" }
        #expect((2...9).contains(xLabels.count) && (2...9).contains(yLabels.count))
        // Labels are distinct numbers, so neighbouring thresholds never read alike.
        #expect(Set(xLabels.map(\.text)).count == xLabels.count && Set(yLabels.map(\.text)).count == yLabels.count)
        try expectOptimum(elements, report: fixture.report)
    }

    @Test func missedTargetsShowTheirShortfall() async throws {
        var fixture = try await ReportFixture.make()
        fixture.report.constraintStatus.targetsMet = false
        fixture.report.constraintStatus.targets = [
            TargetCheck(name: "hit_rate", target: 0.7, actual: 0.41, atLeast: true),
            TargetCheck(name: "trades_per_day", target: 5, actual: 12, atLeast: true),
            TargetCheck(name: "max_drawdown", target: 0.02, actual: 0.035, atLeast: false),
        ]
        let html = fixture.html()
        #expect(html.contains("data-targets-met=\"false\">Targets missed: Hit rate, Max drawdown<"))
        let hit = try #require(row("target-hit_rate", in: html))
        #expect(hit.contains("≥ 70.0 %") && hit.contains("41.0 %") && hit.contains("by 29.0 pp"))
        let drawdown = try #require(row("target-max_drawdown", in: html))
        #expect(drawdown.contains("≤ 2.00 %") && drawdown.contains("3.50 %") && drawdown.contains("by 1.50 pp"))
        let rate = try #require(row("target-trades_per_day", in: html))
        #expect(rate.contains("✓ met") && !rate.contains("missed"))
    }

    @Test func textIsEscaped() async throws {
        var fixture = try await ReportFixture.make()
        fixture.report.constraintStatus.summary = "<script>alert('x')</script> & more"
        let html = fixture.html(title: "prices <&> \"Q3\" 'run'.csv")
        #expect(html.contains("prices &lt;&amp;&gt; &quot;Q3&quot; &#39;run&#39;.csv"))
        #expect(!html.contains("<&>"))
        #expect(!html.contains("\"Q3\""))
        #expect(!html.contains("<script"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"))
        // The document title element carries the escaped text too.
        #expect(html.contains("<title>prices &lt;&amp;&gt; &quot;Q3&quot; &#39;run&#39;.csv"))
        #expect(HTMLFormat.escape("a<b>&\"c\"'") == "a&lt;b&gt;&amp;&quot;c&quot;&#39;")
        #expect(HTMLFormat.escape("plain — ü") == "plain — ü")
    }

    @Test func equityCurveEndsAtTheTradesTotal() async throws {
        let fixture = try await ReportFixture.make()
        try #require(fixture.trades.count >= 2)
        let total = fixture.trades.reduce(0) { $0 + $1.netPnlPct }
        let elements = try figure("equity", in: fixture.html())
        let line = try #require(elements.first { $0["class"] == "equity-line" })
        #expect(line.number("data-final-pnl") == total)
        #expect(abs(total - fixture.report.chosen.totalPnlPct) < 1e-9)

        let curve = OptimizationHTMLReport(title: "", report: fixture.report, chosenTrades: fixture.trades,
                                           spread: nil).equityCurve
        #expect(curve.points.count == fixture.trades.count + 1)
        #expect(curve.points[0].cumulativePct == 0)
        #expect(curve.points[0].timeNanoseconds == UTCTime.nanoseconds(parsing: fixture.report.window.firstTime))
        #expect(curve.finalPct == total)
        for (a, b) in zip(curve.points, curve.points.dropFirst()) { #expect(a.timeNanoseconds <= b.timeNanoseconds) }
        // One dot per trade, and labelled axes.
        #expect(elements.filter { $0.name == "circle" }.count == fixture.trades.count)
        let times = elements.filter { $0["class"] == "tick-time" }
        #expect((3...10).contains(times.count))
        #expect(times.allSatisfy { $0.text.count == 5 && $0.text.dropFirst(2).first == ":" })
        #expect(elements.filter { $0["class"] == "tick-value" }.count >= 3)
        // The step path ends at the right edge, at the level of the total.
        let d = try #require(line["d"])
        #expect(d.hasPrefix("M"))
    }

    @Test func equityCurveOrdersTradesByExit() async throws {
        let fixture = try await ReportFixture.make()
        try #require(fixture.trades.count >= 3)
        let shuffled = Array(fixture.trades.reversed())
        let curve = EquityCurve(trades: shuffled, start: nil)
        #expect(curve.points.dropFirst().map(\.timeNanoseconds) == fixture.trades.map(\.exitTimeNanoseconds))
        #expect(curve.points[0].timeNanoseconds == fixture.trades[0].entryTimeNanoseconds)
        #expect(abs(curve.finalPct - fixture.trades.reduce(0) { $0 + $1.netPnlPct }) < 1e-12)
    }

    @Test func zeroTradesShowAMessage() async throws {
        let fixture = try await ReportFixture.make()
        let html = fixture.html(trades: [])
        #expect(html.contains("data-no-trades=\"true\""))
        #expect(html.contains("No trades at the chosen thresholds"))
        #expect(!html.contains("data-figure=\"equity\""))
        #expect(svgBlocks(html).count == 1)
        for block in svgBlocks(html) { _ = parseSVG(block) }
        // The mismatch with the report's own count is pointed out.
        #expect(fixture.report.chosen.trades == 0 || html.contains("trades were supplied for the curve"))
        // Without a spread analysis the section says so instead.
        let noSpread = fixture.html(spread: .some(nil))
        #expect(noSpread.contains("No spread analysis was supplied"))
        #expect(row("spread-adf-statistic", in: noSpread) == nil && row("window-df-statistic", in: noSpread) != nil)
    }

    @Test func nonFiniteNumbersPrintAsDash() async throws {
        #expect(HTMLFormat.fixed(.nan, 2) == "—")
        #expect(HTMLFormat.fixed(.infinity, 2) == "—")
        #expect(HTMLFormat.fixed(-.infinity, 0) == "—")
        #expect(HTMLFormat.percent(.nan, 3) == "—")
        #expect(HTMLFormat.signedPercent(.infinity, 3) == "—")
        #expect(HTMLFormat.fractionAsPercent(.nan, 1) == "—")
        #expect(HTMLFormat.optional(nil as Double?) { HTMLFormat.fixed($0, 2) } == "—")

        var fixture = try await ReportFixture.make()
        fixture.report.statistics.dickeyFullerPValue = .nan
        fixture.report.statistics.meanSpread = .infinity
        fixture.report.statistics.halfLifeHours = .infinity
        fixture.report.performance.memoryUsageMb = .nan
        fixture.spread.meanReversion.pValue = .nan
        fixture.spread.spreadAnalysis.halfLifeHours = .infinity
        fixture.spread.spreadAnalysis.percentiles[50] = -.infinity
        let safe = try #require(fixture.report.surface.points.firstIndex {
            $0.safe && ($0.entryThresholdPct, $0.exitThresholdPct)
                != (fixture.report.result.entryThresholdPct, fixture.report.result.exitThresholdPct)
        })
        fixture.report.surface.points[safe].totalPnlPct = .nan
        let html = fixture.html()
        for key in ["window-df-p", "window-mean", "window-half-life", "memory", "spread-adf-p", "spread-half-life", "spread-p50"] {
            let line = try #require(row(key, in: html), "row \(key)")
            #expect(line.contains("—"), "row \(key)")
            #expect(!line.lowercased().contains("nan") && !line.contains("inf "), "row \(key): \(line)")
        }
        // The NaN cell still renders (grey) and says so on hover.
        let elements = try figure("heatmap", in: html)
        let m = fixture.report.surface.exits.count
        let cell = try #require(cells(elements).first { $0["data-cell"] == "\(safe / m),\(safe % m)" })
        #expect(cell["fill"] == "#9e9e9e")
        #expect(elements.contains { $0.name == "title" && $0.text.contains("net P&L —") })
        // A trade with a non-finite P&L replaces the chart by a message.
        var trades = fixture.trades
        try #require(!trades.isEmpty)
        trades[0].netPnlPct = .nan
        let broken = fixture.html(trades: trades)
        #expect(broken.contains("data-non-finite=\"true\""))
        #expect(!broken.contains("data-figure=\"equity\""))
    }

    @Test func numberFormatting() {
        #expect(HTMLFormat.fixed(-0.0001, 2) == "0.00")
        #expect(HTMLFormat.fixed(-0.5, 1) == "-0.5")
        #expect(HTMLFormat.signed(0.5, 2) == "+0.50")
        #expect(HTMLFormat.signed(0.0001, 2) == "0.00")
        #expect(HTMLFormat.signed(-1.25, 2) == "-1.25")
        #expect(HTMLFormat.coord(12.5) == "12.5")
        #expect(HTMLFormat.coord(-3.07) == "-3.07")
        #expect(HTMLFormat.coord(7) == "7")
        #expect(HTMLFormat.coord(.nan) == "0")
        #expect(HTMLFormat.distinguishingDecimals([0.1, 0.125, 0.15]) == 3)
        #expect(HTMLFormat.distinguishingDecimals([0.1, 0.2]) == 2)
        let ticks = ChartAxis.niceTicks(lo: -0.13, hi: 1.9, maxCount: 6)
        #expect(ticks.lo <= -0.13 && ticks.hi >= 1.9 && ticks.step == 0.5)
        let flat = ChartAxis.niceTicks(lo: 0, hi: 0, maxCount: 6)
        #expect(flat.lo < 0 && flat.hi > 0)
        let hour: Int64 = 3_600_000_000_000
        let (times, step) = ChartAxis.timeTicks(start: 10 * hour + hour / 3, end: 16 * hour + hour / 3, maxCount: 9)
        #expect(step == 3600 && times.first == 11 * hour && times.last == 16 * hour)
    }

    @Test func colourScaleIsDivergingAboutZero() {
        #expect(SVGHeatmap.colour(0) == "#f7f7f7")
        #expect(SVGHeatmap.colour(-1) == "#b2182b")
        #expect(SVGHeatmap.colour(1) == "#2166ac")
        #expect(SVGHeatmap.colour(5) == SVGHeatmap.colour(1))
        #expect(SVGHeatmap.colour(.nan) == "#9e9e9e")
    }
}
