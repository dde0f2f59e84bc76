import Foundation
import Testing
@testable import DeltaArbitrage
import DeltaArbitrageMockData

/// Basis `fut_mid / spot_mid − 1` of every row. The generator's half-spreads
/// are symmetric around each mid, so this recovers the simulated basis.
private func basis(_ d: MarketData) -> [Double] {
    (0..<d.count).map { i -> Double in
        let futMid: Double = (d.futAskPrice[i] + d.futBidPrice[i]) / 2
        let spotMid: Double = (d.spotAskPrice[i] + d.spotBidPrice[i]) / 2
        return futMid / spotMid - 1
    }
}

/// As-of samples of `values` every `step` nanoseconds.
private func sampled(_ d: MarketData, _ values: [Double], step: Int64) -> [Double] {
    var out: [Double] = []
    var row = 0
    var t = d.timestamps[0]
    while t <= d.timestamps[d.count - 1] {
        while row + 1 < d.count && d.timestamps[row + 1] <= t { row += 1 }
        out.append(values[row])
        t += step
    }
    return out
}

private func meanAndStd(_ x: [Double]) -> (mean: Double, std: Double) {
    let mean = x.reduce(0, +) / Double(x.count)
    let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count - 1)
    return (mean, variance.squareRoot())
}

/// Least-squares slope of `y` against hours since the first row.
private func slopePerHour(_ d: MarketData, _ y: [Double]) -> Double {
    let x = d.timestamps.map { Double($0 - d.timestamps[0]) / 3.6e12 }
    let (mx, my) = (x.reduce(0, +) / Double(x.count), y.reduce(0, +) / Double(y.count))
    var sxy = 0.0, sxx = 0.0
    for i in x.indices {
        sxy += (x[i] - mx) * (y[i] - my)
        sxx += (x[i] - mx) * (x[i] - mx)
    }
    return sxy / sxx
}

private func checkInvariants(_ d: MarketData, sourceLocation: SourceLocation = #_sourceLocation) {
    var ok = true
    for i in 0..<d.count {
        ok = ok && d.spotBidPrice[i] > 0 && d.futBidPrice[i] > 0
            && d.spotBidPrice[i] <= d.spotAskPrice[i] && d.futBidPrice[i] <= d.futAskPrice[i]
            && d.spotAskPrice[i].isFinite && d.futAskPrice[i].isFinite
            && d.spotAskQuantity[i] > 0 && d.spotBidQuantity[i] > 0
            && d.futAskQuantity[i] > 0 && d.futBidQuantity[i] > 0
            && d.futBidQuantity[i].isFinite
            && (i == 0 || d.timestamps[i] >= d.timestamps[i - 1])
        if !ok {
            Issue.record("row \(i) breaks an invariant", sourceLocation: sourceLocation)
            return
        }
    }
}

@Suite("Mock market data")
struct MockDataTests {
    @Test func sameSeedSameData() throws {
        let a = try generateMockMarketData(hours: 2, seed: 42)
        let b = try generateMockMarketData(hours: 2, seed: 42)
        #expect(a == b)
        let c = try generateMockMarketData(hours: 2, seed: 43)
        #expect(a.spotAskPrice != c.spotAskPrice)
        #expect(a.timestamps != c.timestamps)
        #expect(a.futBidQuantity != c.futBidQuantity)
        for regime in SpreadRegime.allCases {
            #expect(try generateMockSpreadRegime(regime, durationHours: 1, seed: 7)
                        == generateMockSpreadRegime(regime, durationHours: 1, seed: 7))
        }
    }

    /// Pins the generator's output so an accidental change of the model or the
    /// random streams is noticed (fixtures and benchmarks depend on it).
    @Test func knownRandomValues() {
        // SplitMix64 reference outputs for seed 1234567 (Vigna's C code).
        var split = SplitMix64(seed: 1_234_567)
        #expect([split.next(), split.next(), split.next()]
                    == [6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423])
        var x = Xoshiro256StarStar(seed: 0)
        var y = Xoshiro256StarStar(seed: 0)
        #expect(x.next() == y.next())
        var other = Xoshiro256StarStar(seed: 0, stream: 1)
        #expect(x.next() != other.next())
    }

    @Test func normalSamplerMoments() {
        var normal = NormalSampler(Xoshiro256StarStar(seed: 5))
        let z = (0..<200_000).map { _ in normal.next() }
        let (mean, std) = meanAndStd(z)
        #expect(abs(mean) < 0.01)
        #expect(abs(std - 1) < 0.01)
        #expect(z.filter { abs($0) > 1.96 }.count > 9_000 && z.filter { abs($0) > 1.96 }.count < 11_000)
    }

    @Test func invariantsHold() throws {
        checkInvariants(try generateMockMarketData(seed: 1))
        checkInvariants(try generateMockMarketData(hours: 0.5, spreadVolatility: 0.05, trendStrength: -0.5, seed: 2, tickInterval: 0.1))
        checkInvariants(try generateMockMarketData(hours: 1e-3, seed: 3, tickInterval: 1e-6))
        for regime in SpreadRegime.allCases {
            checkInvariants(try generateMockSpreadRegime(regime, seed: 4))
        }
    }

    @Test func timesSpanExactlyAndTickAsAsked() throws {
        let d = try generateMockMarketData(hours: 3, seed: 9, tickInterval: 0.1)
        let config = MockMarketConfig()
        #expect(d.count == 108_001)
        #expect(d.timestamps.first == config.startNanoseconds)
        #expect(d.timestamps.last == config.startNanoseconds + 3 * 3_600_000_000_000)
        let gaps = (1..<d.count).map { Double(d.timestamps[$0] - d.timestamps[$0 - 1]) * 1e-9 }
        let (mean, std) = meanAndStd(gaps)
        #expect(abs(mean - 0.1) < 1e-6)
        // Exponential gaps: standard deviation ≈ mean.
        #expect(abs(std - 0.1) < 0.005)
    }

    /// The basis is OU with mean −0.35 %, stationary deviation `spreadVolatility`
    /// and a 15 min half-life (loose bounds: ten days of 5 s ticks).
    @Test func basisFollowsDocumentedOU() throws {
        var config = MockMarketConfig()
        config.hours = 240
        config.meanTickInterval = 5
        let d = try generateMockMarketData(config, seed: 11)
        let b = basis(d)
        let (mean, std) = meanAndStd(b)
        #expect(abs(mean - config.basisMean) < 0.0004)
        #expect(abs(std / config.spreadVolatility - 1) < 0.1)

        // AR(1) on a 60 s grid: φ = e^{−κ·60 s}, half-life = −ln 2 / ln φ · 60 s.
        let x = sampled(d, b, step: 60_000_000_000).map { $0 - mean }
        var num = 0.0, den = 0.0
        for k in 1..<x.count {
            num += x[k - 1] * x[k]
            den += x[k - 1] * x[k - 1]
        }
        let halfLifeMinutes = -log(2) / log(num / den)
        #expect(abs(halfLifeMinutes / config.basisHalfLifeMinutes - 1) < 0.25, "half-life \(halfLifeMinutes) min")
    }

    @Test func spreadVolatilityScalesBasis() throws {
        let calm = meanAndStd(basis(try generateMockMarketData(hours: 48, spreadVolatility: 0.001, seed: 3))).std
        let wild = meanAndStd(basis(try generateMockMarketData(hours: 48, spreadVolatility: 0.004, seed: 3))).std
        #expect(wild / calm > 3 && wild / calm < 5)
    }

    @Test func regimesDiffer() throws {
        let reverting = try generateMockSpreadRegime(.meanReverting, durationHours: 24, seed: 5)
        let trending = try generateMockSpreadRegime(.trending, durationHours: 24, seed: 5)
        let volatile = try generateMockSpreadRegime(.volatile, durationHours: 24, seed: 5)

        // Trending: the basis mean drifts by −0.05 % per hour; reverting stays put.
        let trendSlope = slopePerHour(trending, basis(trending))
        #expect(trendSlope > -0.0007 && trendSlope < -0.0003, "slope \(trendSlope)")
        #expect(abs(slopePerHour(reverting, basis(reverting))) < 0.0002)

        // Volatile: bursts make the basis swing much more widely.
        let calmStd = meanAndStd(basis(reverting)).std
        let burstStd = meanAndStd(basis(volatile)).std
        #expect(burstStd > 1.4 * calmStd, "std \(burstStd) vs \(calmStd)")
        // …and the largest one-minute moves are larger too.
        func maxMinuteMove(_ d: MarketData) -> Double {
            let s = sampled(d, basis(d), step: 60_000_000_000)
            return (1..<s.count).map { abs(s[$0] - s[$0 - 1]) }.max() ?? 0
        }
        #expect(maxMinuteMove(volatile) > 2 * maxMinuteMove(reverting))

        // trendStrength in generateMockMarketData is the same knob.
        let drifting = try generateMockMarketData(hours: 24, spreadVolatility: 0.001, trendStrength: 0.001, seed: 8)
        let slope = slopePerHour(drifting, basis(drifting))
        #expect(slope > 0.0008 && slope < 0.0012, "slope \(slope)")
    }

    /// The default data must exercise the backtest: both exit reasons at the
    /// seed's default thresholds, on every one of a few seeds.
    @Test(arguments: [0, 1, 2, 3] as [UInt64])
    func defaultDataTradesAtDefaultThresholds(seed: UInt64) throws {
        let summary = try deltaNeutralBacktest(generateMockMarketData(seed: seed)).summary
        #expect(summary.trades >= 3)
        #expect(summary.profitTargetExits >= 1)
        #expect(summary.timeoutExits >= 1)
    }

    @Test func invalidParametersThrow() {
        let cases: [(() throws -> MarketData, String)] = [
            ({ try generateMockMarketData(hours: 0) }, "hours"),
            ({ try generateMockMarketData(hours: -3) }, "hours"),
            ({ try generateMockMarketData(hours: .nan) }, "hours"),
            ({ try generateMockMarketData(hours: .infinity) }, "hours"),
            ({ try generateMockMarketData(spreadVolatility: -0.001) }, "spread_volatility"),
            ({ try generateMockMarketData(spreadVolatility: .nan) }, "spread_volatility"),
            ({ try generateMockMarketData(trendStrength: .infinity) }, "trend_strength"),
            ({ try generateMockMarketData(tickInterval: 0) }, "tick_interval"),
            ({ try generateMockMarketData(hours: 1e6, tickInterval: 0.001) }, "hours"),
            ({ try generateMockSpreadRegime(.volatile, durationHours: 0) }, "hours"),
        ]
        for (make, parameter) in cases {
            let error = #expect(throws: ParameterValidationError.self) { try make() }
            #expect(error?.parameter == parameter)
        }
    }
}

@Suite("Mock data tick grid")
struct MockTickGridTests {
    /// Prices sit on the 0.01 tick and quantities on the 0.0001 lot, so the
    /// CSV carries the short decimals an exchange sends.
    @Test func pricesAndQuantitiesAreOnTheGrid() throws {
        let data = try generateMockMarketData(hours: 0.5, seed: 7)
        for column in [data.spotAskPrice, data.spotBidPrice, data.futAskPrice, data.futBidPrice] {
            for price in column.prefix(2000) {
                let ticks = (price * 100).rounded()
                #expect(ticks / 100 == price)
                #expect(price.description.split(separator: ".").last!.count <= 2)
            }
        }
        for quantity in data.spotAskQuantity.prefix(2000) {
            #expect(((quantity * 10_000).rounded()) / 10_000 == quantity)
            #expect(quantity >= 0.0001)
        }
    }

    @Test func roundingCanBeTurnedOff() throws {
        var config = MockMarketConfig()
        config.hours = 0.1
        config.ticksPerPriceUnit = 0
        let data = try generateMockMarketData(config, seed: 7)
        #expect(data.spotAskPrice.prefix(100).contains { ($0 * 100).rounded() / 100 != $0 })
    }
}
