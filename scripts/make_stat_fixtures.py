#!/usr/bin/env python3
"""Generate the reference fixtures for the spread-statistics kernels.

Each series is generated from a fixed seed and written with numpy /
statsmodels / ruptures / scipy results to Tests/Fixtures/stats/<name>.json.
Floats are written with repr precision (json's default), so the Swift tests
read back the exact doubles the references produced.

Usage: python3 scripts/make_stat_fixtures.py   (from the repository root)
"""
import json
import math
import os
import warnings

import numpy as np
import ruptures as rpt
import scipy
import statsmodels
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.diagnostic import het_arch
from statsmodels.tsa.adfvalues import mackinnoncrit, mackinnonp
from statsmodels.tsa.stattools import acf, adfuller

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "stats")
PERCENT_LEVELS = [1, 5, 10, 25, 50, 75, 90, 95, 99]
BLOCK = 60
RAW_PELT_MAX_N = 2500


def ar1(rng, n, phi, mu=0.0, sigma=1.0):
    x = np.empty(n)
    x[0] = mu
    e = rng.normal(0.0, sigma, n)
    for t in range(1, n):
        x[t] = mu + phi * (x[t - 1] - mu) + e[t]
    return x


def garch(rng, n, omega=0.05, a=0.15, b=0.8):
    x = np.empty(n)
    var = omega / (1 - a - b)
    prev = 0.0
    for t in range(n):
        var = omega + a * prev * prev + b * var
        prev = math.sqrt(var) * rng.standard_normal()
        x[t] = prev
    return x


def make_series():
    s = {}
    r = np.random.default_rng(101)
    s["white_noise"] = r.normal(0.0, 1.0, 5000)
    r = np.random.default_rng(102)
    s["ar1_strong"] = ar1(r, 3000, 0.5, mu=0.05, sigma=0.01)
    r = np.random.default_rng(103)
    s["ar1_weak"] = ar1(r, 4000, 0.995, mu=0.2, sigma=0.02)
    r = np.random.default_rng(104)
    s["random_walk"] = np.cumsum(r.normal(0.0, 0.01, 3000)) + 0.3
    r = np.random.default_rng(105)
    s["trending"] = 0.0005 * np.arange(2000) + ar1(r, 2000, 0.7, sigma=0.05)
    r = np.random.default_rng(106)
    s["garch"] = 0.1 + 0.01 * garch(r, 6000)
    r = np.random.default_rng(107)
    scale = np.where((np.arange(4000) // 400) % 3 == 1, 5.0, 1.0)
    s["volatility_bursts"] = ar1(r, 4000, 0.9, sigma=1.0) * 0.0 + 0.02 * scale * r.normal(0.0, 1.0, 4000) + 0.1
    r = np.random.default_rng(108)
    levels = np.repeat([0.10, 0.25, 0.05, 0.30, 0.15, 0.20], 1200)
    s["level_shifts"] = levels + ar1(r, levels.size, 0.6, sigma=0.01)
    r = np.random.default_rng(109)
    s["short_ar"] = ar1(r, 200, 0.8, mu=0.1, sigma=0.02)
    r = np.random.default_rng(110)
    s["short_noise"] = 0.05 + 0.01 * r.normal(0.0, 1.0, 150)
    r = np.random.default_rng(111)
    s["heavy_tails"] = 0.1 + 0.01 * r.standard_t(3, 2500)
    r = np.random.default_rng(112)
    # A tick-quantised spread: long flat stretches and many ties.
    s["quantized"] = np.round(ar1(r, 3600, 0.98, mu=0.08, sigma=0.01) / 0.005) * 0.005
    r = np.random.default_rng(113)
    t = np.arange(2400)
    s["seasonal"] = 0.1 + 0.02 * np.sin(2 * np.pi * t / 300) + 0.005 * r.normal(0.0, 1.0, t.size)
    r = np.random.default_rng(114)
    s["short_shifts"] = np.repeat([0.0, 1.0, -0.5, 0.8], 60) + 0.1 * r.normal(0.0, 1.0, 240)
    r = np.random.default_rng(115)
    # One day of 1 s samples: mean-reverting spread with regime shifts.
    day_levels = np.repeat(r.uniform(0.02, 0.12, 8), 10800)
    s["day_86400"] = day_levels + ar1(r, 86400, 0.97, sigma=0.004)
    return s


def design_penalty(x):
    """docs/design.md penalty 2*sigma^2*ln(n); sigma from the MAD of the first
    differences, falling back to their std (ddof=1) when the MAD is 0."""
    d = np.diff(x)
    sigma = 1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2)
    if sigma == 0 and d.size >= 2:
        sigma = np.std(d, ddof=1) / np.sqrt(2)
    return float(2 * sigma**2 * np.log(len(x)))


def pelt(signal, pen):
    return [int(b) for b in rpt.Pelt(model="l2", min_size=2, jump=1).fit(signal).predict(pen=pen)]


def reference(x):
    out = {"n": int(x.size), "series": [float(v) for v in x]}
    out["mean"] = float(np.mean(x))
    out["std"] = float(np.std(x, ddof=1))
    out["percentile_levels"] = PERCENT_LEVELS
    out["percentiles"] = [float(v) for v in np.percentile(x, PERCENT_LEVELS)]
    out["acf"] = [float(v) for v in acf(x, nlags=50, fft=False)]

    stat, p, used, nobs, crit, icbest = adfuller(x, regression="c", autolag="AIC", result_object=False)
    store = adfuller(x, regression="c", autolag="AIC", store=True, result_object=False)[-1]
    out["adf"] = {
        "statistic": float(stat), "p_value": float(p), "used_lag": int(used),
        "nobs": int(nobs), "max_lag": int(store.maxlag), "ic_best": float(icbest),
        "critical_values": [float(crit[k]) for k in ("1%", "5%", "10%")],
    }

    y = np.diff(x)
    fit = sm.OLS(y, sm.add_constant(x[:-1])).fit()
    out["ar1"] = {"alpha": float(fit.params[0]), "beta": float(fit.params[1]),
                  "bse": [float(v) for v in fit.bse], "ssr": float(fit.ssr)}
    lm, lmp, fval, fp = het_arch(fit.resid, nlags=5, result_object=False)
    out["arch_lm"] = {"lm": float(lm), "lm_p_value": float(lmp), "f": float(fval), "f_p_value": float(fp)}

    nblocks = x.size // BLOCK
    means = x[: nblocks * BLOCK].reshape(nblocks, BLOCK).mean(axis=1)
    pen = design_penalty(means)
    out["blocks"] = {"block_size": BLOCK, "count": int(nblocks), "penalty": pen,
                     "breakpoints": pelt(means, pen)}
    if x.size <= RAW_PELT_MAX_N:
        pen_raw = design_penalty(x)
        out["raw_pelt"] = {"penalty": pen_raw, "breakpoints": pelt(x, pen_raw)}
    return out


def special_values():
    """Reference points for the p-value machinery."""
    chi2 = [[x, k, float(stats.chi2.sf(x, k))] for k in (1, 2, 5, 10)
            for x in (1e-3, 0.5, 1.0, 4.0, 11.07, 20.0, 60.0, 150.0)]
    fdist = [[f, d1, d2, float(stats.f.sf(f, d1, d2))] for (d1, d2) in ((5, 20), (5, 194), (5, 86388), (2, 7))
             for f in (0.01, 0.5, 1.0, 2.2, 5.0, 25.0)]
    norm = [[z, float(stats.norm.cdf(z))] for z in (-8.0, -3.3, -1.0, -0.2, 0.0, 0.3, 0.8, 1.5, 4.0)]
    taus = [-20.0, -18.0, -9.5, -5.0, -3.43, -2.9, -1.61, -1.6, -0.5, 0.0, 1.0, 2.7, 3.0]
    mackp = [[t, float(mackinnonp(t, regression="c", N=1))] for t in taus]
    mackc = [[n] + [float(v) for v in mackinnoncrit(N=1, regression="c", nobs=n)] for n in (50, 194, 2933, 86333)]
    return {"chi2_sf": chi2, "f_sf": fdist, "norm_cdf": norm, "mackinnonp": mackp, "mackinnoncrit": mackc}


def main():
    os.makedirs(OUT, exist_ok=True)
    versions = {"numpy": np.__version__, "statsmodels": statsmodels.__version__,
                "ruptures": rpt.__version__, "scipy": scipy.__version__}
    names = []
    for name, x in make_series().items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            data = reference(np.asarray(x, dtype=float))
        data["name"] = name
        data["versions"] = versions
        with open(os.path.join(OUT, name + ".json"), "w") as fh:
            json.dump(data, fh, separators=(",", ":"))
        names.append(name)
        print(name, data["n"], "adf lag", data["adf"]["used_lag"], "bkps", len(data["blocks"]["breakpoints"]) - 1)
    with open(os.path.join(OUT, "special_functions.json"), "w") as fh:
        json.dump({"versions": versions, **special_values()}, fh, separators=(",", ":"))
    with open(os.path.join(OUT, "index.json"), "w") as fh:
        json.dump({"series": names}, fh)


if __name__ == "__main__":
    main()
