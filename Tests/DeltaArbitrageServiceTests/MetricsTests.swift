import DeltaArbitrage
@testable import DeltaArbitrageLive
import Foundation
import Testing
@testable import DeltaArbitrageService

/// The value of the sample `series` (name and labels exactly as exposed) in Prometheus text, nil when absent.
func sample(_ text: String, _ series: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
        return Double(line.dropFirst(series.count + 1))
    }
    return nil
}

@Suite("Metrics")
struct MetricsTests {
    @Test("GET /metrics: feed counters per market, decision latency buckets, strategy gauges, in Prometheus text")
    func scrape() async throws {
        let backend = FakeBackend(health: FakeBackend.freshFeeds(spotMessages: 10, futuresMessages: 20))
        let metrics = ServiceMetrics()
        for ns in [800, 3_000, 15_000] as [Int64] { metrics.recordDecisionLatency(nanoseconds: ns) }
        let (first, second) = try await withRunningService(backend: backend, metrics: metrics) { port in
            let first = try await fetch(port, "/metrics")
            backend.health = FakeBackend.freshFeeds(spotMessages: 25, futuresMessages: 20)
            backend.health.feeds[1].connected = false
            backend.health.feeds[1].problem = "disconnected, reconnecting"
            return (first, try await fetch(port, "/metrics"))
        }
        #expect(first.status == 200)
        #expect(first.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = first.body
        #expect(sample(text, #"delta_arb_feed_messages_total{market="spot"}"#) == 10)
        #expect(sample(text, #"delta_arb_feed_messages_total{market="futures"}"#) == 20)
        #expect(sample(text, #"delta_arb_feed_reconnects_total{market="spot"}"#) == 1)
        #expect(sample(text, #"delta_arb_feed_reconnects_total{market="futures"}"#) == 0)
        #expect(sample(text, #"delta_arb_feed_rejected_total{market="spot"}"#) == 2)
        #expect(sample(text, #"delta_arb_feed_rejected_total{market="futures"}"#) == 0)
        #expect(sample(text, #"delta_arb_feed_connected{market="futures"}"#) == 1)
        #expect(text.contains("# TYPE delta_arb_feed_messages_total counter"))
        #expect(text.contains("# TYPE delta_arb_decision_latency_seconds histogram"))
        #expect(sample(text, #"delta_arb_decision_latency_seconds_bucket{le="0.000001"}"#) == 1)
        #expect(sample(text, #"delta_arb_decision_latency_seconds_bucket{le="0.000005"}"#) == 2)
        #expect(sample(text, #"delta_arb_decision_latency_seconds_bucket{le="0.00002"}"#) == 3)
        #expect(sample(text, #"delta_arb_decision_latency_seconds_bucket{le="+Inf"}"#) == 3)
        #expect(sample(text, "delta_arb_decision_latency_seconds_count") == 3)
        #expect(sample(text, "delta_arb_entry_threshold_pct") == 0.42)
        #expect(sample(text, "delta_arb_exit_threshold_pct") == 0.12)
        #expect(sample(text, "delta_arb_position_open") == 0)
        #expect(sample(text, "delta_arb_trading_halted") == 0)
        // The counters follow the backend's cumulative totals.
        #expect(sample(second.body, #"delta_arb_feed_messages_total{market="spot"}"#) == 25)
        #expect(sample(second.body, #"delta_arb_feed_messages_total{market="futures"}"#) == 20)
        #expect(sample(second.body, #"delta_arb_feed_connected{market="futures"}"#) == 0)
        #expect(sample(second.body, #"delta_arb_feed_fresh{market="futures"}"#) == 0)
    }

    @Test("Feed counters never go back: a lower total is a restarted count and is added whole")
    func feedCounterRestart() {
        let metrics = ServiceMetrics()
        func spot(_ messages: Int) -> [FeedState] {
            [FeedState(market: .spot, venue: "binance", connected: true, problem: nil, lastUpdateAgeSeconds: nil,
                       messages: messages, reconnects: 0, rejected: 0)]
        }
        metrics.update(feeds: spot(100))
        metrics.update(feeds: spot(130))
        metrics.update(feeds: spot(5))
        #expect(sample(metrics.exposition(), #"delta_arb_feed_messages_total{market="spot"}"#) == 135)
    }

    @Test("Strategy events: optimisation durations, parameter updates, orders, trades, P&L and alerts")
    func eventSeries() throws {
        let metrics = ServiceMetrics()
        for event in EventStreamTests.sampleEvents() { metrics.observe(event) }
        metrics.observe(.optimizationStatus(OptimizationStatusEvent(timestamp: 1, status: .completed, dataPointsAnalyzed: 500,
                                                                    durationMs: 1_500)))
        metrics.observe(.optimizationStatus(OptimizationStatusEvent(timestamp: 2, status: .failed, dataPointsAnalyzed: 10,
                                                                    errorMessage: "not enough data", durationMs: 3)))
        let text = metrics.exposition()
        #expect(sample(text, #"delta_arb_optimizations_total{status="completed"}"#) == 1)
        #expect(sample(text, #"delta_arb_optimizations_total{status="failed"}"#) == 1)
        #expect(sample(text, #"delta_arb_optimization_duration_seconds_bucket{le="1.0"}"#) == 0)
        #expect(sample(text, #"delta_arb_optimization_duration_seconds_bucket{le="2.0"}"#) == 1)
        #expect(sample(text, "delta_arb_optimization_duration_seconds_sum") == 1.5)
        #expect(sample(text, "delta_arb_parameter_updates_total") == 1)
        #expect(sample(text, #"delta_arb_orders_total{purpose="open",result="failed"}"#) == 1)
        #expect(sample(text, "delta_arb_trades_total") == 1)
        #expect(sample(text, "delta_arb_alerts_total") == 1)
        guard case .trade(let trade) = EventStreamTests.sampleEvents()[3] else { Issue.record("no trade"); return }
        let pnl = try #require(sample(text, "delta_arb_realized_pnl_quote"))
        #expect(abs(pnl - trade.trade.totalPnlPts * 2) < 1e-9)
        #expect(sample(text, "delta_arb_trade_net_pnl_pct_count") == 1)
        let pnlSum = try #require(sample(text, "delta_arb_trade_net_pnl_pct_sum"))
        #expect(abs(pnlSum - trade.trade.netPnlPct) < 1e-9)
    }

    @Test("The service counts the backend's events into /metrics by itself")
    func eventsWiredIntoMetrics() async throws {
        let backend = FakeBackend()
        let text = try await withRunningService(backend: backend) { port in
            await backend.waitForSubscriptions(1)  // the service's own event subscription
            backend.hub.publish(EventStreamTests.sampleEvents()[3])
            backend.hub.publish(alert("after the trade"))
            // The counting runs on its own task: read until the last event published shows (bounded).
            for _ in 0..<500 {
                let text = try await fetch(port, "/metrics").body
                if sample(text, "delta_arb_alerts_total") == 1 { return text }
                try await Task.sleep(for: .milliseconds(20))
            }
            return try await fetch(port, "/metrics").body
        }
        #expect(sample(text, "delta_arb_alerts_total") == 1)
        #expect(sample(text, "delta_arb_trades_total") == 1)
    }

    @Test("Before any thresholds the threshold gauges read NaN")
    func thresholdsUnset() {
        let metrics = ServiceMetrics()
        metrics.update(status: FakeBackend.sampleStatus(thresholds: nil))
        #expect(sample(metrics.exposition(), "delta_arb_entry_threshold_pct")?.isNaN == true)
    }
}
