import Foundation

/// The cumulative net P&L of a trade list over time: 0 at the start, then one
/// step at each exit.
struct EquityCurve {
    /// One level of the curve: from `timeNanoseconds` on, the sum of the
    /// `netPnlPct` of every trade closed so far.
    struct Point: Equatable {
        var timeNanoseconds: Int64
        var cumulativePct: Double
    }

    /// The start point followed by one point per trade, in exit order.
    var points: [Point]
    /// Net P&L of each step, aligned with `points.dropFirst()`.
    var steps: [Trade]

    /// The curve of `trades` starting at `start` (the window's first time;
    /// nil or later than the first entry: the first entry's time). Trades are
    /// taken in exit order (ties in the given order), as the backtest returns them.
    init(trades: [Trade], start: Int64?) {
        let ordered = trades.enumerated().sorted {
            ($0.element.exitTimeNanoseconds, $0.offset) < ($1.element.exitTimeNanoseconds, $1.offset)
        }.map(\.element)
        let firstEntry = ordered.map(\.entryTimeNanoseconds).min()
        let origin = [start, firstEntry].compactMap { $0 }.min() ?? 0
        var points = [Point(timeNanoseconds: origin, cumulativePct: 0)]
        var total = 0.0
        for trade in ordered {
            total += trade.netPnlPct
            points.append(Point(timeNanoseconds: trade.exitTimeNanoseconds, cumulativePct: total))
        }
        self.points = points
        self.steps = ordered
    }

    /// The cumulative net P&L after the last trade (0 without trades).
    var finalPct: Double { points.last?.cumulativePct ?? 0 }
}

/// Axis arithmetic for the line chart.
enum ChartAxis {
    /// "Nice" ticks (1, 2, 2.5, 5 × 10ᵏ) covering `lo … hi` with at most about `maxCount` ticks.
    static func niceTicks(lo: Double, hi: Double, maxCount: Int) -> (lo: Double, hi: Double, step: Double, digits: Int) {
        var lo = lo.isFinite ? lo : 0, hi = hi.isFinite ? hi : 0
        if !(hi > lo) {
            let pad = max(abs(lo) * 0.1, 0.01)
            lo -= pad
            hi += pad
        }
        let raw = (hi - lo) / Double(max(maxCount - 1, 1))
        let magnitude = pow(10, floor(log10(raw)))
        let factor = [1, 2, 2.5, 5, 10].first { $0 * magnitude >= raw * (1 - 1e-12) } ?? 10
        let step = factor * magnitude
        let niceLo = floor(lo / step + 1e-9) * step, niceHi = ceil(hi / step - 1e-9) * step
        var digits = max(0, Int(-floor(log10(step) + 1e-9)))
        if factor == 2.5 { digits += 1 }
        return (niceLo, niceHi, step, digits)
    }

    /// Calendar-aligned time ticks (UTC) over `start … end`, at most `maxCount`.
    static func timeTicks(start: Int64, end: Int64, maxCount: Int) -> (ticks: [Int64], stepSeconds: Int64) {
        let spanSeconds = Double(end - start) / 1e9
        let candidates: [Int64] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800,
                                   21_600, 43_200, 86_400, 172_800, 604_800, 1_209_600, 2_592_000, 7_776_000, 31_536_000]
        let step = candidates.first { spanSeconds / Double($0) <= Double(maxCount - 1) } ?? candidates.last!
        let stepNs = step * 1_000_000_000
        var t = start >= 0 ? (start + stepNs - 1) / stepNs * stepNs : start / stepNs * stepNs
        var ticks = [Int64]()
        while t <= end {
            ticks.append(t)
            t += stepNs
        }
        return (ticks, step)
    }
}

/// The equity curve as an SVG step chart: cumulative net P&L (%) against exit
/// time (UTC), filled green above 0 and red below, with each exit marked.
///
/// The curve's path carries `data-final-pnl` (the last level, full precision).
struct SVGLineChart {
    var curve: EquityCurve
    /// The window's first and last time; the x axis spans them (widened to
    /// cover every trade).
    var start: Int64
    var end: Int64

    static let width = 900.0, height = 340.0
    static let plotLeft = 74.0, plotTop = 18.0, plotRight = 880.0, plotBottom = 276.0
    /// Above this many trades the exit dots are left out (they would merge into a band).
    static let maxDots = 400

    func render() -> String {
        typealias F = HTMLFormat
        let first = min(start, curve.points.first?.timeNanoseconds ?? start)
        var last = max(end, curve.points.last?.timeNanoseconds ?? end)
        if last <= first { last = first + 60_000_000_000 }
        let levels = curve.points.map(\.cumulativePct).filter(\.isFinite)
        let y = ChartAxis.niceTicks(lo: min(0, levels.min() ?? 0), hi: max(0, levels.max() ?? 0), maxCount: 6)
        let plotW = Self.plotRight - Self.plotLeft, plotH = Self.plotBottom - Self.plotTop
        func px(_ t: Int64) -> Double { Self.plotLeft + Double(t - first) / Double(last - first) * plotW }
        func py(_ v: Double) -> Double { Self.plotBottom - (v - y.lo) / (y.hi - y.lo) * plotH }

        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" class="figure equity" data-figure="equity" \
        viewBox="0 0 \(F.coord(Self.width)) \(F.coord(Self.height))" width="\(F.coord(Self.width))" \
        height="\(F.coord(Self.height))" role="img" \
        aria-label="Cumulative net P&amp;L of the chosen thresholds over the window" \
        font-family="system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif" font-size="12">
        <defs>
        <clipPath id="eq-above"><rect x="\(F.coord(Self.plotLeft))" y="\(F.coord(Self.plotTop))" \
        width="\(F.coord(plotW))" height="\(F.coord(max(0, py(0) - Self.plotTop)))"/></clipPath>
        <clipPath id="eq-below"><rect x="\(F.coord(Self.plotLeft))" y="\(F.coord(py(0)))" \
        width="\(F.coord(plotW))" height="\(F.coord(max(0, Self.plotBottom - py(0))))"/></clipPath>
        </defs>

        """

        // Horizontal gridlines and y labels.
        s += "<g class=\"y-axis\" fill=\"#222\">\n"
        var v = y.lo
        while v <= y.hi + y.step * 1e-6 {
            let yy = py(v)
            let zero = abs(v) < y.step * 1e-6
            s += "<line x1=\"\(F.coord(Self.plotLeft))\" y1=\"\(F.coord(yy))\" x2=\"\(F.coord(Self.plotRight))\" "
            s += "y2=\"\(F.coord(yy))\" stroke=\"\(zero ? "#555" : "#e2e2e2")\" stroke-width=\"1\"/>"
            s += "<text class=\"tick-value\" x=\"\(F.coord(Self.plotLeft - 8))\" y=\"\(F.coord(yy + 4))\" text-anchor=\"end\">"
            s += "\(zero ? "0" : F.signed(v, y.digits))</text>\n"
            v += y.step
        }
        s += "<text transform=\"translate(18 \(F.coord((Self.plotTop + Self.plotBottom) / 2))) rotate(-90)\" "
        s += "text-anchor=\"middle\" font-size=\"13\" font-weight=\"600\">cumulative net P&amp;L (%)</text>\n"
        s += "</g>\n"

        // Time axis.
        let maxTicks = max(2, Int(plotW / 95))
        let (ticks, step) = ChartAxis.timeTicks(start: first, end: last, maxCount: maxTicks)
        let firstDay = String(UTCTime.iso8601(nanoseconds: first).prefix(10))
        let oneDay = firstDay == String(UTCTime.iso8601(nanoseconds: last).prefix(10))
        s += "<g class=\"x-axis\" fill=\"#222\">\n"
        var previousDay = ""
        for t in ticks {
            let xx = px(t), iso = UTCTime.iso8601(nanoseconds: t)
            let day = String(iso.prefix(10))
            let clock = step < 60 ? String(iso.dropFirst(11).prefix(8)) : String(iso.dropFirst(11).prefix(5))
            s += "<line x1=\"\(F.coord(xx))\" y1=\"\(F.coord(Self.plotBottom))\" x2=\"\(F.coord(xx))\" "
            s += "y2=\"\(F.coord(Self.plotBottom + 5))\" stroke=\"#555\"/>"
            if step >= 86_400 {
                s += "<text class=\"tick-time\" x=\"\(F.coord(xx))\" y=\"\(F.coord(Self.plotBottom + 19))\" text-anchor=\"middle\">\(day)</text>\n"
            } else {
                s += "<text class=\"tick-time\" x=\"\(F.coord(xx))\" y=\"\(F.coord(Self.plotBottom + 19))\" text-anchor=\"middle\">\(clock)</text>"
                if !oneDay, day != previousDay {
                    s += "<text x=\"\(F.coord(xx))\" y=\"\(F.coord(Self.plotBottom + 34))\" text-anchor=\"middle\" "
                    s += "fill=\"#555\">\(day)</text>"
                }
                s += "\n"
            }
            previousDay = day
        }
        let axisTitle = oneDay ? "exit time (UTC, \(firstDay))" : "exit time (UTC)"
        s += "<text x=\"\(F.coord((Self.plotLeft + Self.plotRight) / 2))\" y=\"\(F.coord(Self.height - 10))\" "
        s += "text-anchor=\"middle\" font-size=\"13\" font-weight=\"600\">\(F.escape(axisTitle))</text>\n"
        s += "</g>\n"

        // The step line and the area between it and 0.
        var line = "M\(F.coord(px(curve.points[0].timeNanoseconds))) \(F.coord(py(0)))"
        for point in curve.points.dropFirst() {
            line += "H\(F.coord(px(point.timeNanoseconds)))V\(F.coord(py(point.cumulativePct)))"
        }
        line += "H\(F.coord(px(last)))"
        let area = line + "V\(F.coord(py(0)))Z"
        s += "<path d=\"\(area)\" fill=\"#2e9e5b\" fill-opacity=\"0.18\" clip-path=\"url(#eq-above)\"/>\n"
        s += "<path d=\"\(area)\" fill=\"#c62828\" fill-opacity=\"0.18\" clip-path=\"url(#eq-below)\"/>\n"
        s += "<path class=\"equity-line\" data-final-pnl=\"\(F.exact(curve.finalPct))\" d=\"\(line)\" fill=\"none\" "
        s += "stroke=\"#1a4f8b\" stroke-width=\"2\" stroke-linejoin=\"round\"/>\n"

        // Exit dots with hover text.
        if curve.steps.count <= Self.maxDots {
            s += "<g class=\"exits\" stroke=\"#fff\" stroke-width=\"0.8\">\n"
            for (trade, point) in zip(curve.steps, curve.points.dropFirst()) {
                let colour = trade.netPnlPct > 0 ? "#1b7f45" : "#c62828"
                s += "<circle cx=\"\(F.coord(px(point.timeNanoseconds)))\" cy=\"\(F.coord(py(point.cumulativePct)))\" "
                s += "r=\"3\" fill=\"\(colour)\"><title>"
                let text = "exit \(trade.exitTime): \(F.signedPercent(trade.netPnlPct, 4)) (\(trade.exitReason.seedName)), "
                    + "cumulative \(F.signedPercent(point.cumulativePct, 4))"
                s += F.escape(text) + "</title></circle>\n"
            }
            s += "</g>\n"
        }

        s += "<rect x=\"\(F.coord(Self.plotLeft))\" y=\"\(F.coord(Self.plotTop))\" width=\"\(F.coord(plotW))\" "
        s += "height=\"\(F.coord(plotH))\" fill=\"none\" stroke=\"#555\" stroke-width=\"1\"/>\n"
        s += "</svg>\n"
        return s
    }
}
