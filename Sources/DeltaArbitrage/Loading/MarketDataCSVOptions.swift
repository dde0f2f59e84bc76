/// How `MarketDataCSVLoader` treats bad rows and whether it may use threads.
public struct MarketDataCSVOptions: Sendable, Equatable {
    /// When false (the default) the first bad row throws a `MarketDataError`.
    /// When true, bad rows are left out and counted per `MarketDataError.Kind`
    /// in the result. A skipped row does not update the carried-forward prices
    /// or the time-order check. Header problems always throw.
    public var skipBadRows: Bool
    /// How many skipped-row errors the result keeps verbatim (the first ones, in file order).
    public var maxReportedErrors: Int
    /// Parse large inputs (over 8 MiB) in several chunks on several cores.
    /// The result is identical either way.
    public var parallel: Bool

    /// Options with the defaults: strict, 10 reported errors, parallel.
    public init(skipBadRows: Bool = false, maxReportedErrors: Int = 10, parallel: Bool = true) {
        self.skipBadRows = skipBadRows
        self.maxReportedErrors = maxReportedErrors
        self.parallel = parallel
    }
}
