import ArgumentParser
import DeltaArbitrage
import DeltaArbitrageLive
import Foundation

struct Paper: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Paper-trade a CSV replay through the live strategy stack.",
        discussion: """
            Replays FILE as a book-ticker feed into the live strategy, which trades against \
            a paper exchange (fills at the top of book, taker fees). Unless --no-update, the \
            optimizer bridge re-optimises the thresholds every --update-minutes of data time \
            on the last --window-hours, exactly as `walk-forward` does (--entry/--exit then \
            only set the thresholds used until the first update). With --no-update and \
            --entry/--exit the thresholds are fixed and the trades equal `backtest`'s. \
            Thresholds must pass the safety rules (--max-entry, --min-exit, --max-ratio).

            With --state PATH the strategy's context (open position with both legs, \
            thresholds, schedule) and its trade journal live in an SQLite database: \
            running the same command again after a crash or kill resumes where it \
            stopped, with no trade lost or repeated. The state is bound to the file's \
            content (a checksum of the rows consumed) and to the settings, and locked \
            while a run uses it: a second run on it is refused. Thresholds given on resume \
            must equal the saved ones, unless --override-thresholds. Ctrl-C or SIGTERM \
            stops after the update in hand, with the state committed, and prints the summary.

            Events (orders, trades, parameter updates, optimisation status, alerts) print \
            as they happen — on stdout, or on stderr with --json, whose stdout carries only \
            the final JSON document (trades in the backtest's format, parameter updates, \
            summary, the open position in the backtest's shape with its legs, strategy \
            performance with tick-to-decision latency, data gaps; docs/schema/paper.schema.json).

            Data gaps (see --max-gap) are reported and every trade of the summary says \
            whether it was held across one (JSON "spans_gap"); --on-gap takes error or \
            warn here, not split (the replay is one continuous feed).
            """
    )

    @OptionGroup var input: InputOptions

    @Option(help: ArgumentHelp("Replay speed: 'max', or a multiple of real time (1 = real time).", valueName: "N|max"))
    var speed: String = "max"

    @OptionGroup var live: StrategyOptions

    @Flag(help: ArgumentHelp(
        "Re-optimise on a wall-clock scheduler, off the tick path, as a live service does (needs --speed N; not reproducible).",
        discussion: "The interval is --update-minutes of data time at the replay speed; ticks keep trading on the thresholds in force while an optimisation runs."))
    var backgroundUpdates = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Hours of trailing data each re-optimisation sees (0.5 = 30 min), or 'all'.", valueName: "hours|all"))
    var windowHours: HoursOrAll = .hours(24)

    @Option(parsing: .unconditional, help: ArgumentHelp("Minutes of data time between re-optimisations.", valueName: "minutes"))
    var updateMinutes: Int = 5

    @OptionGroup var settings: OptimizerOptions

    @Flag(help: "End with one JSON document on stdout; events go to stderr.")
    var json = false

    func validate() throws {
        try windowHours.validate(option: "--window-hours")
        guard (1...OptimizerConfig.maxUpdateIntervalMinutes).contains(updateMinutes) else {
            throw ValidationError("--update-minutes must be in 1...\(OptimizerConfig.maxUpdateIntervalMinutes)")
        }
        if backgroundUpdates {
            guard !live.noUpdate else { throw ValidationError("--background-updates and --no-update exclude each other") }
            guard case .multiple = try replaySpeed() else {
                throw ValidationError("--background-updates needs a replay speed (--speed N) to map minutes of data to wall time")
            }
        }
        _ = try replaySpeed()
        try input.refuseSplit(command: "paper")
        _ = try settings.optimizer()
        try live.requireSafe(settings)
    }

    func replaySpeed() throws -> ReplayFeed<ContinuousClock>.Speed {
        if speed == "max" { return .max }
        guard let k = Double(speed), k >= 1e-6, k <= 1e12 else {
            throw ValidationError("--speed must be 'max' or a multiple of real time in [1e-6, 1e12], got '\(speed)'")
        }
        return .multiple(k)
    }

    func run() async throws {
        try await reportingFailures {
            let data = try await input.load()
            let gaps = try input.checkGaps(data)
            var optimizer = try settings.optimizer()
            let windowHours = try self.windowHours.hours(of: data, option: "--window-hours", refusingLonger: !live.noUpdate)
            optimizer.config.optimizationLookbackHours = windowHours
            var config = DeltaArbitrageConfig(optimizer: optimizer.config)
            config.parameterUpdateIntervalMinutes = updateMinutes
            config.basePositionSize = live.positionSize
            let events = EventHub()
            let log = try live.eventLog.map { try JSONLinesEventLog(path: $0) }
            let json = self.json
            let printer = makeJSONEncoder(pretty: false)
            // A lost event-log line stops the run after the update in hand (its state committed).
            let stop = RunStop()
            events.addSink { event in
                do { try log?.write(event) } catch { stop.fail(error) }
                if json {
                    do { StandardError.write(String(decoding: try printer.encode(event), as: UTF8.self) + "\n") } catch { stop.fail(error) }
                } else {
                    do { try StandardOutput.writeLine(EventText.line(event)) } catch { stop.fail(error) }
                }
            }
            // Installed before anything trades: a signal during the first updates must stop the run, not kill it.
            let signals = SignalWatcher(stateNote: stateNote) { stop.request() }
            // Without --state the journal lives in memory for the run's summary.
            let store = try StrategyStore(path: live.state ?? ":memory:")
            let exchange = PaperExchange(spotFee: config.spotFee, futFee: config.futFee, clock: ContinuousClock())
            let strategy = try await StrategyLoop(
                config: config, gateway: exchange, store: store, events: events,
                staleAfter: live.staleAfter, optimizer: live.noUpdate ? nil : optimizer,
                ringCapacity: max(1024, TickRing.rowsCovering(hours: windowHours, of: data)),
                scheduling: backgroundUpdates ? .onRequest : .dataClock)
            let speed = try replaySpeed()
            let session = PaperTradingSession(feed: ReplayFeed(data: data, speed: speed, clock: ContinuousClock()),
                                              strategy: strategy, store: store, spanNanoseconds: data.spanNanoseconds)
            // Sequences are row numbers of this file, and the journal's meaning depends on the
            // settings: a state made from another file or other settings cannot resume here.
            let identity = data.timestamps.first.flatMap { first in
                data.timestamps.last.map { last in
                    "replay of \(data.count) rows \(UTCTime.iso8601(nanoseconds: first))…\(UTCTime.iso8601(nanoseconds: last)); "
                        + "fees \(config.spotFee)/\(config.futFee), hold \(config.maxPositionHoldMinutes) min, "
                        + (live.noUpdate ? "fixed thresholds" : "window \(Format.plain(windowHours)) h every \(updateMinutes) min")
                }
            }
            let fixed = live.thresholds
            let (initialOnly, override, statePath) = (!live.noUpdate, live.overrideThresholds, live.state)
            let wallInterval: Duration? = if backgroundUpdates, case .multiple(let k) = speed {
                .nanoseconds(max(Int64(Double(updateMinutes) * 60e9 / k), 1_000_000))
            } else {
                nil
            }
            let run = Task {
                try await strategy.running {
                    if let identity { try await strategy.bindFeed(identity) }
                    if let fixed {
                        // Fixed with --no-update; otherwise starting values a resumed run does not reset.
                        do {
                            let replaced = try await strategy.changeThresholds(.fixed(fixed, initialOnly: initialOnly, override: override))
                            if let replaced {
                                StandardError.write("note: --override-thresholds: trading on --entry \(fixed.entryThresholdPct) --exit "
                                    + "\(fixed.exitThresholdPct) instead of the saved entry \(replaced.entryThresholdPct), exit "
                                    + "\(replaced.exitThresholdPct)\n")
                            }
                        } catch let mismatch as ThresholdMismatchError {
                            throw PaperFailure(description: "--entry \(fixed.entryThresholdPct) --exit \(fixed.exitThresholdPct) differ "
                                + "from the thresholds saved in \(statePath ?? "the state") (entry \(mismatch.saved.entryThresholdPct), "
                                + "exit \(mismatch.saved.exitThresholdPct)); omit --entry/--exit to resume on the saved ones, or add "
                                + "--override-thresholds to trade on the given ones")
                        }
                    }
                    let scheduler = wallInterval.map { interval in
                        let schedule = ParameterUpdateScheduler(strategy: strategy, clock: ContinuousClock(), interval: interval)
                        return Task { await schedule.run() }
                    }
                    defer { scheduler?.cancel() }
                    try await session.run()
                }
            }
            stop.install { run.cancel() }
            do {
                try await run.value
            } catch {
                // A lost output line can stop the run before the session started (the first events are
                // the setup's): the same report as a stop in the middle.
                guard let failure = stop.failure else { throw error }
                signals.stop()
                StandardError.write("delta-arb: error: \(failure)\ndelta-arb: stopped early; \(stateNote)\n")
                throw ExitCode(1)
            }
            var summary = try await session.summarize()
            signals.stop()
            if let failure = stop.failure {
                StandardError.write("delta-arb: error: \(failure)\ndelta-arb: stopped early; \(stateNote)\n")
                throw ExitCode(1)
            }
            // The journal's trades carry the file's row numbers, so they can be checked against its gaps.
            summary.trades = gaps.marking(summary.trades)
            if json {
                try StandardOutput.writeLine(String(decoding: try makeJSONEncoder().encode(MergedJSON(summary, ["data_gaps": gaps.json])), as: UTF8.self))
            } else {
                try StandardOutput.writeLine(Self.text(summary, file: input.sourceName, stateNote: stateNote) + "\n\n" + gaps.text)
            }
        }
    }

    /// What a stop leaves behind, for the signal message and the summary.
    var stateNote: String {
        live.state.map { "state committed to \($0), run the same command to resume" } ?? "nothing saved (no --state)"
    }

    static func text(_ s: PaperTradingSummary, file: String, stateNote: String) -> String {
        var lines = [""]
        lines.append("Paper trading of \(file): \(Format.count(s.ticks)) ticks in \(Format.fixed(s.elapsedSeconds, 2)) s "
            + "(\(Format.count(Int(s.ticksPerSecond))) ticks/s)" + (s.completed ? "" : " — stopped early; \(stateNote)"))
        var table = TextTable(headers: ["summary", "value"])
        table.add(["trades", Format.count(s.summary.trades)])
        table.add(["hit rate", Format.percent(s.summary.hitRate * 100, 1)])
        table.add(["total net P&L", Format.percent(s.summary.totalPnlPct, 4)])
        table.add(["max drawdown", Format.percent(s.summary.maxDrawdown * 100, 4)])
        if s.trades.contains(where: { $0.spansGap != nil }) {
            table.add(["trades across a data gap", Format.count(s.trades.filter { $0.spansGap == true }.count)])
        }
        table.add(["parameter updates", Format.count(s.parameterUpdates.count)])
        table.add(["tick-to-decision p50 / p99", "\(s.decisionLatencyP50Ns) ns / \(s.decisionLatencyP99Ns) ns"])
        table.add(["avg order round trip", "\(Format.fixed(s.performance.avgTradeExecutionMs, 3)) ms"])
        table.add(["uptime (could act)", Format.percent(s.performance.uptimePercentage, 1)])
        if let open = s.openPosition {
            table.add(["open position", "entered at tick \(open.entrySequence), \(Format.fixed(open.quantity, 6)) per leg"])
        }
        if let halted = s.halted { table.add(["HALTED", halted]) }
        lines.append(table.render())
        return lines.joined(separator: "\n")
    }
}

/// One human line per event.
enum EventText {
    static func line(_ event: StrategyEvent) -> String {
        switch event {
        case .parameterUpdate(let e):
            return "\(time(e.timestamp)) params  entry \(Format.fixed(e.oldEntryThreshold ?? .nan, 4)) → \(Format.fixed(e.newEntryThreshold, 4)), "
                + "exit \(Format.fixed(e.oldExitThreshold ?? .nan, 4)) → \(Format.fixed(e.newExitThreshold, 4)), "
                + "confidence \(Format.fixed(e.confidenceScore, 3)), \(Format.fixed(e.optimizationDurationMs, 1)) ms"
        case .optimizationStatus(let e):
            return "\(time(e.timestamp)) optimiser \(e.status.rawValue) (\(Format.count(e.dataPointsAnalyzed)) rows)"
                + (e.errorMessage.map { ": \($0)" } ?? "")
        case .order(let e):
            let what = "\(e.purpose.rawValue) \(e.order.side.rawValue) \(Format.fixed(e.order.quantity, 6)) \(e.order.market.rawValue)"
            if let fill = e.fill { return "\(time(e.timestamp)) order   \(what) @ \(Format.fixed(fill.price, 2)), fee \(Format.fixed(fill.fee, 6))" }
            return "\(time(e.timestamp)) order   \(what) FAILED: \(e.error ?? "")"
        case .trade(let e):
            return "\(time(e.timestamp)) trade   \(e.trade.exitReason.rawValue), net \(Format.percent(e.trade.netPnlPct, 4)) "
                + "after \(Format.fixed(e.trade.hours, 3)) h (entry \(Format.fixed(e.entryThresholdPct, 4)), exit \(Format.fixed(e.exitThresholdPct, 4)))"
        case .alert(let e):
            return "\(time(e.timestamp)) ALERT   \(e.message)"
        }
    }

    static func time(_ seconds: Double) -> String { UTCTime.iso8601(nanoseconds: Int64(seconds * 1e9)) }
}

/// Stops a run from outside it (a signal, a failed event-log write), also
/// before the run exists: the cancellation installed later is called at once.
final class RunStop: @unchecked Sendable {
    private let lock = NSLock()
    private var firstFailure: (any Error)?
    private var requested = false
    private var cancel: (@Sendable () -> Void)?

    /// The first failure recorded; nil while none.
    var failure: (any Error)? { lock.withLock { firstFailure } }

    /// Records `error` (the first one wins) and stops the run.
    func fail(_ error: any Error) {
        lock.withLock { if firstFailure == nil { firstFailure = error } }
        request()
    }

    /// Stops the run after the update in hand.
    func request() {
        let cancel = lock.withLock {
            requested = true
            return self.cancel
        }
        cancel?()
    }

    /// Installs the run's cancellation, calling it at once if a stop came first.
    func install(_ cancel: @escaping @Sendable () -> Void) {
        let stopped = lock.withLock {
            self.cancel = cancel
            return requested
        }
        if stopped { cancel() }
    }
}

/// A paper run's failure, as one line for `delta-arb: error:`.
struct PaperFailure: Error, CustomStringConvertible {
    let description: String
}

/// Turns SIGINT and SIGTERM into a callback (a graceful stop) while installed,
/// saying what the stop leaves behind (`stateNote`).
final class SignalWatcher: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []

    init(stateNote: String, _ handler: @escaping @Sendable () -> Void) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                StandardError.write("\nstopping (signal \(sig)) after the update in hand; \(stateNote)\n")
                handler()
            }
            source.resume()
            sources.append(source)
        }
    }

    func stop() {
        for source in sources { source.cancel() }
        sources.removeAll()
    }
}
