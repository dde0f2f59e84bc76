import DeltaArbitrage
import Foundation
import Testing
@testable import DeltaArbitrageLive

@Suite("Live feed resume and warm-up")
struct LiveFeedResumeTests {
    private func temporaryState() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("live-\(UUID().uuidString).sqlite").path
    }

    private func remove(_ path: String) {
        for suffix in ["", ".lock", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// A live feed cannot replay what a stopped run saw: the restarted run numbers
    /// its updates on from the committed sequence and trades them, with no checksum
    /// to reproduce; a replay-made state is refused to it, and it to a replay.
    @Test func aLiveFeedResumesAfterTheCommittedSequence() async throws {
        let path = temporaryState()
        defer { remove(path) }
        let data = try mockData(hours: 2, seed: 21)
        let pair = ThresholdPair(entryThresholdPct: 0.15, exitThresholdPct: 0.05)
        let identity = "live gateio BTC/USDT"

        var committed = -1
        do {
            let store = try StrategyStore(path: path)
            let loop = try await StrategyLoop(config: liveConfig(), gateway: PaperExchange(spotFee: 0, futFee: 0, clock: ContinuousClock()),
                                              store: store)
            try await loop.running {
                try await loop.bindFeed(identity, live: true)
                try await loop.changeThresholds(.fixed(pair, initialOnly: false, override: false))
                for row in 0..<1000 { try await loop.handle(BookUpdate(row: row, of: data)) }
            }
            committed = loop.status().context.lastSequence
            #expect(loop.status().context.feedChecksum == nil)
        }
        #expect(committed >= 0)

        let store = try StrategyStore(path: path)
        let loop = try await StrategyLoop(config: liveConfig(), gateway: PaperExchange(spotFee: 0, futFee: 0, clock: ContinuousClock()),
                                          store: store)
        try await loop.running {
            await #expect(throws: FeedMismatchError.self) { try await loop.bindFeed("replay of data.csv") }
            try await loop.bindFeed(identity, live: true)
            let first = loop.status().context.lastSequence + 1
            #expect(first == committed + 1)
            for row in 1000..<1500 {
                var update = BookUpdate(row: row, of: data)
                update.sequence = first + (row - 1000)
                try await loop.handle(update)
            }
            #expect(loop.status().handledUpdates == 500)
            #expect(loop.status().thresholds == pair)
        }
    }

    @Test func warmUpFillsTheOptimisersRingWithoutTrading() async throws {
        let config = liveConfig(lookbackHours: 2)
        let data = try mockData(hours: 1, seed: 22)
        let loop = try await StrategyLoop(config: config, gateway: PaperExchange(spotFee: 0, futFee: 0, clock: ContinuousClock()),
                                          optimizer: DeltaArbitrageOptimizer(config: config.optimizer), scheduling: .onRequest)
        try await loop.running {
            try await loop.warmUp(with: data)
            let recent = await loop.recentMarketData(hours: 2)
            #expect(recent == data)
            #expect(loop.status().handledUpdates == 0 && loop.status().position == nil)
        }
        let plain = try await StrategyLoop(config: config, gateway: PaperExchange(spotFee: 0, futFee: 0, clock: ContinuousClock()))
        try await plain.running {
            try await plain.warmUp(with: data)
            #expect(await plain.recentMarketData(hours: 2).isEmpty)
        }
    }
}
