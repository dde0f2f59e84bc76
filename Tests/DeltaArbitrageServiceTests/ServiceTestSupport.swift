import AsyncHTTPClient
import DeltaArbitrage
@testable import DeltaArbitrageLive
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Testing
@testable import DeltaArbitrageService

/// A backend whose answers the test sets, publishing events through a real `EventHub`.
final class FakeBackend: StrategyServiceBackend, @unchecked Sendable {
    enum RefreshOutcome: Sendable {
        case success(ParameterRefreshResult)
        case failure(any Error & Sendable)
    }

    private let lock = NSLock()
    private var _status: StrategyStatusSnapshot
    private var _health: FeedHealthReport
    private var _refresh: RefreshOutcome
    private var _refreshCalls = 0
    private var subscriptions = 0
    private var subscriptionWaiters: [(Int, CheckedContinuation<Void, Never>)] = []
    let hub = EventHub()

    init(status: StrategyStatusSnapshot = FakeBackend.sampleStatus(), health: FeedHealthReport = FakeBackend.freshFeeds(),
         refresh: RefreshOutcome = .failure(ParameterUpdateError(reason: "not set up"))) {
        _status = status
        _health = health
        _refresh = refresh
    }

    var statusSnapshot: StrategyStatusSnapshot {
        get { lock.withLock { _status } }
        set { lock.withLock { _status = newValue } }
    }
    var health: FeedHealthReport {
        get { lock.withLock { _health } }
        set { lock.withLock { _health = newValue } }
    }
    var refresh: RefreshOutcome {
        get { lock.withLock { _refresh } }
        set { lock.withLock { _refresh = newValue } }
    }
    var refreshCalls: Int { lock.withLock { _refreshCalls } }

    func status() async -> StrategyStatusSnapshot { statusSnapshot }
    func currentParameters() async -> ThresholdPair? { statusSnapshot.optimizationStatus.thresholds }
    func feedHealth() async -> FeedHealthReport { health }

    func updateParameters() async throws -> ParameterRefreshResult {
        let outcome = lock.withLock { () -> RefreshOutcome in
            _refreshCalls += 1
            return _refresh
        }
        switch outcome {
        case .success(let result): return result
        case .failure(let error): throw error
        }
    }

    func subscribeEvents() -> AsyncStream<StrategyEvent> {
        let stream = hub.subscribe()
        let ready = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            subscriptions += 1
            let (done, waiting) = (subscriptionWaiters.filter { $0.0 <= subscriptions }, subscriptionWaiters.filter { $0.0 > subscriptions })
            subscriptionWaiters = waiting
            return done.map(\.1)
        }
        for continuation in ready { continuation.resume() }
        return stream
    }

    /// Returns once `count` subscriptions were made (the service's own metrics subscription is one).
    func waitForSubscriptions(_ count: Int) async {
        await withCheckedContinuation { continuation in
            let now = lock.withLock { () -> Bool in
                if subscriptions >= count { return true }
                subscriptionWaiters.append((count, continuation))
                return false
            }
            if now { continuation.resume() }
        }
    }

    static let thresholds = ThresholdPair(entryThresholdPct: 0.42, exitThresholdPct: 0.12)

    static func sampleStatus(thresholds: ThresholdPair? = FakeBackend.thresholds) -> StrategyStatusSnapshot {
        let optimization = StrategyOptimizationStatus(
            thresholds: thresholds, confidenceScore: 0.8, successfulUpdates: 3, failedUpdates: 1,
            lastUpdateError: nil, nextUpdateTime: "2024-01-01T00:05:00.000Z", halted: nil)
        let result = OptimizationResult(entryThresholdPct: 0.42, exitThresholdPct: 0.12, confidenceScore: 0.8,
                                        analysisPeriodHours: 24, meanReversionSpeed: 1.5, spreadVolatility: 0.03,
                                        optimizationTimestamp: 1_704_067_200)
        var latency = LatencyHistogram()
        for ns in [900, 1_500, 2_500, 40_000] as [Int64] { latency.record(ns) }
        return StrategyStatusSnapshot(
            symbol: "BTC/USDT", optimizationStatus: optimization, position: nil, lastOptimization: result,
            performance: StrategyPerformance(avgTradeExecutionMs: 0.5, parameterUpdateDurationMs: 120,
                                             memoryUsageMb: 64, uptimePercentage: 99.5),
            decisionLatency: LatencySummary(latency))
    }

    static func freshFeeds(spotMessages: Int = 10, futuresMessages: Int = 20) -> FeedHealthReport {
        FeedHealthReport(feeds: [
            FeedState(market: .spot, venue: "gateio", connected: true, problem: nil, lastUpdateAgeSeconds: 0.2,
                      messages: spotMessages, reconnects: 1, rejected: 2, clockOffsetMilliseconds: 3.5),
            FeedState(market: .futures, venue: "gateio", connected: true, problem: nil, lastUpdateAgeSeconds: 0.1,
                      messages: futuresMessages, reconnects: 0, rejected: 0),
        ])
    }
}

/// A logger that prints nothing.
let quietLogger = Logger(label: "delta-arb.http.tests") { _ in SwiftLogNoOpLogHandler() }

/// Runs the HTTP service for `backend` on a loopback port chosen by the system,
/// gives `body` that port, then shuts the service down gracefully and waits for it.
func withRunningService<T: Sendable>(
    backend: FakeBackend, configuration: HTTPServiceConfiguration? = nil, metrics: ServiceMetrics = ServiceMetrics(),
    _ body: (Int) async throws -> T
) async throws -> T {
    let configuration = try configuration ?? HTTPServiceConfiguration(host: "127.0.0.1", port: 0)
    let (ports, portContinuation) = AsyncStream<Int>.makeStream()
    let service = StrategyHTTPService(configuration: configuration, backend: backend, metrics: metrics,
                                      logger: quietLogger, onListening: { portContinuation.yield($0) })
    let group = ServiceGroup(configuration: .init(services: [service], logger: quietLogger))
    let running = Task {
        defer { portContinuation.finish() }
        try await group.run()
    }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else {
        try await running.value
        throw ServiceTestError.notListening
    }
    let result: T
    do {
        result = try await body(port)
    } catch {
        await group.triggerGracefulShutdown()
        _ = await running.result
        throw error
    }
    await group.triggerGracefulShutdown()
    try await running.value
    return result
}

enum ServiceTestError: Error {
    case notListening
    case streamEnded
    case missingField(String, in: String)
}

/// `object[key]` as a `T`; throws naming the key when it is absent or of another type.
func field<T>(_ object: [String: Any], _ key: String, as type: T.Type = T.self) throws -> T {
    guard let value = object[key] as? T else { throw ServiceTestError.missingField(key, in: "\(object)") }
    return value
}

/// A response's status, headers and whole body.
struct FetchedResponse {
    var status: Int
    var headers: [String: String]
    var body: String

    func json() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "not a JSON object: \(body)")
    }
}

/// One HTTP request with AsyncHTTPClient, body read whole.
func fetch(_ port: Int, _ path: String, post: Bool = false, headers: [(String, String)] = []) async throws -> FetchedResponse {
    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
    if post { request.method = .POST }
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
    let body = try await response.body.collect(upTo: 4 << 20)
    var fields: [String: String] = [:]
    for header in response.headers { fields[header.name.lowercased()] = header.value }
    return FetchedResponse(status: Int(response.status.code), headers: fields, body: String(buffer: body))
}

/// Reads a `text/event-stream` body frame by frame (a frame ends with a blank line).
final class EventStreamReader {
    private var iterator: HTTPClientResponse.Body.AsyncIterator
    private var pending = ""
    let status: Int
    let contentType: String?

    init(port: Int, path: String = "/events") async throws {
        let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        status = Int(response.status.code)
        contentType = response.headers.first(name: "content-type")
        iterator = response.body.makeAsyncIterator()
    }

    /// The next frame's lines, without the blank line; throws at the end of the stream.
    func nextFrame() async throws -> [String] {
        while true {
            if let end = pending.range(of: "\n\n") {
                let frame = String(pending[..<end.lowerBound])
                pending = String(pending[end.upperBound...])
                return frame.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            }
            guard let buffer = try await iterator.next() else { throw ServiceTestError.streamEnded }
            pending += String(buffer: buffer)
        }
    }

    /// The next frame that carries an `event:` (comments and keep-alives skipped), as its name and data.
    func nextEvent() async throws -> (name: String, data: String) {
        while true {
            let lines = try await nextFrame()
            if let name = lines.first(where: { $0.hasPrefix("event: ") }),
               let data = lines.first(where: { $0.hasPrefix("data: ") }) {
                return (String(name.dropFirst(7)), String(data.dropFirst(6)))
            }
        }
    }

    /// True when the stream ends (the server closed it) before another frame.
    func endsWithoutMoreEvents() async -> Bool {
        do {
            while true {
                let lines = try await nextFrame()
                if lines.contains(where: { $0.hasPrefix("event: ") }) { return false }
            }
        } catch {
            return true
        }
    }
}

func alert(_ message: String, at timestamp: Double = 1_704_067_200) -> StrategyEvent {
    .alert(AlertEvent(timestamp: timestamp, message: message))
}
