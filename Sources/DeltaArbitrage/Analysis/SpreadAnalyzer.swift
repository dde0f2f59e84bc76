import SpreadKernels

/// Settings of `SpreadAnalyzer.analyze`.
public struct SpreadAnalysisOptions: Sendable, Equatable {
    /// `Δ` of the as-of sampling grid, seconds (DESIGN default 1 s).
    public var gridStepSeconds: Double
    /// Grid samples per regime block (default 60: one-minute blocks at Δ = 1 s).
    public var regimeBlockSize: Int
    /// PELT penalty; `nil` uses DESIGN's `2σ̂² ln n` on the block means.
    public var regimePenalty: Double?
    /// Highest autocorrelation lag, in grid steps (default 50).
    public var autocorrelationLags: Int
    /// Lags of the ARCH-LM test (default 5).
    public var archLags: Int
    /// ARCH-LM p-value below which `volatility_clustering` is true (default 0.05).
    public var significanceLevel: Double

    /// Options with docs/design.md's defaults unless given.
    public init(gridStepSeconds: Double = 1, regimeBlockSize: Int = 60, regimePenalty: Double? = nil,
                autocorrelationLags: Int = 50, archLags: Int = 5, significanceLevel: Double = 0.05) {
        self.gridStepSeconds = gridStepSeconds
        self.regimeBlockSize = regimeBlockSize
        self.regimePenalty = regimePenalty
        self.autocorrelationLags = autocorrelationLags
        self.archLags = archLags
        self.significanceLevel = significanceLevel
    }

    /// Grid points `analyze` needs: enough for the autocorrelation lags
    /// (`lags + 1`), two regime blocks (PELT's smallest segment is 2 blocks),
    /// and the ARCH-LM auxiliary regression on the `n − 1` AR(1) residuals
    /// (`2·lags + 3`).
    public var minimumGridPoints: Int {
        max(autocorrelationLags + 1, 2 * regimeBlockSize, 2 * archLags + 3, 4)
    }
}

/// The spread statistics of docs/design.md ("Spread statistics") on market data.
public enum SpreadAnalyzer {
    /// Samples `entry_cost_pct` on the as-of grid and computes the report.
    ///
    /// - Throws: `InsufficientDataError` when the grid has fewer than
    ///   `options.minimumGridPoints` points or the spread is constant;
    ///   `ParameterValidationError` for invalid options; `StatisticsError` for
    ///   other degenerate input (non-finite prices, singular regressions).
    public static func analyze(_ data: MarketData, options: SpreadAnalysisOptions = .init()) throws -> SpreadReport {
        let grid = try SpreadGrid.asOf(data, stepSeconds: options.gridStepSeconds)
        return try analyze(grid: grid, options: options)
    }

    /// Computes the report on an already sampled grid (`options.gridStepSeconds`
    /// is ignored; the grid's own step is used for the half-life).
    public static func analyze(grid: SpreadGrid, options: SpreadAnalysisOptions = .init()) throws -> SpreadReport {
        try validate(options)
        let required = options.minimumGridPoints
        guard grid.count >= required else {
            throw InsufficientDataError(
                operation: "analyzeSpread", required: required, available: grid.count,
                detail: "grid points at \(grid.stepSeconds) s spacing; the statistics need \(options.autocorrelationLags) "
                    + "autocorrelation lags and two \(options.regimeBlockSize)-sample regime blocks")
        }
        do {
            return try grid.values.withUnsafeBufferPointer { s in try compute(s, grid: grid, options: options) }
        } catch StatisticsError.constantSeries {
            throw InsufficientDataError(operation: "analyzeSpread", required: required, available: grid.count,
                                        detail: "the spread is constant on the grid, so its statistics are undefined")
        } catch let StatisticsError.tooFewObservations(needed, got) {
            throw InsufficientDataError(operation: "analyzeSpread", required: needed, available: got,
                                        detail: "observations for one of the spread statistics")
        }
    }

    private static func validate(_ options: SpreadAnalysisOptions) throws {
        if options.regimeBlockSize < 1 {
            throw ParameterValidationError(parameter: "regime_block_size", value: Double(options.regimeBlockSize),
                                           rule: "must be at least 1")
        }
        if options.autocorrelationLags < 0 {
            throw ParameterValidationError(parameter: "acf_lags", value: Double(options.autocorrelationLags),
                                           rule: "must be at least 0")
        }
        if options.archLags < 1 {
            throw ParameterValidationError(parameter: "arch_lags", value: Double(options.archLags), rule: "must be at least 1")
        }
        if let penalty = options.regimePenalty, !(penalty.isFinite && penalty >= 0) {
            throw ParameterValidationError(parameter: "regime_penalty", value: penalty, rule: "must be finite and ≥ 0")
        }
        if !(options.significanceLevel > 0 && options.significanceLevel < 1) {
            throw ParameterValidationError(parameter: "significance_level", value: options.significanceLevel,
                                           rule: "must be in (0, 1)")
        }
    }

    private static func compute(_ s: UnsafeBufferPointer<Double>, grid: SpreadGrid,
                                options: SpreadAnalysisOptions) throws(StatisticsError) -> SpreadReport {
        let mean = try Descriptive.mean(s)
        let std = try Descriptive.sampleStandardDeviation(s)
        let levels = Descriptive.reportPercentLevels
        let values = try Descriptive.percentiles(s, levels: levels)
        var percentiles = [Int: Double]()
        for (level, value) in zip(levels, values) { percentiles[Int(level)] = value }
        let acf = try Autocorrelation.autocorrelation(s, maxLag: options.autocorrelationLags)

        let adf = try AugmentedDickeyFuller.test(s)
        let ar1 = try AutoRegression.ar1(s)
        let reversion = ar1.meanReversion(gridStepSeconds: grid.stepSeconds)
        let arch = try ArchLM.test(ar1.residuals, lags: options.archLags)

        let blocks = try ChangePoints.blockMeans(s, blockSize: options.regimeBlockSize)
        let (penalty, breakpoints) = try blocks.withUnsafeBufferPointer {
            (b) throws(StatisticsError) -> (Double, [Int]) in
            let penalty: Double
            if let override = options.regimePenalty { penalty = override } else {
                penalty = try ChangePoints.regimePenalty(blockMeans: b)
            }
            return (penalty, try ChangePoints.pelt(b, penalty: penalty, minSize: 2))
        }

        let analysis = SpreadAnalysis(meanSpread: mean, stdSpread: std, percentiles: percentiles, autocorrelation: acf,
                                      halfLifeHours: reversion.halfLifeHours, regimeChanges: breakpoints.count - 1)
        let metrics = MeanReversionMetrics(halfLife: reversion.halfLifeHours, reversionSpeed: reversion.reversionSpeedPerHour,
                                           longTermMean: reversion.longTermMean,
                                           volatilityClustering: arch.lmPValue < options.significanceLevel,
                                           adfStatistic: adf.statistic, pValue: adf.pValue)
        let details = SpreadStatisticsDetails(
            gridStepSeconds: grid.stepSeconds, gridPoints: grid.count, adfUsedLag: adf.usedLag, adfMaxLag: adf.maxLag,
            adfNobs: adf.nobs, adfCriticalValue1Pct: adf.criticalValues.onePercent,
            adfCriticalValue5Pct: adf.criticalValues.fivePercent, adfCriticalValue10Pct: adf.criticalValues.tenPercent,
            adfIcBest: adf.icBest, ar1Alpha: ar1.alpha, ar1Beta: ar1.beta, archLmLags: arch.lags,
            archLmStatistic: arch.lm, archLmPValue: arch.lmPValue, regimeBlockSize: options.regimeBlockSize,
            regimeBlocks: blocks.count, regimePenalty: penalty, regimeBreakpoints: breakpoints)
        return SpreadReport(spreadAnalysis: analysis, meanReversion: metrics, details: details)
    }
}
