import ArgumentParser
import DeltaArbitrage
import DeltaArbitrageMockData

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write mock spot/futures book ticks to a CSV file.",
        discussion: """
            The spot mid-price is a driftless geometric random walk; the futures basis \
            (fut_mid / spot_mid − 1) is an Ornstein–Uhlenbeck process around −0.3 % with a \
            30-minute half-life whose stationary standard deviation is --spread-volatility \
            (a fraction of price: 0.002 = 0.2 %), plus a linear drift of --trend-strength \
            per hour. Each row gets random bid/ask half-spreads and log-normal quantities; \
            timestamps arrive as a Poisson process with mean gap --tick-ms. The same \
            --seed always writes the same file.

            --regime replaces the basis model with one of the seed's patterns: \
            mean-reverting, trending (drifting mean) or volatile (volatility bursts); \
            --spread-volatility and --trend-strength then do not apply.
            """
    )

    enum Regime: String, ExpressibleByArgument, CaseIterable {
        case meanReverting = "mean-reverting", trending, volatile
        var spreadRegime: SpreadRegime {
            switch self {
            case .meanReverting: .meanReverting
            case .trending: .trending
            case .volatile: .volatile
            }
        }
    }

    @Option(parsing: .unconditional, help: ArgumentHelp("Length of the series, in hours.", valueName: "hours"))
    var hours: Double = 24

    @Option(parsing: .unconditional, help: ArgumentHelp("Stationary std of the basis, as a fraction of price.", valueName: "fraction"))
    var spreadVolatility: Double = 0.002

    @Option(parsing: .unconditional, help: ArgumentHelp("Drift of the basis mean, as a fraction of price per hour.", valueName: "fraction"))
    var trendStrength: Double = 0

    @Option(help: ArgumentHelp("Generate one of the seed's regime patterns instead.", valueName: "regime"))
    var regime: Regime?

    @Option(parsing: .unconditional, help: ArgumentHelp("Mean time between ticks, in milliseconds.", valueName: "ms"))
    var tickMs: Double = 1000

    @Option(parsing: .unconditional, help: ArgumentHelp("Random seed; the same seed gives the same data.", valueName: "n"))
    var seed: UInt64 = 0

    @Flag(help: "Write timestamps as epoch nanoseconds instead of ISO-8601.")
    var epochTimestamps = false

    @Option(name: [.short, .long], help: ArgumentHelp("Output CSV file.", valueName: "file"))
    var out: String

    func validate() throws {
        guard hours > 0, hours.isFinite else { throw ValidationError("--hours must be a positive number") }
        guard tickMs >= 0.001, tickMs.isFinite else { throw ValidationError("--tick-ms must be at least 0.001 (1 µs), got \(tickMs)") }
        do {
            try config.validate()
        } catch {
            throw ValidationError(OptimizerOptions.optionName(error, also: [
                "hours": "--hours", "tick_interval": "--tick-ms", "spread_volatility": "--spread-volatility",
                "trend_strength": "--trend-strength"]))
        }
    }

    /// The generator's settings, as the options give them.
    var config: MockMarketConfig {
        guard let regime else {
            var config = MockMarketConfig()
            config.hours = hours
            config.spreadVolatility = spreadVolatility
            config.trendStrength = trendStrength
            config.meanTickInterval = tickMs / 1000
            return config
        }
        var config = MockMarketConfig(regime: regime.spreadRegime, durationHours: hours)
        config.meanTickInterval = tickMs / 1000
        return config
    }

    func run() throws {
        try reportingFailures {
            let data = try ProgressIndicator.run("generating") { try generateMockMarketData(config, seed: seed) }
            try ProgressIndicator.run("writing \(out)") {
                try data.writeCSV(to: out, timestampFormat: epochTimestamps ? .epochNanoseconds : .iso8601)
            }
            StandardError.write("wrote \(Format.count(data.count)) rows to \(out) (\(DataSpan(data).text))\n")
        }
    }
}
