import DeltaArbitrage
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

/// A step chart over time as SVG: one or more series, each a value in force
/// from one time to the next (`Step`), drawn as horizontal runs joined by
/// vertical steps, with optional dots (events with hover text), vertical
/// marks (e.g. failed updates) and a legend above the plot.
///
/// - A series draws one `M` at the start of each run of values, one `H…V…`
///   where its value changes (equal consecutive values draw no step) and runs
///   to the chart's end or to the next `nil` value, which leaves a gap.
///   Its path has class `<key>-line`.
/// - The y axis covers every finite value and `yCovers`, on "nice" ticks
///   (class `tick-value`); the time axis is UTC, calendar-aligned (class
///   `tick-time`).
/// - Marks are `<g class="<marksKey>" data-time="ISO" data-end="ISO"
///   data-count="n">` groups with a title: a dashed line and a ✕ at the
///   start, and a light red band up to the end of a span.
///
/// Every figure in a document needs its own `figure` name: it prefixes the
/// figure's ids and is the root's `data-figure`.
struct SVGLineChart {
    /// From `timeNanoseconds` on, the series is at `value` (`nil` or not
    /// finite: no value, a gap).
    struct Step: Equatable {
        var timeNanoseconds: Int64
        var value: Double?
    }

    struct Series {
        /// Its path's class is `<key>-line`.
        var key: String
        /// Legend text (plain); empty leaves the series out of the legend.
        var label: String
        var colour: String
        /// In time order.
        var steps: [Step]
        var dashed = false
        /// Shade the area between the line and 0: green above, red below.
        var fillAboutZero = false
        /// Extra attributes of the path (values are escaped).
        var attributes: [(name: String, value: String)] = []
    }

    /// A point event: a dot with hover text (plain).
    struct Dot {
        var timeNanoseconds: Int64
        var value: Double
        var colour: String
        var title: String
    }

    /// A vertical mark across the plot, or a span from `timeNanoseconds` to
    /// `endNanoseconds`, standing for `count` events, with hover text (plain).
    struct Mark {
        var timeNanoseconds: Int64
        var endNanoseconds: Int64
        var count = 1
        var title: String
    }

    var figure: String
    /// The figure's `aria-label` (plain text).
    var description: String
    /// The x axis spans `start … end`, widened to cover every step, dot and mark.
    var start: Int64
    var end: Int64
    var series: [Series]
    var dots: [Dot] = []
    /// Legend text of the dots (nil: not in the legend).
    var dotsLabel: String?
    var marks: [Mark] = []
    var marksKey = "mark"
    var marksLabel = ""
    /// The y axis title (plain).
    var yTitle: String
    /// A range the y axis covers whatever the values (0…0: always show 0).
    var yCovers: ClosedRange<Double>? = nil
    /// Tick labels with an explicit `+` on positive values.
    var signedTicks = true
    var maxYTicks = 6
    /// What the time axis measures, e.g. `exit time` (`(UTC…)` is added).
    var xTitle = "time"
    var height = 340.0

    static let width = 900.0
    static let plotLeft = 74.0, plotRight = 880.0
    /// Above this many dots none is drawn (they would merge into a band).
    static let maxDots = 400

    /// Whether the dots are drawn: some, and at most `maxDots`.
    var drawsDots: Bool { !dots.isEmpty && dots.count <= Self.maxDots }
    var hasLegend: Bool { series.contains { !$0.label.isEmpty } || (dotsLabel != nil && drawsDots) || !marks.isEmpty }
    var plotTop: Double { hasLegend ? 40 : 18 }
    var plotBottom: Double { height - 64 }

    /// The x axis span: `start … end` widened to cover every step, dot and mark (at least a minute).
    var timeSpan: (first: Int64, last: Int64) {
        let times = series.flatMap { $0.steps.map(\.timeNanoseconds) } + dots.map(\.timeNanoseconds) + marks.flatMap { [$0.timeNanoseconds, $0.endNanoseconds] }
        let first = min(start, times.min() ?? start)
        var last = max(end, times.max() ?? end)
        if last <= first { last = first + 60_000_000_000 }
        return (first, last)
    }

    /// The x coordinate of `t`.
    func x(_ t: Int64) -> Double { Self.x(t, span: timeSpan) }

    /// The x coordinate of `t` on an axis spanning `span` (`render` computes
    /// the span once: it reads every point, and a chart has tens of thousands).
    static func x(_ t: Int64, span: (first: Int64, last: Int64)) -> Double {
        plotLeft + Double(t - span.first) / Double(span.last - span.first) * (plotRight - plotLeft)
    }

    func render() -> String {
        typealias F = HTMLFormat
        let span = timeSpan
        let (first, last) = span
        let plotTop = plotTop, plotBottom = plotBottom
        let values = series.flatMap { $0.steps.compactMap(\.value) } + dots.map(\.value)
        let finite = values.filter(\.isFinite) + (yCovers.map { [$0.lowerBound, $0.upperBound] } ?? [])
        let y = ChartAxis.niceTicks(lo: finite.min() ?? 0, hi: finite.max() ?? 0, maxCount: maxYTicks)
        let plotW = Self.plotRight - Self.plotLeft, plotH = plotBottom - plotTop
        func px(_ t: Int64) -> Double { Self.x(t, span: span) }
        func py(_ v: Double) -> Double { plotBottom - (v - y.lo) / (y.hi - y.lo) * plotH }
        let zeroY = min(max(py(0), plotTop), plotBottom)

        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" class="figure line-chart \(F.escape(figure))" \
        data-figure="\(F.escape(figure))" viewBox="0 0 \(F.coord(Self.width)) \(F.coord(height))" \
        width="\(F.coord(Self.width))" height="\(F.coord(height))" role="img" aria-label="\(F.escape(description))" \
        font-family="system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif" font-size="12">

        """
        if series.contains(where: \.fillAboutZero) {
            s += "<defs>\n<clipPath id=\"\(F.escape(figure))-above\"><rect x=\"\(F.coord(Self.plotLeft))\" "
            s += "y=\"\(F.coord(plotTop))\" width=\"\(F.coord(plotW))\" height=\"\(F.coord(zeroY - plotTop))\"/></clipPath>\n"
            s += "<clipPath id=\"\(F.escape(figure))-below\"><rect x=\"\(F.coord(Self.plotLeft))\" "
            s += "y=\"\(F.coord(zeroY))\" width=\"\(F.coord(plotW))\" height=\"\(F.coord(plotBottom - zeroY))\"/></clipPath>\n"
            s += "</defs>\n"
        }
        if hasLegend { s += legend() }

        // Horizontal gridlines and y labels.
        s += "<g class=\"y-axis\" fill=\"#222\">\n"
        var v = y.lo
        while v <= y.hi + y.step * 1e-6 {
            let yy = py(v)
            let zero = abs(v) < y.step * 1e-6
            s += "<line x1=\"\(F.coord(Self.plotLeft))\" y1=\"\(F.coord(yy))\" x2=\"\(F.coord(Self.plotRight))\" "
            s += "y2=\"\(F.coord(yy))\" stroke=\"\(zero ? "#555" : "#e2e2e2")\" stroke-width=\"1\"/>"
            s += "<text class=\"tick-value\" x=\"\(F.coord(Self.plotLeft - 8))\" y=\"\(F.coord(yy + 4))\" text-anchor=\"end\">"
            s += "\(zero ? "0" : signedTicks ? F.signed(v, y.digits) : F.fixed(v, y.digits))</text>\n"
            v += y.step
        }
        s += "<text transform=\"translate(18 \(F.coord((plotTop + plotBottom) / 2))) rotate(-90)\" "
        s += "text-anchor=\"middle\" font-size=\"13\" font-weight=\"600\">\(F.escape(yTitle))</text>\n"
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
            s += "<line x1=\"\(F.coord(xx))\" y1=\"\(F.coord(plotBottom))\" x2=\"\(F.coord(xx))\" "
            s += "y2=\"\(F.coord(plotBottom + 5))\" stroke=\"#555\"/>"
            if step >= 86_400 {
                let anchor = xx + 36 > Self.width ? "end" : "middle"
                s += "<text class=\"tick-time\" x=\"\(F.coord(xx))\" y=\"\(F.coord(plotBottom + 19))\" text-anchor=\"\(anchor)\">\(day)</text>\n"
            } else {
                s += "<text class=\"tick-time\" x=\"\(F.coord(xx))\" y=\"\(F.coord(plotBottom + 19))\" text-anchor=\"middle\">\(clock)</text>"
                if !oneDay, day != previousDay {
                    // A date near the right edge ends at its tick rather than running off the figure.
                    let anchor = xx + 36 > Self.width ? "end" : "middle"
                    s += "<text x=\"\(F.coord(xx))\" y=\"\(F.coord(plotBottom + 34))\" text-anchor=\"\(anchor)\" "
                    s += "fill=\"#555\">\(day)</text>"
                }
                s += "\n"
            }
            previousDay = day
        }
        let axisTitle = oneDay ? "\(xTitle) (UTC, \(firstDay))" : "\(xTitle) (UTC)"
        s += "<text x=\"\(F.coord((Self.plotLeft + Self.plotRight) / 2))\" y=\"\(F.coord(height - 10))\" "
        s += "text-anchor=\"middle\" font-size=\"13\" font-weight=\"600\">\(F.escape(axisTitle))</text>\n"
        s += "</g>\n"

        // Marks behind the lines.
        if !marks.isEmpty {
            s += "<g class=\"marks\" stroke=\"#c62828\" fill=\"none\">\n"
            for mark in marks {
                let x0 = px(mark.timeNanoseconds), xx = F.coord(x0)
                s += "<g class=\"\(F.escape(marksKey))\" data-time=\"\(UTCTime.iso8601(nanoseconds: mark.timeNanoseconds))\" "
                s += "data-end=\"\(UTCTime.iso8601(nanoseconds: mark.endNanoseconds))\" data-count=\"\(mark.count)\">"
                s += "<title>\(F.escape(mark.title))</title>"
                let x1 = px(mark.endNanoseconds)
                if x1 > x0 {
                    s += "<rect x=\"\(xx)\" y=\"\(F.coord(plotTop))\" width=\"\(F.coord(x1 - x0))\" height=\"\(F.coord(plotH))\" "
                    s += "fill=\"#c62828\" fill-opacity=\"0.08\" stroke=\"none\"/>"
                }
                s += "<line x1=\"\(xx)\" y1=\"\(F.coord(plotTop))\" x2=\"\(xx)\" y2=\"\(F.coord(plotBottom))\" "
                s += "stroke-opacity=\"0.5\" stroke-dasharray=\"3 3\"/>"
                s += Self.cross(px(mark.timeNanoseconds), plotTop + 7) + "</g>\n"
            }
            s += "</g>\n"
        }

        // The series.
        for line in series {
            let (d, area) = paths(line, px: px, py: py, zeroY: zeroY, end: px(last))
            if d.isEmpty { continue }
            if line.fillAboutZero {
                s += "<path d=\"\(area)\" fill=\"#2e9e5b\" fill-opacity=\"0.18\" clip-path=\"url(#\(F.escape(figure))-above)\"/>\n"
                s += "<path d=\"\(area)\" fill=\"#c62828\" fill-opacity=\"0.18\" clip-path=\"url(#\(F.escape(figure))-below)\"/>\n"
            }
            s += "<path class=\"\(F.escape(line.key))-line\""
            for (name, value) in line.attributes { s += " \(name)=\"\(F.escape(value))\"" }
            s += " d=\"\(d)\" fill=\"none\" stroke=\"\(line.colour)\" stroke-width=\"2\" stroke-linejoin=\"round\""
            s += line.dashed ? " stroke-dasharray=\"7 4\"/>\n" : "/>\n"
        }

        // Dots with hover text.
        if drawsDots {
            s += "<g class=\"dots\" stroke=\"#fff\" stroke-width=\"0.8\">\n"
            for dot in dots where dot.value.isFinite {
                s += "<circle cx=\"\(F.coord(px(dot.timeNanoseconds)))\" cy=\"\(F.coord(py(dot.value)))\" "
                s += "r=\"3\" fill=\"\(dot.colour)\"><title>\(F.escape(dot.title))</title></circle>\n"
            }
            s += "</g>\n"
        }

        s += "<rect x=\"\(F.coord(Self.plotLeft))\" y=\"\(F.coord(plotTop))\" width=\"\(F.coord(plotW))\" "
        s += "height=\"\(F.coord(plotH))\" fill=\"none\" stroke=\"#555\" stroke-width=\"1\"/>\n"
        s += "</svg>\n"
        return s
    }

    /// The step line of `series` and the outline of the area between it and
    /// 0 (`zeroY`), in SVG path syntax; both empty when it has no value.
    func paths(_ series: Series, px: (Int64) -> Double, py: (Double) -> Double, zeroY: Double,
               end: Double) -> (line: String, area: String) {
        typealias F = HTMLFormat
        var line = "", area = ""
        var current: Double?
        for step in series.steps {
            let value = step.value.flatMap { $0.isFinite ? $0 : nil }
            let x = F.coord(px(step.timeNanoseconds))
            switch (current, value) {
            case (nil, nil):
                continue
            case let (nil, v?):
                line += "M\(x) \(F.coord(py(v)))"
                area += "M\(x) \(F.coord(zeroY))V\(F.coord(py(v)))"
            case (_?, nil):
                line += "H\(x)"
                area += "H\(x)V\(F.coord(zeroY))Z"
            case let (c?, v?):
                if v == c { continue }
                line += "H\(x)V\(F.coord(py(v)))"
                area += "H\(x)V\(F.coord(py(v)))"
            }
            current = value
        }
        if current != nil {
            line += "H\(F.coord(end))"
            area += "H\(F.coord(end))V\(F.coord(zeroY))Z"
        }
        return (line, area)
    }

    /// A small ✕ centred on (x, y), drawn with the current stroke.
    static func cross(_ x: Double, _ y: Double) -> String {
        typealias F = HTMLFormat
        let r = 4.0
        return "<path d=\"M\(F.coord(x - r)) \(F.coord(y - r))L\(F.coord(x + r)) \(F.coord(y + r))"
            + "M\(F.coord(x - r)) \(F.coord(y + r))L\(F.coord(x + r)) \(F.coord(y - r))\" stroke-width=\"2\"/>"
    }

    /// The key above the plot: a swatch and the label of each series, the dots and the marks.
    func legend() -> String {
        typealias F = HTMLFormat
        let y = 20.0
        var x = Self.plotLeft
        var s = "<g class=\"legend\" fill=\"#222\">\n"
        func label(_ text: String) {
            s += "<text x=\"\(F.coord(x + 30))\" y=\"\(F.coord(y + 4))\">\(F.escape(text))</text>\n"
            // About 6.6 px per character at 12 px.
            x += 30 + Double(text.count) * 6.6 + 22
        }
        for line in series where !line.label.isEmpty {
            s += "<line x1=\"\(F.coord(x))\" y1=\"\(F.coord(y))\" x2=\"\(F.coord(x + 24))\" y2=\"\(F.coord(y))\" "
            s += "stroke=\"\(line.colour)\" stroke-width=\"2.5\"\(line.dashed ? " stroke-dasharray=\"7 4\"" : "")/>\n"
            label(line.label)
        }
        if let dotsLabel, drawsDots, let colour = dots.first?.colour {
            s += "<circle cx=\"\(F.coord(x + 12))\" cy=\"\(F.coord(y))\" r=\"3.5\" fill=\"\(colour)\"/>\n"
            label(dotsLabel)
        }
        if !marks.isEmpty {
            s += "<rect x=\"\(F.coord(x + 2))\" y=\"\(F.coord(y - 9))\" width=\"20\" height=\"18\" fill=\"#c62828\" "
            s += "fill-opacity=\"0.1\"/><g stroke=\"#c62828\" fill=\"none\">" + Self.cross(x + 12, y) + "</g>\n"
            label(marksLabel)
        }
        s += "</g>\n"
        return s
    }
}

extension SVGLineChart {
    /// The equity curve: cumulative net P&L (%) against exit time, filled
    /// green above 0 and red below, each exit a dot (green a gain, red a
    /// loss). The curve's path has class `equity-line` and carries
    /// `data-final-pnl` (the last level, full precision).
    ///
    /// - Parameters:
    ///   - start, end: the data's first and last time.
    ///   - description: the figure's `aria-label`.
    init(curve: EquityCurve, start: Int64, end: Int64, description: String) {
        typealias F = HTMLFormat
        let steps = curve.points.map { Step(timeNanoseconds: $0.timeNanoseconds, value: $0.cumulativePct) }
        let dots = zip(curve.steps, curve.points.dropFirst()).map { trade, point in
            Dot(timeNanoseconds: point.timeNanoseconds, value: point.cumulativePct,
                colour: trade.netPnlPct > 0 ? "#1b7f45" : "#c62828",
                title: "exit \(trade.exitTime): \(F.signedPercent(trade.netPnlPct, 4)) (\(trade.exitReason.rawValue)), "
                    + "cumulative \(F.signedPercent(point.cumulativePct, 4))")
        }
        self.init(figure: "equity", description: description, start: start, end: end,
                  series: [Series(key: "equity", label: "", colour: "#1a4f8b", steps: steps, fillAboutZero: true,
                                  attributes: [("data-final-pnl", F.exact(curve.finalPct))])],
                  dots: dots, yTitle: "cumulative net P&L (%)", yCovers: 0...0, xTitle: "exit time")
    }
}
