/// How far to trust an optimisation's thresholds, in [0, 1].
///
/// The score is a weighted mean of four components, each in [0, 1]:
///
/// | component | weight | value |
/// |---|---|---|
/// | `stationarity` | 0.3 | `1 − p`, p the Dickey–Fuller p-value of the window's spread (a spread that does not revert gives thresholds nothing to hold on to) |
/// | `trade_support` | 0.2 | `n / (n + 10)`, n the chosen point's trades (10 trades → ½) |
/// | `smoothness` | 0.2 | mean of `clamp(P_k / P*, 0, 1)` over the evaluated grid neighbours k (the 3 × 3 block) of the optimum, P the total net P&L; 0 when `P* ≤ 0` or there are no neighbours — a lone spike is not robust |
/// | `out_of_sample` | 0.3 | the window is cut in two halves by time; the point the same rules choose on the first half alone is run on the second half: `clamp(P₂(first-half choice) / P₂(chosen), 0, 1)`; 1 when the chosen point loses on the second half but the first-half choice does not, 0 when both lose |
///
/// `score = 0.3·stationarity + 0.2·trade_support + 0.2·smoothness + 0.3·out_of_sample`.
public struct ConfidenceScore: Sendable, Hashable, Codable {
    /// `1 − p`, p the window's Dickey–Fuller p-value, in [0, 1] (0 for a NaN p).
    public var stationarity: Double
    /// `n / (n + 10)`, n the chosen point's trades, in [0, 1].
    public var tradeSupport: Double
    /// Mean of `clamp(P_k / P*, 0, 1)` over the optimum's evaluated neighbours, in [0, 1].
    public var smoothness: Double
    /// Second-half P&L of the first-half choice relative to the chosen point's, in [0, 1].
    public var outOfSample: Double
    /// The first-half choice behind `outOfSample` (nil when the first half has no safe point).
    public var firstHalfChoice: ThresholdPair?
    /// The weighted mean of the four components, in [0, 1].
    public var score: Double

    /// Weights of the components in `score`; they sum to 1.
    public static let weights = (stationarity: 0.3, tradeSupport: 0.2, smoothness: 0.2, outOfSample: 0.3)

    /// Clamps each component to [0, 1] (NaN → 0) and computes `score`.
    public init(stationarity: Double, tradeSupport: Double, smoothness: Double, outOfSample: Double,
                firstHalfChoice: ThresholdPair?) {
        func unit(_ x: Double) -> Double { x.isNaN ? 0 : min(max(x, 0), 1) }
        self.stationarity = unit(stationarity)
        self.tradeSupport = unit(tradeSupport)
        self.smoothness = unit(smoothness)
        self.outOfSample = unit(outOfSample)
        self.firstHalfChoice = firstHalfChoice
        let w = Self.weights
        score = w.stationarity * self.stationarity + w.tradeSupport * self.tradeSupport
            + w.smoothness * self.smoothness + w.outOfSample * self.outOfSample
    }

    /// `stationarity` from a Dickey–Fuller p-value (NaN → 0).
    public static func stationarity(pValue p: Double) -> Double { p.isNaN ? 0 : 1 - p }

    /// `trade_support` from a trade count.
    public static func tradeSupport(trades n: Int) -> Double { Double(n) / (Double(n) + 10) }

    /// `smoothness` from the optimum's P&L and its neighbours'.
    public static func smoothness(optimum: Double, neighbours: [Double]) -> Double {
        guard optimum > 0, !neighbours.isEmpty else { return 0 }
        return neighbours.reduce(0) { $0 + min(max($1 / optimum, 0), 1) } / Double(neighbours.count)
    }

    /// `out_of_sample` from second-half P&L of the first-half choice and of the chosen point.
    public static func outOfSample(firstHalfChoice p1: Double, chosen p: Double) -> Double {
        if p > 0 { return min(max(p1 / p, 0), 1) }
        return p1 > 0 ? 1 : 0
    }

    enum CodingKeys: String, CodingKey {
        case stationarity, tradeSupport = "trade_support", smoothness, outOfSample = "out_of_sample"
        case firstHalfChoice = "first_half_choice", score
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(stationarity, forKey: .stationarity)
        try c.encode(tradeSupport, forKey: .tradeSupport)
        try c.encode(smoothness, forKey: .smoothness)
        try c.encode(outOfSample, forKey: .outOfSample)
        try c.encode(firstHalfChoice, forKey: .firstHalfChoice)  // explicit null without a first-half choice
        try c.encode(score, forKey: .score)
    }
}
