import DeltaArbitrage

/// Where a command's two-market data comes from: a store that holds one
/// spot and one futures market's quotes and hands them back merged by
/// `TwoMarketMerge`. The CLI and the live bridge share it.
public protocol MarketDataSource: Sendable {
    /// Reads both markets and merges them (the two-market as-of merge).
    func load() async throws -> MergedMarkets
}
