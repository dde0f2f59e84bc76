import DeltaArbitrage
import DeltaArbitrageExchangeFeeds
import DeltaArbitrageLive
import DeltaArbitrageSources
import Foundation
import Logging
import ServiceLifecycle

/// Everything `delta-arb serve` runs with.
public struct StrategyServerConfiguration: Sendable {
    /// The pair as BASE/QUOTE (e.g. `BTC/USDT`).
    public var symbol: String
    /// The spot market's feed.
    public var spotFeed: ExchangeFeedConfiguration
    /// The futures market's feed.
    public var futuresFeed: ExchangeFeedConfiguration
    /// Where the HTTP API listens.
    public var http: HTTPServiceConfiguration
    /// Sizing, fees, safety rules, hold limit and the re-optimisation interval.
    public var strategy: DeltaArbitrageConfig
    /// The optimiser; nil keeps the thresholds fixed (`--no-update`).
    public var optimizer: DeltaArbitrageOptimizer?
    /// Thresholds given on the command line: fixed without an optimiser, else
    /// the starting values (a resumed state keeps its own unless `overrideThresholds`).
    public var thresholds: ThresholdPair?
    /// Trade on `thresholds` instead of those saved in the state.
    public var overrideThresholds = false
    /// SQLite state file (position, thresholds, journal); nil keeps them in memory.
    public var statePath: String?
    /// JSON-lines file every event is appended to; nil for none.
    public var eventLogPath: String?
    /// The book-ticker store every accepted quote is recorded into; nil for none.
    public var recordDatabase: PostgresURL?
    /// Hours of stored history put into the optimiser's ring at start (needs `recordDatabase`); nil for none.
    public var warmUpHours: Double?
    /// How the paper exchange fills: at most the displayed size (live default) or without limit.
    public var fillLimit: PaperFillLimit = .displayedSize
    /// Largest age either market's top may have for a position to open.
    public var staleAfter: Duration = .seconds(30)
    /// Rows of recent data the optimiser keeps (must cover its lookback at the feed's rate).
    public var ringCapacity = 1_000_000
    /// How long a graceful stop may take before the remaining services are cancelled.
    public var shutdownTimeout: Duration = .seconds(5)

    /// A configuration with the given feeds and defaults elsewhere.
    public init(symbol: String, spotFeed: ExchangeFeedConfiguration, futuresFeed: ExchangeFeedConfiguration,
                http: HTTPServiceConfiguration, strategy: DeltaArbitrageConfig, optimizer: DeltaArbitrageOptimizer?) {
        self.symbol = symbol
        self.spotFeed = spotFeed
        self.futuresFeed = futuresFeed
        self.http = http
        self.strategy = strategy
        self.optimizer = optimizer
    }

    /// The store's name of a feed's market (`GATEIO_SPOT`, `BINANCE_FUTURES`, …).
    public static func storeMarketName(_ endpoint: ExchangeEndpoint) -> String {
        endpoint.venue.rawValue.uppercased() + (endpoint.market == .spot ? "_SPOT" : "_FUTURES")
    }

    /// What a state file is bound to: the feeds and the settings that give its journal meaning.
    var feedIdentity: String {
        let spot = spotFeed.endpoint, futures = futuresFeed.endpoint
        return "live \(spot.venue.rawValue) spot \(spot.exchangeSymbol) + \(futures.venue.rawValue) futures "
            + "\(futures.exchangeSymbol); fees \(strategy.spotFee)/\(strategy.futFee), hold \(strategy.maxPositionHoldMinutes) min, "
            + (optimizer == nil ? "fixed thresholds" : "window \(strategy.optimizationLookbackHours) h every "
                + "\(strategy.parameterUpdateIntervalMinutes) min")
    }
}

/// `delta-arb serve`: the strategy service.
///
/// One `ServiceGroup` runs, in start order: the strategy loop, the quote
/// recorders (with `recordDatabase`), the two-market exchange feed driving the
/// loop, the re-optimisation scheduler (with an optimiser) and the HTTP API.
/// SIGTERM or SIGINT shuts them down gracefully in reverse order: the API
/// closes, the scheduler stops, the feed stops after the update in hand, the
/// recorders write what is pending, and the loop finishes with its state
/// committed. A service that fails or ends on its own shuts the group down the
/// same way, and `run()` rethrows its error.
public final class StrategyServer: Sendable {
    /// The configuration it runs with.
    public let configuration: StrategyServerConfiguration
    /// The metrics `/metrics` shows.
    public let metrics: ServiceMetrics
    private let logger: Logger
    private let onListening: @Sendable (Int) async -> Void

    /// A server; `onListening` gets the HTTP port once the API accepts connections.
    public init(configuration: StrategyServerConfiguration, metrics: ServiceMetrics = ServiceMetrics(),
                logger: Logger = Logger(label: "delta-arb.serve"),
                onListening: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.onListening = onListening
    }

    /// Hands each accepted quote to its market's recorder (spot first in `recorders`).
    private static func recording(into recorders: [LiveQuoteRecorder]) -> @Sendable (QuoteArrival) -> Void {
        { arrival in
            let recorder = recorders[arrival.market == .spot ? 0 : 1]
            let quote = arrival.quote
            recorder.record(timestampNanoseconds: quote.exchangeTimeNanoseconds ?? arrival.receivedWallNanoseconds,
                            bidPrice: quote.top.bid, bidQuantity: quote.top.bidQuantity, askPrice: quote.top.ask,
                            askQuantity: quote.top.askQuantity, sequenceNumber: quote.updateID)
        }
    }

    /// Runs until SIGTERM/SIGINT (then returns once everything has stopped and
    /// the state is committed) or until a part fails (then throws its error).
    public func run() async throws {
        let configuration = self.configuration
        let metrics = self.metrics
        let events = EventHub()
        // A lost event-log line is a failure of the service, reported and stopping it.
        let eventLogFailure = Locked<(any Error)?>(nil)
        if let path = configuration.eventLogPath {
            let log = try JSONLinesEventLog(path: path)
            events.addSink { event in
                do { try log.write(event) } catch { eventLogFailure.withLock { if $0 == nil { $0 = error } } }
            }
        }
        let store = try StrategyStore(path: configuration.statePath ?? ":memory:")
        let exchange = PaperExchange(spotFee: configuration.strategy.spotFee, futFee: configuration.strategy.futFee,
                                     clock: ContinuousClock(), fillLimit: configuration.fillLimit)
        let loop = try await StrategyLoop(
            config: configuration.strategy, gateway: exchange, store: store, events: events,
            staleAfter: configuration.staleAfter, optimizer: configuration.optimizer,
            ringCapacity: configuration.ringCapacity, scheduling: .onRequest,
            decisionObserver: { metrics.recordDecisionLatency(nanoseconds: $0) })

        let spotFeed = try ExchangeBookTickerFeed(configuration: configuration.spotFeed)
        let futuresFeed = try ExchangeBookTickerFeed(configuration: configuration.futuresFeed)
        var recorders: [LiveQuoteRecorder] = []
        if let url = configuration.recordDatabase {
            for endpoint in [configuration.spotFeed.endpoint, configuration.futuresFeed.endpoint] {
                recorders.append(try LiveQuoteRecorder(url: url, symbol: configuration.symbol,
                                                       market: StrategyServerConfiguration.storeMarketName(endpoint)))
            }
        }
        let onQuote = recorders.isEmpty ? nil : Self.recording(into: recorders)
        let feed = try TwoMarketExchangeFeed(spot: spotFeed, futures: futuresFeed, onQuote: onQuote)

        let backend = LiveStrategyBackend(symbol: configuration.symbol, loop: loop, feeds: [spotFeed, futuresFeed],
                                          staleness: [configuration.spotFeed.stalenessLimit, configuration.futuresFeed.stalenessLimit],
                                          reoptimises: configuration.optimizer != nil, recorders: recorders)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        func add(_ service: any Service, _ name: String) {
            services.append(.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                                  failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: name))
        }
        add(StrategyLoopService(loop: loop), "strategy loop")
        for recorder in recorders {
            add(QuoteRecorderService(recorder: recorder, logger: logger), "recorder \(recorder.market)")
        }
        add(FeedDrivingService(feed: feed, loop: loop, configuration: configuration, eventLogFailure: eventLogFailure,
                               logger: logger), "exchange feed")
        if configuration.optimizer != nil {
            let interval = Duration.seconds(60 * configuration.strategy.parameterUpdateIntervalMinutes)
            add(SchedulerService(scheduler: ParameterUpdateScheduler(strategy: loop, clock: ContinuousClock(), interval: interval)),
                "re-optimisation scheduler")
        }
        add(StrategyHTTPService(configuration: configuration.http, backend: backend, metrics: metrics,
                                logger: Logger(label: "delta-arb.http"), onListening: onListening), "HTTP API")

        var groupConfiguration = ServiceGroupConfiguration(services: services, logger: logger)
        groupConfiguration.gracefulShutdownSignals = [.sigterm, .sigint]
        groupConfiguration.maximumGracefulShutdownDuration = configuration.shutdownTimeout
        let group = ServiceGroup(configuration: groupConfiguration)
        try await group.run()
        if let failure = eventLogFailure.withLock({ $0 }) { throw failure }
        if let failure = loop.status().failure { throw StrategyServerError.strategyStopped(failure) }
    }
}

/// Why `delta-arb serve` stopped with an error of its own.
public enum StrategyServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The strategy loop stopped on a failure (a journal write), in its words.
    case strategyStopped(String)
    /// The feed ended without being asked to (a subscription refused ends it with that error instead).
    case feedEnded
    /// The given thresholds differ from those the state holds, without `overrideThresholds`.
    case thresholdsDiffer(given: ThresholdPair, saved: ThresholdPair)

    public var description: String {
        switch self {
        case .strategyStopped(let reason): "the strategy stopped: \(reason)"
        case .feedEnded: "the exchange feed ended"
        case .thresholdsDiffer(let given, let saved):
            "--entry \(given.entryThresholdPct) --exit \(given.exitThresholdPct) differ from the thresholds saved in the state "
                + "(entry \(saved.entryThresholdPct), exit \(saved.exitThresholdPct)); omit them to resume on the saved ones, "
                + "or add --override-thresholds"
        }
    }
}

/// The strategy loop as a service: runs it; on a graceful shutdown (the
/// feed has stopped by then: it starts later and so stops earlier) finishes it.
struct StrategyLoopService: Service {
    let loop: StrategyLoop

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await loop.run()
        } onGracefulShutdown: {
            loop.finish()
        }
    }
}

/// A quote recorder as a service: writes every flush interval, and once more on shutdown.
struct QuoteRecorderService: Service {
    let recorder: LiveQuoteRecorder
    let logger: Logger

    func run() async throws {
        let recorder = self.recorder, logger = self.logger
        await cancelWhenGracefulShutdown {
            await recorder.run { error in
                logger.error("recording \(recorder.market) quotes failed (kept for the next write): \(error)")
            }
        }
    }
}

/// The wall-clock re-optimisation scheduler as a service.
struct SchedulerService: Service {
    let scheduler: ParameterUpdateScheduler<ContinuousClock>

    func run() async throws {
        await cancelWhenGracefulShutdown { await scheduler.run() }
    }
}

/// Binds the state to the live feeds, warms the optimiser up from the store,
/// then hands every merged update to the loop, numbered on from the committed
/// sequence, until a graceful shutdown (after the update in hand).
struct FeedDrivingService: Service {
    let feed: TwoMarketExchangeFeed
    let loop: StrategyLoop
    let configuration: StrategyServerConfiguration
    let eventLogFailure: Locked<(any Error)?>
    let logger: Logger

    func run() async throws {
        try await loop.bindFeed(configuration.feedIdentity, live: true)
        if let pair = configuration.thresholds {
            do {
                // Fixed without an optimiser; otherwise starting values a resumed state keeps its own over.
                if let replaced = try await loop.changeThresholds(
                    .fixed(pair, initialOnly: configuration.optimizer != nil, override: configuration.overrideThresholds)) {
                    logger.notice("""
                        trading on entry \(pair.entryThresholdPct) exit \(pair.exitThresholdPct) instead of the saved \
                        entry \(replaced.entryThresholdPct) exit \(replaced.exitThresholdPct) (override)
                        """)
                }
            } catch let mismatch as ThresholdMismatchError {
                throw StrategyServerError.thresholdsDiffer(given: pair, saved: mismatch.saved)
            }
        }
        if let hours = configuration.warmUpHours, let url = configuration.recordDatabase {
            try await warmUp(hours: hours, from: url)
        }
        let first = loop.status().context.lastSequence + 1
        let loop = self.loop, failure = eventLogFailure
        try await cancelWhenGracefulShutdown {
            // Holds are decided on the feed's task as frames are read; anything more (and every update
            // after a failed event-log write, which `handle` then refuses) goes through the loop.
            try await feed.run(firstSequence: first, decide: { update in
                failure.withLock { $0 == nil } && loop.decideNow(update)
            }, handle: { update in
                if let error = failure.withLock({ $0 }) { throw error }
                try await loop.handle(update)
            })
        }
        // A feed ends only when cancelled (a shutdown) or refused (an error thrown above).
        if !Task.isCancelled && !Task.isShuttingDownGracefully { throw StrategyServerError.feedEnded }
    }

    private func warmUp(hours: Double, from url: PostgresURL) async throws {
        let now = Int64(Date().timeIntervalSince1970 * 1e9)
        let source = PostgresBookTickerSource(
            url: url, symbol: configuration.symbol,
            spotMarket: StrategyServerConfiguration.storeMarketName(configuration.spotFeed.endpoint),
            futuresMarket: StrategyServerConfiguration.storeMarketName(configuration.futuresFeed.endpoint),
            from: now - Int64(hours * 3.6e12), to: now)
        do {
            let data = try await source.load().data
            try await loop.warmUp(with: data)
            logger.info("warm-up: \(data.count) stored rows of the last \(hours) h in the optimiser's window")
        } catch {
            // A first run has nothing stored yet; a store that cannot be read only
            // delays the first re-optimisation. Neither stops trading.
            logger.warning("warm-up skipped, the optimiser's window starts empty: \(error)")
        }
    }
}
