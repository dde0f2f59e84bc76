import AsyncHTTPClient
import DeltaArbitrage
@testable import DeltaArbitrageLive
import Foundation
import Testing
@testable import DeltaArbitrageService

@Suite("HTTP API")
struct HTTPAPITests {
    @Test("GET /health: 200 with the feeds while all are fresh")
    func healthFresh() async throws {
        let response = try await withRunningService(backend: FakeBackend()) { try await fetch($0, "/health") }
        #expect(response.status == 200)
        #expect(response.headers["content-type"]?.hasPrefix("application/json") == true)
        let json = try response.json()
        #expect(json["status"] as? String == "ok")
        #expect((json["reasons"] as? [Any])?.isEmpty == true)
        let feeds = try field(json, "feeds", as: [[String: Any]].self)
        #expect(feeds.map { $0["market"] as? String } == ["spot", "futures"])
        #expect(feeds.allSatisfy { $0["fresh"] as? Bool == true && $0["problem"] is NSNull })
    }

    @Test("GET /health: 503 naming each stale or disconnected feed")
    func healthStale() async throws {
        var health = FakeBackend.freshFeeds()
        health.feeds[0].problem = "no update for 12.0 s (limit 5 s)"
        health.feeds[1].connected = false
        health.feeds[1].problem = "disconnected, reconnecting"
        let backend = FakeBackend(health: health)
        let response = try await withRunningService(backend: backend) { try await fetch($0, "/health") }
        #expect(response.status == 503)
        let json = try response.json()
        #expect(json["status"] as? String == "unhealthy")
        #expect(json["reasons"] as? [String] == ["spot: no update for 12.0 s (limit 5 s)", "futures: disconnected, reconnecting"])
        let feeds = try field(json, "feeds", as: [[String: Any]].self)
        #expect(feeds.map { $0["fresh"] as? Bool } == [false, false])
    }

    @Test("GET /health: 503 when no feed runs at all")
    func healthNoFeeds() async throws {
        let backend = FakeBackend(health: FeedHealthReport(feeds: []))
        let response = try await withRunningService(backend: backend) { try await fetch($0, "/health") }
        #expect(response.status == 503)
        #expect(try response.json()["reasons"] as? [String] == ["no market-data feed is running"])
    }

    @Test("GET /status: optimisation status, thresholds, position, last optimisation, feeds, performance")
    func status() async throws {
        var snapshot = FakeBackend.sampleStatus()
        snapshot.position = try JSONDecoder().decode(LivePosition.self, from: Data("""
            {"entry_sequence": 7, "entry_time_ns": 1704067200000000000, "entry_spot_ask": 100.5, "entry_fut_bid": 100.1,
             "quantity": 0.25, "spot_fill": null, "futures_fill": null, "spot_open": true, "futures_open": true}
            """.utf8))
        let backend = FakeBackend(status: snapshot)
        let response = try await withRunningService(backend: backend) { try await fetch($0, "/status") }
        #expect(response.status == 200)
        let json = try response.json()
        #expect(json["symbol"] as? String == "BTC/USDT")
        #expect(json["healthy"] as? Bool == true)
        #expect((json["time"] as? String)?.hasSuffix("Z") == true)
        let optimization = try field(json, "optimization_status", as: [String: Any].self)
        #expect(optimization["successful_updates"] as? Int == 3)
        #expect(optimization["failed_updates"] as? Int == 1)
        #expect(optimization["confidence_score"] as? Double == 0.8)
        let parameters = try field(json, "parameters", as: [String: Any].self)
        #expect(parameters["entry_threshold_pct"] as? Double == 0.42)
        #expect(parameters["exit_threshold_pct"] as? Double == 0.12)
        let position = try field(json, "position", as: [String: Any].self)
        #expect(position["entry_sequence"] as? Int == 7)
        #expect(position["quantity"] as? Double == 0.25)
        let last = try field(json, "last_optimization", as: [String: Any].self)
        #expect(last["analysis_period_hours"] as? Int == 24)
        #expect(last["mean_reversion_speed"] as? Double == 1.5)
        let performance = try field(json, "performance", as: [String: Any].self)
        #expect(performance["uptime_percentage"] as? Double == 99.5)
        #expect(performance["parameter_update_duration_ms"] as? Double == 120)
        let latency = try field(json, "decision_latency", as: [String: Any].self)
        #expect(latency["count"] as? Int == 4)
        #expect(latency["max_ns"] as? Int == 40_000)
        let feeds = try field(json, "feeds", as: [[String: Any]].self)
        #expect(feeds.count == 2)
        #expect(feeds[0]["messages"] as? Int == 10)
        #expect(feeds[0]["clock_offset_ms"] as? Double == 3.5)
        #expect(feeds[1]["clock_offset_ms"] is NSNull)
    }

    @Test("GET /status: a flat strategy before any optimisation shows explicit nulls")
    func statusEmpty() async throws {
        var snapshot = FakeBackend.sampleStatus(thresholds: nil)
        snapshot.lastOptimization = nil
        let response = try await withRunningService(backend: FakeBackend(status: snapshot)) { try await fetch($0, "/status") }
        let json = try response.json()
        #expect(json["position"] is NSNull)
        #expect(json["last_optimization"] is NSNull)
        let parameters = try field(json, "parameters", as: [String: Any].self)
        #expect(parameters["entry_threshold_pct"] is NSNull)
        #expect(parameters["exit_threshold_pct"] is NSNull)
    }

    @Test("GET /parameters: the thresholds in force, nulls before any")
    func parameters() async throws {
        let backend = FakeBackend()
        let (set, unset) = try await withRunningService(backend: backend) { port in
            let set = try await fetch(port, "/parameters")
            backend.statusSnapshot = FakeBackend.sampleStatus(thresholds: nil)
            return (set, try await fetch(port, "/parameters"))
        }
        #expect(set.status == 200)
        #expect(try set.json()["entry_threshold_pct"] as? Double == 0.42)
        #expect(try set.json()["exit_threshold_pct"] as? Double == 0.12)
        #expect(unset.status == 200)
        #expect(try unset.json()["entry_threshold_pct"] is NSNull)
        #expect(try unset.json()["exit_threshold_pct"] is NSNull)
    }

    static let refreshed = ParameterRefreshResult(
        parameterUpdate: ParameterUpdateEvent(timestamp: 1_704_067_500, oldEntryThreshold: 0.42, newEntryThreshold: 0.38,
                                              oldExitThreshold: 0.12, newExitThreshold: 0.1, confidenceScore: 0.9,
                                              optimizationDurationMs: 250),
        optimization: nil)

    @Test("POST /parameters/refresh: 200 with the applied update on loopback without a token")
    func refreshApplied() async throws {
        let backend = FakeBackend(refresh: .success(Self.refreshed))
        let response = try await withRunningService(backend: backend) { try await fetch($0, "/parameters/refresh", post: true) }
        #expect(response.status == 200)
        let json = try response.json()
        #expect(json["updated"] as? Bool == true)
        let update = try field(json, "parameter_update", as: [String: Any].self)
        #expect(update["old_entry_threshold"] as? Double == 0.42)
        #expect(update["new_entry_threshold"] as? Double == 0.38)
        #expect(update["optimization_duration_ms"] as? Double == 250)
        #expect(json["optimization"] is NSNull)
        #expect(backend.refreshCalls == 1)
    }

    @Test("POST /parameters/refresh: a refused update is 409, no data 503, anything else 500, each with a JSON error",
          arguments: [
              (FakeBackend.RefreshOutcome.failure(ParameterUpdateError(reason: "unsafe thresholds: entry 2 % above the 1 % cap")),
               409, "parameter update failed: unsafe thresholds: entry 2 % above the 1 % cap"),
              (.failure(DataFetchError(reason: "no market data received yet")), 503,
               "market data fetch failed: no market data received yet"),
              (.failure(LoopGone()), 500, "parameter update failed: the strategy loop is gone"),
          ])
    func refreshFailures(outcome: FakeBackend.RefreshOutcome, status: Int, message: String) async throws {
        let backend = FakeBackend(refresh: outcome)
        let response = try await withRunningService(backend: backend) { try await fetch($0, "/parameters/refresh", post: true) }
        #expect(response.status == status)
        let json = try response.json()
        #expect(json["updated"] as? Bool == false)
        let error = try field(json, "error", as: String.self)
        #expect(error.hasPrefix(message))
        #expect((json["reason"] as? String)?.isEmpty == false)
    }

    @Test("POST with a token configured: 401 without or with a wrong token, 200 with the right one")
    func bearerToken() async throws {
        let backend = FakeBackend(refresh: .success(Self.refreshed))
        let configuration = try HTTPServiceConfiguration(host: "127.0.0.1", port: 0, bearerToken: "s3cret-token")
        let (missing, wrong, right, read) = try await withRunningService(backend: backend, configuration: configuration) { port in
            (try await fetch(port, "/parameters/refresh", post: true),
             try await fetch(port, "/parameters/refresh", post: true, headers: [("Authorization", "Bearer s3cret-tokeN")]),
             try await fetch(port, "/parameters/refresh", post: true, headers: [("Authorization", "Bearer s3cret-token")]),
             try await fetch(port, "/parameters"))
        }
        #expect(missing.status == 401)
        #expect(missing.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
        #expect(try missing.json()["error"] as? String == "unauthorized: missing Authorization: Bearer token")
        #expect(wrong.status == 401)
        #expect(try wrong.json()["error"] as? String == "unauthorized: wrong bearer token")
        #expect(right.status == 200)
        #expect(read.status == 200, "reads need no token")
        #expect(backend.refreshCalls == 1, "refused requests never reach the backend")
    }

    @Test("A bind beyond loopback without a token is a configuration error naming the host")
    func nonLoopbackNeedsToken() throws {
        #expect(throws: HTTPServiceConfigurationError.tokenRequired(host: "0.0.0.0")) {
            try HTTPServiceConfiguration(host: "0.0.0.0", port: 8080)
        }
        #expect(throws: HTTPServiceConfigurationError.tokenRequired(host: "192.168.1.20")) {
            try HTTPServiceConfiguration(host: "192.168.1.20", port: 8080)
        }
        let error = HTTPServiceConfigurationError.tokenRequired(host: "0.0.0.0")
        #expect(error.description.contains("0.0.0.0") && error.description.contains("bearer token"))
        #expect(throws: HTTPServiceConfigurationError.invalidToken) { try HTTPServiceConfiguration(host: "0.0.0.0", bearerToken: "") }
        let withToken = try HTTPServiceConfiguration(host: "0.0.0.0", port: 8080, bearerToken: "t")
        #expect(withToken.bearerToken == "t")
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "::1"] {
            #expect(HTTPServiceConfiguration.isLoopback(host), "\(host)")
        }
        for host in ["0.0.0.0", "::", "10.0.0.1", "127.0.0.1.example.com", "1270.0.0.1"] {
            #expect(!HTTPServiceConfiguration.isLoopback(host), "\(host)")
        }
    }

    @Test("--http HOST:PORT parses, and bad text is refused naming what is wrong")
    func parseAddress() throws {
        #expect(try HTTPServiceConfiguration.parseAddress("127.0.0.1:8080") == ("127.0.0.1", 8080))
        #expect(try HTTPServiceConfiguration.parseAddress("[::1]:9000") == ("::1", 9000))
        #expect(try HTTPServiceConfiguration.parseAddress("localhost:0") == ("localhost", 0))
        #expect(throws: HTTPServiceConfigurationError.badAddress("127.0.0.1", "expected HOST:PORT")) {
            try HTTPServiceConfiguration.parseAddress("127.0.0.1")
        }
        #expect(throws: HTTPServiceConfigurationError.badAddress("127.0.0.1:http", "the port 'http' is not a number in 0…65535")) {
            try HTTPServiceConfiguration.parseAddress("127.0.0.1:http")
        }
        #expect(throws: HTTPServiceConfigurationError.badAddress("::1:80", "an IPv6 address goes in brackets: [ADDRESS]:PORT")) {
            try HTTPServiceConfiguration.parseAddress("::1:80")
        }
        #expect(throws: HTTPServiceConfigurationError.badAddress(":80", "the host is empty")) {
            try HTTPServiceConfiguration.parseAddress(":80")
        }
    }

    @Test("A port already in use is a clear error naming the address")
    func portInUse() async throws {
        let backend = FakeBackend()
        let error = try await withRunningService(backend: backend) { port in
            let configuration = try HTTPServiceConfiguration(host: "127.0.0.1", port: port)
            let second = StrategyHTTPService(configuration: configuration, backend: backend, logger: quietLogger)
            do {
                try await second.run()
                return nil as HTTPServiceError?
            } catch let error as HTTPServiceError {
                return error
            }
        }
        let failure = try #require(error)
        #expect(failure.description.hasPrefix("cannot listen for HTTP on 127.0.0.1:"))
        #expect(failure.description.contains("in use"))
    }

    @Test("An unknown path is 404")
    func unknownPath() async throws {
        let response = try await withRunningService(backend: FakeBackend()) { try await fetch($0, "/nope") }
        #expect(response.status == 404)
    }

    @Test("GET / serves the self-contained status page")
    func statusPage() async throws {
        let response = try await withRunningService(backend: FakeBackend()) { try await fetch($0, "/") }
        #expect(response.status == 200)
        #expect(response.headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(response.body.contains("new EventSource(\"/events\")"))
        #expect(!response.body.contains("http://") && !response.body.contains("https://"), "no external resources")
    }
}

struct LoopGone: Error, CustomStringConvertible {
    var description: String { "the strategy loop is gone" }
}
