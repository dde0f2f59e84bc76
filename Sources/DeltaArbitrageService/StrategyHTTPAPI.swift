import DeltaArbitrage
import DeltaArbitrageLive
import Foundation
import Hummingbird

/// The routes of the HTTP API (see docs/design.md, "Service HTTP API"):
/// `GET /`, `/health`, `/status`, `/parameters`, `/events`, `/metrics` and
/// `POST /parameters/refresh`.
struct StrategyHTTPAPI: Sendable {
    let backend: any StrategyServiceBackend
    let metrics: ServiceMetrics
    let configuration: HTTPServiceConfiguration

    private static let encoder = makeJSONEncoder(pretty: true)

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/html; charset=utf-8"
            headers[.cacheControl] = "no-cache"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: StatusPage.html)))
        }
        router.get("/health") { _, _ in
            let health = await backend.feedHealth()
            return try json(HealthDocument(report: health), status: health.isHealthy ? .ok : .serviceUnavailable)
        }
        router.get("/status") { _, _ in
            async let status = backend.status()
            async let health = backend.feedHealth()
            let (snapshot, report) = await (status, health)
            return try json(StatusDocument(snapshot: snapshot, health: report, time: Date()), status: .ok)
        }
        router.get("/parameters") { _, _ in
            try json(ParametersDocument(pair: await backend.currentParameters()), status: .ok)
        }
        router.post("/parameters/refresh") { request, _ in
            if let refusal = try authorize(request) { return refusal }
            do {
                return try json(try await backend.updateParameters(), status: .ok)
            } catch let error as ParameterUpdateError {
                return try json(ErrorDocument(error: error.description, reason: error.reason), status: .conflict)
            } catch let error as DataFetchError {
                return try json(ErrorDocument(error: error.description, reason: error.reason), status: .serviceUnavailable)
            } catch {
                return try json(ErrorDocument(error: "parameter update failed: \(error)", reason: "\(error)"),
                                status: .internalServerError)
            }
        }
        router.get("/events") { _, _ in
            EventStreamResponder(backend: backend, metrics: metrics, keepAliveInterval: configuration.keepAliveInterval,
                                 capacity: configuration.eventBufferCapacity).response()
        }
        router.get("/metrics") { _, _ in
            async let status = backend.status()
            async let health = backend.feedHealth()
            let (snapshot, report) = await (status, health)
            metrics.update(feeds: report.feeds)
            metrics.update(status: snapshot)
            metrics.update(recorders: await backend.recorderStates())
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        return router
    }

    /// Nil when the request may mutate; otherwise the 401 response to send.
    func authorize(_ request: Request) throws -> Response? {
        guard let token = configuration.bearerToken else { return nil }
        let given = request.headers[.authorization] ?? ""
        let prefix = "Bearer "
        if given.hasPrefix(prefix), constantTimeEquals(Array(given.utf8.dropFirst(prefix.utf8.count)), Array(token.utf8)) {
            return nil
        }
        let problem = given.isEmpty ? "missing Authorization: Bearer token" : "wrong bearer token"
        var response = try json(ErrorDocument(error: "unauthorized: \(problem)", reason: problem), status: .unauthorized)
        response.headers[.wwwAuthenticate] = "Bearer realm=\"delta-arb\""
        return response
    }

    private func json(_ value: some Encodable, status: HTTPResponse.Status) throws -> Response {
        var data = try Self.encoder.encode(value)
        data.append(0x0A)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Compares without stopping at the first difference, so the time taken says nothing about the token.
func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var difference = UInt8(a.count == b.count ? 0 : 1)
    for i in 0..<max(a.count, b.count) {
        difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
    }
    return difference == 0
}

/// `GET /health`: `status` (`ok` or `unhealthy`), `reasons` (empty when ok) and `feeds`.
struct HealthDocument: Encodable {
    let report: FeedHealthReport

    enum CodingKeys: String, CodingKey { case status, reasons, feeds }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(report.isHealthy ? "ok" : "unhealthy", forKey: .status)
        try c.encode(report.reasons, forKey: .reasons)
        try c.encode(report.feeds, forKey: .feeds)
    }
}

/// `GET /status`: the strategy snapshot's fields plus `parameters` (thresholds
/// in force), `feeds`, `healthy` and `time` (ISO-8601 UTC, wall clock).
struct StatusDocument: Encodable {
    let snapshot: StrategyStatusSnapshot
    let health: FeedHealthReport
    let time: Date

    enum CodingKeys: String, CodingKey { case parameters, feeds, healthy, time }

    func encode(to encoder: any Encoder) throws {
        try snapshot.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ParametersDocument(pair: snapshot.optimizationStatus.thresholds), forKey: .parameters)
        try c.encode(health.feeds, forKey: .feeds)
        try c.encode(health.isHealthy, forKey: .healthy)
        let nanoseconds = Int64((time.timeIntervalSince1970 * 1_000).rounded()) * 1_000_000
        try c.encode(UTCTime.iso8601(nanoseconds: nanoseconds), forKey: .time)
    }
}

/// `GET /parameters` (the seed's `get_current_parameters()`): `entry_threshold_pct`
/// and `exit_threshold_pct`, both `null` before any thresholds exist.
struct ParametersDocument: Encodable {
    let pair: ThresholdPair?

    enum CodingKeys: String, CodingKey { case entryThresholdPct = "entry_threshold_pct", exitThresholdPct = "exit_threshold_pct" }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeFinite(pair?.entryThresholdPct, forKey: .entryThresholdPct)
        try c.encodeFinite(pair?.exitThresholdPct, forKey: .exitThresholdPct)
    }
}

/// An error response: `error` (one line for a person), `reason` (the cause alone) and `updated: false`.
struct ErrorDocument: Encodable {
    let error: String
    let reason: String

    enum CodingKeys: String, CodingKey { case error, reason, updated }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(error, forKey: .error)
        try c.encode(reason, forKey: .reason)
        try c.encode(false, forKey: .updated)
    }
}
