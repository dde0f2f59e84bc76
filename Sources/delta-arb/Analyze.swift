import ArgumentParser
import DeltaArbitrage
import Foundation

struct Analyze: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure how the spread of a CSV file behaves.",
        discussion: """
            The spread s = (spot_ask − fut_bid) / spot_ask · 100 (percent) is sampled on a \
            uniform time grid (the last row at or before each grid time). On it: mean, \
            sample standard deviation and percentiles; autocorrelation to lag 50; the \
            augmented Dickey–Fuller test (constant, lag chosen by AIC, MacKinnon p-value); \
            an AR(1) fit Δs = α + β·s₋₁ giving half-life, reversion speed and long-term \
            mean; Engle's ARCH-LM test (5 lags) for volatility clustering; and the number \
            of regime changes found by PELT in the means of consecutive blocks.
            """
    )

    @OptionGroup var input: InputOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("Spacing of the sampling grid, in seconds.", valueName: "seconds"))
    var gridStep: Double = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Grid samples per block for regime detection.", valueName: "n"))
    var blockSize: Int = 60

    @Option(parsing: .unconditional, help: ArgumentHelp("PELT penalty (default 2·σ̂²·ln n from the block means).", valueName: "value"))
    var penalty: Double?

    @Flag(help: "Print one JSON document {\"spread_analysis\": {...}, \"mean_reversion\": {...}, \"data_gaps\": {...}} (with --on-gap split also \"segments\": [...]) instead of tables.")
    var json = false

    func validate() throws {
        guard gridStep > 0, gridStep.isFinite else { throw ValidationError("--grid-step must be a positive number of seconds") }
        guard blockSize >= 1 else { throw ValidationError("--block-size must be at least 1") }
        if let penalty, !(penalty >= 0 && penalty.isFinite) {
            throw ValidationError("--penalty must be a non-negative number")
        }
    }

    func run() async throws {
        try await reportingFailures {
            let data = try await input.load()
            let gaps = try input.checkGaps(data)
            var options = SpreadAnalysisOptions()
            options.gridStepSeconds = gridStep
            options.regimeBlockSize = blockSize
            options.regimePenalty = penalty
            let report: SpreadReport
            do {
                report = try ProgressIndicator.run("analysing") { try SpreadAnalyzer.analyze(data, options: options) }
            } catch let tooFine as SpreadGridSizeError {
                throw UsageFailure("--grid-step \(Format.plain(gridStep)) needs \(Format.count(tooFine.points)) grid points over "
                    + "the data's \(Format.fixed(tooFine.spanSeconds / 3600, 2)) h; the limit is \(Format.count(tooFine.limit)) "
                    + "(16 per row, at least 1,000,000, within a quarter of this machine's memory): use a larger --grid-step")
            }
            let segments = gaps.splits ? AnalysisSegment.analyze(data, segments: gaps.report?.segments ?? [], options: options) : nil
            if json {
                let output = MergedJSON(report, ["data_gaps": gaps.json], ["segments": segments].compactMapValues { $0 })
                try StandardOutput.writeLine(String(decoding: try makeJSONEncoder().encode(output), as: UTF8.self))
            } else {
                try StandardOutput.writeLine(AnalysisReportText(file: input.sourceName, data: data, report: report).text + "\n\n" + gaps.text
                      + (segments.map { "\n\n" + AnalysisSegment.table($0) } ?? ""))
            }
        }
    }
}

/// The human rendering of a spread analysis.
struct AnalysisReportText {
    let file: String
    let data: MarketData
    let report: SpreadReport

    var text: String {
        let a = report.spreadAnalysis
        let m = report.meanReversion
        let x = report.details
        var lines = ["Spread analysis of \(file): \(Format.count(data.count)) rows, \(DataSpan(data).text)",
                     "Grid: \(Format.count(x.gridPoints)) samples every \(Format.fixed(x.gridStepSeconds, 3)) s", ""]
        var distribution = TextTable(headers: ["distribution (entry cost, %)", "value"])
        distribution.add(["mean", Format.fixed(a.meanSpread, 5)])
        distribution.add(["standard deviation", Format.fixed(a.stdSpread, 5)])
        for (q, value) in a.percentiles.sorted(by: { $0.key < $1.key }) {
            distribution.add(["percentile \(q)", Format.fixed(value, 5)])
        }
        lines.append(distribution.render())
        lines.append("")
        var reversion = TextTable(headers: ["mean reversion", "value"])
        reversion.add(["ADF statistic", Format.fixed(m.adfStatistic, 4)])
        reversion.add(["ADF p-value", Format.fixed(m.pValue, 6)])
        reversion.add(["ADF lags (AIC) / nobs", "\(x.adfUsedLag) / \(Format.count(x.adfNobs))"])
        reversion.add(["critical values 1/5/10 %",
                       "\(Format.fixed(x.adfCriticalValue1Pct, 3)) / \(Format.fixed(x.adfCriticalValue5Pct, 3)) / \(Format.fixed(x.adfCriticalValue10Pct, 3))"])
        reversion.add(["stationary at 5 %", m.pValue < 0.05 ? "yes" : "no"])
        reversion.add(["half-life", m.halfLife.isFinite ? "\(Format.fixed(m.halfLife * 60, 2)) min" : "none (no reversion)"])
        reversion.add(["reversion speed", "\(Format.fixed(m.reversionSpeed, 4)) / h"])
        reversion.add(["long-term mean", Format.percent(m.longTermMean, 5)])
        reversion.add(["ARCH-LM (5 lags) / p", "\(Format.fixed(x.archLmStatistic, 2)) / \(Format.fixed(x.archLmPValue, 6))"])
        reversion.add(["volatility clustering", m.volatilityClustering ? "yes" : "no"])
        reversion.add(["regime changes", "\(a.regimeChanges)"])
        lines.append(reversion.render())
        lines.append("")
        let lags = [1, 2, 5, 10, 20, 50].filter { $0 < a.autocorrelation.count }
        var acf = TextTable(headers: ["autocorrelation lag"] + lags.map { "\($0)" })
        acf.add(["ρ"] + lags.map { Format.fixed(a.autocorrelation[$0], 4) })
        lines.append(acf.render())
        return lines.joined(separator: "\n")
    }
}

/// One continuous segment's statistics under `--on-gap split`: exactly what
/// `analyze` prints for that segment's rows alone. JSON: the segment's place
/// (`first_row`, `last_row`, `start_time`, `end_time`, `rows`), then
/// `spread_analysis`, `mean_reversion`, `details` (null when the segment is
/// too short to analyse) and `error` (why, else null).
struct AnalysisSegment: Encodable {
    let place: SegmentPlace
    let report: SpreadReport?
    let error: String?

    static func analyze(_ data: MarketData, segments: [Range<Int>], options: SpreadAnalysisOptions) -> [AnalysisSegment] {
        segments.map { rows in
            let place = SegmentPlace(rows, in: data)
            do {
                return AnalysisSegment(place: place, report: try SpreadAnalyzer.analyze(data.rows(rows), options: options), error: nil)
            } catch {
                return AnalysisSegment(place: place, report: nil, error: String(describing: error))
            }
        }
    }

    enum CodingKeys: String, CodingKey { case spreadAnalysis = "spread_analysis", meanReversion = "mean_reversion", details, error }

    func encode(to encoder: any Encoder) throws {
        try place.encode(to: encoder)
        if let report {
            try report.encode(to: encoder)
        } else {
            var c = encoder.container(keyedBy: CodingKeys.self)
            for key in [CodingKeys.spreadAnalysis, .meanReversion, .details] { try c.encodeNil(forKey: key) }
        }
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(error, forKey: .error)
    }

    /// The per-segment table of the human output.
    static func table(_ segments: [AnalysisSegment]) -> String {
        var table = TextTable(headers: ["segment", "rows", "first row (UTC)", "last row (UTC)", "mean %", "std %", "ADF p",
                                        "half-life", "regimes"], leftAligned: [0, 2, 3])
        var notes: [String] = []
        for (k, s) in segments.enumerated() {
            let head = ["\(k + 1): rows \(s.place.rows.lowerBound)–\(s.place.rows.upperBound - 1)", Format.count(s.place.rows.count),
                        UTCTime.iso8601(nanoseconds: s.place.start), UTCTime.iso8601(nanoseconds: s.place.end)]
            guard let r = s.report else {
                table.add(head + ["—", "—", "—", "—", "—"])
                notes.append("  segment \(k + 1): \(s.error ?? "not analysed")")
                continue
            }
            let m = r.meanReversion
            table.add(head + [Format.fixed(r.spreadAnalysis.meanSpread, 5), Format.fixed(r.spreadAnalysis.stdSpread, 5),
                              Format.fixed(m.pValue, 6), m.halfLife.isFinite ? "\(Format.fixed(m.halfLife * 60, 2)) min" : "none",
                              "\(r.spreadAnalysis.regimeChanges)"])
        }
        return (["Per continuous segment (--on-gap split)", table.render()] + notes).joined(separator: "\n")
    }
}
