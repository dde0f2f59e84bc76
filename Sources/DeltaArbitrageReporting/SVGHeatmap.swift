import DeltaArbitrage

/// The total net P&L of every grid point as an SVG heatmap: exit threshold
/// across, entry threshold up, one cell per point.
///
/// - Colours: a diverging scale symmetric about 0 (red losses, near-white 0,
///   blue gains), saturated at the largest |P&L| of the grid.
/// - Unsafe points (rejected by the safety rules, never backtested) are grey
///   and hatched.
/// - The feasible region (points meeting every target) is outlined in black.
/// - The chosen point gets a thick black-and-white frame and a label.
///
/// Every cell carries `data-cell="e,x"` (indices into `surface.entries` and
/// `surface.exits`) and `data-state` (`unsafe`, `safe` or `feasible`); the
/// optimum's frame carries `data-optimum-cell`, `data-entry` and `data-exit`,
/// so tests and scripts can read the figure back.
struct SVGHeatmap {
    var surface: GridSurface
    var chosenEntry: Double
    var chosenExit: Double

    // Layout of the 640 × 560 viewBox.
    static let width = 640.0, height = 560.0
    static let plotLeft = 84.0, plotTop = 40.0, plotRight = 530.0, plotBottom = 452.0
    static let maxTickLabels = 9

    /// The diverging scale's anchor colours at −1, −½, 0, ½, 1 (ColorBrewer RdBu).
    static let stops: [(r: Double, g: Double, b: Double)] = [
        (178, 24, 43), (239, 138, 98), (247, 247, 247), (103, 169, 207), (33, 102, 172),
    ]

    /// `#rrggbb` of `t` ∈ [−1, 1] on the diverging scale (clamped; mid grey when not finite).
    static func colour(_ t: Double) -> String {
        guard t.isFinite else { return "#9e9e9e" }
        let u = (min(max(t, -1), 1) + 1) * 2  // 0 … 4 over the four segments
        let k = min(Int(u), 3)
        let f = u - Double(k)
        let a = stops[k], b = stops[k + 1]
        func hex(_ x: Double, _ y: Double) -> String {
            let v = Int((x + (y - x) * f).rounded())
            let digits = String(min(max(v, 0), 255), radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }
        return "#" + hex(a.r, b.r) + hex(a.g, b.g) + hex(a.b, b.b)
    }

    /// Whether the surface is complete enough to draw.
    var isDrawable: Bool {
        !surface.entries.isEmpty && !surface.exits.isEmpty
            && surface.points.count == surface.entries.count * surface.exits.count
    }

    /// Grid indices of the chosen point: the point whose thresholds equal the
    /// chosen ones, or (after rounding in a round trip) the one within 1e-9
    /// relative distance; nil when none is.
    var optimumCell: (entry: Int, exit: Int)? {
        guard isDrawable else { return nil }
        let m = surface.exits.count
        if let i = surface.points.firstIndex(where: {
            $0.entryThresholdPct == chosenEntry && $0.exitThresholdPct == chosenExit
        }) { return (i / m, i % m) }
        func near(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-9 * max(1, abs(a), abs(b)) }
        guard let e = surface.entries.firstIndex(where: { near($0, chosenEntry) }),
              let x = surface.exits.firstIndex(where: { near($0, chosenExit) }) else { return nil }
        return (e, x)
    }

    /// Largest |total P&L| over the evaluated points (0 when there is none).
    var maxAbsPnl: Double {
        surface.points.reduce(0) { m, p in
            guard let v = p.totalPnlPct, v.isFinite else { return m }
            return max(m, abs(v))
        }
    }

    /// The SVG element.
    func render() -> String {
        guard isDrawable else {
            return "<p class=\"empty\">The grid surface is empty or incomplete; no heatmap to draw.</p>"
        }
        typealias F = HTMLFormat
        let n = surface.entries.count, m = surface.exits.count
        let plotW = Self.plotRight - Self.plotLeft, plotH = Self.plotBottom - Self.plotTop
        let cellW = plotW / Double(m), cellH = plotH / Double(n)
        let entriesUp = n < 2 || surface.entries[0] <= surface.entries[n - 1]
        let exitsRight = m < 2 || surface.exits[0] <= surface.exits[m - 1]
        func left(_ x: Int) -> Double { Self.plotLeft + Double(exitsRight ? x : m - 1 - x) * cellW }
        func top(_ e: Int) -> Double { Self.plotTop + Double(entriesUp ? n - 1 - e : e) * cellH }
        let entryDigits = F.distinguishingDecimals(surface.entries)
        let exitDigits = F.distinguishingDecimals(surface.exits)
        let scale = maxAbsPnl > 0 ? maxAbsPnl : 1

        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" class="figure heatmap" data-figure="heatmap" \
        viewBox="0 0 \(F.coord(Self.width)) \(F.coord(Self.height))" width="\(F.coord(Self.width))" \
        height="\(F.coord(Self.height))" role="img" \
        aria-label="Total net P&amp;L over the entry/exit threshold grid" \
        font-family="system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif" font-size="12">
        <defs>
        <pattern id="hm-hatch" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">\
        <rect width="6" height="6" fill="#e3e3e3"/><line x1="0" y1="0" x2="0" y2="6" stroke="#b3b3b3" stroke-width="2.2"/></pattern>
        <linearGradient id="hm-scale" x1="0" y1="1" x2="0" y2="0">
        """
        for (k, _) in Self.stops.enumerated() {
            let t = -1 + 0.5 * Double(k)
            s += "<stop offset=\"\(F.coord(Double(k) * 25))%\" stop-color=\"\(Self.colour(t))\"/>"
        }
        s += "</linearGradient>\n</defs>\n"

        // Cells.
        s += "<g class=\"cells\" shape-rendering=\"crispEdges\">\n"
        for e in 0..<n {
            for x in 0..<m {
                let p = surface[entry: e, exit: x]
                let state = !p.safe ? "unsafe" : p.feasible ? "feasible" : "safe"
                let fill = p.safe ? Self.colour((p.totalPnlPct ?? .nan) / scale) : "url(#hm-hatch)"
                s += "<rect data-cell=\"\(e),\(x)\" data-state=\"\(state)\" x=\"\(F.coord(left(x)))\" "
                s += "y=\"\(F.coord(top(e)))\" width=\"\(F.coord(cellW))\" height=\"\(F.coord(cellH))\" fill=\"\(fill)\">"
                s += "<title>\(F.escape(cellTitle(p, entryDigits: entryDigits, exitDigits: exitDigits)))</title></rect>\n"
            }
        }
        s += "</g>\n"

        // Outline of the feasible region: every cell edge between a feasible
        // cell and a non-feasible one (or the plot border).
        var outline = ""
        func feasible(_ e: Int, _ x: Int) -> Bool {
            e >= 0 && e < n && x >= 0 && x < m && surface[entry: e, exit: x].feasible
        }
        for e in 0..<n {
            for x in 0..<m where feasible(e, x) {
                let x0 = left(x), y0 = top(e), x1 = x0 + cellW, y1 = y0 + cellH
                let up = entriesUp ? e + 1 : e - 1, down = entriesUp ? e - 1 : e + 1
                let rightNeighbour = exitsRight ? x + 1 : x - 1, leftNeighbour = exitsRight ? x - 1 : x + 1
                if !feasible(up, x) { outline += "M\(F.coord(x0)) \(F.coord(y0))H\(F.coord(x1))" }
                if !feasible(down, x) { outline += "M\(F.coord(x0)) \(F.coord(y1))H\(F.coord(x1))" }
                if !feasible(e, leftNeighbour) { outline += "M\(F.coord(x0)) \(F.coord(y0))V\(F.coord(y1))" }
                if !feasible(e, rightNeighbour) { outline += "M\(F.coord(x1)) \(F.coord(y0))V\(F.coord(y1))" }
            }
        }
        if !outline.isEmpty {
            s += "<path class=\"feasible-outline\" d=\"\(outline)\" fill=\"none\" stroke=\"#111\" stroke-width=\"1.6\" "
            s += "stroke-linecap=\"square\"/>\n"
        }

        // Plot frame.
        s += "<rect x=\"\(F.coord(Self.plotLeft))\" y=\"\(F.coord(Self.plotTop))\" width=\"\(F.coord(plotW))\" "
        s += "height=\"\(F.coord(plotH))\" fill=\"none\" stroke=\"#555\" stroke-width=\"1\"/>\n"

        // Axes: ticks at cell centres, at most `maxTickLabels` labelled per axis.
        s += "<g class=\"axes\" fill=\"#222\">\n"
        let xStride = max(1, (m + Self.maxTickLabels - 1) / Self.maxTickLabels)
        for x in stride(from: 0, to: m, by: xStride) {
            let cx = left(x) + cellW / 2
            s += "<line x1=\"\(F.coord(cx))\" y1=\"\(F.coord(Self.plotBottom))\" x2=\"\(F.coord(cx))\" "
            s += "y2=\"\(F.coord(Self.plotBottom + 5))\" stroke=\"#555\"/>"
            s += "<text class=\"tick-x\" x=\"\(F.coord(cx))\" y=\"\(F.coord(Self.plotBottom + 19))\" text-anchor=\"middle\">"
            s += "\(F.fixed(surface.exits[x], exitDigits))</text>\n"
        }
        let yStride = max(1, (n + Self.maxTickLabels - 1) / Self.maxTickLabels)
        for e in stride(from: 0, to: n, by: yStride) {
            let cy = top(e) + cellH / 2
            s += "<line x1=\"\(F.coord(Self.plotLeft - 5))\" y1=\"\(F.coord(cy))\" x2=\"\(F.coord(Self.plotLeft))\" "
            s += "y2=\"\(F.coord(cy))\" stroke=\"#555\"/>"
            s += "<text class=\"tick-y\" x=\"\(F.coord(Self.plotLeft - 8))\" y=\"\(F.coord(cy + 4))\" text-anchor=\"end\">"
            s += "\(F.fixed(surface.entries[e], entryDigits))</text>\n"
        }
        let midX = (Self.plotLeft + Self.plotRight) / 2, midY = (Self.plotTop + Self.plotBottom) / 2
        s += "<text x=\"\(F.coord(midX))\" y=\"\(F.coord(Self.plotBottom + 40))\" text-anchor=\"middle\" "
        s += "font-size=\"13\" font-weight=\"600\">exit threshold (%)</text>\n"
        s += "<text transform=\"translate(20 \(F.coord(midY))) rotate(-90)\" text-anchor=\"middle\" "
        s += "font-size=\"13\" font-weight=\"600\">entry threshold (%)</text>\n"
        s += "</g>\n"

        s += colourBar(scale: scale)
        if let (e, x) = optimumCell {
            s += optimumMarker(e: e, x: x, left: left(x), top: top(e), cellW: cellW, cellH: cellH,
                               entryDigits: entryDigits, exitDigits: exitDigits)
        }
        s += legend()
        s += "</svg>\n"
        return s
    }

    /// Hover text of one cell.
    func cellTitle(_ p: GridSurfacePoint, entryDigits: Int, exitDigits: Int) -> String {
        typealias F = HTMLFormat
        let at = "entry \(F.percent(p.entryThresholdPct, entryDigits)), exit \(F.percent(p.exitThresholdPct, exitDigits))"
        guard p.safe else { return at + " — unsafe: rejected by the safety rules, not evaluated" }
        let trades = F.optional(p.trades)
        var text = at + " — net P&L \(F.optional(p.totalPnlPct) { F.signedPercent($0, 3) }), \(trades) trades"
        text += ", hit rate \(F.optional(p.hitRate) { F.fractionAsPercent($0, 1) })"
        text += ", max drawdown \(F.optional(p.maxDrawdown) { F.fractionAsPercent($0, 2) })"
        text += ", \(F.optional(p.tradesPerDay) { F.fixed($0, 1) }) trades/day"
        text += p.feasible ? " — feasible (meets every target)" : " — misses a target"
        return text
    }

    /// The vertical colour bar right of the plot, labelled −max, 0, +max.
    func colourBar(scale: Double) -> String {
        typealias F = HTMLFormat
        let x = Self.plotRight + 22, w = 16.0
        let y0 = Self.plotTop, y1 = Self.plotBottom, mid = (y0 + y1) / 2
        let digits = scale >= 10 ? 1 : scale >= 1 ? 2 : 3
        var s = "<g class=\"colour-bar\" fill=\"#222\">\n"
        s += "<text x=\"\(F.coord(x + w / 2))\" y=\"\(F.coord(y0 - 14))\" text-anchor=\"middle\" font-weight=\"600\">"
        s += "net P&amp;L (%)</text>\n"
        s += "<rect x=\"\(F.coord(x))\" y=\"\(F.coord(y0))\" width=\"\(F.coord(w))\" height=\"\(F.coord(y1 - y0))\" "
        s += "fill=\"url(#hm-scale)\" stroke=\"#555\" stroke-width=\"1\"/>\n"
        for (y, label) in [(y0, F.signed(scale, digits)), (mid, "0"), (y1, F.signed(-scale, digits))] {
            s += "<line x1=\"\(F.coord(x + w))\" y1=\"\(F.coord(y))\" x2=\"\(F.coord(x + w + 4))\" y2=\"\(F.coord(y))\" stroke=\"#555\"/>"
            s += "<text x=\"\(F.coord(x + w + 7))\" y=\"\(F.coord(y + 4))\">\(label)</text>\n"
        }
        s += "</g>\n"
        return s
    }

    /// The chosen cell's frame, guide lines to both axes and label.
    func optimumMarker(e: Int, x: Int, left: Double, top: Double, cellW: Double, cellH: Double,
                       entryDigits: Int, exitDigits: Int) -> String {
        typealias F = HTMLFormat
        let p = surface[entry: e, exit: x]
        let cx = left + cellW / 2, cy = top + cellH / 2
        // Tiny cells get a frame larger than the cell so it stays visible.
        let w = max(cellW, 14), h = max(cellH, 14)
        var s = "<g class=\"optimum\" data-optimum-cell=\"\(e),\(x)\" data-entry=\"\(F.exact(p.entryThresholdPct))\" "
        s += "data-exit=\"\(F.exact(p.exitThresholdPct))\">\n"
        s += "<title>\(F.escape("chosen optimum: " + cellTitle(p, entryDigits: entryDigits, exitDigits: exitDigits)))</title>\n"
        // Dashed guides from the axes to the frame.
        s += "<path d=\"M\(F.coord(Self.plotLeft)) \(F.coord(cy))H\(F.coord(cx - w / 2))"
        s += "M\(F.coord(cx)) \(F.coord(Self.plotBottom))V\(F.coord(cy + h / 2))\" "
        s += "stroke=\"#000\" stroke-opacity=\"0.55\" stroke-width=\"1\" stroke-dasharray=\"4 3\" fill=\"none\"/>\n"
        let frame = "x=\"\(F.coord(cx - w / 2))\" y=\"\(F.coord(cy - h / 2))\" width=\"\(F.coord(w))\" height=\"\(F.coord(h))\""
        // Filled with the optimum's own colour, so a frame larger than a tiny
        // cell shows that colour rather than the neighbours and outline below.
        let fill = Self.colour((p.totalPnlPct ?? .nan) / (maxAbsPnl > 0 ? maxAbsPnl : 1))
        s += "<rect class=\"optimum-frame\" \(frame) fill=\"\(fill)\" stroke=\"#000\" stroke-width=\"4\"/>\n"
        s += "<rect \(frame) fill=\"none\" stroke=\"#fff\" stroke-width=\"1.2\"/>\n"
        // The label: beside the frame, towards the plot's middle, kept inside the plot.
        let toRight = cx < (Self.plotLeft + Self.plotRight) / 2
        let tx = toRight ? cx + w / 2 + 8 : cx - w / 2 - 8
        let ty = min(max(cy - 3, Self.plotTop + 16), Self.plotBottom - 22)
        let anchor = toRight ? "start" : "end"
        let pnl = F.optional(p.totalPnlPct) { F.signedPercent($0, 3) }
        s += "<text x=\"\(F.coord(tx))\" y=\"\(F.coord(ty))\" text-anchor=\"\(anchor)\" font-size=\"12.5\" "
        s += "font-weight=\"700\" fill=\"#000\" stroke=\"#fff\" stroke-width=\"3.5\" stroke-linejoin=\"round\" "
        s += "paint-order=\"stroke\">"
        s += "<tspan x=\"\(F.coord(tx))\">optimum: P&amp;L \(pnl)</tspan>"
        s += "<tspan x=\"\(F.coord(tx))\" dy=\"15\" font-weight=\"500\">entry \(F.fixed(p.entryThresholdPct, entryDigits)) %"
        s += " · exit \(F.fixed(p.exitThresholdPct, exitDigits)) %</tspan></text>\n"
        s += "</g>\n"
        return s
    }

    /// The key below the axis title: unsafe, feasible, optimum.
    func legend() -> String {
        typealias F = HTMLFormat
        let y = Self.height - 30, size = 14.0
        var s = "<g class=\"legend\" fill=\"#222\">\n"
        var x = 24.0
        func label(_ text: String, width: Double) {
            s += "<text x=\"\(F.coord(x + size + 6))\" y=\"\(F.coord(y + 11))\">\(F.escape(text))</text>\n"
            x += size + 6 + width + 22
        }
        s += "<rect x=\"\(F.coord(x))\" y=\"\(F.coord(y))\" width=\"\(F.coord(size))\" height=\"\(F.coord(size))\" "
        s += "fill=\"url(#hm-hatch)\" stroke=\"#888\"/>\n"
        label("unsafe (not evaluated)", width: 136)
        s += "<rect x=\"\(F.coord(x))\" y=\"\(F.coord(y))\" width=\"\(F.coord(size))\" height=\"\(F.coord(size))\" "
        s += "fill=\"\(Self.colour(0.4))\" stroke=\"#111\" stroke-width=\"1.6\"/>\n"
        label("feasible region (meets all targets)", width: 206)
        s += "<rect x=\"\(F.coord(x + 1))\" y=\"\(F.coord(y + 1))\" width=\"\(F.coord(size - 2))\" "
        s += "height=\"\(F.coord(size - 2))\" fill=\"none\" stroke=\"#000\" stroke-width=\"3\"/>\n"
        label("chosen optimum", width: 92)
        s += "</g>\n"
        return s
    }
}
