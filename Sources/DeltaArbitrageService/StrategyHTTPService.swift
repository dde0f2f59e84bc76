import DeltaArbitrageLive
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The HTTP API as a swift-service-lifecycle `Service`: put it in the
/// `ServiceGroup` of `delta-arb serve` next to the feeds and the strategy loop.
///
/// `run()` binds, serves until the group shuts down gracefully (open
/// `/events` streams are ended, requests in flight are answered), and
/// meanwhile counts every strategy event into `metrics`. It throws
/// `HTTPServiceError.cannotListen` when the address cannot be bound.
public struct StrategyHTTPService: Service {
    /// Where it listens and the token its `POST` endpoints need.
    public let configuration: HTTPServiceConfiguration
    /// The strategy side the API reads and steers.
    public let backend: any StrategyServiceBackend
    /// The metrics `GET /metrics` shows; the strategy loop records decision latencies into it.
    public let metrics: ServiceMetrics
    private let logger: Logger
    private let onListening: @Sendable (Int) async -> Void

    /// A service for `backend`; `onListening` is called with the bound port once
    /// the server accepts connections (the port chosen when `configuration.port` is 0).
    public init(configuration: HTTPServiceConfiguration, backend: any StrategyServiceBackend,
                metrics: ServiceMetrics = ServiceMetrics(), logger: Logger = Logger(label: "delta-arb.http"),
                onListening: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.configuration = configuration
        self.backend = backend
        self.metrics = metrics
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let api = StrategyHTTPAPI(backend: backend, metrics: metrics, configuration: configuration)
        let onListening = self.onListening
        let app = Application(
            router: api.router(),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port),
                                                    serverName: "delta-arb"),
            services: [EventMetricsService(backend: backend, metrics: metrics)],
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? -1) },
            logger: logger)
        do {
            try await app.run()
        } catch let error as IOError {
            throw HTTPServiceError.cannotListen(host: configuration.host, port: configuration.port,
                                               reason: error.description)
        }
    }
}

/// The HTTP API could not run.
public enum HTTPServiceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Binding `host:port` failed, with the system's reason.
    case cannotListen(host: String, port: Int, reason: String)

    public var description: String {
        switch self {
        case .cannotListen(let host, let port, let reason): "cannot listen for HTTP on \(host):\(port): \(reason)"
        }
    }
}

/// Counts the strategy's events into the metrics until the service shuts down.
struct EventMetricsService: Service {
    let backend: any StrategyServiceBackend
    let metrics: ServiceMetrics

    func run() async throws {
        for await event in backend.subscribeEvents().cancelOnGracefulShutdown() {
            metrics.observe(event)
        }
        // A service that returns early stops its group: with the strategy's events over, the API still serves.
        try await gracefulShutdown()
    }
}
