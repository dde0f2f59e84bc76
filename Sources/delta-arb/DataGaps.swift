import ArgumentParser
import DeltaArbitrage

/// `--max-gap`: the longest interval between rows that is not a gap.
enum MaxGap: Equatable, CustomStringConvertible {
    /// `DataGapReport.defaultThresholdNanoseconds`: max(60 s, 50 × the median interval).
    case auto
    /// No gap detection.
    case off
    /// A fixed threshold, nanoseconds (> 0).
    case nanoseconds(Int64)

    /// Longest threshold accepted: a year (beyond that nothing is a gap; use `off`).
    static let maxSeconds = 366.0 * 86_400

    var description: String {
        switch self {
        case .auto: "auto"
        case .off: "off"
        case .nanoseconds(let ns): Format.duration(nanoseconds: ns)
        }
    }

    /// `90` or `90s` (seconds), `15m`/`15min`, `2h`, `1d`, decimals allowed; `auto`; `off`.
    static func parse(_ text: String) throws -> MaxGap {
        let lowered = text.lowercased()
        if lowered == "auto" { return .auto }
        if lowered == "off" { return .off }
        let units: [(String, Double)] = [("min", 60), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        var number = Substring(lowered), scale = 1.0
        if let (suffix, factor) = units.first(where: { lowered.hasSuffix($0.0) }) {
            number = number.dropLast(suffix.count)
            scale = factor
        }
        guard let value = Double(number), value.isFinite else {
            throw ValidationError("'\(text)' is not a duration: give seconds (90) or a number with a unit (90s, 15m, 2h, 1d), 'auto' or 'off'")
        }
        let seconds = value * scale
        guard seconds > 0, seconds <= maxSeconds else {
            throw ValidationError("'\(text)' must be more than 0 and at most 366 days (or 'off')")
        }
        return .nanoseconds(max(1, Int64((seconds * 1e9).rounded())))
    }
}

/// `--on-gap`: what a command does about gaps longer than `--max-gap`.
enum GapPolicy: String, CaseIterable, ExpressibleByArgument {
    /// Exit 1 naming the gaps.
    case error
    /// One warning on stderr; gaps in the output; the data used as is.
    case warn
    /// Statistics or trading per continuous segment.
    case split
}

/// The gaps of the input and the policy that applies to them.
struct GapCheck {
    /// Gaps found; nil with `--max-gap off`.
    let report: DataGapReport?
    let policy: GapPolicy
    /// The threshold was derived from the data (`--max-gap auto`).
    let derived: Bool

    /// Gaps listed in the JSON (`count` stays the full count).
    static let jsonGapLimit = 100
    /// Gaps listed in the human output and in an `--on-gap error` message.
    static let textGapLimit = 10

    var hasGaps: Bool { (report?.count ?? 0) > 0 }

    /// Split applies only when there is something to split at.
    var splits: Bool { policy == .split && hasGaps }

    /// `trades` with `spans_gap` set (left as they are with `--max-gap off`).
    func marking(_ trades: [Trade]) -> [Trade] {
        report?.marking(trades) ?? trades
    }

    /// The `data_gaps` JSON object.
    var json: DataGapsJSON { DataGapsJSON(check: self) }

    /// "1 gap longer than 60 s (longest 24.00 h at row 21,600, total 24.00 h)".
    func headline(_ report: DataGapReport) -> String {
        var text = "\(Format.count(report.count)) gap\(report.count == 1 ? "" : "s") longer than "
            + Format.duration(nanoseconds: report.thresholdNanoseconds)
        if let longest = report.longest {
            text += " (longest \(Format.duration(nanoseconds: longest.durationNanoseconds)) at row \(longest.row), "
                + "total \(Format.duration(nanoseconds: report.totalNanoseconds)))"
        }
        return text
    }

    /// "row 21,600: 2025-… → 2025-… (24.00 h)".
    static func describe(_ gap: DataGap) -> String {
        "row \(gap.row): \(UTCTime.iso8601(nanoseconds: gap.startNanoseconds)) → "
            + "\(UTCTime.iso8601(nanoseconds: gap.endNanoseconds)) (\(Format.duration(nanoseconds: gap.durationNanoseconds)))"
    }

    /// The human section appended to every command's text output.
    var text: String {
        guard let report else { return "Data gaps: not checked (--max-gap off)" }
        let threshold = Format.duration(nanoseconds: report.thresholdNanoseconds)
        let how = derived ? " (default: max(60 s, 50 × median interval))" : ""
        guard report.count > 0 else { return "Data gaps: none longer than \(threshold)\(how)" }
        var lines = ["Data gaps: " + headline(report) + how + "; --on-gap \(policy.rawValue)"
                        + (policy == .split ? ": each continuous segment on its own" : ": quotes carried across them")]
        var table = TextTable(headers: ["after row", "last row before (UTC)", "first row after (UTC)", "duration"], leftAligned: [1, 2])
        for gap in report.gaps.prefix(Self.textGapLimit) {
            table.add([String(gap.row), UTCTime.iso8601(nanoseconds: gap.startNanoseconds),
                       UTCTime.iso8601(nanoseconds: gap.endNanoseconds), Format.duration(nanoseconds: gap.durationNanoseconds)])
        }
        lines.append(table.render())
        if report.count > Self.textGapLimit {
            lines.append("  … and \(Format.count(report.count - Self.textGapLimit)) more (the JSON lists up to \(Self.jsonGapLimit))")
        }
        return lines.joined(separator: "\n")
    }

    /// Applies the policy's diagnostics: the `error` failure, or the one-line warning (`warn`) or note (`split`).
    func enforce(file: String) throws {
        guard let report, report.count > 0 else { return }
        switch policy {
        case .error:
            let shown = report.gaps.prefix(Self.textGapLimit).map(Self.describe).joined(separator: "; ")
            let more = report.count > Self.textGapLimit ? "; … \(report.count - Self.textGapLimit) more" : ""
            throw CommandFailure(DataGapFailure(
                message: "\(file): \(headline(report)): \(shown)\(more) (--on-gap error; use --on-gap warn or split, or a larger --max-gap)"))
        case .warn:
            StandardError.write("warning: \(file): \(headline(report)); quotes are carried across them "
                + "(--on-gap split analyses each continuous segment, --on-gap error refuses)\n")
        case .split:
            StandardError.write("note: \(file): \(headline(report)); splitting into \(report.count + 1) continuous segments\n")
        }
    }
}

/// Data refused under `--on-gap error`.
struct DataGapFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// JSON `data_gaps`: `{"max_gap_seconds", "on_gap", "count", "longest_seconds",
/// "total_seconds", "gaps": [{"row", "start_time", "end_time", "duration_seconds"}]}`,
/// the list capped at `GapCheck.jsonGapLimit`; `max_gap_seconds` is null and
/// the counts 0 with `--max-gap off`.
struct DataGapsJSON: Encodable {
    let check: GapCheck

    struct Gap: Encodable {
        let gap: DataGap
        enum CodingKeys: String, CodingKey { case row, startTime = "start_time", endTime = "end_time", duration = "duration_seconds" }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(gap.row, forKey: .row)
            try c.encode(UTCTime.iso8601(nanoseconds: gap.startNanoseconds), forKey: .startTime)
            try c.encode(UTCTime.iso8601(nanoseconds: gap.endNanoseconds), forKey: .endTime)
            try c.encode(gap.durationSeconds, forKey: .duration)
        }
    }

    enum CodingKeys: String, CodingKey {
        case maxGap = "max_gap_seconds", onGap = "on_gap", count, longest = "longest_seconds", total = "total_seconds", gaps
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let report = check.report
        try c.encode(report.map { Double($0.thresholdNanoseconds) / 1e9 }, forKey: .maxGap)
        try c.encode(check.policy.rawValue, forKey: .onGap)
        try c.encode(report?.count ?? 0, forKey: .count)
        try c.encode(Double(report?.longestNanoseconds ?? 0) / 1e9, forKey: .longest)
        try c.encode(Double(report?.totalNanoseconds ?? 0) / 1e9, forKey: .total)
        try c.encode((report?.gaps.prefix(GapCheck.jsonGapLimit) ?? []).map(Gap.init), forKey: .gaps)
    }
}

/// A continuous segment's place in the data, JSON `first_row`, `last_row`
/// (inclusive), `start_time`, `end_time` (ISO-8601 UTC), `rows`.
struct SegmentPlace: Encodable {
    let rows: Range<Int>
    let start: Int64
    let end: Int64

    init(_ rows: Range<Int>, in data: MarketData) {
        self.rows = rows
        start = data.timestamps[rows.lowerBound]
        end = data.timestamps[rows.upperBound - 1]
    }

    enum CodingKeys: String, CodingKey { case firstRow = "first_row", lastRow = "last_row", startTime = "start_time", endTime = "end_time", rows }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(rows.lowerBound, forKey: .firstRow)
        try c.encode(rows.upperBound - 1, forKey: .lastRow)
        try c.encode(UTCTime.iso8601(nanoseconds: start), forKey: .startTime)
        try c.encode(UTCTime.iso8601(nanoseconds: end), forKey: .endTime)
        try c.encode(rows.count, forKey: .rows)
    }

    /// "rows 0–21,599, 2025-… → 2025-… (6.00 h)".
    var text: String {
        "rows \(rows.lowerBound)–\(rows.upperBound - 1), \(UTCTime.iso8601(nanoseconds: start)) → "
            + "\(UTCTime.iso8601(nanoseconds: end)) (\(Format.duration(nanoseconds: end - start)))"
    }
}

/// Several encodables written into one JSON object (each part encodes a
/// keyed container at the same level), so a command's result gains
/// top-level keys such as `data_gaps` without a second result type.
struct MergedJSON: Encodable {
    let parts: [any Encodable]
    init(_ parts: any Encodable...) { self.parts = parts }
    func encode(to encoder: any Encoder) throws {
        for part in parts { try part.encode(to: encoder) }
    }
}

extension Format {
    /// "45 s", "15.0 min", "24.00 h": seconds below two minutes, minutes below two hours.
    static func duration(nanoseconds: Int64) -> String {
        let seconds = Double(nanoseconds) / 1e9
        if seconds < 120 { return seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(fixed(seconds, 3)) s" }
        if seconds < 7200 { return "\(fixed(seconds / 60, 1)) min" }
        return "\(fixed(seconds / 3600, 2)) h"
    }
}
