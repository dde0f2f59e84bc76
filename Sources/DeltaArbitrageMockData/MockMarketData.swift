import DeltaArbitrage
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Spread behaviours `generateMockSpreadRegime` can produce (the seed's
/// `regime_type` strings are the raw values).
public enum SpreadRegime: String, Sendable, Hashable, Codable, CaseIterable {
    /// Basis reverts to a fixed mean (Ornstein–Uhlenbeck), the defaults of
    /// `MockMarketConfig`: mean −0.35 %, deviation 0.2 %, half-life 15 min.
    case meanReverting = "mean_reverting"
    /// Basis reverts to a mean that drifts linearly: −0.05 % of price per
    /// hour, with a smaller stationary deviation (0.1 %).
    case trending
    /// Mean-reverting basis whose volatility (and the spot's) jumps ×4 in
    /// bursts: about one burst an hour, 20 min long on average.
    case volatile
}

/// Every knob of the mock book-ticker generator. The defaults are the market
/// `generateMockMarketData()` produces.
///
/// ## Model
///
/// Times: `n = round(hours · 3600 / meanTickInterval) + 1` rows (at least 2).
/// The first row is at `startNanoseconds`, the last `hours` later (to the
/// millisecond), and the rows between are a Poisson process of rate
/// `1/meanTickInterval` conditioned on that count (exponential gaps rescaled
/// to the span), so inter-arrival times are exponential with mean ≈
/// `meanTickInterval`. Times are offsets from `startNanoseconds` rounded down
/// to whole milliseconds, as exchanges stamp book tickers, so equal
/// timestamps can occur.
///
/// Spot mid `m`: driftless geometric Brownian motion,
/// `ln m_i = ln m_{i−1} − ½σ²Δt + σ√Δt·Z`, with `σ = spotVolatility` annualised
/// (Δt in years of 365.25 days), so `E[m_i] = m_{i−1}`.
///
/// Basis `b = fut_mid / spot_mid − 1` (a fraction of price): `b = μ(t) + x`
/// with `μ(t) = basisMean + trendStrength · (hours since start)` and `x` an
/// Ornstein–Uhlenbeck deviation with reversion speed `κ = ln 2 / half-life`
/// and *stationary* standard deviation `spreadVolatility`, sampled exactly at
/// the irregular times: `x_i = φ x_{i−1} + spreadVolatility·√(1−φ²)·Z`,
/// `φ = e^{−κΔt}`; `x_0` is drawn from the stationary law. (The OU diffusion
/// coefficient is therefore `spreadVolatility·√(2κ)` per √second.)
///
/// Books: each row draws half-spreads `h_s, h_f` uniform in `halfSpreadRange`;
/// `spot_ask = m(1+h_s)`, `spot_bid = m(1−h_s)`,
/// `fut_ask = m·max(1+b, 10⁻⁶)·(1+h_f)`, `fut_bid = m·max(1+b, 10⁻⁶)·(1−h_f)`.
/// The floor keeps futures prices positive however wild the parameters.
/// Prices then move onto the exchange's tick grid (`1 / ticksPerPriceUnit`,
/// default 0.01): asks up, bids down (never below one tick), so books stay
/// uncrossed and the CSV holds the short decimals an exchange sends.
/// Quantities are rounded to the lot (`1 / lotsPerQuantityUnit`, default
/// 0.0001, at least one lot). A value of 0 turns either rounding off.
///
/// Bursts (`burstMultiplier > 1`): a two-state chain switching at exponential
/// times (calm → burst at `burstsPerHour`, bursts lasting `burstMeanMinutes`
/// on average); during a burst both `σ` and `spreadVolatility` are multiplied.
///
/// Quantities: independent log-normal, `q = exp(quantityLogMean + quantityLogSigma·Z)`.
///
/// ## Why these defaults
///
/// With 5 bp fees per leg and side (20 bp per round trip) plus ≈ 6 bp of
/// half-spreads, a trade needs the basis to fall ≈ 0.36 % after entry to make
/// the seed's 0.1 % target. The 0.5 % entry threshold admits a basis above
/// ≈ −0.47 %; a mean of −0.35 % sits inside it, and a stationary deviation of
/// 0.2 % with a 15 min half-life reaches such falls often but not always
/// within 6 h. A day of default data gives about 6–7 trades at the seed's
/// default thresholds, roughly three profit targets to one timeout (the
/// tests check that both occur).
///
/// ## Randomness
///
/// Each ingredient has its own `Xoshiro256StarStar` stream derived from the
/// seed (1 times, 2 spot, 3 basis, 4 half-spreads, 5 bursts, 6–9 quantities),
/// so changing one ingredient's parameters leaves the others' draws unchanged
/// and thread scheduling never affects the result. The random integers are the
/// same everywhere; the columns are bit-identical for a seed wherever the C
/// library's `exp`/`log` are (they may differ in the last bit between, say,
/// glibc and Darwin).
public struct MockMarketConfig: Sendable, Hashable {
    /// Span of the data in hours.
    public var hours: Double = 24
    /// Mean time between rows, seconds (0.1 for 100 ms ticks).
    public var meanTickInterval: Double = 1
    /// Time of the first row, nanoseconds since the Unix epoch (2025-01-01T00:00:00Z).
    public var startNanoseconds: Int64 = 1_735_689_600_000_000_000
    /// Spot mid at the first row.
    public var spotStartPrice: Double = 50_000
    /// Annualised volatility of the spot mid (0.5 = 50 % a year).
    public var spotVolatility: Double = 0.5
    /// Long-run mean of the basis at the start, as a fraction (−0.0035 = −0.35 %).
    public var basisMean: Double = -0.0035
    /// Half-life of basis deviations, in minutes.
    public var basisHalfLifeMinutes: Double = 15
    /// Stationary standard deviation of the basis around its mean, a fraction of price.
    public var spreadVolatility: Double = 0.002
    /// Drift of the basis mean, fraction of price per hour.
    public var trendStrength: Double = 0
    /// Range of each market's half-spread, as fractions (0.5 bp … 2.5 bp).
    public var halfSpreadRange: ClosedRange<Double> = 0.000_05...0.000_25
    /// Price ticks per unit of price (100 = a 0.01 tick); 0 leaves prices unrounded.
    public var ticksPerPriceUnit: Double = 100
    /// Quantity lots per unit (10 000 = a 0.0001 lot); 0 leaves quantities unrounded.
    public var lotsPerQuantityUnit: Double = 10_000
    /// Mean of ln(quantity).
    public var quantityLogMean: Double = 0
    /// Standard deviation of ln(quantity).
    public var quantityLogSigma: Double = 1
    /// Volatility multiplier during a burst; 1 disables bursts.
    public var burstMultiplier: Double = 1
    /// Rate at which calm periods end, per hour.
    public var burstsPerHour: Double = 1
    /// Mean length of a burst, in minutes.
    public var burstMeanMinutes: Double = 20

    /// The defaults: a day of 1 s ticks from 2025-01-01T00:00:00Z, no bursts.
    public init() {}

    /// The preset `generateMockSpreadRegime` uses for `regime`.
    public init(regime: SpreadRegime, durationHours: Double) {
        hours = durationHours
        switch regime {
        case .meanReverting:
            break
        case .trending:
            trendStrength = -0.0005
            spreadVolatility = 0.001
        case .volatile:
            burstMultiplier = 4
        }
    }

    /// Largest number of rows the generator will build (≈ 29 GB of columns).
    public static let maxRows = 400_000_000

    /// The number of rows these settings produce (meaningful once
    /// `validate()` passes; never traps on odd values).
    public var rowCount: Int {
        let gaps = (hours * 3600 / meanTickInterval).rounded()
        guard gaps.isFinite, gaps >= 1 else { return 2 }
        return Int(min(gaps, Double(Self.maxRows))) + 1
    }

    /// Checks every parameter.
    ///
    /// - Throws: `ParameterValidationError` naming the parameter.
    public func validate() throws(ParameterValidationError) {
        func require(_ ok: Bool, _ name: String, _ value: Double, _ rule: String) throws(ParameterValidationError) {
            if !ok { throw ParameterValidationError(parameter: name, value: value, rule: rule) }
        }
        try require(hours.isFinite && hours > 0, "hours", hours, "must be finite and > 0")
        try require(meanTickInterval.isFinite && meanTickInterval >= 1e-6, "tick_interval", meanTickInterval,
                    "must be finite and at least 1 µs")
        let rows = hours * 3600 / meanTickInterval
        try require(rows < Double(Self.maxRows), "hours", hours,
                    "hours / tick_interval gives \(rows) rows, more than \(Self.maxRows)")
        try require(hours * 3.6e12 < 9e18 - Double(max(startNanoseconds, 0)), "hours", hours,
                    "end time does not fit in Int64 nanoseconds")
        try require(spotStartPrice.isFinite && spotStartPrice > 0, "spot_start_price", spotStartPrice, "must be finite and > 0")
        try require(spotVolatility.isFinite && spotVolatility >= 0, "spot_volatility", spotVolatility, "must be finite and >= 0")
        try require(basisMean.isFinite && basisMean > -1, "basis_mean", basisMean, "must be finite and > -1")
        try require(basisHalfLifeMinutes.isFinite && basisHalfLifeMinutes > 0, "basis_half_life_minutes",
                    basisHalfLifeMinutes, "must be finite and > 0")
        try require(spreadVolatility.isFinite && spreadVolatility >= 0, "spread_volatility", spreadVolatility,
                    "must be finite and >= 0")
        try require(trendStrength.isFinite, "trend_strength", trendStrength, "must be finite")
        try require(halfSpreadRange.lowerBound >= 0 && halfSpreadRange.upperBound < 1, "half_spread_range",
                    halfSpreadRange.upperBound, "must lie in [0, 1)")
        try require(ticksPerPriceUnit.isFinite && ticksPerPriceUnit >= 0, "ticks_per_price_unit", ticksPerPriceUnit,
                    "must be finite and >= 0")
        try require(lotsPerQuantityUnit.isFinite && lotsPerQuantityUnit >= 0, "lots_per_quantity_unit",
                    lotsPerQuantityUnit, "must be finite and >= 0")
        try require(quantityLogMean.isFinite, "quantity_log_mean", quantityLogMean, "must be finite")
        try require(quantityLogSigma.isFinite && quantityLogSigma >= 0, "quantity_log_sigma", quantityLogSigma,
                    "must be finite and >= 0")
        try require(burstMultiplier.isFinite && burstMultiplier >= 1, "burst_multiplier", burstMultiplier,
                    "must be finite and >= 1")
        try require(burstsPerHour.isFinite && burstsPerHour > 0, "bursts_per_hour", burstsPerHour, "must be finite and > 0")
        try require(burstMeanMinutes.isFinite && burstMeanMinutes > 0, "burst_mean_minutes", burstMeanMinutes,
                    "must be finite and > 0")
    }
}

/// The seed's `generate_mock_market_data(hours, spread_volatility, trend_strength)`:
/// a deterministic synthetic book-ticker history (see `MockMarketConfig` for
/// the model).
///
/// - Parameters:
///   - hours: span of the data, hours.
///   - spreadVolatility: stationary standard deviation of the basis
///     `fut_mid/spot_mid − 1`, a fraction of price (0.002 = 0.2 %).
///   - trendStrength: drift of the basis mean, fraction of price per hour.
///   - seed: the same seed gives bit-identical columns (on one C math library).
///   - tickInterval: mean seconds between rows (0.1 for 100 ms ticks).
/// - Throws: `ParameterValidationError` for non-finite or out-of-range parameters.
public func generateMockMarketData(
    hours: Double = 24, spreadVolatility: Double = 0.002, trendStrength: Double = 0.0,
    seed: UInt64 = 0, tickInterval: Double = 1
) throws -> MarketData {
    var config = MockMarketConfig()
    config.hours = hours
    config.spreadVolatility = spreadVolatility
    config.trendStrength = trendStrength
    config.meanTickInterval = tickInterval
    return try generateMockMarketData(config, seed: seed)
}

/// The seed's `generate_mock_spread_regime(regime_type, duration_hours)`.
///
/// - Throws: `ParameterValidationError` for a bad duration or tick interval.
public func generateMockSpreadRegime(
    _ regime: SpreadRegime = .meanReverting, durationHours: Double = 6, seed: UInt64 = 0,
    tickInterval: Double = 1
) throws -> MarketData {
    var config = MockMarketConfig(regime: regime, durationHours: durationHours)
    config.meanTickInterval = tickInterval
    return try generateMockMarketData(config, seed: seed)
}

/// Generates market data from a full configuration.
///
/// The times come first (every price depends on them); then the four price
/// columns and the four quantity columns are filled concurrently, each from
/// its own random stream, so the result does not depend on scheduling.
/// Cost is a few transcendental calls per row and column, with no per-row
/// allocation and no zero-filling of the columns.
///
/// - Throws: `ParameterValidationError` when `config.validate()` does.
public func generateMockMarketData(_ config: MockMarketConfig, seed: UInt64) throws -> MarketData {
    try config.validate()
    let n = config.rowCount
    let timestamps = mockTimestamps(config, count: n, seed: seed)
    let columns = ColumnSlots(count: 8)
    defer { columns.free() }
    DispatchQueue.concurrentPerform(iterations: 5) { job in
        if job == 0 {
            let (spotAsk, spotBid, futAsk, futBid) = timestamps.withUnsafeBufferPointer {
                mockPrices(config, seed: seed, t: $0)
            }
            columns.set(0, spotAsk)
            columns.set(1, spotBid)
            columns.set(2, futAsk)
            columns.set(3, futBid)
        } else {
            columns.set(3 + job, mockQuantities(config, count: n, seed: seed, stream: UInt64(5 + job)))
        }
    }
    return try MarketData(
        timestamps: timestamps, spotAskPrice: columns[0], spotBidPrice: columns[1],
        futAskPrice: columns[2], futBidPrice: columns[3],
        spotAskQuantity: columns[4], spotBidQuantity: columns[5],
        futAskQuantity: columns[6], futBidQuantity: columns[7])
}

/// Result slots for the concurrent column jobs.
///
/// `@unchecked Sendable` because the jobs share one buffer: each job writes
/// only its own slots, and `concurrentPerform` returns only after every job
/// has finished, so no slot is read or written by two threads.
private struct ColumnSlots: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<[Double]>
    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: [])
    }
    func set(_ index: Int, _ column: [Double]) { slots[index] = column }
    subscript(index: Int) -> [Double] { slots[index] }
    func free() {
        slots.deinitialize()
        slots.deallocate()
    }
}

/// Row times: exponential gaps, rescaled so the last row lands exactly
/// `hours` after the first.
func mockTimestamps(_ config: MockMarketConfig, count n: Int, seed: UInt64) -> [Int64] {
    var rng = Xoshiro256StarStar(seed: seed, stream: 1)
    let meanGapNs = config.meanTickInterval * 1e9
    let spanNs = (config.hours * 3.6e12).rounded(.down)
    let start = config.startNanoseconds
    return [Int64](unsafeUninitializedCapacity: n) { t, initialized in
        // First pass: cumulative raw gaps (whole ns, so the sum is exact).
        var sum: Int64 = 0
        t[0] = 0
        for i in 1..<n {
            sum &+= Int64(rng.nextExponential(mean: meanGapNs).rounded(.down))
            t[i] = sum
        }
        // Second pass: scale onto the span. x/total is monotone and the last
        // ratio is exactly 1, so times never decrease and the span is exact.
        let total = Double(sum)
        for i in 0..<n {
            let fraction = total > 0 ? Double(t[i]) / total : Double(i) / Double(n - 1)
            // Whole milliseconds, as exchanges stamp book tickers (equal stamps can occur).
            let offset = Int64((spanNs * fraction).rounded(.down))
            t[i] = start + offset - offset % 1_000_000
        }
        initialized = n
    }
}

/// The four price columns for times `t`, written straight into fresh storage.
func mockPrices(
    _ config: MockMarketConfig, seed: UInt64, t: UnsafeBufferPointer<Int64>
) -> (spotAsk: [Double], spotBid: [Double], futAsk: [Double], futBid: [Double]) {
    let n = t.count
    var spotBid: [Double] = [], futAsk: [Double] = [], futBid: [Double] = []
    let spotAsk = [Double](unsafeUninitializedCapacity: n) { sa, c0 in
        spotBid = [Double](unsafeUninitializedCapacity: n) { sb, c1 in
            futAsk = [Double](unsafeUninitializedCapacity: n) { fa, c2 in
                futBid = [Double](unsafeUninitializedCapacity: n) { fb, c3 in
                    fillMockPrices(config, seed: seed, t: t, spotAsk: sa, spotBid: sb, futAsk: fa, futBid: fb)
                    c3 = n
                }
                c2 = n
            }
            c1 = n
        }
        c0 = n
    }
    return (spotAsk, spotBid, futAsk, futBid)
}

/// The spot random walk, the basis process and the two books.
func fillMockPrices(
    _ config: MockMarketConfig, seed: UInt64, t: UnsafeBufferPointer<Int64>,
    spotAsk: UnsafeMutableBufferPointer<Double>, spotBid: UnsafeMutableBufferPointer<Double>,
    futAsk: UnsafeMutableBufferPointer<Double>, futBid: UnsafeMutableBufferPointer<Double>
) {
    var spotShock = NormalSampler(Xoshiro256StarStar(seed: seed, stream: 2))
    var basisShock = NormalSampler(Xoshiro256StarStar(seed: seed, stream: 3))
    var spreads = Xoshiro256StarStar(seed: seed, stream: 4)
    var bursts = Xoshiro256StarStar(seed: seed, stream: 5)

    let secondsPerYear = 365.25 * 86_400
    let spotVariancePerSecond = config.spotVolatility * config.spotVolatility / secondsPerYear
    let kappa = M_LN2 / (config.basisHalfLifeMinutes * 60)  // per second
    let hsLow = config.halfSpreadRange.lowerBound
    let hsWidth = config.halfSpreadRange.upperBound - hsLow
    let trendPerNs = config.trendStrength / 3.6e12
    let bursty = config.burstMultiplier > 1
    let calmMeanNs = 3.6e12 / config.burstsPerHour
    let burstMeanNs = config.burstMeanMinutes * 6e10

    let t0 = t[0]
    var inBurst = false
    var nextSwitch = bursty ? Double(t0) + bursts.nextExponential(mean: calmMeanNs) : .infinity
    var logMid = 0.0
    var deviation = config.spreadVolatility * basisShock.next()
    for i in 0..<t.count {
        if bursty {
            while Double(t[i]) >= nextSwitch {
                inBurst.toggle()
                nextSwitch += bursts.nextExponential(mean: inBurst ? burstMeanNs : calmMeanNs)
            }
        }
        let multiplier = inBurst ? config.burstMultiplier : 1
        if i > 0 {
            let dt = Double(t[i] - t[i - 1]) * 1e-9
            let variance = spotVariancePerSecond * multiplier * multiplier * dt
            logMid += variance.squareRoot() * spotShock.next() - 0.5 * variance
            // φ = e^{−κΔt} and 1 − φ² = −e(2 + e) with e = expm1(−κΔt): no
            // cancellation when Δt is a few nanoseconds.
            let e = expm1(-kappa * dt)
            let phi = 1 + e
            deviation = deviation * phi + config.spreadVolatility * multiplier * (-e * (2 + e)).squareRoot() * basisShock.next()
        }
        let basis = config.basisMean + trendPerNs * Double(t[i] - t0) + deviation
        let mid = config.spotStartPrice * exp(logMid)
        // Two 32-bit uniforms from one draw: plenty of resolution for a half-spread.
        let bits = spreads.next()
        let hs = hsLow + hsWidth * (Double(bits >> 32) * 0x1p-32)
        let hf = hsLow + hsWidth * (Double(bits & 0xFFFF_FFFF) * 0x1p-32)
        let futMid = mid * max(1 + basis, 1e-6)
        spotAsk[i] = config.askOnTick(mid * (1 + hs))
        spotBid[i] = config.bidOnTick(mid * (1 - hs))
        futAsk[i] = config.askOnTick(futMid * (1 + hf))
        futBid[i] = config.bidOnTick(futMid * (1 - hf))
    }
}

/// One log-normal quantity column from its own stream.
func mockQuantities(_ config: MockMarketConfig, count n: Int, seed: UInt64, stream: UInt64) -> [Double] {
    var normal = NormalSampler(Xoshiro256StarStar(seed: seed, stream: stream))
    let mu = config.quantityLogMean, sigma = config.quantityLogSigma
    return [Double](unsafeUninitializedCapacity: n) { q, initialized in
        let lots = config.lotsPerQuantityUnit
        for i in 0..<n {
            let q_i = exp(mu + sigma * normal.next())
            q[i] = lots > 0 ? max((q_i * lots).rounded(), 1) / lots : q_i
        }
        initialized = n
    }
}

extension MockMarketConfig {
    /// An ask moved up onto the tick grid. Dividing the integer tick count by
    /// `ticksPerPriceUnit` (rather than multiplying by the tick) gives the
    /// double nearest the decimal price, which prints as that short decimal.
    @inline(__always)
    func askOnTick(_ price: Double) -> Double {
        ticksPerPriceUnit > 0 ? (price * ticksPerPriceUnit).rounded(.up) / ticksPerPriceUnit : price
    }

    /// A bid moved down onto the tick grid, never below one tick.
    @inline(__always)
    func bidOnTick(_ price: Double) -> Double {
        ticksPerPriceUnit > 0 ? max((price * ticksPerPriceUnit).rounded(.down), 1) / ticksPerPriceUnit : price
    }
}
