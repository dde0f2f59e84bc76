import SpreadKernels

/// Distribution, memory and regimes of the spread (the seed's `SpreadAnalysis`).
///
/// JSON keys: `mean_spread, std_spread, percentiles` (an object keyed by the
/// percent level, `{"1": …, "5": …, …, "99": …}`), `autocorrelation` (lags
/// 0…50), `half_life_hours` (`null` when the spread does not revert),
/// `regime_changes`. Non-finite numbers encode as `null`.
public struct SpreadAnalysis: Sendable, Equatable, Codable {
    /// Mean of the grid spread, percent.
    public var meanSpread: Double
    /// Sample standard deviation (ddof = 1) of the grid spread, percent.
    public var stdSpread: Double
    /// Percentiles of the grid spread keyed by percent level (1, 5, 10, 25, 50, 75, 90, 95, 99).
    public var percentiles: [Int: Double]
    /// Autocorrelation at lags 0 … `autocorrelationLags` grid steps.
    public var autocorrelation: [Double]
    /// AR(1) half-life in hours; `+∞` (JSON `null`) when the spread does not revert.
    public var halfLifeHours: Double
    /// Change points in the block means (PELT), the final segment end excluded.
    public var regimeChanges: Int

    /// An analysis from its fields; `halfLifeHours` is `+∞` for a spread that does not revert.
    public init(meanSpread: Double, stdSpread: Double, percentiles: [Int: Double], autocorrelation: [Double],
                halfLifeHours: Double, regimeChanges: Int) {
        self.meanSpread = meanSpread
        self.stdSpread = stdSpread
        self.percentiles = percentiles
        self.autocorrelation = autocorrelation
        self.halfLifeHours = halfLifeHours
        self.regimeChanges = regimeChanges
    }

    enum CodingKeys: String, CodingKey {
        case meanSpread = "mean_spread", stdSpread = "std_spread", percentiles, autocorrelation
        case halfLifeHours = "half_life_hours", regimeChanges = "regime_changes"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeFinite(meanSpread, forKey: .meanSpread)
        try c.encodeFinite(stdSpread, forKey: .stdSpread)
        // String keys so the JSON object reads {"1": …, "5": …} in every encoder.
        var levels = [String: Double?]()
        for (level, value) in percentiles { levels[String(level)] = value.isFinite ? value : nil }
        try c.encode(levels, forKey: .percentiles)
        try c.encodeFinite(autocorrelation, forKey: .autocorrelation)
        try c.encodeFinite(halfLifeHours, forKey: .halfLifeHours)
        try c.encode(regimeChanges, forKey: .regimeChanges)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        meanSpread = try c.decodeFinite(forKey: .meanSpread)
        stdSpread = try c.decodeFinite(forKey: .stdSpread)
        let levels = try c.decode([String: Double?].self, forKey: .percentiles)
        var percentiles = [Int: Double]()
        for (key, value) in levels {
            guard let level = Int(key) else {
                throw DecodingError.dataCorruptedError(forKey: .percentiles, in: c,
                                                       debugDescription: "percent level '\(key)' is not an integer")
            }
            percentiles[level] = value ?? .nan
        }
        self.percentiles = percentiles
        autocorrelation = try c.decode([Double?].self, forKey: .autocorrelation).map { $0 ?? .nan }
        // A null half-life means "does not revert", i.e. +∞.
        halfLifeHours = try c.decodeIfPresent(Double.self, forKey: .halfLifeHours) ?? .infinity
        regimeChanges = try c.decode(Int.self, forKey: .regimeChanges)
    }
}

/// Mean-reversion diagnostics of the spread (the seed's `MeanReversionMetrics`).
///
/// JSON keys: `half_life` (hours, `null` when not reverting), `reversion_speed`
/// (per hour), `long_term_mean` (percent), `volatility_clustering`,
/// `adf_statistic`, `p_value` (of the ADF test).
public struct MeanReversionMetrics: Sendable, Equatable, Codable {
    /// AR(1) half-life in hours, `+∞` when `β ≥ 0` or `1 + β ≤ 0`.
    public var halfLife: Double
    /// `−ln(1 + β)` per hour; 0 when not reverting.
    public var reversionSpeed: Double
    /// `−α/β` of the AR(1) regression, percent.
    public var longTermMean: Double
    /// ARCH-LM p-value below the significance level (default 0.05).
    public var volatilityClustering: Bool
    /// ADF τ statistic.
    public var adfStatistic: Double
    /// ADF MacKinnon p-value.
    public var pValue: Double

    /// Metrics from their fields; `halfLife` is `+∞` for a spread that does not revert.
    public init(halfLife: Double, reversionSpeed: Double, longTermMean: Double, volatilityClustering: Bool,
                adfStatistic: Double, pValue: Double) {
        self.halfLife = halfLife
        self.reversionSpeed = reversionSpeed
        self.longTermMean = longTermMean
        self.volatilityClustering = volatilityClustering
        self.adfStatistic = adfStatistic
        self.pValue = pValue
    }

    enum CodingKeys: String, CodingKey {
        case halfLife = "half_life", reversionSpeed = "reversion_speed", longTermMean = "long_term_mean"
        case volatilityClustering = "volatility_clustering", adfStatistic = "adf_statistic", pValue = "p_value"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeFinite(halfLife, forKey: .halfLife)
        try c.encodeFinite(reversionSpeed, forKey: .reversionSpeed)
        try c.encodeFinite(longTermMean, forKey: .longTermMean)
        try c.encode(volatilityClustering, forKey: .volatilityClustering)
        try c.encodeFinite(adfStatistic, forKey: .adfStatistic)
        try c.encodeFinite(pValue, forKey: .pValue)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        halfLife = try c.decodeIfPresent(Double.self, forKey: .halfLife) ?? .infinity
        reversionSpeed = try c.decodeFinite(forKey: .reversionSpeed)
        longTermMean = try c.decodeFinite(forKey: .longTermMean)
        volatilityClustering = try c.decode(Bool.self, forKey: .volatilityClustering)
        adfStatistic = try c.decodeFinite(forKey: .adfStatistic)
        pValue = try c.decodeFinite(forKey: .pValue)
    }
}

/// The numbers behind `SpreadAnalysis` and `MeanReversionMetrics` that the
/// seed does not name but docs/design.md asks to report: ADF lag selection and
/// critical values, the ARCH-LM test, the AR(1) coefficients, the grid and the
/// regime search. All keys snake_case; non-finite numbers are `null`; the
/// critical values are one object `adf_critical_values` keyed `"1%"`, `"5%"`,
/// `"10%"` (docs/schema/analyze.schema.json).
public struct SpreadStatisticsDetails: Sendable, Equatable, Codable {
    /// `Δ` of the sampling grid, seconds.
    public var gridStepSeconds: Double
    /// Number of grid points the statistics ran on.
    public var gridPoints: Int
    /// Lagged differences chosen by AIC in the ADF regression.
    public var adfUsedLag: Int
    /// Largest lag the ADF search considered.
    public var adfMaxLag: Int
    /// Observations in the final ADF regression.
    public var adfNobs: Int
    /// MacKinnon (2010) critical value at 1 %.
    public var adfCriticalValue1Pct: Double
    /// … at 5 %.
    public var adfCriticalValue5Pct: Double
    /// … at 10 %.
    public var adfCriticalValue10Pct: Double
    /// Smallest AIC of the ADF lag search.
    public var adfIcBest: Double
    /// AR(1) intercept α of `Δs_t = α + β s_{t−1} + ε`.
    public var ar1Alpha: Double
    /// AR(1) slope β.
    public var ar1Beta: Double
    /// Lags of the ARCH-LM test.
    public var archLmLags: Int
    /// ARCH-LM statistic `nobs·R²`.
    public var archLmStatistic: Double
    /// Its χ² p-value.
    public var archLmPValue: Double
    /// Samples per regime block.
    public var regimeBlockSize: Int
    /// Number of complete blocks (an incomplete trailing block is dropped).
    public var regimeBlocks: Int
    /// PELT penalty used (DESIGN's `2σ̂² ln n`, or the override).
    public var regimePenalty: Double
    /// Segment ends in block units, as ruptures reports them (last = `regimeBlocks`).
    public var regimeBreakpoints: [Int]

    /// Details from their fields, in the units of the properties.
    public init(gridStepSeconds: Double, gridPoints: Int, adfUsedLag: Int, adfMaxLag: Int, adfNobs: Int,
                adfCriticalValue1Pct: Double, adfCriticalValue5Pct: Double, adfCriticalValue10Pct: Double,
                adfIcBest: Double, ar1Alpha: Double, ar1Beta: Double, archLmLags: Int,
                archLmStatistic: Double, archLmPValue: Double, regimeBlockSize: Int, regimeBlocks: Int,
                regimePenalty: Double, regimeBreakpoints: [Int]) {
        self.gridStepSeconds = gridStepSeconds
        self.gridPoints = gridPoints
        self.adfUsedLag = adfUsedLag
        self.adfMaxLag = adfMaxLag
        self.adfNobs = adfNobs
        self.adfCriticalValue1Pct = adfCriticalValue1Pct
        self.adfCriticalValue5Pct = adfCriticalValue5Pct
        self.adfCriticalValue10Pct = adfCriticalValue10Pct
        self.adfIcBest = adfIcBest
        self.ar1Alpha = ar1Alpha
        self.ar1Beta = ar1Beta
        self.archLmLags = archLmLags
        self.archLmStatistic = archLmStatistic
        self.archLmPValue = archLmPValue
        self.regimeBlockSize = regimeBlockSize
        self.regimeBlocks = regimeBlocks
        self.regimePenalty = regimePenalty
        self.regimeBreakpoints = regimeBreakpoints
    }

    enum CodingKeys: String, CodingKey {
        case gridStepSeconds = "grid_step_seconds", gridPoints = "grid_points"
        case adfUsedLag = "adf_used_lag", adfMaxLag = "adf_max_lag", adfNobs = "adf_nobs"
        case adfCriticalValues = "adf_critical_values", adfIcBest = "adf_ic_best"
        case ar1Alpha = "ar1_alpha", ar1Beta = "ar1_beta"
        case archLmLags = "arch_lm_lags", archLmStatistic = "arch_lm_statistic", archLmPValue = "arch_lm_p_value"
        case regimeBlockSize = "regime_block_size", regimeBlocks = "regime_blocks"
        case regimePenalty = "regime_penalty", regimeBreakpoints = "regime_breakpoints"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeFinite(gridStepSeconds, forKey: .gridStepSeconds)
        try c.encode(gridPoints, forKey: .gridPoints)
        try c.encode(adfUsedLag, forKey: .adfUsedLag)
        try c.encode(adfMaxLag, forKey: .adfMaxLag)
        try c.encode(adfNobs, forKey: .adfNobs)
        try c.encode(CriticalValues(self), forKey: .adfCriticalValues)
        try c.encodeFinite(adfIcBest, forKey: .adfIcBest)
        try c.encodeFinite(ar1Alpha, forKey: .ar1Alpha)
        try c.encodeFinite(ar1Beta, forKey: .ar1Beta)
        try c.encode(archLmLags, forKey: .archLmLags)
        try c.encodeFinite(archLmStatistic, forKey: .archLmStatistic)
        try c.encodeFinite(archLmPValue, forKey: .archLmPValue)
        try c.encode(regimeBlockSize, forKey: .regimeBlockSize)
        try c.encode(regimeBlocks, forKey: .regimeBlocks)
        try c.encodeFinite(regimePenalty, forKey: .regimePenalty)
        try c.encode(regimeBreakpoints, forKey: .regimeBreakpoints)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        gridStepSeconds = try c.decodeFinite(forKey: .gridStepSeconds)
        gridPoints = try c.decode(Int.self, forKey: .gridPoints)
        adfUsedLag = try c.decode(Int.self, forKey: .adfUsedLag)
        adfMaxLag = try c.decode(Int.self, forKey: .adfMaxLag)
        adfNobs = try c.decode(Int.self, forKey: .adfNobs)
        let critical = try c.decode(CriticalValues.self, forKey: .adfCriticalValues)
        adfCriticalValue1Pct = critical.level1
        adfCriticalValue5Pct = critical.level5
        adfCriticalValue10Pct = critical.level10
        adfIcBest = try c.decodeFinite(forKey: .adfIcBest)
        ar1Alpha = try c.decodeFinite(forKey: .ar1Alpha)
        ar1Beta = try c.decodeFinite(forKey: .ar1Beta)
        archLmLags = try c.decode(Int.self, forKey: .archLmLags)
        archLmStatistic = try c.decodeFinite(forKey: .archLmStatistic)
        archLmPValue = try c.decodeFinite(forKey: .archLmPValue)
        regimeBlockSize = try c.decode(Int.self, forKey: .regimeBlockSize)
        regimeBlocks = try c.decode(Int.self, forKey: .regimeBlocks)
        regimePenalty = try c.decodeFinite(forKey: .regimePenalty)
        regimeBreakpoints = try c.decode([Int].self, forKey: .regimeBreakpoints)
    }

    /// The ADF critical values keyed by significance level, as statsmodels'
    /// `adfuller` returns them: `{"1%": …, "5%": …, "10%": …}` (the keys are
    /// levels, the values τ statistics — not percentages).
    private struct CriticalValues: Codable {
        var level1: Double, level5: Double, level10: Double

        init(_ d: SpreadStatisticsDetails) {
            (level1, level5, level10) = (d.adfCriticalValue1Pct, d.adfCriticalValue5Pct, d.adfCriticalValue10Pct)
        }

        enum CodingKeys: String, CodingKey { case level1 = "1%", level5 = "5%", level10 = "10%" }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeFinite(level1, forKey: .level1)
            try c.encodeFinite(level5, forKey: .level5)
            try c.encodeFinite(level10, forKey: .level10)
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            level1 = try c.decodeFinite(forKey: .level1)
            level5 = try c.decodeFinite(forKey: .level5)
            level10 = try c.decodeFinite(forKey: .level10)
        }
    }
}

/// Everything `SpreadAnalyzer.analyze` computes. JSON:
/// `{"spread_analysis": …, "mean_reversion": …, "details": …}`.
public struct SpreadReport: Sendable, Equatable, Codable {
    /// Distribution, autocorrelation, half-life and regime count.
    public var spreadAnalysis: SpreadAnalysis
    /// AR(1), ADF and ARCH-LM summary in the seed's shape.
    public var meanReversion: MeanReversionMetrics
    /// The supporting numbers docs/design.md asks to report.
    public var details: SpreadStatisticsDetails

    /// A report from its three parts.
    public init(spreadAnalysis: SpreadAnalysis, meanReversion: MeanReversionMetrics, details: SpreadStatisticsDetails) {
        self.spreadAnalysis = spreadAnalysis
        self.meanReversion = meanReversion
        self.details = details
    }

    enum CodingKeys: String, CodingKey {
        case spreadAnalysis = "spread_analysis", meanReversion = "mean_reversion", details
    }
}
