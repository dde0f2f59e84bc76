#!/usr/bin/env python3
"""CSV ingest peers for the DeltaArbitrage `ingest-*` benchmark workload.

Reads each file the way a Python user would get the same columns the engine's
MarketDataCSVLoader returns (int64 nanosecond timestamps, float64 prices and
quantities), best of N, time.perf_counter seconds, every library on all its
default threads:

  pandas    pandas.read_csv (pyarrow-free C parser), ISO timestamps then
            pd.to_datetime(format="ISO8601", utc=True) to datetime64[ns]
  pyarrow   pyarrow.csv.read_csv with the timestamp column typed
            timestamp[ns, UTC] (ISO) or int64 (epoch)
  polars    polars.read_csv, ISO timestamps then str.to_datetime(ns, UTC)

A library that is missing or fails is recorded as {"skipped": "reason"}.
Cross-check: rows and the sum of fut_bid_price, beside each timing.

Usage:
  python3 ingest_peers.py --csv iso8601=FILE --csv epoch_ns=FILE --repeats 3 --out result.json
"""
import argparse
import importlib
import importlib.util
import json
import os
import platform
import sys
import time


def _try_import(name):
    try:
        return importlib.import_module(name), None
    except Exception as exc:  # ImportError, or a broken install raising anything else
        return None, f"{name} not available: {type(exc).__name__}: {exc}"


def is_iso(path):
    with open(path, "rb") as f:
        f.readline()
        first = f.readline()
    return b"-" in first.split(b",")[0][1:]


def pandas_read(path, iso):
    pd = importlib.import_module("pandas")
    df = pd.read_csv(path)
    if iso:
        df["timestamp"] = pd.to_datetime(df["timestamp"], format="ISO8601", utc=True).dt.as_unit("ns")
    return len(df), float(df["fut_bid_price"].sum())


def pyarrow_read(path, iso):
    pa = importlib.import_module("pyarrow")
    pcsv = importlib.import_module("pyarrow.csv")
    kind = pa.timestamp("ns", tz="UTC") if iso else pa.int64()
    table = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(column_types={"timestamp": kind}))
    return table.num_rows, float(importlib.import_module("pyarrow.compute").sum(table["fut_bid_price"]).as_py())


def polars_read(path, iso):
    pl = importlib.import_module("polars")
    df = pl.read_csv(path)
    if iso:
        df = df.with_columns(pl.col("timestamp").str.to_datetime(time_unit="ns", time_zone="UTC"))
    return df.height, float(df["fut_bid_price"].sum())


PEERS = {"pandas": pandas_read, "pyarrow": pyarrow_read, "polars": polars_read}
MODULES = {"pandas": ["pandas"], "pyarrow": ["pyarrow", "pyarrow.csv", "pyarrow.compute"], "polars": ["polars"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csv", action="append", required=True, help="LAYOUT=PATH")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", required=True)
    a = parser.parse_args()
    result = {"python": platform.python_version(), "versions": {}}
    for name in PEERS:
        module, missing = _try_import(name)
        result["versions"][name] = getattr(module, "__version__", None) if module else missing
    for spec in a.csv:
        layout, _, path = spec.partition("=")
        iso = is_iso(path)
        size = os.path.getsize(path)
        entry = {"path": path, "csv_bytes": size}
        for name, read in PEERS.items():
            if importlib.util.find_spec(name) is None:
                entry[name] = {"skipped": f"{name} not installed"}
                continue
            try:
                for module in MODULES[name]:  # imported before the clock starts
                    importlib.import_module(module)
                best = float("inf")
                for _ in range(max(1, a.repeats)):
                    t0 = time.perf_counter()
                    rows, check = read(path, iso)
                    best = min(best, time.perf_counter() - t0)
                entry[name] = {"seconds": best, "gb_per_second": size / best / 1e9,
                               "rows": rows, "fut_bid_price_sum": check}
                print(f"   {layout} {name}: {best:.3f} s = {size / best / 1e9:.3f} GB/s", file=sys.stderr)
            except Exception as exc:  # a peer failing must not stop the others
                entry[name] = {"skipped": f"{type(exc).__name__}: {exc}"}
        result[layout] = entry
    with open(a.out, "w") as f:
        json.dump(result, f, indent=2, sort_keys=True)


if __name__ == "__main__":
    main()
