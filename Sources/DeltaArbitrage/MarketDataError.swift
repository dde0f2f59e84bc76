/// Why market data could not be loaded or built, and where.
///
/// `description` reads like a compiler diagnostic —
/// `ticks.csv:1042: column 'fut_bid_price': bid 101.5 above ask 101.2` —
/// so a command-line tool can print it as it is.
public struct MarketDataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of problem.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// The file could not be opened or read.
        case unreadableFile
        /// The file could not be created or written.
        case unwritableFile
        /// The input has no header row.
        case emptyInput
        /// The first line is not a CSV header the loader can read: compressed or
        /// binary data, UTF-16 text, another column separator, a comment line.
        case unrecognizedHeader
        /// A line is longer than `MarketDataCSVOptions.maxLineBytes` (the input
        /// is not line-oriented CSV text, or a line lost its line end).
        case lineTooLong
        /// A required column (`timestamp` or one of the four prices) is not in the header.
        case missingColumn
        /// The header names a column twice.
        case duplicateColumn
        /// A row has fewer fields than the header needs.
        case missingField
        /// A row has more fields than the header names (often an unquoted comma).
        case extraField
        /// A field uses double quotes in a way the loader does not support
        /// (embedded commas, embedded or unbalanced quotes).
        case invalidQuoting
        /// A field is not a decimal number (or is NaN / infinite).
        case invalidNumber
        /// A timestamp is neither ISO-8601 nor an epoch number.
        case invalidTimestamp
        /// A price is zero or negative.
        case nonPositivePrice
        /// A quantity is negative.
        case negativeQuantity
        /// A market's bid is above its ask.
        case crossedBook
        /// A timestamp is out of time order: earlier than the row above, or
        /// (a far-future outlier) later than the rows around it.
        case timeWentBackwards
        /// Columns passed to `MarketData.init` have different lengths.
        case columnLengthMismatch
        /// No row has every price known.
        case noCompleteRows
        /// A binary file's structure is broken: an Arrow file that is truncated
        /// or whose metadata points outside the file or contradicts itself.
        case malformedFile
        /// A binary file uses a feature or a column type the loader does not
        /// read (compressed or dictionary-encoded Arrow data, the Arrow stream
        /// format, a big-endian file, a column of the wrong type).
        case unsupportedFormat
        /// A one-market file's rows name more than one market (its exchange or symbol changes).
        case mixedMarkets
        /// Per-market files that must not overlap in time do (two files of one
        /// market), or ones that must overlap do not (the spot and futures files).
        case timeRangesConflict
    }

    /// What went wrong.
    public var kind: Kind
    /// The file, when the data came from one.
    public var file: String?
    /// 1-based line number in the file (the header is line 1).
    public var line: Int?
    /// The column's header name.
    public var column: String?
    /// 1-based field position of `column` in the line, when known.
    public var field: Int?
    /// What exactly was wrong, with the offending text.
    public var detail: String

    /// An error of `kind`; the location fields are nil when unknown.
    public init(kind: Kind, file: String? = nil, line: Int? = nil, column: String? = nil,
                field: Int? = nil, detail: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.detail = detail
    }

    /// `file:line:field: column 'name': detail`, leaving out the parts that are nil
    /// (`<data>` without a file).
    public var description: String {
        var location = file ?? "<data>"
        if let line { location += ":\(line)" }
        if let field { location += ":\(field)" }
        var text = location + ": "
        if let column { text += "column '\(column)': " }
        return text + detail
    }
}
