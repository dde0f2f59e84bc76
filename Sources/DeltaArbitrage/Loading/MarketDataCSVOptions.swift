/// How `MarketDataCSVLoader` treats bad rows and whether it may use threads.
public struct MarketDataCSVOptions: Sendable, Equatable {
    /// The default `maxLineBytes`: 64 KiB, hundreds of times a book-ticker row.
    public static let defaultMaxLineBytes = 64 << 10

    /// When false (the default) the first bad row throws a `MarketDataError`.
    /// When true, bad rows are left out and counted per `MarketDataError.Kind`
    /// in the result. A skipped row does not update the carried-forward prices
    /// or the time-order check. Header problems and over-long lines always throw.
    public var skipBadRows: Bool
    /// How many skipped-row errors the result keeps verbatim (the first ones, in file order).
    public var maxReportedErrors: Int
    /// Parse large inputs (over 8 MiB) in several chunks on several cores.
    /// The result is identical either way.
    public var parallel: Bool
    /// The longest line accepted, in bytes without the line end (the header
    /// included). A longer line is a `.lineTooLong` error naming the line and
    /// this limit, even with `skipBadRows`: it bounds the memory a file without
    /// line ends (`/dev/zero`, a binary file) can take, which is otherwise
    /// only what the loaded rows need.
    public var maxLineBytes: Int

    /// Options with the defaults: strict, 10 reported errors, parallel, 64 KiB lines.
    public init(skipBadRows: Bool = false, maxReportedErrors: Int = 10, parallel: Bool = true,
                maxLineBytes: Int = MarketDataCSVOptions.defaultMaxLineBytes) {
        self.skipBadRows = skipBadRows
        self.maxReportedErrors = maxReportedErrors
        self.parallel = parallel
        self.maxLineBytes = maxLineBytes
    }
}
