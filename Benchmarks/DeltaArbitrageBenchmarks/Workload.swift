import DeltaArbitrage

/// A generated data set the benchmark times the engine and the peers on.
struct Workload: Sendable {
    let name: String
    /// Hours of data.
    let hours: Double
    /// Mean tick interval in milliseconds.
    let tickMs: Double

    static let all: [Workload] = [
        Workload(name: "1d-100ms", hours: 24, tickMs: 100),
        Workload(name: "10m-rows-100ms", hours: 10_000_000 * 0.1 / 3600, tickMs: 100),
        Workload(name: "1mo-100ms", hours: 30 * 24, tickMs: 100),
    ]

    static func named(_ name: String) -> Workload? { all.first { $0.name == name } }

    func generate(seed: UInt64) throws -> MarketData {
        try generateMockMarketData(hours: hours, seed: seed, tickInterval: tickMs / 1000)
    }
}
