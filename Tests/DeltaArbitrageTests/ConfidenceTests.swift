import Testing
@testable import DeltaArbitrage
import DeltaArbitrageMockData

/// The confidence score must move the right way with the evidence behind it.
@Suite("Confidence score")
struct ConfidenceTests {
    /// Mean confidence and components over a few seeds.
    func confidence(hours: Double = 24, lookback: Double = 24, halfLifeMinutes: Double = 15,
                    spreadVolatility: Double = 0.002, regime: SpreadRegime? = nil) async throws -> ConfidenceScore {
        var sums = (stationarity: 0.0, support: 0.0, smooth: 0.0, oos: 0.0)
        let seeds: [UInt64] = [1, 2, 3, 4]
        for seed in seeds {
            let data = regime.map { try? generateMockSpreadRegime($0, durationHours: hours, seed: seed) }
                ?? (try? mock(hours: hours, seed: seed, halfLifeMinutes: halfLifeMinutes, spreadVolatility: spreadVolatility))
            let report = try await DeltaArbitrageOptimizer(config: testConfig()).optimize(try #require(data), lookbackHours: lookback)
            let c = report.confidence
            #expect(abs(report.result.confidenceScore - c.score) < 1e-15)
            sums.stationarity += c.stationarity
            sums.support += c.tradeSupport
            sums.smooth += c.smoothness
            sums.oos += c.outOfSample
        }
        let k = Double(seeds.count)
        return ConfidenceScore(stationarity: sums.stationarity / k, tradeSupport: sums.support / k,
                               smoothness: sums.smooth / k, outOfSample: sums.oos / k, firstHalfChoice: nil)
    }

    @Test func moreDataRaisesConfidence() async throws {
        let short = try await confidence(lookback: 3)
        let long = try await confidence(lookback: 24)
        print("CONF long", long, "short", short)
        #expect(long.score > short.score, "24 h \(long) vs 3 h \(short)")
        #expect(long.tradeSupport > short.tradeSupport)
    }

    @Test func strongerMeanReversionRaisesConfidence() async throws {
        let fast = try await confidence(halfLifeMinutes: 5)
        let slow = try await confidence(halfLifeMinutes: 120)
        print("CONF fast", fast, "slow", slow)
        #expect(fast.score > slow.score, "5 min \(fast) vs 120 min \(slow)")
        #expect(fast.stationarity >= slow.stationarity)
    }

    @Test func randomWalkAndTrendingSpreadsScoreLower() async throws {
        let reverting = try await confidence()
        // Half-life of ten days with a wide stationary law: a random walk over a day.
        let randomWalk = try await confidence(halfLifeMinutes: 14_400, spreadVolatility: 0.02)
        let trending = try await confidence(regime: .trending)
        print("CONF reverting", reverting, "rw", randomWalk, "trend", trending)
        #expect(reverting.score > randomWalk.score, "reverting \(reverting) vs random walk \(randomWalk)")
        #expect(reverting.score > trending.score, "reverting \(reverting) vs trending \(trending)")
        #expect(reverting.stationarity > randomWalk.stationarity)
    }

    @Test func smoothSurfacesScoreHigherThanSpikes() {
        let plateau = ConfidenceScore.smoothness(optimum: 2, neighbours: [1.9, 1.8, 2, 1.7, 1.95, 2, 1.9, 1.85])
        let spike = ConfidenceScore.smoothness(optimum: 2, neighbours: [0.1, -0.5, 0, 0.2, -1, 0.05, 0, 0.1])
        #expect(plateau > 0.9 && spike < 0.1)
        #expect(ConfidenceScore.smoothness(optimum: -1, neighbours: [1]) == 0)
        #expect(ConfidenceScore.smoothness(optimum: 1, neighbours: []) == 0)
    }

    @Test func componentsAndScoreStayInTheUnitInterval() {
        let c = ConfidenceScore(stationarity: 2, tradeSupport: -1, smoothness: .nan, outOfSample: 0.5, firstHalfChoice: nil)
        #expect(c.stationarity == 1 && c.tradeSupport == 0 && c.smoothness == 0)
        #expect(c.score == 0.3 + 0.3 * 0.5)
        #expect(ConfidenceScore.outOfSample(firstHalfChoice: 3, chosen: 2) == 1)
        #expect(ConfidenceScore.outOfSample(firstHalfChoice: 1, chosen: 2) == 0.5)
        #expect(ConfidenceScore.outOfSample(firstHalfChoice: -1, chosen: -2) == 0)
        #expect(ConfidenceScore.tradeSupport(trades: 10) == 0.5)
    }
}
