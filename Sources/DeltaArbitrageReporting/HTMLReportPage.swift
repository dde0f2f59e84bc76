import DeltaArbitrage
import Foundation

/// The page shared by the HTML reports (`OptimizationHTMLReport`,
/// `WalkForwardHTMLReport`): the document shell with its inline style sheet,
/// and the building blocks both use — summary cards, panels and two-column
/// tables. Every function takes HTML that is already escaped where it says
/// so and escapes plain text itself.
enum HTMLReportPage {
    /// One row of a two-column table: `label` is plain text (escaped here);
    /// `value` is HTML (already escaped). `key` becomes `data-key` so tests
    /// and scripts can find the row.
    struct Row {
        var key: String
        var label: String
        var value: String
    }

    /// The complete document: `<!DOCTYPE html>`, the head with the title
    /// (`title — kind`, escaped) and the style sheet, `body` (HTML) inside
    /// `<main>`, then `footer` (HTML).
    static func document(title: String, kind: String, body: String, footer: String) -> String {
        var h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        h += "<title>\(HTMLFormat.escape(title)) — \(HTMLFormat.escape(kind))</title>\n"
        h += "<style>\n\(css)</style>\n</head>\n<body>\n<main>\n"
        h += body
        h += "<footer>\(footer)</footer>\n"
        h += "</main>\n</body>\n</html>\n"
        return h
    }

    /// A `table.kv` of `rows`.
    static func table(_ rows: [Row]) -> String {
        var s = "<table class=\"kv\">\n"
        for row in rows {
            s += "<tr data-key=\"\(HTMLFormat.escape(row.key))\"><th scope=\"row\">\(HTMLFormat.escape(row.label))</th>"
            s += "<td class=\"num\">\(row.value)</td></tr>\n"
        }
        return s + "</table>\n"
    }

    /// A panel with a heading (plain text) and `body` (HTML); `layout` adds classes.
    static func panel(_ heading: String, _ body: String, layout: String = "") -> String {
        "<section class=\"panel\(layout.isEmpty ? "" : " " + layout)\">\n<h2>\(HTMLFormat.escape(heading))</h2>\n\(body)</section>\n"
    }

    /// One summary card: `label` is plain text, `value` HTML; `tone` is
    /// `good`, `bad`, `warn` or empty.
    static func card(_ label: String, _ value: String, _ tone: String = "") -> String {
        "<div class=\"card\(tone.isEmpty ? "" : " " + tone)\"><span>\(HTMLFormat.escape(label))</span><b>\(value)</b></div>\n"
    }

    /// The card tone of a P&L: `good` above 0, `bad` below, none at 0 or when not finite.
    static func tone(_ x: Double) -> String { x.isFinite ? (x > 0 ? "good" : x < 0 ? "bad" : "") : "" }

    /// The style sheet of every report.
    static let css = """
    :root { --ink: #1d2330; --muted: #5b6474; --line: #dde1e8; --panel: #ffffff; --bg: #f4f6f9;
            --good: #1b7f45; --bad: #c62828; --warn: #a35c00; --accent: #1a4f8b; }
    * { box-sizing: border-box; }
    body { margin: 0; background: var(--bg); color: var(--ink);
           font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
    main { max-width: 1200px; margin: 0 auto; padding: 24px 28px 40px; }
    header h1 { margin: 2px 0 4px; font-size: 26px; overflow-wrap: anywhere; }
    .kicker { margin: 0; color: var(--muted); font-size: 13px; text-transform: uppercase; letter-spacing: .06em; }
    .window { margin: 0 0 14px; color: var(--muted); }
    .window b { color: var(--ink); font-weight: 600; }
    .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 10px; margin-bottom: 18px; }
    .card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
    .card span { display: block; color: var(--muted); font-size: 13px; }
    .card b { font-size: 21px; font-variant-numeric: tabular-nums; }
    .card.good b { color: var(--good); } .card.bad b { color: var(--bad); } .card.warn b { color: var(--warn); }
    .panels { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); grid-auto-flow: row dense;
              gap: 14px; margin-bottom: 18px; }
    .panels.summary .alternatives { grid-column: span 2; grid-row: span 2; align-self: start; }
    @media (max-width: 1000px) { .panels { grid-template-columns: repeat(2, minmax(0, 1fr)); }
                                 .panels.summary .alternatives { grid-row: auto; } }
    @media (max-width: 680px) { .panels { grid-template-columns: minmax(0, 1fr); }
                                .panels.summary .alternatives { grid-column: auto; } }
    .panel, .figure-panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 14px 18px; }
    .panel.alternatives { overflow-x: auto; }
    .figure-panel { margin-bottom: 18px; }
    .scroll { overflow-x: auto; }
    h2 { margin: 0 0 10px; font-size: 17px; }
    table { border-collapse: collapse; width: 100%; font-size: 14px; }
    th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
    th { font-weight: 600; }
    table.kv th { font-weight: 500; color: var(--muted); }
    td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    table.grid th { background: #f0f2f6; }
    table.kv + table.grid { margin-top: 14px; }
    table.updates th, td.time { white-space: nowrap; } td.time { font-variant-numeric: tabular-nums; }
    table.grid tr.chosen td { font-weight: 600; background: #eef4fb; }
    td.ok, td.miss { font-weight: 600; white-space: nowrap; } td.ok { color: var(--good); } td.miss { color: var(--bad); }
    td.miss .by { font-weight: 400; font-size: 13px; }
    table.grid tr.failed td { background: #fdf3f2; }
    td.error { color: var(--muted); font-size: 13px; overflow-wrap: anywhere; min-width: 16em; }
    td.bar { width: 34%; } td.bar span { display: block; height: 10px; border-radius: 5px; background: var(--accent); }
    .score { margin: 0 0 8px; } .score b { font-size: 30px; } .score span { color: var(--muted); }
    .badge { display: inline-block; margin: 0 0 8px; padding: 3px 10px; border-radius: 12px; font-weight: 600; font-size: 14px; }
    .badge.good { background: #e3f4ea; color: var(--good); } .badge.warn { background: #fdf0dc; color: var(--warn); }
    .note { color: var(--muted); font-size: 13.5px; margin: 8px 0; } .note.warn { color: var(--warn); }
    .empty { padding: 28px; text-align: center; color: var(--muted); background: #fafbfc; border: 1px dashed var(--line); border-radius: 6px; }
    figure { margin: 0; }
    svg.figure { display: block; width: 100%; height: auto; margin: 0 auto; }
    svg.heatmap { max-width: 760px; } svg.line-chart { max-width: 1100px; }
    figure + figure { margin-top: 14px; }
    figcaption { color: var(--muted); font-size: 13.5px; margin-top: 8px; max-width: 900px; }
    footer { color: var(--muted); font-size: 13px; margin-top: 12px; }


    """
}

/// Text helpers shared by the HTML report and its SVG figures: escaping and
/// locale-independent number formatting, with every non-finite number shown
/// as `—`.
enum HTMLFormat {
    /// What a non-finite (or missing) number prints as.
    static let missing = "—"

    /// `text` with `&`, `<`, `>`, `"` and `'` replaced by entities, safe in
    /// HTML and XML (SVG) text and in double- or single-quoted attributes.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `x` with `digits` decimals (`—` when not finite; never `-0.00`).
    static func fixed(_ x: Double, _ digits: Int) -> String {
        guard x.isFinite else { return missing }
        let text = String(format: "%.\(max(0, min(digits, 12)))f", x)
        // A negative number that rounds to zero prints as "-0.00": drop the sign.
        if text.hasPrefix("-"), !text.contains(where: { $0 >= "1" && $0 <= "9" }) { return String(text.dropFirst()) }
        return text
    }

    /// A number of hours as typed: `24`, `0.5`, `1.25` (no trailing zeros).
    static func hours(_ x: Double) -> String {
        x.isFinite ? NumberText.plain(x) : missing
    }

    /// `x` with `digits` decimals and an explicit `+` on positive values.
    static func signed(_ x: Double, _ digits: Int) -> String {
        let text = fixed(x, digits)
        guard x.isFinite, text != fixed(0, digits), !text.hasPrefix("-") else { return text }
        return "+" + text
    }

    /// `x` (already in percent) as `1.23 %`.
    static func percent(_ x: Double, _ digits: Int) -> String {
        x.isFinite ? fixed(x, digits) + " %" : missing
    }

    /// `x` (already in percent) as `+1.23 %`.
    static func signedPercent(_ x: Double, _ digits: Int) -> String {
        x.isFinite ? signed(x, digits) + " %" : missing
    }

    /// A fraction (0.25) as a percentage (`25.0 %`).
    static func fractionAsPercent(_ x: Double, _ digits: Int) -> String { percent(x * 100, digits) }

    /// An optional number with `format`, `—` when nil.
    static func optional(_ x: Double?, _ format: (Double) -> String) -> String { x.map(format) ?? missing }

    /// An optional count, `—` when nil.
    static func optional(_ n: Int?) -> String { n.map(String.init) ?? missing }

    /// Full-precision text of `x` for `data-*` attributes (Swift's shortest
    /// round-tripping form, so `Double(text) == x`); `nan`/`inf` when not finite.
    static func exact(_ x: Double) -> String { "\(x)" }

    /// An SVG coordinate: at most two decimals, trailing zeros dropped
    /// (fast, and keeps big figures small).
    static func coord(_ x: Double) -> String {
        let scaled = (x * 100).rounded()
        guard scaled.isFinite, abs(scaled) < 1e15 else { return "0" }
        let n = Int(scaled)
        let sign = n < 0 ? "-" : ""
        let a = abs(n), whole = a / 100, cents = a % 100
        if cents == 0 { return sign + String(whole) }
        if cents % 10 == 0 { return "\(sign)\(whole).\(cents / 10)" }
        return "\(sign)\(whole).\(cents < 10 ? "0" : "")\(cents)"
    }

    /// The fewest decimals (between `minimum` and `maximum`) that print every
    /// value of `values` to within a tenth of the smallest gap between two of
    /// them, so threshold labels are never duplicates and never mislead
    /// (0.125 among 0.1, 0.125, 0.15 prints as 0.125, not 0.12).
    static func distinguishingDecimals(_ values: [Double], minimum: Int = 2, maximum: Int = 6) -> Int {
        let finite = Set(values.filter(\.isFinite)).sorted()
        guard finite.count > 1 else { return minimum }
        let gap = zip(finite, finite.dropFirst()).map { $1 - $0 }.min() ?? 0
        for digits in minimum...maximum {
            let error = finite.map { abs((Double(fixed($0, digits)) ?? .nan) - $0) }.max() ?? 0
            if error <= gap / 10 { return digits }
        }
        return maximum
    }
}
