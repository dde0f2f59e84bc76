#!/usr/bin/env python3
"""Peer timings for the DeltaArbitrage Swift benchmark.

Times what a quant would otherwise run in Python on the same book-ticker CSV files
(see Benchmarks/peers/README.md and docs/design.md):

  ingest               pandas.read_csv + timestamp parsing to datetime64[ns]
  backtest_row_loop    the seed's approach: a df.itertuples() loop (on a prefix)
  backtest_vectorised  numpy precomputation + first-passage search per trade
  backtest_numba       @njit loop over numpy arrays
  grid_numba           the numba loop over an (entry, exit) grid with prange
  analysis_statsmodels spread statistics: numpy moments, acf, adfuller, AR(1) OLS,
                       het_arch, ruptures PELT

Every timing is time.perf_counter seconds, best of N repeats. A peer whose library
is missing, or which fails, is recorded as {"skipped": "reason"}; the script never
aborts because one peer cannot run. Backtest peers are checked trade-for-trade
against the row loop (exact float equality: DESIGN requires identical trades);
a mismatch is recorded and makes the exit status 2.

Usage:
  python3 peers.py --csv FILE [--csv FILE2 ...] --entry 0.5 --exit 0.1 --max-hours 6 \
      --spot-fee 0.0005 --fut-fee 0.0005 --row-loop-limit 200000 --grid-step 1 \
      --out result.json [--only ingest,backtest_numba,...]
"""
import argparse
import csv
import datetime as _dt
import importlib
import json
import math
import os
import platform
import sys
import time

PEERS = ["ingest", "backtest_row_loop", "backtest_vectorised", "backtest_numba",
         "grid_numba", "analysis_statsmodels"]
PRICE_COLUMNS = ["spot_ask_price", "spot_bid_price", "fut_ask_price", "fut_bid_price"]
REASONS = ("profit_target", "timeout")   # index = reason code used by the array kernels
PERCENTILES = [1, 5, 10, 25, 50, 75, 90, 95, 99]
NS_PER_S = 1_000_000_000


def _try_import(name):
    """Import an optional module; returns (module or None, reason it is missing)."""
    try:
        return importlib.import_module(name), None
    except Exception as exc:  # ImportError, or a broken install raising anything else
        return None, f"{name} not available: {type(exc).__name__}: {exc}"


np, NP_MISSING = _try_import("numpy")
pd, PD_MISSING = _try_import("pandas")
numba, NUMBA_MISSING = _try_import("numba") if np is not None else (None, NP_MISSING)
rpt, RPT_MISSING = _try_import("ruptures")
sm_stattools, SM_MISSING = _try_import("statsmodels.tsa.stattools")
if sm_stattools is not None:
    import warnings
    import statsmodels.api as sm
    # adfuller/het_arch warn that their tuple return will change in 0.16; the tuple
    # form is what is unpacked here, so the warning is noise on stderr.
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"statsmodels\..*")
    warnings.filterwarnings("ignore", category=FutureWarning, message=r".*result_object.*")
    from statsmodels.stats.diagnostic import het_arch


def best_of(fn, repeat):
    """Run fn() `repeat` times; return (min seconds, last result).

    Best-of rather than mean: the minimum is the least noisy estimate of what the
    code costs on an idle machine, which is what the Swift side compares against."""
    best, result = math.inf, None
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def finite(x):
    """JSON has no NaN/Inf: DESIGN says non-finite numbers encode as null."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def clean(obj):
    """Recursively turn numpy scalars/arrays into JSON-safe Python values."""
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return obj
    if np is not None:
        if isinstance(obj, np.bool_):
            return bool(obj)
        if isinstance(obj, np.integer):
            return int(obj)
        if isinstance(obj, np.ndarray):
            return clean(obj.tolist())
    if isinstance(obj, float) or (np is not None and isinstance(obj, np.floating)):
        return finite(obj)
    return str(obj)


# --------------------------------------------------------------------------- data

class Columns:
    """The numpy columns every non-pandas peer works on (struct of arrays, like the
    Swift engine): timestamps as int64 ns since the epoch (UTC), prices as float64."""

    def __init__(self, t, sa, sb, fa, fb):
        self.t, self.sa, self.sb, self.fa, self.fb = t, sa, sb, fa, fb

    def __len__(self):
        return len(self.t)

    def head(self, n):
        return Columns(self.t[:n], self.sa[:n], self.sb[:n], self.fa[:n], self.fb[:n])


def pandas_ingest(path):
    """What the seed does: read_csv, then parse the ISO-8601 timestamps.

    format="ISO8601" is the fast path for these stamps; utc=True because the 'Z'
    suffix makes them tz-aware. pandas >= 3 infers microsecond resolution from
    strings, so convert explicitly to the datetime64[ns] the seed's frame uses."""
    t0 = time.perf_counter()
    df = pd.read_csv(path)
    t1 = time.perf_counter()
    df["timestamp"] = pd.to_datetime(df["timestamp"], format="ISO8601", utc=True).dt.as_unit("ns")
    t2 = time.perf_counter()
    return df, t1 - t0, t2 - t1


def columns_from_frame(df):
    t = np.asarray(df["timestamp"].array.asi8, dtype=np.int64)
    return Columns(t, *(np.ascontiguousarray(df[c].to_numpy(dtype=np.float64)) for c in PRICE_COLUMNS))


def columns_without_pandas(path):
    """Fallback loader (csv module) so the numba/numpy peers still run without pandas.
    Not timed as a peer: it exists only to feed the others."""
    def to_ns(s):
        d = _dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
        if d.tzinfo is None:
            d = d.replace(tzinfo=_dt.timezone.utc)
        delta = d - _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
        return (delta.days * 86400 + delta.seconds) * NS_PER_S + delta.microseconds * 1000

    cols = {k: [] for k in ["timestamp"] + PRICE_COLUMNS}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            cols["timestamp"].append(to_ns(row["timestamp"]))
            for c in PRICE_COLUMNS:
                cols[c].append(float(row[c]))
    return Columns(np.array(cols["timestamp"], dtype=np.int64),
                   *(np.array(cols[c], dtype=np.float64) for c in PRICE_COLUMNS))


# ------------------------------------------------------------------ backtests
# All implementations evaluate DESIGN's formulas in the same order in float64, so
# their decisions (and trade fields) are bit-identical; that is asserted below.

def backtest_row_loop(df, E, P, H, sf, ff):
    """The seed's delta_neutral_backtest: one Python iteration per row."""
    trades = []
    position = None
    for i, row in enumerate(df.itertuples(index=False)):
        if position is None:
            entry_cost_pct = (row.spot_ask_price - row.fut_bid_price) / row.spot_ask_price * 100
            if entry_cost_pct < E:
                position = {"entry_index": i, "entry_time": row.timestamp,
                            "spot_ask": row.spot_ask_price, "fut_bid": row.fut_bid_price,
                            "entry_spread_pct": entry_cost_pct}
            continue  # the opening row is never an exit row
        entry_spot_cost = position["spot_ask"] * (1 + sf)
        entry_fut_receive = position["fut_bid"] * (1 - ff)
        exit_spot_receive = row.spot_bid_price * (1 - sf)
        exit_fut_cost = row.fut_ask_price * (1 + ff)
        spot_pnl_pts = exit_spot_receive - entry_spot_cost
        fut_pnl_pts = entry_fut_receive - exit_fut_cost
        total_pnl_pts = spot_pnl_pts + fut_pnl_pts
        net_pnl_pct = total_pnl_pts / entry_spot_cost * 100
        hours = (row.timestamp - position["entry_time"]).total_seconds() / 3600
        if net_pnl_pct >= P:
            reason = "profit_target"
        elif hours >= H:
            reason = "timeout"
        else:
            continue
        exit_spread_pct = (row.fut_ask_price - row.spot_bid_price) / row.fut_ask_price * 100
        trades.append({
            "entry_index": position["entry_index"], "exit_index": i,
            "entry_time": position["entry_time"], "exit_time": row.timestamp, "hours": hours,
            "entry_spot_ask": position["spot_ask"], "entry_fut_bid": position["fut_bid"],
            "exit_spot_bid": row.spot_bid_price, "exit_fut_ask": row.fut_ask_price,
            "spot_pnl_pts": spot_pnl_pts, "fut_pnl_pts": fut_pnl_pts,
            "total_pnl_pts": total_pnl_pts, "net_pnl_pct": net_pnl_pct,
            "entry_spread_pct": position["entry_spread_pct"], "exit_spread_pct": exit_spread_pct,
            "spread_improvement": position["entry_spread_pct"] - exit_spread_pct,
            "exit_reason": reason,
        })
        position = None  # the closing row never opens a new position
    return trades


TRADE_KEYS = ["entry_index", "exit_index", "exit_reason", "hours", "entry_spot_ask",
              "entry_fut_bid", "exit_spot_bid", "exit_fut_ask", "spot_pnl_pts", "fut_pnl_pts",
              "total_pnl_pts", "net_pnl_pct", "entry_spread_pct", "exit_spread_pct",
              "spread_improvement"]


def trade_fields(c, e, x, r, sf, ff):
    """Trade fields from (entry, exit, reason-code) arrays, vectorised, same formula
    order as the row loop so the values are bit-identical."""
    A, B, sb, fa = c.sa[e], c.fb[e], c.sb[x], c.fa[x]
    entry_spot_cost = A * (1 + sf)
    spot_pnl = sb * (1 - sf) - entry_spot_cost
    fut_pnl = B * (1 - ff) - fa * (1 + ff)
    total = spot_pnl + fut_pnl
    entry_spread = (A - B) / A * 100
    exit_spread = (fa - sb) / fa * 100
    return {"entry_index": e, "exit_index": x, "exit_reason": r,
            "hours": ((c.t[x] - c.t[e]) / 1e9) / 3600, "entry_spot_ask": A, "entry_fut_bid": B,
            "exit_spot_bid": sb, "exit_fut_ask": fa, "spot_pnl_pts": spot_pnl,
            "fut_pnl_pts": fut_pnl, "total_pnl_pts": total,
            "net_pnl_pct": total / entry_spot_cost * 100, "entry_spread_pct": entry_spread,
            "exit_spread_pct": exit_spread, "spread_improvement": entry_spread - exit_spread}


def canonical_from_dicts(trades):
    return [tuple(t[k] for k in TRADE_KEYS) for t in trades]


def canonical_from_arrays(fields):
    cols = [fields[k].tolist() if k != "exit_reason" else [REASONS[i] for i in fields[k]]
            for k in TRADE_KEYS]
    return list(zip(*cols))


def compare_trades(ref, got):
    """Exact comparison; returns None when identical, else a short description."""
    if len(ref) != len(got):
        return f"trade count {len(got)} != reference {len(ref)}"
    for i, (a, b) in enumerate(zip(ref, got)):
        if a != b:
            diff = [k for k, u, v in zip(TRADE_KEYS, a, b) if u != v]
            return f"trade {i} differs in {diff}: {a} vs {b}"
    return None


def trade_summary(fields, n_rows):
    """Cross-check numbers for the Swift side."""
    net = fields["net_pnl_pct"]
    r = fields["exit_reason"]
    return {"trades": int(len(net)), "wins": int((net > 0).sum()),
            "total_pnl_pct": float(net.sum()) if len(net) else 0.0,
            "profit_target": int((r == 0).sum()), "timeout": int((r == 1).sum()),
            "rows": int(n_rows)}


def backtest_vectorised(c, E, P, H, sf, ff):
    """Vectorised peer: per-row quantities that do not depend on the open position are
    computed once for the whole file; the Python loop runs once per *trade*, finding
    the next entry with searchsorted and the exit by a first-passage search.

    The exit search looks at a window of rows that doubles until it finds a profit
    hit, so a trade that closes after a few rows does not pay for its whole 6 h
    timeout window, and a long trade costs O(log) numpy calls."""
    n = len(c)
    t = c.t
    entry_cost = (c.sa - c.fb) / c.sa * 100
    candidates = np.flatnonzero(entry_cost < E)
    exit_spot_receive = c.sb * (1 - sf)
    exit_fut_cost = c.fa * (1 + ff)
    horizon_ns = int(H * 3600 * NS_PER_S)
    es, xs, rs = [], [], []
    i = 0
    while True:
        k = np.searchsorted(candidates, i)
        if k == len(candidates):
            break
        e = int(candidates[k])
        entry_spot_cost = c.sa[e] * (1 + sf)
        entry_fut_receive = c.fb[e] * (1 - ff)
        te = t[e]

        # Timeout row: the first row after e with hours >= H, with hours evaluated
        # exactly as the row loop does. searchsorted on the integer horizon gives the
        # spot; the float formula decides the boundary (it is monotone in t).
        def timed_out(r):
            return ((t[r] - te) / 1e9) / 3600 >= H
        T = max(int(np.searchsorted(t, te + horizon_ns, side="left")), e + 1)
        while T > e + 1 and timed_out(T - 1):
            T -= 1
        while T < n and not timed_out(T):
            T += 1

        # Profit target: first row in (e, min(T, n-1)] with net_pnl_pct >= P.
        lo, end, width, hit = e + 1, min(T, n - 1) + 1, 256, -1
        while lo < end:
            hi = min(lo + width, end)
            spot_pnl = exit_spot_receive[lo:hi] - entry_spot_cost
            fut_pnl = entry_fut_receive - exit_fut_cost[lo:hi]
            net = (spot_pnl + fut_pnl) / entry_spot_cost * 100
            j = int(np.argmax(net >= P))
            if net[j] >= P:
                hit = lo + j
                break
            lo, width = hi, width * 2
        if hit >= 0:
            x, r = hit, 0
        elif T < n:
            x, r = T, 1
        else:
            break  # still open at the end of the data: not a trade
        es.append(e)
        xs.append(x)
        rs.append(r)
        i = x + 1  # the closing row never opens a position
    e = np.array(es, dtype=np.int64)
    x = np.array(xs, dtype=np.int64)
    return trade_fields(c, e, x, np.array(rs, dtype=np.int8), sf, ff)


_numba_kernels = {}


def numba_kernels():
    """Compile-on-demand numba kernels (defined lazily so the module imports without
    numba). fastmath stays off: it would let LLVM reorder the formulas and change
    decisions at near-ties, and the trades must equal the row loop's."""
    if _numba_kernels:
        return _numba_kernels
    njit, prange = numba.njit, numba.prange

    @njit(cache=False)
    def backtest_kernel(t, sa, sb, fa, fb, E, P, H, sf, ff, out_e, out_x, out_r):
        m = 0
        in_pos = False
        e = 0
        te = t[0] if len(t) else 0
        entry_spot_cost = 0.0
        entry_fut_receive = 0.0
        for i in range(len(t)):
            if not in_pos:
                if (sa[i] - fb[i]) / sa[i] * 100 < E:
                    in_pos = True
                    e = i
                    te = t[i]
                    entry_spot_cost = sa[i] * (1 + sf)
                    entry_fut_receive = fb[i] * (1 - ff)
                continue
            spot_pnl = sb[i] * (1 - sf) - entry_spot_cost
            fut_pnl = entry_fut_receive - fa[i] * (1 + ff)
            if (spot_pnl + fut_pnl) / entry_spot_cost * 100 >= P:
                r = 0
            elif ((t[i] - te) / 1e9) / 3600 >= H:
                r = 1
            else:
                continue
            out_e[m] = e
            out_x[m] = i
            out_r[m] = r
            m += 1
            in_pos = False
        return m

    @njit(cache=False)
    def grid_point(t, sa, sb, fa, fb, entry_cost, E, P, H, sf, ff):
        # Same state machine as backtest_kernel, but it only accumulates the summary
        # an optimiser needs (trades, wins, total net %), so nothing is allocated.
        trades = 0
        wins = 0
        total = 0.0
        in_pos = False
        te = 0
        entry_spot_cost = 0.0
        entry_fut_receive = 0.0
        for i in range(len(t)):
            if not in_pos:
                if entry_cost[i] < E:
                    in_pos = True
                    te = t[i]
                    entry_spot_cost = sa[i] * (1 + sf)
                    entry_fut_receive = fb[i] * (1 - ff)
                continue
            spot_pnl = sb[i] * (1 - sf) - entry_spot_cost
            fut_pnl = entry_fut_receive - fa[i] * (1 + ff)
            net = (spot_pnl + fut_pnl) / entry_spot_cost * 100
            if net >= P or ((t[i] - te) / 1e9) / 3600 >= H:
                trades += 1
                wins += net > 0
                total += net
                in_pos = False
        return trades, wins, total

    @njit(parallel=True, cache=False)
    def grid_kernel(t, sa, sb, fa, fb, entries, exits, H, sf, ff, out_trades, out_wins, out_pnl):
        # entry_cost does not depend on the grid point: computed once, shared by all.
        entry_cost = (sa - fb) / sa * 100
        nx = len(exits)
        for g in prange(len(entries) * nx):
            tr, w, tot = grid_point(t, sa, sb, fa, fb, entry_cost, entries[g // nx],
                                    exits[g % nx], H, sf, ff)
            out_trades[g] = tr
            out_wins[g] = w
            out_pnl[g] = tot

    _numba_kernels.update(backtest=backtest_kernel, grid=grid_kernel)
    return _numba_kernels


def backtest_numba(c, E, P, H, sf, ff):
    k = numba_kernels()["backtest"]
    cap = len(c) // 2 + 1  # every trade spans at least two rows
    out_e = np.empty(cap, np.int64)
    out_x = np.empty(cap, np.int64)
    out_r = np.empty(cap, np.int8)
    m = k(c.t, c.sa, c.sb, c.fa, c.fb, E, P, H, sf, ff, out_e, out_x, out_r)
    return trade_fields(c, out_e[:m], out_x[:m], out_r[:m], sf, ff)


def run_grid(c, entries, exits, H, sf, ff):
    g = len(entries) * len(exits)
    out_t = np.zeros(g, np.int64)
    out_w = np.zeros(g, np.int64)
    out_p = np.zeros(g, np.float64)
    numba_kernels()["grid"](c.t, c.sa, c.sb, c.fa, c.fb, entries, exits, H, sf, ff, out_t, out_w, out_p)
    return out_t, out_w, out_p


# ------------------------------------------------------------------- analysis

def analysis_components(c, step_s, block, frame):
    """DESIGN's spread statistics as a quant would compute them with the reference
    libraries. Returns an ordered list of (component name, callable); each callable
    takes and extends a shared state dict so the components can be timed one by one."""
    step_ns = int(round(step_s * NS_PER_S))

    def spread(st):
        st["s_rows"] = (c.sa - c.fb) / c.sa * 100

    def grid_sample(st):
        # As-of sampling: value at t_k is the last row at or before t_k.
        k = (c.t[-1] - c.t[0]) // step_ns
        grid = c.t[0] + np.arange(k + 1, dtype=np.int64) * step_ns
        st["grid"] = grid
        st["s"] = st["s_rows"][np.searchsorted(c.t, grid, side="right") - 1]

    def grid_sample_merge_asof(st):
        # The pandas idiom for the same thing; timed for comparison, checked equal.
        right = pd.DataFrame({"t": c.t, "s": st["s_rows"]})
        left = pd.DataFrame({"t": st["grid"]})
        s2 = pd.merge_asof(left, right, on="t", direction="backward")["s"].to_numpy()
        if not np.array_equal(s2, st["s"]):
            raise AssertionError("merge_asof and searchsorted grid samples differ")

    def moments(st):
        s = st["s"]
        st["mean_spread"] = float(np.mean(s))
        st["std_spread"] = float(np.std(s, ddof=1))
        st["percentiles"] = dict(zip(PERCENTILES, np.percentile(s, PERCENTILES).tolist()))

    def acf(st):
        st["autocorrelation"] = sm_stattools.acf(st["s"], nlags=50, fft=False)

    def adf(st):
        stat, p, usedlag, nobs, crit, icbest = sm_stattools.adfuller(st["s"], regression="c", autolag="AIC")
        st["adf"] = {"statistic": stat, "p_value": p, "used_lag": usedlag, "nobs": nobs,
                     "critical_values": crit, "icbest": icbest}

    def ar1(st):
        s = st["s"]
        fit = sm.OLS(np.diff(s), sm.add_constant(s[:-1])).fit()
        alpha, beta = fit.params
        reverts = beta < 0 and 1 + beta > 0
        dt_h = step_s / 3600
        st["resid"] = fit.resid
        st["ar1"] = {"alpha": alpha, "beta": beta,
                     "half_life_hours": -math.log(2) / math.log1p(beta) * dt_h if reverts else None,
                     "reversion_speed_per_hour": -math.log1p(beta) / dt_h if reverts else 0.0,
                     "long_term_mean": -alpha / beta if beta != 0 else None}

    def arch(st):
        lm, lm_p, f, f_p = het_arch(st["resid"], nlags=5)
        st["arch_lm"] = {"statistic": lm, "p_value": lm_p, "volatility_clustering": bool(lm_p < 0.05)}

    def pelt(st):
        s = st["s"]
        nb = len(s) // block  # a trailing partial block is dropped
        means = s[: nb * block].reshape(nb, block).mean(axis=1)
        d = np.diff(means)
        sigma = 1.4826 * np.median(np.abs(d - np.median(d))) / math.sqrt(2)
        pen = 2 * sigma ** 2 * math.log(nb)
        bkps = rpt.Pelt(model="l2", min_size=2, jump=1).fit(means).predict(pen=pen)
        st["pelt"] = {"blocks": nb, "sigma": sigma, "penalty": pen, "regime_changes": len(bkps) - 1}

    comps = [("spread", spread), ("grid_sample", grid_sample)]
    if frame:
        comps.append(("grid_sample_merge_asof", grid_sample_merge_asof))
    comps += [("moments", moments), ("acf", acf), ("adf", adf), ("ar1_ols", ar1),
              ("het_arch", arch), ("pelt", pelt)]
    return comps


# ------------------------------------------------------------------- driver

def rate(rows, seconds):
    return rows / seconds if seconds and seconds > 0 else None


class Runner:
    def __init__(self, args):
        self.a = args
        self.failed = False

    def peer(self, name, fn):
        """Run one peer; any exception becomes {"skipped": reason} so the others run."""
        try:
            return fn()
        except Exception as exc:
            self.failed = self.failed or isinstance(exc, AssertionError)
            return {"skipped": f"{type(exc).__name__}: {exc}"}

    def run_file(self, path):
        a = self.a
        sel = set(a.only)
        out = {"path": path, "bytes": os.path.getsize(path)}
        log = lambda msg: print(f"[peers] {os.path.basename(path)}: {msg}", file=sys.stderr, flush=True)
        if np is None:
            out.update({p: {"skipped": NP_MISSING} for p in PEERS if p in sel})
            return out

        # ---- ingest (also the source of data for every other peer)
        df = None
        if pd is not None:
            log("ingest")
            reps = a.repeat if "ingest" in sel else 1
            best = {"read": math.inf, "parse": math.inf, "total": math.inf}
            for _ in range(reps):
                t0 = time.perf_counter()
                df, t_read, t_parse = pandas_ingest(path)
                total = time.perf_counter() - t0
                best = {"read": min(best["read"], t_read), "parse": min(best["parse"], t_parse),
                        "total": min(best["total"], total)}
            c = columns_from_frame(df)
            if "ingest" in sel:
                out["ingest"] = {
                    "seconds": best["total"], "read_csv_seconds": best["read"],
                    "parse_timestamp_seconds": best["parse"], "repeats": reps,
                    "rows": len(df), "bytes": out["bytes"],
                    "rows_per_second": rate(len(df), best["total"]),
                    "mb_per_second": out["bytes"] / 1e6 / best["total"],
                    "read_csv_mb_per_second": out["bytes"] / 1e6 / best["read"]}
        else:
            log("loading without pandas (csv module)")
            c = columns_without_pandas(path)
            if "ingest" in sel:
                out["ingest"] = {"skipped": PD_MISSING}
        n = len(c)
        out["rows"] = n
        if n < 2:
            out.update({p: {"skipped": "fewer than 2 rows"} for p in PEERS if p in sel and p != "ingest"})
            return out

        bt = (a.entry, a.exit, a.max_hours, a.spot_fee, a.fut_fee)
        limit = min(n, a.row_loop_limit) if a.row_loop_limit > 0 else n
        head = c.head(limit)

        # ---- reference trades on the slice: the row loop (run even if its timing
        # was not requested, because the other backtests are checked against it)
        ref = None
        ref_reason = None
        if sel & {"backtest_row_loop", "backtest_vectorised", "backtest_numba", "grid_numba"}:
            if df is None:
                ref_reason = PD_MISSING
                if "backtest_row_loop" in sel:
                    out["backtest_row_loop"] = {"skipped": PD_MISSING}
            else:
                log(f"backtest_row_loop on {limit} rows")
                dfh = df.iloc[:limit]
                reps = a.repeat_slow if "backtest_row_loop" in sel else 1
                secs, trades = best_of(lambda: backtest_row_loop(dfh, *bt), reps)
                ref = canonical_from_dicts(trades)
                if "backtest_row_loop" in sel:
                    net = np.array([t["net_pnl_pct"] for t in trades])
                    rps = limit / secs
                    out["backtest_row_loop"] = {
                        "seconds": secs, "rows": limit, "repeats": reps, "rows_per_second": rps,
                        "extrapolated_full_file_seconds": n / rps, "trades": len(trades),
                        "total_pnl_pct": float(net.sum()) if len(net) else 0.0,
                        "profit_target": sum(t["exit_reason"] == "profit_target" for t in trades),
                        "timeout": sum(t["exit_reason"] == "timeout" for t in trades)}

        def check(fn, what):
            """Run fn on the slice; compare with the row loop. Returns the JSON flag."""
            if ref is None:
                return None
            err = compare_trades(ref, canonical_from_arrays(fn(head, *bt)))
            if err:
                raise AssertionError(f"{what} != row loop on first {limit} rows: {err}")
            return True

        full = {}  # full-file numba fields, to cross-check the vectorised peer

        # ---- numba backtest (before vectorised so its full-file trades are available)
        if "backtest_numba" in sel or "grid_numba" in sel:
            if numba is None:
                for p in ("backtest_numba", "grid_numba"):
                    if p in sel:
                        out[p] = {"skipped": NUMBA_MISSING}
            else:
                log("backtest_numba")

                def do_numba():
                    t0 = time.perf_counter()
                    numba_kernels()
                    backtest_numba(c.head(8), *bt)  # first call compiles
                    compile_s = time.perf_counter() - t0
                    matches = check(backtest_numba, "numba")
                    secs, fields = best_of(lambda: backtest_numba(c, *bt), a.repeat)
                    full["numba"] = fields
                    res = {"seconds": secs, "rows": n, "repeats": a.repeat,
                           "rows_per_second": rate(n, secs), "compile_seconds": compile_s,
                           "matches_row_loop": matches, **trade_summary(fields, n)}
                    if matches is None:
                        res["matches_row_loop_reason"] = ref_reason
                    return res
                if "backtest_numba" in sel:
                    out["backtest_numba"] = self.peer("backtest_numba", do_numba)

        # ---- vectorised backtest
        if "backtest_vectorised" in sel:
            log("backtest_vectorised")

            def do_vec():
                matches = check(backtest_vectorised, "vectorised")
                secs, fields = best_of(lambda: backtest_vectorised(c, *bt), a.repeat)
                res = {"seconds": secs, "rows": n, "repeats": a.repeat,
                       "rows_per_second": rate(n, secs), "matches_row_loop": matches,
                       **trade_summary(fields, n)}
                if matches is None:
                    res["matches_row_loop_reason"] = ref_reason
                if "numba" in full:
                    # Full-file agreement with numba (the row loop only covers a prefix).
                    err = compare_trades(canonical_from_arrays(full["numba"]), canonical_from_arrays(fields))
                    if err:
                        raise AssertionError(f"vectorised != numba on the full file: {err}")
                    res["matches_numba_full_file"] = True
                return res
            out["backtest_vectorised"] = self.peer("backtest_vectorised", do_vec)

        # ---- numba grid
        if "grid_numba" in sel and numba is not None:
            log("grid_numba")
            out["grid_numba"] = self.peer("grid_numba", lambda: self.grid(c, ref, limit, bt))

        # ---- analysis
        if "analysis_statsmodels" in sel:
            missing = [m for m in (SM_MISSING, RPT_MISSING) if m]
            if missing:
                out["analysis_statsmodels"] = {"skipped": "; ".join(missing)}
            else:
                log("analysis_statsmodels")
                out["analysis_statsmodels"] = self.peer("analysis_statsmodels",
                                                        lambda: self.analysis(c, df is not None, out))
        return out

    def grid(self, c, ref, limit, bt):
        a = self.a
        E, P, H, sf, ff = bt
        entries = np.linspace(a.entry_min, a.entry_max, a.grid)
        exits = np.linspace(a.exit_min, a.exit_max, a.grid)
        n = len(c)
        rows = min(n, a.grid_rows_limit) if a.grid_rows_limit > 0 else n
        part = c.head(rows)

        # Warm-up = compile + correctness: a 1x1 grid at (entry, exit) on the row-loop
        # slice must reproduce the row loop's trade count and P&L sum.
        t0 = time.perf_counter()
        tr, w, p = run_grid(c.head(limit), np.array([E]), np.array([P]), H, sf, ff)
        compile_s = time.perf_counter() - t0
        matches = None
        if ref is not None:
            ref_pnl = sum(t[TRADE_KEYS.index("net_pnl_pct")] for t in ref)
            if tr[0] != len(ref) or not math.isclose(p[0], ref_pnl, rel_tol=1e-12, abs_tol=1e-12):
                raise AssertionError(f"grid kernel at ({E}, {P}): {tr[0]} trades / {p[0]} pnl, "
                                     f"row loop {len(ref)} / {ref_pnl}")
            matches = True

        threads = numba.get_num_threads()
        secs, (tr, w, p) = best_of(lambda: run_grid(part, entries, exits, H, sf, ff), a.repeat_slow)
        points = len(entries) * len(exits)
        res = {"grid": [a.grid, a.grid], "points": points,
               "entry_range": [a.entry_min, a.entry_max], "exit_range": [a.exit_min, a.exit_max],
               "rows": n, "rows_timed": rows, "extrapolated": rows < n, "repeats": a.repeat_slow,
               "threads": threads, "threading_layer": numba.threading_layer(),
               "compile_seconds": compile_s, "seconds": secs,
               "seconds_full_file": secs * n / rows,
               "rows_per_second": rate(rows, secs),
               "point_rows_per_second": rate(points * rows, secs),
               "matches_row_loop": matches,
               "total_trades_over_grid": int(tr.sum())}
        best = int(np.argmax(p))  # first maximum: deterministic tie-break
        res["best"] = {"entry": entries[best // len(exits)], "exit": exits[best % len(exits)],
                       "trades": int(tr[best]), "wins": int(w[best]), "total_pnl_pct": p[best]}
        # Single-thread time, only when it is cheap enough (estimated from the parallel run).
        if threads > 1 and secs * threads <= a.grid_single_thread_max_seconds:
            numba.set_num_threads(1)
            try:
                s1, _ = best_of(lambda: run_grid(part, entries, exits, H, sf, ff), a.repeat_slow)
            finally:
                numba.set_num_threads(threads)
            res["single_thread_seconds"] = s1
            res["parallel_speedup"] = s1 / secs
        elif threads == 1:
            res["single_thread_seconds"] = secs
        else:
            res["single_thread_seconds"] = None
            res["single_thread_skipped"] = "estimated above --grid-single-thread-max-seconds"
        return res

    def analysis(self, c, have_pandas, file_out):
        a = self.a
        n_total = len(c)
        if a.analysis_max_samples > 0:
            # statsmodels' adfuller (pinv per candidate lag) and acf(fft=False) (a full
            # O(n^2) np.correlate) take minutes on weeks of 1 s samples, so analyse the
            # leading rows whose grid has at most this many samples: rows with
            # t < t0 + limit*step. The Swift side reproduces the numbers by analysing
            # the same leading `rows`.
            step_ns = int(round(a.grid_step * NS_PER_S))
            c = c.head(int(np.searchsorted(c.t, c.t[0] + a.analysis_max_samples * step_ns, side="left")))
        comps = analysis_components(c, a.grid_step, a.block, have_pandas)
        times = {name: math.inf for name, _ in comps}
        best_total = math.inf
        for _ in range(max(1, a.repeat_slow)):
            st = {}
            total = 0.0
            for name, fn in comps:
                t0 = time.perf_counter()
                fn(st)
                dt = time.perf_counter() - t0
                times[name] = min(times[name], dt)
                # The merge_asof variant is an alternative to grid_sample, not a step.
                if name != "grid_sample_merge_asof":
                    total += dt
            best_total = min(best_total, total)
        samples = len(st["s"])
        bt = file_out.get("backtest_numba") or file_out.get("backtest_vectorised") or {}
        return {
            "seconds": best_total, "repeats": max(1, a.repeat_slow),
            "component_seconds": times, "rows": len(c), "rows_total": n_total,
            "truncated": len(c) < n_total, "samples": samples,
            "grid_step_seconds": a.grid_step, "block_samples": a.block,
            "rows_per_second": rate(len(c), best_total),
            "results": {
                "mean_spread": st["mean_spread"], "std_spread": st["std_spread"],
                "percentiles": st["percentiles"], "autocorrelation": st["autocorrelation"],
                "adf": st["adf"], "ar1": st["ar1"], "arch_lm": st["arch_lm"], "pelt": st["pelt"],
                "regime_changes": st["pelt"]["regime_changes"],
                "backtest_trades": bt.get("trades"),
            },
        }


def versions():
    import importlib.metadata as md
    v = {}
    for name in ("numpy", "pandas", "numba", "statsmodels", "ruptures"):
        try:
            importlib.import_module(name)  # installed *and* importable, else null
            v[name] = md.version(name)
        except Exception:
            v[name] = None
    return v


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--csv", action="append", required=True, help="book-ticker CSV file (repeatable)")
    p.add_argument("--out", required=True, help="JSON output path ('-' for stdout)")
    p.add_argument("--entry", type=float, default=0.5, help="max_entry_cost_pct")
    p.add_argument("--exit", type=float, default=0.1, help="min_profit_pct")
    p.add_argument("--max-hours", type=float, default=6.0)
    p.add_argument("--spot-fee", type=float, default=0.0005)
    p.add_argument("--fut-fee", type=float, default=0.0005)
    p.add_argument("--row-loop-limit", type=int, default=200_000,
                   help="rows given to the pandas row loop (0 = all); also the slice every "
                        "other backtest is checked on")
    p.add_argument("--grid-step", type=float, default=1.0,
                   help="spacing of the uniform time grid of the spread statistics, seconds")
    p.add_argument("--analysis-max-samples", type=int, default=86_400,
                   help="analyse only the leading rows spanning at most this many grid samples "
                        "(default one day of 1 s samples; 0 = the whole file)")
    p.add_argument("--block", type=int, default=60, help="grid samples per PELT block")
    p.add_argument("--grid", type=int, default=64, help="G: the threshold grid is G x G")
    p.add_argument("--entry-min", type=float, default=0.05)
    p.add_argument("--entry-max", type=float, default=1.0)
    p.add_argument("--exit-min", type=float, default=0.02)
    p.add_argument("--exit-max", type=float, default=0.5)
    p.add_argument("--grid-rows-limit", type=int, default=1_000_000,
                   help="time grid_numba on this many leading rows and extrapolate (0 = all)")
    p.add_argument("--grid-single-thread-max-seconds", type=float, default=60.0,
                   help="also time grid_numba on one thread when that is estimated below this")
    p.add_argument("--repeat", type=int, default=3, help="best-of N for fast peers")
    p.add_argument("--repeat-slow", type=int, default=1,
                   help="best-of N for slow peers (row loop, grid, analysis)")
    p.add_argument("--only", default=",".join(PEERS), help="comma-separated peers to run: " + ",".join(PEERS))
    a = p.parse_args(argv)
    a.only = [s.strip() for s in a.only.split(",") if s.strip()]
    unknown = [s for s in a.only if s not in PEERS]
    if unknown:
        p.error(f"unknown peer(s) {unknown}; choose from {PEERS}")
    return a


def main(argv=None):
    args = parse_args(argv)
    runner = Runner(args)
    doc = {"python": platform.python_version(), "versions": versions(),
           "parameters": {k: getattr(args, k) for k in (
               "entry", "exit", "max_hours", "spot_fee", "fut_fee", "row_loop_limit", "grid_step", "analysis_max_samples",
               "block", "grid", "entry_min", "entry_max", "exit_min", "exit_max",
               "grid_rows_limit", "repeat", "repeat_slow", "only")},
           "files": []}
    if numba is not None:
        doc["numba_threads"] = numba.get_num_threads()
    for path in args.csv:
        doc["files"].append(runner.run_file(path))
    text = json.dumps(clean(doc), indent=2, allow_nan=False)
    if args.out == "-":
        print(text)
    else:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    return 2 if runner.failed else 0


if __name__ == "__main__":
    sys.exit(main())
