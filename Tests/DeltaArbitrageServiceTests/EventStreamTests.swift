import DeltaArbitrage
@testable import DeltaArbitrageLive
import Foundation
import Logging
import ServiceLifecycle
import Testing
@testable import DeltaArbitrageService

@Suite("Server-sent events")
struct EventStreamTests {
    static func sampleEvents() -> [StrategyEvent] {
        let trade = Trade(TradeIndices(entryIndex: 3, exitIndex: 9, reason: .profitTarget),
                          entryTimeNanoseconds: 1_704_067_200_000_000_000, exitTimeNanoseconds: 1_704_070_800_000_000_000,
                          entrySpotAsk: 100, entryFutBid: 100.5, exitSpotBid: 100.4, exitFutAsk: 100.2, rule: BacktestRule())
        return [
            .optimizationStatus(OptimizationStatusEvent(timestamp: 1_704_067_200, status: .started, dataPointsAnalyzed: 500)),
            .parameterUpdate(ParameterUpdateEvent(timestamp: 1_704_067_201, oldEntryThreshold: nil, newEntryThreshold: 0.4,
                                                  oldExitThreshold: nil, newExitThreshold: 0.1, confidenceScore: 0.7,
                                                  optimizationDurationMs: 900)),
            .order(OrderEvent(timestamp: 1_704_067_202, purpose: .open,
                              order: MarketOrder(clientOrderId: "o-1", market: .spot, side: .buy, quantity: 0.5),
                              fill: nil, error: "rejected: insufficient balance")),
            .trade(TradeEvent(timestamp: 1_704_070_800, trade: trade, entryThresholdPct: 0.4, exitThresholdPct: 0.1, quantity: 2)),
            alert("spot leg could not be hedged"),
        ]
    }

    @Test("GET /events streams several events in publication order, each named by its type, data as in the event log")
    func eventsInOrder() async throws {
        let backend = FakeBackend()
        let events = Self.sampleEvents()
        let received = try await withRunningService(backend: backend) { port in
            let reader = try await EventStreamReader(port: port)
            #expect(reader.status == 200)
            #expect(reader.contentType?.hasPrefix("text/event-stream") == true)
            let opening = try await reader.nextFrame()
            #expect(opening == ["retry: 2000", ": connected"])
            for event in events { backend.hub.publish(event) }
            var received: [(String, String)] = []
            for _ in events { received.append(try await reader.nextEvent()) }
            return received
        }
        #expect(received.map(\.0) == ["optimization_status", "parameter_update", "order", "trade", "alert"])
        let decoded = try received.map { try JSONDecoder().decode(StrategyEvent.self, from: Data($0.1.utf8)) }
        #expect(decoded == events)
        let logLine = String(decoding: try makeJSONEncoder(pretty: false).encode(events[4]), as: UTF8.self)
        #expect(received[4].1 == logLine)
    }

    @Test("Two clients each get every event")
    func twoClients() async throws {
        let backend = FakeBackend()
        let (first, second) = try await withRunningService(backend: backend) { port in
            let a = try await EventStreamReader(port: port)
            let b = try await EventStreamReader(port: port)
            _ = try await a.nextFrame()
            _ = try await b.nextFrame()
            backend.hub.publish(alert("one"))
            backend.hub.publish(alert("two"))
            return ([try await a.nextEvent().data, try await a.nextEvent().data],
                    [try await b.nextEvent().data, try await b.nextEvent().data])
        }
        #expect(first == second)
        #expect(first.count == 2 && first[0].contains("\"one\"") && first[1].contains("\"two\""))
    }

    @Test("An idle stream carries keep-alive comments")
    func keepAlive() async throws {
        let configuration = try HTTPServiceConfiguration(host: "127.0.0.1", port: 0, keepAliveInterval: .milliseconds(20))
        let frame = try await withRunningService(backend: FakeBackend(), configuration: configuration) { port in
            let reader = try await EventStreamReader(port: port)
            _ = try await reader.nextFrame()
            return try await reader.nextFrame()
        }
        #expect(frame == [": keep-alive"])
    }

    @Test("A slow reader's queue keeps the newest events, drops the oldest and counts them")
    func dropOldest() async throws {
        let dropped = DropCount()
        let queue = ClientEventQueue(capacity: 3) { dropped.add($0) }
        for i in 1...5 { queue.offer(.event(alert("e\(i)"))) }
        queue.offer(.keepAlive)  // pushes out e3; a keep-alive is never counted as an event
        queue.finish()
        var items: [EventStreamItem] = []
        for await item in queue.items { items.append(item) }
        #expect(items == [.event(alert("e4")), .event(alert("e5")), .keepAlive])
        #expect(queue.droppedCount == 3)
        #expect(dropped.value == 3)
        #expect(queue.takeUnreportedDrops() == 3)
        #expect(queue.takeUnreportedDrops() == 0)
    }

    @Test("A client that stops reading never holds up publishing: its events are delivered in order or dropped and counted")
    func slowClientOverLoopback() async throws {
        let backend = FakeBackend()
        let metrics = ServiceMetrics()
        let configuration = try HTTPServiceConfiguration(host: "127.0.0.1", port: 0, eventBufferCapacity: 8)
        let total = 3_000
        let padding = String(repeating: "x", count: 8_192)  // 3000 × 8 KiB: far more than the socket buffers hold
        let (delivered, notices, droppedSeries) = try await withRunningService(
            backend: backend, configuration: configuration, metrics: metrics
        ) { port in
            let reader = try await EventStreamReader(port: port)
            _ = try await reader.nextFrame()
            // The reader reads nothing while everything is published: publishing must return regardless.
            for i in 0..<total { backend.hub.publish(alert("\(i) \(padding)")) }
            var delivered: [Int] = []
            var notices: [Int] = []
            while delivered.last != total - 1 {
                let (name, data) = try await reader.nextEvent()
                if name == "dropped" {
                    let object = try #require(try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any])
                    notices.append(try field(object, "dropped_events", as: Int.self))
                } else {
                    let event = try JSONDecoder().decode(StrategyEvent.self, from: Data(data.utf8))
                    guard case .alert(let alert) = event, let index = Int(alert.message.prefix { $0 != " " }) else {
                        Issue.record("unexpected event \(data.prefix(80))")
                        break
                    }
                    delivered.append(index)
                }
            }
            return (delivered, notices, sample(metrics.exposition(), "delta_arb_http_events_dropped_total"))
        }
        #expect(delivered == delivered.sorted(), "delivered in publication order")
        #expect(delivered.last == total - 1, "the newest event is kept")
        let dropped = notices.reduce(0, +)
        #expect(dropped > 0, "the socket cannot hold 24 MB: some events must have been dropped")
        #expect(delivered.count + dropped == total, "every event is delivered or counted as dropped")
        #expect(droppedSeries == Double(dropped))
    }

    @Test("Dropped events are announced to the client in-stream as 'dropped' frames")
    func droppedFrameFormat() throws {
        #expect(ServerSentEventFormat.droppedFrame(7) == "event: dropped\ndata: {\"dropped_events\":7}\n\n")
        let frame = try ServerSentEventFormat.frame(alert("x"))
        #expect(frame.hasPrefix("event: alert\ndata: {"))
        #expect(frame.hasSuffix("}\n\n"))
        #expect(frame.filter { $0 == "\n" }.count == 3, "one event line, one data line, one blank line")
    }

    @Test("Graceful shutdown ends open event streams and the service returns")
    func gracefulShutdownEndsStreams() async throws {
        let backend = FakeBackend()
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let service = StrategyHTTPService(configuration: try HTTPServiceConfiguration(host: "127.0.0.1", port: 0),
                                          backend: backend, logger: quietLogger, onListening: { continuation.yield($0) })
        let group = ServiceGroup(configuration: .init(services: [service], logger: quietLogger))
        let running = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let reader = try await EventStreamReader(port: port)
        _ = try await reader.nextFrame()
        backend.hub.publish(alert("before shutdown"))
        #expect(try await reader.nextEvent().data.contains("before shutdown"))
        await group.triggerGracefulShutdown()
        #expect(await reader.endsWithoutMoreEvents())
        try await running.value
    }

    @Test("The event stream ends when the backend's events finish")
    func backendFinishes() async throws {
        let backend = FakeBackend()
        let ended = try await withRunningService(backend: backend) { port in
            let reader = try await EventStreamReader(port: port)
            _ = try await reader.nextFrame()
            backend.hub.finish()
            return await reader.endsWithoutMoreEvents()
        }
        #expect(ended)
    }
}

final class DropCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add(_ n: Int) { lock.withLock { count += n } }
    var value: Int { lock.withLock { count } }
}
