import DeltaArbitrage
import DeltaArbitrageMockData

/// A generated data set the benchmark times the engine and the peers on.
struct Workload: Sendable {
    let name: String
    /// Hours of data.
    let hours: Double
    /// Mean tick interval in milliseconds.
    let tickMs: Double

    /// What the benchmark does with the data.
    enum Job: Sendable {
        /// Ingest, backtest kernel, 64 x 64 grid and spread analysis, beside the peers.
        case engine
        /// `optimizeParameters` with the default grid, beside the numba grid on the same points.
        case optimize
        /// The 5-minute, 24 h-window walk-forward with a 32 x 32 grid.
        case walkForward
        /// The same walk-forward loaded from an Arrow file, with and without trade-chain reuse, side by side.
        case walkForwardReuse
        /// The full paper-trading stack (replay → strategy → paper exchange), fixed and re-optimising.
        case paper
        /// Reading two markets from the PostgreSQL book-ticker store: server, engine and seed path side by side.
        case databaseRead
        /// Reading an Arrow IPC file on a warm page cache.
        case arrowRead
        /// Reading one market's capture files (each layout, plain and gzip) beside the merged-CSV loader, per byte.
        case perMarketRead
        /// The CSV loader alone on ISO-8601 and epoch files, beside pandas, pyarrow and polars `read_csv`.
        case ingest
        /// Loopback WebSocket feeds → strategy at 50,000 updates/s: tick-to-decision latency and loss.
        case liveLatency
        /// 20,000 updates/s for `--soak-seconds` (10 minutes by default): memory flat, nothing lost.
        case liveSoak
    }
    var job: Job = .engine

    static let all: [Workload] = [
        Workload(name: "1d-100ms", hours: 24, tickMs: 100),
        Workload(name: "10m-rows-100ms", hours: 10_000_000 * 0.1 / 3600, tickMs: 100),
        Workload(name: "1mo-100ms", hours: 30 * 24, tickMs: 100),
        Workload(name: "ingest-5m-100ms", hours: 5_000_000 * 0.1 / 3600, tickMs: 100, job: .ingest),
        Workload(name: "optimize-1d-1s", hours: 24, tickMs: 1000, job: .optimize),
        Workload(name: "walk-forward-90d-1s", hours: 90 * 24, tickMs: 1000, job: .walkForward),
        // Three months of 100 ms ticks (~78 M rows); --walk-forward-hours shortens it for development.
        Workload(name: "walk-forward-3m-100ms", hours: 90 * 24, tickMs: 100, job: .walkForwardReuse),
        Workload(name: "paper-2d-1s", hours: 2 * 24, tickMs: 1000, job: .paper),
        // Its size is --db-rows (the hours follow from it).
        Workload(name: "db-read", hours: 0, tickMs: 100, job: .databaseRead),
        Workload(name: "arrow-read-5m-rows", hours: 5_000_000 * 0.1 / 3600, tickMs: 100, job: .arrowRead),
        Workload(name: "per-market-read-1d-100ms", hours: 24, tickMs: 100, job: .perMarketRead),
        Workload(name: "live-latency-50k", hours: 0, tickMs: 0, job: .liveLatency),
        Workload(name: "live-soak-20k", hours: 0, tickMs: 0, job: .liveSoak),
    ]

    static func named(_ name: String) -> Workload? { all.first { $0.name == name } }

    func generate(seed: UInt64) throws -> MarketData {
        try generateMockMarketData(hours: hours, seed: seed, tickInterval: tickMs / 1000)
    }
}
