// `serve` needs the live service's dependencies (NIO, Hummingbird, service-lifecycle),
// which only the SwiftPM build has; the CMake build's CLI goes without it.
#if canImport(DeltaArbitrageService)
import ArgumentParser
import DeltaArbitrage
import DeltaArbitrageExchangeFeeds
import DeltaArbitrageLive
import DeltaArbitrageService
import DeltaArbitrageSources
import Foundation
import Logging
import NIOSSL

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the live strategy service on exchange book-ticker feeds, with its HTTP API.",
        discussion: """
            Listens to a spot and a futures book-ticker stream (Gate.io v4 or Binance, over \
            wss://), merges them by arrival and trades every update against a paper exchange \
            that fills at the live top of book, at most its displayed size (no real orders). \
            Unless --no-update, the thresholds are re-optimised every --update-minutes of wall \
            time on the last --window-hours of data, off the tick path; --entry/--exit then \
            only set the thresholds used until the first update.

            HTTP API on --http (default 127.0.0.1:8080): GET / (status page), /health (200 \
            while both feeds are fresh, 503 with the reasons), /status, /parameters, /events \
            (server-sent events), /metrics (Prometheus), POST /parameters/refresh. Binding \
            beyond loopback needs a bearer token for POST: --token-file PATH or \
            $DELTA_ARB_HTTP_TOKEN.

            --state PATH keeps the position, thresholds and trade journal in SQLite: after a \
            stop, a crash or kill -9, the same command resumes them. --record-db URL writes \
            every accepted quote of both markets into the PostgreSQL book-ticker store (`db \
            init` it first), so the store fills itself; --warm-up-hours H then starts the \
            optimiser's window from the store's last H hours.

            SIGTERM or SIGINT stops gracefully: the API closes, the feeds stop after the \
            update in hand, pending quotes are written, the state is committed; exit 0.
            """
    )

    @Option(help: ArgumentHelp("Venue of both markets: gateio or binance (or give --spot-venue and --futures-venue).", valueName: "venue"))
    var venue: ExchangeVenue?

    @Option(help: ArgumentHelp("Venue of the spot market (default: --venue).", valueName: "venue"))
    var spotVenue: ExchangeVenue?

    @Option(help: ArgumentHelp("Venue of the futures market (default: --venue).", valueName: "venue"))
    var futuresVenue: ExchangeVenue?

    @Option(help: ArgumentHelp("The pair, BASE/QUOTE (e.g. BTC/USDT).", valueName: "BASE/QUOTE"))
    var symbol: String

    @Option(name: .customLong("spot-ws"), help: ArgumentHelp("Spot stream URL, ws:// or wss:// (default: the venue's public endpoint).", valueName: "url"))
    var spotWebSocket: String?

    @Option(name: .customLong("futures-ws"), help: ArgumentHelp("Futures stream URL (default: the venue's public endpoint).", valueName: "url"))
    var futuresWebSocket: String?

    @Option(name: .customLong("tls-ca-file"), help: ArgumentHelp("PEM file of certificates to trust for wss:// instead of the system's (a test server's self-signed certificate).", valueName: "path"))
    var tlsCAFile: String?

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Base units per futures contract (Gate.io futures quote sizes in contracts: its quanto_multiplier, e.g. 0.0001 for BTC_USDT).",
        valueName: "n"))
    var futuresContractSize: Double = 1

    @Option(name: .customLong("http"), help: ArgumentHelp("Where the HTTP API listens (port 0: any free port, printed at start).", valueName: "HOST:PORT"))
    var httpAddress: String = "127.0.0.1:8080"

    @Option(help: ArgumentHelp("File holding the bearer token POST requests must carry (default: $DELTA_ARB_HTTP_TOKEN).", valueName: "path"))
    var tokenFile: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Hours of trailing data each re-optimisation sees.", valueName: "hours"))
    var windowHours: Double = 24

    @Option(parsing: .unconditional, help: ArgumentHelp("Minutes of wall time between re-optimisations.", valueName: "minutes"))
    var updateMinutes: Int = 5

    @Option(parsing: .unconditional, help: ArgumentHelp("Rows of recent data kept for the optimiser (cover --window-hours at the feeds' update rate).", valueName: "n"))
    var ringRows: Int = 2_000_000

    @Option(help: ArgumentHelp("Paper fills: 'displayed' (at most the top's displayed size, partial fills handled) or 'unlimited' (the backtest's fill).", valueName: "displayed|unlimited"))
    var fill: String = "displayed"

    @Option(name: .customLong("record-db"), help: ArgumentHelp("PostgreSQL book-ticker store to record every accepted quote into (postgres://user[:password]@host[:port]/database).", valueName: "url"))
    var recordDatabase: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("With --record-db: start the optimiser's window from the store's last H hours.", valueName: "hours"))
    var warmUpHours: Double?

    @OptionGroup var live: StrategyOptions

    @OptionGroup var settings: OptimizerOptions

    func validate() throws {
        _ = try venues()
        let parts = symbol.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ValidationError("--symbol must be BASE/QUOTE (e.g. BTC/USDT), got '\(symbol)'")
        }
        guard OptimizerConfig.isValidLookback(windowHours) else { throw ValidationError("--window-hours must be in (0, 8760]") }
        guard (1...OptimizerConfig.maxUpdateIntervalMinutes).contains(updateMinutes) else {
            throw ValidationError("--update-minutes must be in 1...\(OptimizerConfig.maxUpdateIntervalMinutes)")
        }
        guard (1_000...50_000_000).contains(ringRows) else { throw ValidationError("--ring-rows must be in 1000...50000000") }
        guard futuresContractSize > 0, futuresContractSize.isFinite else { throw ValidationError("--futures-contract-size must be positive") }
        _ = try fillLimit()
        if let warmUpHours {
            guard recordDatabase != nil else { throw ValidationError("--warm-up-hours needs --record-db") }
            guard warmUpHours > 0, warmUpHours <= 8760 else { throw ValidationError("--warm-up-hours must be in (0, 8760]") }
        }
        do { _ = try HTTPServiceConfiguration.parseAddress(httpAddress) } catch {
            throw ValidationError("--http \(httpAddress): \(error)")
        }
        _ = try settings.optimizer()
        try live.requireSafe(settings)
    }

    func venues() throws -> (spot: ExchangeVenue, futures: ExchangeVenue) {
        guard let spot = spotVenue ?? venue, let futures = futuresVenue ?? venue else {
            throw ValidationError("give --venue, or both --spot-venue and --futures-venue")
        }
        return (spot, futures)
    }

    func fillLimit() throws -> PaperFillLimit {
        switch fill {
        case "displayed": return .displayedSize
        case "unlimited": return .unlimited
        default: throw ValidationError("--fill must be 'displayed' or 'unlimited', got '\(fill)'")
        }
    }

    func token() throws -> String? {
        if let tokenFile {
            guard let text = FileManager.default.contents(atPath: tokenFile) else {
                throw ValidationError("--token-file \(tokenFile): cannot read the file")
            }
            return String(decoding: text, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return ProcessInfo.processInfo.environment["DELTA_ARB_HTTP_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
    }

    func serverConfiguration() throws -> StrategyServerConfiguration {
        let (spotVenue, futuresVenue) = try venues()
        var tls: TLSConfiguration?
        if let tlsCAFile {
            var client = TLSConfiguration.makeClientConfiguration()
            client.trustRoots = .file(tlsCAFile)
            tls = client
        }
        let stale = live.staleAfter
        let spotFeed = ExchangeFeedConfiguration(
            endpoint: ExchangeEndpoint(venue: spotVenue, market: .spot, symbol: symbol, url: spotWebSocket),
            tlsConfiguration: tls, stalenessLimit: stale, logger: Logger(label: "delta-arb.feed.spot"))
        let futuresFeed = ExchangeFeedConfiguration(
            endpoint: ExchangeEndpoint(venue: futuresVenue, market: .futures, symbol: symbol, url: futuresWebSocket),
            tlsConfiguration: tls, contractSize: futuresContractSize, stalenessLimit: stale,
            logger: Logger(label: "delta-arb.feed.futures"))
        let (host, port) = try HTTPServiceConfiguration.parseAddress(httpAddress)
        let http: HTTPServiceConfiguration
        do {
            http = try HTTPServiceConfiguration(host: host, port: port, bearerToken: try token())
        } catch let error as HTTPServiceConfigurationError {
            throw ValidationError("--http \(httpAddress): \(error)")
        }
        var optimizer = try settings.optimizer()
        optimizer.config.optimizationLookbackHours = windowHours
        var strategy = DeltaArbitrageConfig(optimizer: optimizer.config)
        strategy.parameterUpdateIntervalMinutes = updateMinutes
        strategy.basePositionSize = live.positionSize
        var configuration = StrategyServerConfiguration(symbol: symbol, spotFeed: spotFeed, futuresFeed: futuresFeed, http: http,
                                                        strategy: strategy, optimizer: live.noUpdate ? nil : optimizer)
        configuration.thresholds = live.thresholds
        configuration.overrideThresholds = live.overrideThresholds
        configuration.statePath = live.state
        configuration.eventLogPath = live.eventLog
        configuration.recordDatabase = try recordDatabase.map { try PostgresURL($0) }
        configuration.warmUpHours = warmUpHours
        configuration.fillLimit = try fillLimit()
        configuration.staleAfter = stale
        configuration.ringCapacity = ringRows
        return configuration
    }

    func run() async throws {
        try await reportingFailures {
            let configuration = try serverConfiguration()
            let server = StrategyServer(configuration: configuration) { port in
                let host = configuration.http.host.contains(":") ? "[\(configuration.http.host)]" : configuration.http.host
                StandardError.write("delta-arb serve: \(configuration.symbol) — HTTP API on http://\(host):\(port)/ "
                    + "(state: \(configuration.statePath ?? "in memory"))\n")
            }
            try await server.run()
            StandardError.write("delta-arb serve: stopped; "
                + (configuration.statePath.map { "state committed to \($0)" } ?? "nothing saved (no --state)") + "\n")
        }
    }
}

extension ExchangeVenue: ExpressibleByArgument {}
#endif
