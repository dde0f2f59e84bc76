import ArgumentParser
import MallocCounter
import DeltaArbitrage
import DeltaArbitrageExchangeFeeds
import DeltaArbitrageLive
import ExchangeStandIns
import Foundation

extension Benchmark {
    /// The live path end to end on loopback: two Gate.io stand-in servers
    /// (spot and futures, in a child process: `StandInProcess`) send paced
    /// book-ticker updates over WebSocket; the
    /// two-market feed decodes and merges them; the strategy loop decides on
    /// each against a paper exchange with an in-memory journal. Reports the
    /// tick-to-decision latency (from the frame read off the socket to the
    /// decision made) at p50/p99/p99.9, the achieved rate, lost updates (sent
    /// by the servers, not accepted by the feeds), and — for the soak —
    /// resident memory sampled every 10 s.
    func measureLiveFeed(_ workload: Workload, totalPerSecond: Double, seconds: Double) throws -> [String: Any] {
        let outcome = try liveFeedRun(workload, totalPerSecond: totalPerSecond, seconds: seconds)
        var document = header(workload, rows: outcome["updates_accepted"] as? Int ?? 0)
        var engine: [String: Any] = ["live_feed": outcome]
        if workload.job == .liveLatency {
            engine["decoder_heap_allocations"] = try decoderAllocations(messages: 1_000_000)
            // The same path below saturation, for how latency grows with the rate.
            engine["live_feed_by_rate"] = try [10_000.0, 25_000.0].map { rate in
                try liveFeedRun(workload, totalPerSecond: rate, seconds: 10)
            }
            engine["reconnect"] = try measureReconnects(drops: 10)
        }
        document["engine"] = engine
        return document
    }

    /// One run of the live path at `totalPerSecond` (both markets together) for `seconds`.
    func liveFeedRun(_ workload: Workload, totalPerSecond: Double, seconds: Double) throws -> [String: Any] {
        log("== \(workload.name): \(totalPerSecond) updates/s over two loopback WebSocket streams for \(seconds) s")
        let perMarket = Int(totalPerSecond / 2 * seconds)
        // Crosses the async boundary as JSON bytes ([String: Any] is not Sendable).
        let outcomeJSON = try waitFor { () async throws -> Data in
            let servers = try StandInProcess(perMarket: perMarket, perSecond: totalPerSecond / 2)
            func feed(_ market: Market, _ url: String) throws -> ExchangeBookTickerFeed {
                try ExchangeBookTickerFeed(configuration: ExchangeFeedConfiguration(
                    endpoint: ExchangeEndpoint(venue: .gateio, market: market, symbol: "BTC/USDT", url: url),
                    contractSize: market == .futures ? 0.0001 : 1, stalenessLimit: .seconds(30)))
            }
            let spotFeed = try feed(.spot, servers.spotURL), futuresFeed = try feed(.futures, servers.futuresURL)
            let merged = try TwoMarketExchangeFeed(spot: spotFeed, futures: futuresFeed)
            let config = DeltaArbitrageConfig()
            let loop = try await StrategyLoop(config: config,
                                              gateway: PaperExchange(spotFee: config.spotFee, futFee: config.futFee,
                                                                     clock: ContinuousClock(), fillLimit: .displayedSize),
                                              store: try StrategyStore(path: ":memory:"))
            var memory: [(seconds: Double, residentMB: Double)] = []
            var allocationsFrom: (count: UInt64, updates: Int)?, allocationsTo: (count: UInt64, updates: Int)?
            // How the updates were decided: on the feed's task as their frame was read, or through the loop.
            let routes = Locked((atRead: 0, throughLoop: 0))
            let started = ContinuousClock.now
            let expected = 2 * perMarket
            try await loop.running { () async throws -> Void in
                try await loop.bindFeed("benchmark", live: true)
                try await loop.changeThresholds(
                    .fixed(ThresholdPair(entryThresholdPct: 0.5, exitThresholdPct: 0.1), initialOnly: false, override: false))
                let first = loop.status().context.lastSequence + 1
                var nextSample = ContinuousClock.now
                let consumer = Task {
                    try await merged.run(firstSequence: first, decide: { update in
                        guard loop.decideNow(update) else { return false }
                        routes.withLock { $0.atRead += 1 }
                        return true
                    }, handle: { update in
                        try await loop.handle(update)
                        routes.withLock { $0.throughLoop += 1 }
                    })
                }
                // Sample memory while the stream runs; stop when every update is in or the time is well past.
                // Heap allocations are counted over the middle of the stream (connections set up, before the end).
                let deadline = ContinuousClock.now + .seconds(seconds * 1.5 + 30)
                while spotFeed.counters.messages + futuresFeed.counters.messages < expected && ContinuousClock.now < deadline {
                    let received = spotFeed.counters.messages + futuresFeed.counters.messages
                    if allocationsFrom == nil && received >= expected / 10 {
                        allocationsFrom = (malloc_counter_allocations(), received)
                    } else if allocationsTo == nil && received >= expected * 9 / 10 {
                        allocationsTo = (malloc_counter_allocations(), received)
                    }
                    if ContinuousClock.now >= nextSample {
                        memory.append(((ContinuousClock.now - started).seconds, Self.residentMegabytes()))
                        nextSample = nextSample + .seconds(10)
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
                // The last updates are decided within microseconds of their arrival; then stop the feeds.
                try await Task.sleep(for: .milliseconds(200))
                consumer.cancel()
                try await consumer.value
            }
            let elapsed = (ContinuousClock.now - started).seconds
            let latency = loop.decisionLatencyHistogram()
            let route = routes.withLock { $0 }
            let sent = try servers.stop()
            let accepted = spotFeed.counters.messages + futuresFeed.counters.messages
            var result: [String: Any] = [
                "updates_sent": sent, "updates_accepted": accepted, "updates_lost": sent - accepted,
                "merged_updates_decided": route.atRead + route.throughLoop,
                "decided_at_read": route.atRead, "decided_through_loop": route.throughLoop,
                "seconds": elapsed, "updates_per_second": Double(accepted) / elapsed,
                "target_updates_per_second": totalPerSecond,
                "malformed": spotFeed.counters.malformed + futuresFeed.counters.malformed,
                "reconnects": spotFeed.counters.reconnects + futuresFeed.counters.reconnects,
                "tick_to_decision_ns": [
                    "count": latency.count, "p50": latency.value(atPercentile: 50), "p99": latency.value(atPercentile: 99),
                    "p99_9": latency.value(atPercentile: 99.9), "max": latency.max,
                ] as [String: Any],
            ]
            if let from = allocationsFrom, let to = allocationsTo, to.updates > from.updates {
                // Process-wide (NIO's reads and frames, the merge, the decision, and this benchmark's own sampling).
                result["heap_allocations_per_update"] = Double(to.count - from.count) / Double(to.updates - from.updates)
            }
            if memory.count >= 3 {
                // The first samples include start-up growth (buffers, the histogram); flatness is judged after a minute.
                let settled = memory.filter { $0.seconds >= min(60, seconds / 4) }.map(\.residentMB)
                let low = settled.min() ?? 0, high = settled.max() ?? 0
                result["resident_memory_mb"] = memory.map { ["t": $0.seconds, "mb": $0.residentMB] }
                result["resident_memory_settled_range_pct"] = low > 0 ? (high - low) / low * 100 : 0
            }
            return try JSONSerialization.data(withJSONObject: result)
        }
        let outcome = try JSONSerialization.jsonObject(with: outcomeJSON) as? [String: Any] ?? [:]
        let latency = outcome["tick_to_decision_ns"] as? [String: Any] ?? [:]
        log("   \(outcome["updates_accepted"] ?? 0) of \(outcome["updates_sent"] ?? 0) updates accepted "
            + "(\(outcome["updates_per_second"] ?? 0) /s); tick-to-decision p50 \(latency["p50"] ?? 0) ns, "
            + "p99 \(latency["p99"] ?? 0) ns, p99.9 \(latency["p99_9"] ?? 0) ns"
            + (outcome["resident_memory_settled_range_pct"].map { "; resident memory range after warm-up \($0) %" } ?? ""))
        return outcome
    }

    /// Heap allocations made while decoding `messages` book-ticker messages
    /// of each venue and market (the stand-ins' shapes): the parser's own
    /// per-message cost, without the network path around it.
    func decoderAllocations(messages: Int) throws -> [String: Any] {
        let samples: [(String, ExchangeVenue, Market, String)] = [
            ("gateio_spot", .gateio, .spot,
             #"{"time":1760249820,"time_ms":1760249820123,"channel":"spot.book_ticker","event":"update","result":{"t":1760249820123,"u":48112,"s":"BTC_USDT","b":"111503.1","B":"1.5","a":"111503.2","A":"2.25"}}"#),
            ("gateio_futures", .gateio, .futures,
             #"{"time":1760249820,"time_ms":1760249820123,"channel":"futures.book_ticker","event":"update","error":null,"result":{"t":1760249820123,"u":48112,"s":"BTC_USDT","b":"111523.4","B":15000,"a":"111523.5","A":22500}}"#),
            ("binance", .binance, .futures,
             #"{"e":"bookTicker","u":48112,"E":1760249820123,"T":1760249820123,"s":"BTCUSDT","b":"111523.40","B":"1.500","a":"111523.50","A":"2.250"}"#),
        ]
        var result: [String: Any] = ["messages_each": messages]
        for (name, venue, market, text) in samples {
            let decoder = ExchangeEndpoint(venue: venue, market: market, symbol: "BTC/USDT", url: "ws://127.0.0.1:1/ws")
                .decoder(contractSize: 1)
            let bytes = Array(text.utf8)
            var quotes = 0
            let before = malloc_counter_allocations()
            try bytes.withUnsafeBytes { raw in
                for _ in 0..<messages {
                    if case .quote = try decoder.decode(raw) { quotes += 1 }
                }
            }
            let allocations = malloc_counter_allocations() - before
            guard quotes == messages else { throw ValidationError("\(name): \(quotes) of \(messages) messages decoded as quotes") }
            result[name] = allocations
            log("   decoding \(messages) \(name) messages: \(allocations) heap allocations")
        }
        return result
    }

    /// Time from an abrupt drop of the connection (no close frame) to the next
    /// accepted update, with the default backoff (first retry within 250 ms, full jitter).
    func measureReconnects(drops: Int) throws -> [String: Any] {
        let json = try waitFor { () async throws -> Data in
            let server = ExchangeStandIn(venue: .gateio, market: .spot, scripts: [StandInScript(steps: [.stream(perSecond: 1000)])])
            try await server.start()
            let feed = try ExchangeBookTickerFeed(configuration: ExchangeFeedConfiguration(
                endpoint: ExchangeEndpoint(venue: .gateio, market: .spot, symbol: "BTC/USDT", url: server.url)))
            let task = Task { try await feed.run { _ in } }
            var gaps: [Double] = []
            while feed.counters.messages == 0 { try await Task.sleep(for: .milliseconds(5)) }
            for _ in 0..<drops {
                try await Task.sleep(for: .milliseconds(300))
                let before = feed.counters.reconnects
                let dropped = ContinuousClock.now
                server.dropAllConnections()
                // The next update after the feed has noticed the drop and reconnected.
                while feed.counters.reconnects == before { try await Task.sleep(for: .milliseconds(1)) }
                let count = feed.counters.messages
                while feed.counters.messages == count { try await Task.sleep(for: .milliseconds(1)) }
                gaps.append((ContinuousClock.now - dropped).seconds * 1000)
            }
            task.cancel()
            _ = await task.result
            await server.stop()
            let sorted = gaps.sorted()
            return try JSONSerialization.data(withJSONObject: [
                "drops": drops, "reconnects_counted": feed.counters.reconnects,
                "drop_to_next_update_ms": ["min": sorted.first ?? 0, "median": sorted[sorted.count / 2],
                                           "max": sorted.last ?? 0],
            ] as [String: Any])
        }
        let result = try JSONSerialization.jsonObject(with: json) as? [String: Any] ?? [:]
        log("   reconnect after an abrupt drop: \(result["drop_to_next_update_ms"] ?? "?") ms")
        return result
    }

    /// Resident set size of this process, MB (Linux `/proc/self/statm`).
    static func residentMegabytes() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1e6
    }
}

