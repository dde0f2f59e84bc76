// Placeholder until the HTML report lands (same API); removed by that merge.
public struct OptimizationHTMLReport: Sendable {
    let title: String
    public init(title: String, report: OptimizationReport, chosenTrades: [Trade], spread: SpreadReport?) { self.title = title }
    public var html: String { "<html><body>\(title)</body></html>" }
}
