#!/usr/bin/env python3
"""Write an N-row book-ticker CSV for testing peers.py (and the Swift loaders).

Columns: timestamp,spot_ask_price,spot_bid_price,spot_ask_quantity,spot_bid_quantity,
fut_ask_price,fut_bid_price,fut_ask_quantity,fut_bid_quantity
Timestamps are ISO-8601 UTC with milliseconds (2025-10-12T06:17:00.123Z).

The spread is made to trade at the default thresholds (entry 0.5 %, exit 0.1 %):
the futures basis fut_mid/spot_mid - 1 follows an Ornstein-Uhlenbeck process around
-0.3 % (so entry_cost_pct = (spot_ask - fut_bid)/spot_ask*100 sits around +0.3 %, below
the 0.5 % entry), with occasional shifts of its mean (regimes for PELT to find). A
profitable exit needs the basis to rise by roughly fees (0.2 %) + spreads + 0.1 %,
which the OU excursions reach often enough to give both profit_target and timeout exits.

Usage: python3 make_sample.py --rows 1000000 --out /tmp/sample_1m.csv [--seed 1]
"""
import argparse
import sys

import numpy as np
import pandas as pd

COLUMNS = ["timestamp", "spot_ask_price", "spot_bid_price", "spot_ask_quantity",
           "spot_bid_quantity", "fut_ask_price", "fut_bid_price", "fut_ask_quantity",
           "fut_bid_quantity"]


def generate_chunk(rng, n, state, args):
    """Generate n rows continuing from `state` (time, spot log-price, basis, basis mean)."""
    # Inter-arrival times: exponential with the requested mean, in whole ms (>= 1 ms
    # so that most rows have distinct stamps; equal stamps are still legal input).
    dt_ms = np.maximum(1, np.rint(rng.exponential(args.interval_ms, n))).astype(np.int64)
    t_ms = state["t_ms"] + np.cumsum(dt_ms)
    dt_s = dt_ms / 1000.0

    # Spot mid: geometric Brownian motion with ~60 % annualised volatility.
    sigma_spot = 0.6 / np.sqrt(365 * 86400)
    log_spot = state["log_spot"] + np.cumsum(sigma_spot * np.sqrt(dt_s) * rng.standard_normal(n))

    # Regime shifts of the basis mean: a Poisson number per chunk, each a +-0.1 % jump.
    mean = np.full(n, state["mean"])
    n_shifts = rng.poisson(dt_s.sum() / args.regime_seconds)
    for pos in np.sort(rng.integers(0, n, n_shifts)):
        mean[pos:] = np.clip(mean[pos] + rng.choice([-0.1, 0.1]), -0.6, 0.0)

    # Basis (in %): exact OU discretisation for irregular steps, run as a scalar loop
    # because each step depends on the previous one (numba-free on purpose).
    theta = np.log(2) / args.half_life_s
    decay = np.exp(-theta * dt_s)
    noise = args.basis_std * np.sqrt(1 - decay ** 2) * rng.standard_normal(n)
    basis = np.empty(n)
    b = state["basis"]
    for i in range(n):
        b = mean[i] + (b - mean[i]) * decay[i] + noise[i]
        basis[i] = b

    spot_mid = np.exp(log_spot)
    fut_mid = spot_mid * (1 + basis / 100)
    tick = 0.1
    # Half-spreads of 1..3 ticks; quotes rounded to the tick so the CSV looks real.
    spot_half = tick * rng.integers(1, 4, n)
    fut_half = tick * rng.integers(1, 4, n)
    spot_bid = np.round((spot_mid - spot_half) / tick) * tick
    spot_ask = np.maximum(np.round((spot_mid + spot_half) / tick) * tick, spot_bid + tick)
    fut_bid = np.round((fut_mid - fut_half) / tick) * tick
    fut_ask = np.maximum(np.round((fut_mid + fut_half) / tick) * tick, fut_bid + tick)

    stamps = np.datetime_as_string(t_ms.astype("datetime64[ms]"), unit="ms")
    frame = pd.DataFrame({
        "timestamp": np.char.add(stamps, "Z"),
        "spot_ask_price": spot_ask.round(1), "spot_bid_price": spot_bid.round(1),
        "spot_ask_quantity": rng.exponential(0.5, n).round(4),
        "spot_bid_quantity": rng.exponential(0.5, n).round(4),
        "fut_ask_price": fut_ask.round(1), "fut_bid_price": fut_bid.round(1),
        "fut_ask_quantity": rng.exponential(2.0, n).round(3),
        "fut_bid_quantity": rng.exponential(2.0, n).round(3),
    }, columns=COLUMNS)
    state.update(t_ms=t_ms[-1], log_spot=log_spot[-1], basis=basis[-1], mean=mean[-1])
    return frame


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--interval-ms", type=float, default=250.0, help="mean gap between rows")
    p.add_argument("--half-life-s", type=float, default=600.0, help="OU half-life of the basis")
    p.add_argument("--basis-std", type=float, default=0.2, help="stationary std of the basis, %%")
    p.add_argument("--basis-mean", type=float, default=-0.3, help="initial basis mean, %%")
    p.add_argument("--regime-seconds", type=float, default=6 * 3600.0,
                   help="mean time between shifts of the basis mean")
    p.add_argument("--start", default="2025-10-12T00:00:00", help="UTC time of the first row")
    p.add_argument("--chunk", type=int, default=1_000_000, help="rows generated per write")
    args = p.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    start_ms = np.datetime64(args.start, "ms").astype(np.int64)
    state = {"t_ms": start_ms, "log_spot": np.log(60000.0), "basis": args.basis_mean,
             "mean": args.basis_mean}
    # Written in chunks so a 10M-row file needs only one chunk of memory at a time.
    with open(args.out, "w", newline="") as f:
        done = 0
        while done < args.rows:
            n = min(args.chunk, args.rows - done)
            generate_chunk(rng, n, state, args).to_csv(f, index=False, header=(done == 0))
            done += n
    print(f"wrote {args.rows} rows to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
