import AsyncHTTPClient
import DeltaArbitrage
import DeltaArbitrageLive
import DeltaArbitrageSources
import ExchangeStandIns
import Foundation
import NIOCore
import Testing

/// `delta-arb serve` as a real process against stand-in exchange servers on
/// loopback: HTTP API with a real client, SIGTERM, kill -9 and restart.
@Suite("delta-arb serve", .serialized)
struct ServeCLITests {
    /// A running `delta-arb serve` and where its API listens.
    struct Server {
        let process: Process
        let port: Int
        let stderr: URL

        var base: String { "http://127.0.0.1:\(port)" }
        var log: String { (try? String(contentsOf: stderr, encoding: .utf8)) ?? "" }
    }

    /// Two Gate.io stand-ins (spot, futures) streaming `perSecond` updates each, ids in step.
    static func standIns(perSecond: Double) async throws -> (ExchangeStandIn, ExchangeStandIn) {
        let spot = ExchangeStandIn(venue: .gateio, market: .spot, scripts: [.init(steps: [.stream(perSecond: perSecond)])])
        let futures = ExchangeStandIn(venue: .gateio, market: .futures, scripts: [.init(steps: [.stream(perSecond: perSecond)])],
                                      contractSize: 0.0001)
        try await spot.start()
        try await futures.start()
        return (spot, futures)
    }

    /// Starts `serve` on the stand-ins and waits for the line naming its HTTP port.
    static func start(spot: ExchangeStandIn, futures: ExchangeStandIn, directory: URL, extra: [String],
                      symbol: String = "BTC/USDT") throws -> Server {
        let process = Process()
        process.executableURL = CLITests.executable
        process.arguments = ["serve", "--venue", "gateio", "--symbol", symbol,
                             "--spot-ws", spot.url, "--futures-ws", futures.url, "--futures-contract-size", "0.0001",
                             "--http", "127.0.0.1:0"] + extra
        let stderr = directory.appendingPathComponent("serve-\(UUID().uuidString).stderr")
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: stderr)
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline {
            let text = (try? String(contentsOf: stderr, encoding: .utf8)) ?? ""
            if let range = text.range(of: "http://127.0.0.1:"),
               let port = Int(text[range.upperBound...].prefix { $0.isNumber }) {
                return Server(process: process, port: port, stderr: stderr)
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        process.terminate()
        Issue.record("serve did not report its HTTP port: \((try? String(contentsOf: stderr, encoding: .utf8)) ?? "")")
        throw CancellationError()
    }

    static func get(_ url: String) async throws -> (status: UInt, body: String) {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 22)
        return (response.status.code, String(buffer: body))
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// Polls `condition` every 50 ms for up to `seconds`; a poll that throws (a request that timed
    /// out on a loaded machine) counts as not yet.
    static func eventually(_ seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? await condition()) == true { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    static func waitForExit(_ process: Process, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        return !process.isRunning
    }

    @Test func servesTheAPIAndStopsGracefullyOnSIGTERM() async throws {
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (spot, futures) = try await Self.standIns(perSecond: 200)
        defer { Task { await spot.stop(); await futures.stop() } }
        let events = directory.appendingPathComponent("events.jsonl")
        let server = try Self.start(spot: spot, futures: futures, directory: directory,
                                    extra: ["--entry", "0.5", "--exit", "0.1", "--no-update", "--event-log", events.path])

        // Healthy once both feeds stream.
        let healthy = try await Self.eventually(60) { try await Self.get(server.base + "/health").status == 200 }
        #expect(healthy, "\(server.log)")
        let status = try Self.json(try await Self.get(server.base + "/status").body)
        #expect(status["symbol"] as? String == "BTC/USDT")
        let thresholds = try #require((status["optimization_status"] as? [String: Any])?["thresholds"] as? [String: Any])
        #expect(thresholds["entry_threshold_pct"] as? Double == 0.5)
        #expect(try await Self.get(server.base + "/parameters").status == 200)

        let metrics = try await Self.get(server.base + "/metrics").body
        for market in ["spot", "futures"] {
            let line = metrics.split(separator: "\n").first { $0.hasPrefix("delta_arb_feed_messages_total{market=\"\(market)\"}") }
            let count = line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
            #expect(count > 0, "no \(market) messages counted:\n\(metrics)")
        }
        #expect(metrics.contains("delta_arb_decision_latency_seconds_bucket"))
        // Fixed thresholds: a refresh is refused with a JSON error, not a crash.
        var refresh = HTTPClientRequest(url: server.base + "/parameters/refresh")
        refresh.method = .POST
        let refused = try await HTTPClient.shared.execute(refresh, timeout: .seconds(10))
        #expect(refused.status.code == 409)

        // SIGTERM: drains and exits 0 within a few seconds.
        let stopAsked = Date()
        server.process.terminate()
        #expect(Self.waitForExit(server.process, seconds: 10))
        #expect(server.process.terminationReason == .exit && server.process.terminationStatus == 0, "\(server.log)")
        #expect(Date().timeIntervalSince(stopAsked) < 8)
        #expect(server.log.contains("stopped"))

        // Stale feeds make /health answer 503 with the reason: a fresh server against silent stand-ins.
        let silentSpot = ExchangeStandIn(venue: .gateio, market: .spot, scripts: [.init(steps: [.updates(5)])])
        let silentFutures = ExchangeStandIn(venue: .gateio, market: .futures, scripts: [.init(steps: [.updates(5)])])
        try await silentSpot.start()
        try await silentFutures.start()
        defer { Task { await silentSpot.stop(); await silentFutures.stop() } }
        let stale = try Self.start(spot: silentSpot, futures: silentFutures, directory: directory,
                                   extra: ["--entry", "0.5", "--exit", "0.1", "--no-update", "--stale-seconds", "0.5"])
        defer { stale.process.terminate() }
        let unhealthy = try await Self.eventually(60) {
            let health = try await Self.get(stale.base + "/health")
            return health.status == 503 && health.body.contains("no update for")
        }
        #expect(unhealthy, "\(stale.log)")
    }

    @Test func killMinus9AndRestartKeepThePositionAndJournal() async throws {
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (spot, futures) = try await Self.standIns(perSecond: 100)
        defer { Task { await spot.stop(); await futures.stop() } }
        let state = directory.appendingPathComponent("state.sqlite").path
        let arguments = ["--entry", "0.9", "--exit", "0.45", "--no-update", "--state", state]
        let first = try Self.start(spot: spot, futures: futures, directory: directory, extra: arguments)
        // The stand-ins' books cost less than 0.9 % to enter; paying 0.45 % would take the two markets'
        // update counts (each update moves a top by 0.01 %) drifting apart by more than 45: a position
        // opens and, within the few seconds of this test, stays.
        var position: [String: Any]?
        let opened = try await Self.eventually(60) {
            position = try Self.json(try await Self.get(first.base + "/status").body)["position"] as? [String: Any]
            return position != nil
        }
        #expect(opened, "\(first.log)")
        kill(first.process.processIdentifier, SIGKILL)
        #expect(Self.waitForExit(first.process, seconds: 10))
        // What the killed server had committed (it may have traded on after the poll above).
        let committed = try #require(try await StrategyStore(path: state).context().position,
                                     "the killed server's state holds no position")
        #expect(committed.entrySequence >= position?["entry_sequence"] as? Int ?? .max)

        let second = try Self.start(spot: spot, futures: futures, directory: directory, extra: arguments)
        let status = try Self.json(try await Self.get(second.base + "/status").body)
        let resumed = try #require(status["position"] as? [String: Any], "\(second.log)")
        #expect(resumed["entry_sequence"] as? Int == committed.entrySequence)
        // Through the status JSON's decimal text and back: equal to the last bit or two.
        #expect(abs((resumed["quantity"] as? Double ?? 0) - committed.quantity) <= 1e-12 * committed.quantity)
        // A second server on the same state is refused while the first runs.
        let third = Process()
        third.executableURL = CLITests.executable
        third.arguments = ["serve", "--venue", "gateio", "--symbol", "BTC/USDT", "--spot-ws", spot.url,
                           "--futures-ws", futures.url, "--http", "127.0.0.1:0"] + arguments
        let thirdErr = Pipe()
        third.standardError = thirdErr
        third.standardOutput = FileHandle.nullDevice
        try third.run()
        let thirdMessage = String(decoding: thirdErr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        third.waitUntilExit()
        #expect(third.terminationStatus == 1 && thirdMessage.contains(state), "\(thirdMessage)")

        second.process.terminate()
        #expect(Self.waitForExit(second.process, seconds: 10))
        #expect(second.process.terminationStatus == 0, "\(second.log)")
    }

    /// `--record-db`: every accepted quote of both markets lands in the store, written
    /// at the latest when the service stops; `--warm-up-hours` reads them back at the next start.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["DELTA_ARB_TEST_DB"] != nil
                       || ProcessInfo.processInfo.environment["CI"] != nil,
                   "no test server: DELTA_ARB_TEST_DB is not set (run scripts/with-postgres.sh swift test, or scripts/test.sh)"))
    func recordsEveryQuoteIntoTheStoreAndWarmsUpFromIt() async throws {
        let url = try DatabaseCLITests.url()
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try await CLITests.run(["db", "init", "--db", url]).status == 0)
        let symbol = "R\(UInt32.random(in: 0..<UInt32.max))/USDT"
        // One at a time, 3 ms apart: each quote has its own millisecond, so the store (one quote
        // per market per instant) keeps every one. A paced stream may send a batch within one ms.
        let script = StandInScript(steps: (0..<120).flatMap { _ in [StandInScript.Step.updates(1), .pause(.milliseconds(3))] })
        let spot = ExchangeStandIn(venue: .gateio, market: .spot, symbol: symbol, scripts: [script])
        let futures = ExchangeStandIn(venue: .gateio, market: .futures, symbol: symbol, scripts: [script], contractSize: 0.0001)
        try await spot.start()
        try await futures.start()
        defer { Task { await spot.stop(); await futures.stop() } }
        let arguments = ["--entry", "0.5", "--exit", "0.1", "--record-db", url, "--warm-up-hours", "1"]
        let server = try Self.start(spot: spot, futures: futures, directory: directory, extra: arguments, symbol: symbol)
        let allIn = try await Self.eventually(90) {
            let metrics = try await Self.get(server.base + "/metrics").body
            return ["spot", "futures"].allSatisfy { market in
                metrics.contains("delta_arb_feed_messages_total{market=\"\(market)\"} 120")
            }
        }
        #expect(allIn, "\(server.log)")
        // The recorders' counts reach /metrics: all 120 of each market written within a flush or two.
        let recorded = try await Self.eventually(60) {
            let lines = try await Self.get(server.base + "/metrics").body.split(separator: "\n")
            return ["spot", "futures"].allSatisfy { market in
                lines.contains { $0.hasPrefix("delta_arb_recorder_quotes_total{") && $0.contains("market=\"\(market)\"")
                    && $0.contains("result=\"inserted\"") && $0.hasSuffix(" 120") }
            } && lines.contains { $0.hasPrefix("delta_arb_recorder_failed_writes_total{") && $0.hasSuffix(" 0") }
        }
        let finalMetrics = try await Self.get(server.base + "/metrics").body
        #expect(recorded, "\(finalMetrics)")
        server.process.terminate()
        #expect(Self.waitForExit(server.process, seconds: 10))
        #expect(server.process.terminationStatus == 0, "\(server.log)")

        let source = PostgresBookTickerSource(url: try PostgresURL(url), symbol: symbol, spotMarket: "GATEIO_SPOT",
                                              futuresMarket: "GATEIO_FUTURES")
        let (_, spotRead, futuresRead) = try await source.loadWithDetails()
        #expect(spotRead.quotes.count == 120 && futuresRead.quotes.count == 120)
        #expect(spotRead.quotes.bidPrice.first == spot.top(forID: 1).bid)

        // The next start finds them.
        let again = try Self.start(spot: spot, futures: futures, directory: directory, extra: arguments, symbol: symbol)
        let warmed = try await Self.eventually(60) { again.log.contains("warm-up: ") }
        again.process.terminate()
        #expect(Self.waitForExit(again.process, seconds: 10))
        #expect(warmed && again.log.contains("rows of the last 1.0 h"), "\(again.log)")
    }
}
