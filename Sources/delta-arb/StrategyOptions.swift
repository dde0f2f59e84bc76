import ArgumentParser
import DeltaArbitrage
import DeltaArbitrageLive

/// The live strategy's options shared by `paper` and `serve`: thresholds,
/// sizing, staleness, the state file and the event log.
struct StrategyOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Entry threshold (with --exit): fixed with --no-update, else the starting value.", valueName: "pct"))
    var entry: Double?

    @Option(name: .customLong("exit"), parsing: .unconditional, help: ArgumentHelp("Exit threshold (with --entry), as --entry.", valueName: "pct"))
    var exitThreshold: Double?

    @Flag(help: "Do not re-optimise (needs --entry and --exit).")
    var noUpdate = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Position size per leg in quote currency.", valueName: "amount"))
    var positionSize: Double = 100

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Do not open positions while a market's top is older than this (serve: a feed silent this long also reconnects).",
        valueName: "seconds"))
    var staleSeconds: Double = 30

    @Option(help: ArgumentHelp("SQLite file holding the strategy state (resumed if it exists).", valueName: "path"))
    var state: String?

    @Flag(help: "On resume, trade on the given --entry/--exit instead of the thresholds saved in --state.")
    var overrideThresholds = false

    @Option(help: ArgumentHelp("Append every event as a JSON line to this file (docs/schema; each event names the clock of its timestamp; a failed write stops the run).", valueName: "path"))
    var eventLog: String?

    func validate() throws {
        guard (entry == nil) == (exitThreshold == nil) else { throw ValidationError("--entry and --exit go together") }
        if noUpdate && entry == nil { throw ValidationError("--no-update needs fixed thresholds: give --entry and --exit") }
        if overrideThresholds && entry == nil { throw ValidationError("--override-thresholds needs --entry and --exit") }
        guard positionSize > 0, positionSize.isFinite else { throw ValidationError("--position-size must be positive") }
        guard staleSeconds > 0, staleSeconds <= 86_400 else { throw ValidationError("--stale-seconds must be in (0, 86400]") }
    }

    /// `--entry`/`--exit` as a pair; nil when not given.
    var thresholds: ThresholdPair? {
        guard let entry, let exitThreshold else { return nil }
        return ThresholdPair(entryThresholdPct: entry, exitThresholdPct: exitThreshold)
    }

    /// `--stale-seconds` as a duration.
    var staleAfter: Duration { .nanoseconds(Int64(staleSeconds * 1e9)) }

    /// The safety rules' verdict on `--entry`/`--exit` (a usage error naming them).
    func requireSafe(_ settings: OptimizerOptions) throws {
        if let entry, let exitThreshold { try settings.requireSafe(entry: entry, exit: exitThreshold) }
    }
}
