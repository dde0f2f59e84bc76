import DeltaArbitrage
import DeltaArbitrageExchangeFeeds
import DeltaArbitrageLive
import DeltaArbitrageSources
import Foundation

/// The HTTP API's view of a running `StrategyLoop` and its exchange feeds:
/// every answer comes from snapshots (the loop's status, the feeds' atomic
/// counters), so no request waits for the tick path.
final class LiveStrategyBackend: StrategyServiceBackend {
    let symbol: String
    let loop: StrategyLoop
    let feeds: [ExchangeBookTickerFeed]
    /// Per feed: no accepted update for longer than this is stale.
    let staleness: [Duration]
    let reoptimises: Bool
    /// The quote recorders, spot first (`--record-db`); empty without.
    let recorders: [LiveQuoteRecorder]
    /// The last parameter update the strategy published, for `updateParameters()`'s answer.
    private let lastParameterUpdate = Locked<ParameterUpdateEvent?>(nil)

    init(symbol: String, loop: StrategyLoop, feeds: [ExchangeBookTickerFeed], staleness: [Duration],
         reoptimises: Bool, recorders: [LiveQuoteRecorder]) {
        self.symbol = symbol
        self.loop = loop
        self.feeds = feeds
        self.staleness = staleness
        self.reoptimises = reoptimises
        self.recorders = recorders
        let last = lastParameterUpdate
        loop.events.addSink { event in
            if case .parameterUpdate(let update) = event { last.withLock { $0 = update } }
        }
    }

    func status() async -> StrategyStatusSnapshot {
        let status = loop.status()
        return StrategyStatusSnapshot(symbol: symbol, optimizationStatus: status.optimization, position: status.position,
                                      lastOptimization: status.lastOptimization, performance: status.performance,
                                      decisionLatency: LatencySummary(loop.decisionLatencyHistogram()))
    }

    func currentParameters() async -> ThresholdPair? { loop.status().thresholds }

    func updateParameters() async throws -> ParameterRefreshResult {
        guard reoptimises else {
            throw ParameterUpdateError(reason: "re-optimisation is off (--no-update): the thresholds are fixed")
        }
        let before = loop.status()
        let hasData = before.handledUpdates > 0 ? true : !(await loop.recentMarketData(hours: 1e6).isEmpty)
        guard hasData else {
            throw DataFetchError(reason: "no market data received yet")
        }
        _ = await loop.refreshParameters()
        let after = loop.status()
        if after.optimization.successfulUpdates > before.optimization.successfulUpdates,
           let update = lastParameterUpdate.withLock({ $0 }) {
            return ParameterRefreshResult(parameterUpdate: update, optimization: after.lastOptimization)
        }
        throw ParameterUpdateError(reason: after.optimization.lastUpdateError
            ?? "the optimisation did not change the thresholds")
    }

    func feedHealth() async -> FeedHealthReport {
        var states: [FeedState] = []
        for (feed, limit) in zip(feeds, staleness) {
            let counters = feed.counters
            let age = counters.secondsSinceLastUpdate
            let limitSeconds = limit.seconds
            var problem: String?
            if counters.state != .streaming {
                problem = "\(counters.state)" + (counters.lastProblem.map { ": \($0)" } ?? "")
            } else if let age, age > limitSeconds {
                problem = "no update for \(String(format: "%.1f", age)) s (limit \(limitSeconds) s)"
            } else if age == nil {
                problem = "no update received yet"
            }
            states.append(FeedState(market: feed.market, venue: feed.configuration.endpoint.venue.rawValue,
                                    connected: counters.state == .streaming, problem: problem, lastUpdateAgeSeconds: age,
                                    messages: counters.messages, reconnects: counters.reconnects, rejected: counters.rejected,
                                    clockOffsetMilliseconds: counters.clockOffsetNanoseconds.map { Double($0) / 1e6 }))
        }
        return FeedHealthReport(feeds: states)
    }

    func subscribeEvents() -> AsyncStream<StrategyEvent> { loop.events.subscribe() }

    func recorderStates() async -> [RecorderState] {
        zip([Market.spot, .futures], recorders).map { market, recorder in
            let s = recorder.statistics
            return RecorderState(market: market, inserted: s.inserted, skipped: s.skipped, dropped: s.dropped,
                                 failedWrites: s.failedWrites, pending: s.pending)
        }
    }
}
