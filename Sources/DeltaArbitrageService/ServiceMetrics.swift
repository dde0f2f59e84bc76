import DeltaArbitrage
import DeltaArbitrageLive
import Foundation
import Prometheus

/// The service's Prometheus metrics (`GET /metrics`), in one registry.
///
/// How the numbers arrive:
/// - feed counters and the strategy's gauges are read at each scrape from the
///   backend (`feedHealth()`, `status()`) by `StrategyHTTPService`, which calls
///   `update(feeds:)` and `update(status:)`;
/// - event-derived series (optimisations, parameter updates, orders, trades,
///   P&L, alerts) come from the strategy's events, which `StrategyHTTPService`
///   subscribes to and hands to `observe(_:)`;
/// - the tick-to-decision latency is pushed by the strategy loop, one
///   `recordDecisionLatency(nanoseconds:)` per decided update (a lock and a
///   walk over 16 buckets, off the measured path).
///
/// Series (all names prefixed `delta_arb_`): `feed_messages_total`,
/// `feed_reconnects_total`, `feed_rejected_total`, `feed_connected`,
/// `feed_fresh` (label `market`); `decision_latency_seconds` (histogram);
/// `optimization_duration_seconds` (histogram), `optimizations_total`
/// (label `status`); `parameter_updates_total`; `entry_threshold_pct`,
/// `exit_threshold_pct`, `position_open`, `trading_halted`; `orders_total`
/// (labels `purpose`, `result`); `trades_total`, `trade_net_pnl_pct`
/// (histogram), `realized_pnl_quote`; `alerts_total`; `http_event_clients`,
/// `http_events_dropped_total`; with `--record-db`, `recorder_quotes_total`
/// (labels `market`, `result`: `inserted`, `skipped`, `dropped`),
/// `recorder_failed_writes_total` and `recorder_pending_quotes` (label `market`).
public final class ServiceMetrics: @unchecked Sendable {
    /// Upper bounds of the tick-to-decision histogram: 1 µs to 1 s.
    public static let decisionLatencyBuckets: [Duration] = [
        .microseconds(1), .microseconds(2), .microseconds(5), .microseconds(10), .microseconds(20), .microseconds(50),
        .microseconds(100), .microseconds(200), .microseconds(500), .milliseconds(1), .milliseconds(2),
        .milliseconds(5), .milliseconds(10), .milliseconds(100), .milliseconds(500), .seconds(1),
    ]
    /// Upper bounds of the optimisation-duration histogram: 10 ms to 10 min.
    public static let optimizationDurationBuckets: [Duration] = [
        .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120), .seconds(300), .seconds(600),
    ]
    /// Upper bounds of the per-trade net P&L histogram, percent.
    public static let tradePnlBuckets: [Double] = [-1, -0.5, -0.2, -0.1, -0.05, 0, 0.05, 0.1, 0.2, 0.5, 1]

    /// The registry every series lives in (for a caller that adds its own).
    public let registry: PrometheusCollectorRegistry

    private let decisionLatency: DurationHistogram
    private let optimizationDuration: DurationHistogram
    private let parameterUpdates: Counter
    private let entryThreshold: Gauge
    private let exitThreshold: Gauge
    private let positionOpen: Gauge
    private let tradingHalted: Gauge
    private let trades: Counter
    private let tradePnl: ValueHistogram
    private let realizedPnl: Gauge
    private let alerts: Counter
    private let eventClients: Gauge
    private let eventsDropped: Counter

    private let lock = NSLock()
    /// Cumulative feed counts last seen, per market and series, to turn the
    /// backend's totals into counter increments.
    private var lastFeedCounts: [String: Int] = [:]
    private var realizedPnlTotal = 0.0

    /// Metrics in `registry` (a new one by default), every series at zero.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        decisionLatency = registry.makeDurationHistogram(
            descriptor: Self.described("delta_arb_decision_latency_seconds",
                                       "Time from receiving a book update to the strategy's open/close/hold decision, seconds"),
            buckets: Self.decisionLatencyBuckets)
        optimizationDuration = registry.makeDurationHistogram(
            descriptor: Self.described("delta_arb_optimization_duration_seconds",
                                       "Wall-clock duration of completed optimisations, seconds"),
            buckets: Self.optimizationDurationBuckets)
        parameterUpdates = registry.makeCounter(
            descriptor: Self.described("delta_arb_parameter_updates_total", "Threshold changes applied"))
        entryThreshold = registry.makeGauge(
            descriptor: Self.described("delta_arb_entry_threshold_pct", "Entry threshold in force, percent (NaN before any)"))
        exitThreshold = registry.makeGauge(
            descriptor: Self.described("delta_arb_exit_threshold_pct", "Exit threshold in force, percent (NaN before any)"))
        positionOpen = registry.makeGauge(
            descriptor: Self.described("delta_arb_position_open", "1 while a hedged position is held"))
        tradingHalted = registry.makeGauge(
            descriptor: Self.described("delta_arb_trading_halted", "1 once trading has halted"))
        trades = registry.makeCounter(descriptor: Self.described("delta_arb_trades_total", "Round trips closed"))
        tradePnl = registry.makeValueHistogram(
            descriptor: Self.described("delta_arb_trade_net_pnl_pct",
                                       "Net P&L of each closed round trip, percent of the fee-adjusted entry cost"),
            buckets: Self.tradePnlBuckets)
        realizedPnl = registry.makeGauge(
            descriptor: Self.described("delta_arb_realized_pnl_quote",
                                       "Realised P&L of the round trips closed since the service started, quote currency"))
        alerts = registry.makeCounter(descriptor: Self.described("delta_arb_alerts_total", "Alerts raised"))
        eventClients = registry.makeGauge(
            descriptor: Self.described("delta_arb_http_event_clients", "Clients connected to /events"))
        eventsDropped = registry.makeCounter(
            descriptor: Self.described("delta_arb_http_events_dropped_total",
                                       "Events dropped for /events clients that read too slowly (oldest first)"))
        for market in Market.allCases {
            for series in FeedSeries.allCases { _ = feedCounter(series, market) }
        }
        for status in ["completed", "failed"] { _ = optimizations(status) }
        entryThreshold.set(to: Double.nan)
        exitThreshold.set(to: Double.nan)
    }

    // MARK: Pushed by the strategy loop

    /// Records one tick-to-decision latency, nanoseconds.
    public func recordDecisionLatency(nanoseconds: Int64) {
        decisionLatency.recordNanoseconds(max(nanoseconds, 0))
    }

    // MARK: Read at each scrape

    /// Brings the feed series to the backend's cumulative counts: each counter
    /// grows by the difference from the last report (a count below the last one
    /// means the feed restarted its count, and the whole new count is added).
    public func update(feeds: [FeedState]) {
        for feed in feeds {
            advance(.messages, feed.market, to: feed.messages)
            advance(.reconnects, feed.market, to: feed.reconnects)
            advance(.rejected, feed.market, to: feed.rejected)
            let market = [("market", feed.market.rawValue)]
            registry.makeGauge(descriptor: Self.described("delta_arb_feed_connected", "1 while the market's feed is connected"),
                               labels: market).set(to: feed.connected ? 1 : 0)
            registry.makeGauge(descriptor: Self.described("delta_arb_feed_fresh", "1 while the market's feed is fresh"),
                               labels: market).set(to: feed.isFresh ? 1 : 0)
        }
    }

    /// Brings the recorder series to the recorders' cumulative counts (read at each scrape).
    public func update(recorders: [RecorderState]) {
        for recorder in recorders {
            let market = recorder.market.rawValue
            for (result, total) in [("inserted", recorder.inserted), ("skipped", recorder.skipped), ("dropped", recorder.dropped)] {
                advance(key: "recorder/\(result)/\(market)", to: total) {
                    registry.makeCounter(descriptor: Self.described("delta_arb_recorder_quotes_total",
                                                                    "Quotes of --record-db, by what became of them"),
                                         labels: [("market", market), ("result", result)])
                }
            }
            advance(key: "recorder/failed/\(market)", to: recorder.failedWrites) {
                registry.makeCounter(descriptor: Self.described("delta_arb_recorder_failed_writes_total",
                                                                "Writes of --record-db that failed (their quotes stay pending)"),
                                     labels: [("market", market)])
            }
            registry.makeGauge(descriptor: Self.described("delta_arb_recorder_pending_quotes",
                                                          "Quotes of --record-db waiting for the next write"),
                               labels: [("market", market)]).set(to: Double(recorder.pending))
        }
    }

    /// Sets the strategy gauges (thresholds in force, position, halt) from a status snapshot.
    public func update(status: StrategyStatusSnapshot) {
        let thresholds = status.optimizationStatus.thresholds
        entryThreshold.set(to: thresholds?.entryThresholdPct ?? .nan)
        exitThreshold.set(to: thresholds?.exitThresholdPct ?? .nan)
        positionOpen.set(to: status.position == nil ? 0 : 1)
        tradingHalted.set(to: status.optimizationStatus.halted == nil ? 0 : 1)
    }

    // MARK: From the strategy's events

    /// Counts one strategy event into the event-derived series.
    public func observe(_ event: StrategyEvent) {
        switch event {
        case .parameterUpdate:
            parameterUpdates.increment()
        case .optimizationStatus(let status):
            switch status.status {
            case .started: break
            case .completed:
                optimizations("completed").increment()
                if let ms = status.durationMs, ms.isFinite {
                    optimizationDuration.record(.nanoseconds(Int64(min(max(ms, 0), 1e12) * 1_000_000)))
                }
            case .failed:
                optimizations("failed").increment()
            }
        case .order(let order):
            registry.makeCounter(
                descriptor: Self.described("delta_arb_orders_total", "Orders sent, by purpose and outcome"),
                labels: [("purpose", order.purpose.rawValue), ("result", order.fill == nil ? "failed" : "filled")]).increment()
        case .trade(let trade):
            trades.increment()
            if trade.trade.netPnlPct.isFinite { tradePnl.record(trade.trade.netPnlPct) }
            let pnl = trade.trade.totalPnlPts * trade.quantity
            if pnl.isFinite {
                lock.lock()
                realizedPnlTotal += pnl
                let total = realizedPnlTotal
                lock.unlock()
                realizedPnl.set(to: total)
            }
        case .alert:
            alerts.increment()
        }
    }

    // MARK: The HTTP API's own

    /// One more (or one fewer, with a negative `delta`) `/events` client.
    func eventClientsChanged(by delta: Double) { eventClients.increment(by: delta) }

    /// `count` events dropped for a slow `/events` client.
    func eventsDropped(_ count: Int) { eventsDropped.increment(by: Int64(count)) }

    /// A series' full name and help text (the name already carries its unit suffix).
    private static func described(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// The whole registry in Prometheus text format (version 0.0.4).
    public func exposition() -> String { registry.emitToString() }

    // MARK: Feed counters

    private enum FeedSeries: String, CaseIterable {
        case messages, reconnects, rejected

        var help: String {
            switch self {
            case .messages: "Valid book-ticker updates received"
            case .reconnects: "Reconnections of the market's feed"
            case .rejected: "Messages skipped: malformed, repeated or out of order"
            }
        }
    }

    private func feedCounter(_ series: FeedSeries, _ market: Market) -> Counter {
        registry.makeCounter(descriptor: Self.described("delta_arb_feed_\(series.rawValue)_total", series.help),
                             labels: [("market", market.rawValue)])
    }

    private func optimizations(_ status: String) -> Counter {
        registry.makeCounter(descriptor: Self.described("delta_arb_optimizations_total", "Optimisations finished, by outcome"),
                             labels: [("status", status)])
    }

    private func advance(_ series: FeedSeries, _ market: Market, to total: Int) {
        advance(key: "\(series.rawValue)/\(market.rawValue)", to: total) { feedCounter(series, market) }
    }

    /// Grows a counter by the difference between a cumulative `total` and the last one
    /// seen under `key` (a total below the last means its source restarted counting).
    private func advance(key: String, to total: Int, counter: () -> Counter) {
        lock.lock()
        let last = lastFeedCounts[key] ?? 0
        lastFeedCounts[key] = total
        lock.unlock()
        let increment = total >= last ? total - last : total
        // Made even at zero: a series that exists from the start is what alerts can watch.
        let series = counter()
        if increment > 0 { series.increment(by: Int64(increment)) }
    }
}
