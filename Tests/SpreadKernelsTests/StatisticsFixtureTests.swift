import Testing
import SpreadKernels

/// Every statistic on every fixture series equals the Python reference:
/// values to 1e-8 relative (absolute floor 1e-12), p-values to 1e-6
/// relative, lags / counts / change points exactly.
@Suite("Statistics vs numpy/statsmodels/ruptures fixtures")
struct StatisticsFixtureTests {
    @Test func fixturesArePresent() {
        #expect(Fixtures.names.count >= 12)
    }

    @Test(arguments: Fixtures.names)
    func descriptive(_ name: String) throws {
        let f = try Fixtures.load(name)
        try f.series.withUnsafeBufferPointer { x in
            #expect(x.count == f.n)
            let mean = try Descriptive.mean(x)
            #expect(isClose(mean, f.mean), "\(name) mean \(mean) vs \(f.mean)")
            let std = try Descriptive.sampleStandardDeviation(x)
            #expect(isClose(std, f.std), "\(name) std \(std) vs \(f.std)")
            let p = try Descriptive.percentiles(x, levels: f.percentile_levels)
            #expect(worst(p, f.percentiles) <= 1e-8, "\(name) percentiles \(p) vs \(f.percentiles)")
        }
    }

    @Test(arguments: Fixtures.names)
    func autocorrelation(_ name: String) throws {
        let f = try Fixtures.load(name)
        let acf = try f.series.withUnsafeBufferPointer { try Autocorrelation.autocorrelation($0, maxLag: 50) }
        #expect(acf.count == 51)
        #expect(worst(acf, f.acf) <= 1e-8, "\(name) acf worst \(worst(acf, f.acf))")
    }

    @Test(arguments: Fixtures.names)
    func adf(_ name: String) throws {
        let f = try Fixtures.load(name)
        let r = try AugmentedDickeyFuller.test(f.series)
        #expect(r.maxLag == f.adf.max_lag, "\(name) maxlag")
        #expect(r.usedLag == f.adf.used_lag, "\(name) usedlag \(r.usedLag) vs \(f.adf.used_lag)")
        #expect(r.nobs == f.adf.nobs, "\(name) nobs")
        #expect(isClose(r.statistic, f.adf.statistic), "\(name) adf \(r.statistic) vs \(f.adf.statistic)")
        #expect(isClose(r.icBest, f.adf.ic_best), "\(name) icbest \(r.icBest) vs \(f.adf.ic_best)")
        #expect(isClose(r.pValue, f.adf.p_value, relative: 1e-6, absolute: 1e-300), "\(name) p \(r.pValue) vs \(f.adf.p_value)")
        let cv = [r.criticalValues.onePercent, r.criticalValues.fivePercent, r.criticalValues.tenPercent]
        #expect(worst(cv, f.adf.critical_values) <= 1e-12, "\(name) crit \(cv)")
    }

    @Test(arguments: Fixtures.names)
    func ar1AndArch(_ name: String) throws {
        let f = try Fixtures.load(name)
        let fit = try AutoRegression.ar1(f.series)
        #expect(isClose(fit.alpha, f.ar1.alpha), "\(name) alpha \(fit.alpha) vs \(f.ar1.alpha)")
        #expect(isClose(fit.beta, f.ar1.beta), "\(name) beta \(fit.beta) vs \(f.ar1.beta)")
        #expect(worst(fit.standardErrors, f.ar1.bse) <= 1e-8, "\(name) bse")
        #expect(fit.residuals.count == f.n - 1)
        let arch = try ArchLM.test(fit.residuals, lags: 5)
        #expect(arch.nobs == f.n - 1 - 5)
        #expect(isClose(arch.lm, f.arch_lm.lm), "\(name) lm \(arch.lm) vs \(f.arch_lm.lm)")
        #expect(isClose(arch.fStatistic, f.arch_lm.f), "\(name) F \(arch.fStatistic) vs \(f.arch_lm.f)")
        #expect(isClose(arch.lmPValue, f.arch_lm.lm_p_value, relative: 1e-6, absolute: 1e-300),
                "\(name) lm p \(arch.lmPValue) vs \(f.arch_lm.lm_p_value)")
        #expect(isClose(arch.fPValue, f.arch_lm.f_p_value, relative: 1e-6, absolute: 1e-300),
                "\(name) F p \(arch.fPValue) vs \(f.arch_lm.f_p_value)")
    }

    @Test(arguments: Fixtures.names)
    func regimes(_ name: String) throws {
        let f = try Fixtures.load(name)
        let means = try f.series.withUnsafeBufferPointer { try ChangePoints.blockMeans($0, blockSize: f.blocks.block_size) }
        #expect(means.count == f.blocks.count)
        let penalty = try means.withUnsafeBufferPointer { try ChangePoints.regimePenalty(blockMeans: $0) }
        #expect(isClose(penalty, f.blocks.penalty), "\(name) penalty \(penalty) vs \(f.blocks.penalty)")
        let bkps = try ChangePoints.pelt(means, penalty: f.blocks.penalty)
        #expect(bkps == f.blocks.breakpoints, "\(name) block breakpoints")
        if let raw = f.raw_pelt {
            let rawPenalty = try f.series.withUnsafeBufferPointer { try ChangePoints.regimePenalty(blockMeans: $0) }
            #expect(isClose(rawPenalty, raw.penalty), "\(name) raw penalty")
            let rawBkps = try ChangePoints.pelt(f.series, penalty: raw.penalty)
            #expect(rawBkps == raw.breakpoints, "\(name) raw breakpoints \(rawBkps) vs \(raw.breakpoints)")
        }
    }

    @Test func specialFunctions() throws {
        let s = try Fixtures.special()
        for row in s.chi2_sf {
            let v = SpecialFunctions.chiSquaredSurvival(row[0], degreesOfFreedom: row[1])
            #expect(isClose(v, row[2], relative: 1e-10, absolute: 1e-300), "chi2.sf(\(row[0]), \(row[1])) \(v) vs \(row[2])")
        }
        for row in s.f_sf {
            let v = SpecialFunctions.fSurvival(row[0], d1: row[1], d2: row[2])
            #expect(isClose(v, row[3], relative: 1e-9, absolute: 1e-300), "f.sf(\(row[0]), \(row[1]), \(row[2])) \(v) vs \(row[3])")
        }
        for row in s.norm_cdf {
            let v = SpecialFunctions.normalCDF(row[0])
            #expect(isClose(v, row[1], relative: 1e-14, absolute: 1e-300), "norm.cdf(\(row[0])) \(v) vs \(row[1])")
        }
        for row in s.mackinnonp {
            let v = MacKinnon.pValue(tau: row[0])
            #expect(isClose(v, row[1], relative: 1e-12, absolute: 1e-300), "mackinnonp(\(row[0])) \(v) vs \(row[1])")
        }
        for row in s.mackinnoncrit {
            let c = MacKinnon.criticalValues(nobs: Int(row[0]))
            #expect(worst([c.onePercent, c.fivePercent, c.tenPercent], Array(row[1...])) <= 1e-14)
        }
    }
}
