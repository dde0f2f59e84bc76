import DeltaArbitrageLive
import Testing

/// The feed's rules that need no socket: backoff, update order, clock offset, staleness.
@Suite("Feed policies")
struct FeedPoliciesTests {
    @Test func backoffGrowsToItsCapWithJitterInTheUpperHalf() {
        let backoff = ReconnectBackoff(initial: .milliseconds(100), maximum: .seconds(5), factor: 2)
        #expect(backoff.delay(attempt: 1, unit: 1) == .milliseconds(100))
        #expect(backoff.delay(attempt: 1, unit: 0) == .milliseconds(50))
        #expect(backoff.delay(attempt: 4, unit: 1) == .milliseconds(800))
        #expect(backoff.delay(attempt: 10, unit: 1) == .seconds(5))          // capped
        #expect(backoff.delay(attempt: 10_000, unit: 0.5) == .milliseconds(3750))  // no overflow far out
        var generator = SystemRandomNumberGenerator()
        for attempt in 1...20 {
            let d = backoff.delay(attempt: attempt, using: &generator)
            let full = backoff.delay(attempt: attempt, unit: 1)
            #expect(d >= full / 2 && d <= full)
        }
    }

    @Test func repeatedAndOutOfOrderIDsAreRefusedAndCounted() {
        var guardian = UpdateSequenceGuard()
        var taken: [Bool] = []
        for id in [5, 6, 6, 4, 7, 7, 9] { taken.append(guardian.accept(Int64(id))) }
        #expect(taken == [true, true, false, false, true, false, true])
        #expect(guardian.repeated == 2 && guardian.outOfOrder == 1 && guardian.lastAccepted == 9)
        guardian.reset()
        let restarted = guardian.accept(1)
        #expect(restarted)   // ids may restart after a reconnection
        #expect(guardian.repeated == 2)
    }

    @Test func clockOffsetIsTheLeastRecentDifference() {
        var estimator = ClockOffsetEstimator(window: 3)
        #expect(estimator.offsetNanoseconds == nil)
        for (exchange, local) in [(1_000, 1_900), (2_000, 2_300), (3_000, 3_700)] as [(Int64, Int64)] {
            estimator.record(exchangeNanoseconds: exchange, localNanoseconds: local)
        }
        #expect(estimator.offsetNanoseconds == 300)
        estimator.record(exchangeNanoseconds: 4_000, localNanoseconds: 4_500)   // pushes out 900
        estimator.record(exchangeNanoseconds: 5_000, localNanoseconds: 5_600)   // pushes out 300
        #expect(estimator.offsetNanoseconds == 500)
        estimator.record(exchangeNanoseconds: .min, localNanoseconds: .max)     // overflow: ignored
        #expect(estimator.offsetNanoseconds == 500)
    }

    @Test func stalenessAfterTheLimit() {
        let check = StalenessCheck(limitNanoseconds: 5_000_000_000)
        #expect(check.isStale(lastUpdateNanoseconds: nil, now: 0))
        #expect(!check.isStale(lastUpdateNanoseconds: 10_000_000_000, now: 15_000_000_000))
        #expect(check.isStale(lastUpdateNanoseconds: 10_000_000_000, now: 15_000_000_001))
    }
}
