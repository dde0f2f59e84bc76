/// Why `TwoMarketMerge.merge` refused its input, and where.
///
/// `description` names the market and the 0-based row of its quotes:
/// `futures quotes, row 17: out of time order: 2025-10-01T00:00:01.000Z is
/// earlier than row 16's 2025-10-01T00:00:02.000Z`.
public struct TwoMarketMergeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of problem.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// A quote's timestamp is earlier than the quote above it.
        case timeWentBackwards
        /// A column of `MarketQuotes` has a different length than `timestamps`.
        case columnLengthMismatch
        /// The maximum quote age is negative.
        case negativeMaxQuoteAge
    }

    /// What went wrong.
    public var kind: Kind
    /// The market whose quotes are at fault (nil for `negativeMaxQuoteAge`).
    public var market: TwoMarketMerge.Market?
    /// 0-based row of that market's quotes (nil when no one row is at fault).
    public var row: Int?
    /// What exactly was wrong, with the offending values.
    public var detail: String

    /// An error of `kind` at `row` of `market`'s quotes.
    public init(kind: Kind, market: TwoMarketMerge.Market? = nil, row: Int? = nil, detail: String) {
        self.kind = kind
        self.market = market
        self.row = row
        self.detail = detail
    }

    /// `market quotes, row N: detail`, leaving out the parts that are nil.
    public var description: String {
        var location: [String] = []
        if let market { location.append("\(market.rawValue) quotes") }
        if let row { location.append("row \(row)") }
        return location.isEmpty ? detail : location.joined(separator: ", ") + ": " + detail
    }
}
