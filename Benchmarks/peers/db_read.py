#!/usr/bin/env python3
"""The seed system's read of one symbol's two markets from the book-ticker
store, timed: asyncpg `fetch` of each market's rows in the range (the two
concurrently, one connection each), Decimal -> float, one pandas DataFrame per
market, and the join: an outer join on the timestamp, forward fill of both
sides, and the rows before both markets have a quote dropped (the two-market
as-of merge, written plainly as the seed's pandas code does it).

    db_read.py --url postgres://... --spot-id 1 --futures-id 2 \
        --from-us 1700000000000000 --to-us 1700003600000000 --out result.json

Writes one JSON object: seconds per step and in total, rows read, merged rows,
and a checksum of the merged futures bid for the benchmark to cross-check.
Exits 2 with a message when asyncpg or pandas is missing.
"""
import argparse
import asyncio
import json
import sys
import time

try:
    import asyncpg
    import numpy as np
    import pandas as pd
except ImportError as error:  # the benchmark records the message and goes on
    print(f"db_read.py: {error} (pip install asyncpg pandas)", file=sys.stderr)
    sys.exit(2)

QUERY = """
SELECT "timestamp", bid_price, bid_qty, ask_price, ask_qty FROM book_ticker_snapshots
WHERE symbol_id = $1
  AND "timestamp" >= to_timestamp(0) + $2 * INTERVAL '1 microsecond'
  AND "timestamp" <= to_timestamp(0) + $3 * INTERVAL '1 microsecond'
ORDER BY "timestamp", sequence_number, id
"""


async def fetch(url, symbol_id, from_us, to_us):
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetch(QUERY, symbol_id, from_us, to_us)
    finally:
        await connection.close()


def frame(records, prefix):
    # Decimal -> float per value, as the seed's loader converts NUMERIC columns.
    return pd.DataFrame({
        "timestamp": [r["timestamp"] for r in records],
        prefix + "bid_price": [float(r["bid_price"]) for r in records],
        prefix + "bid_qty": [float(r["bid_qty"]) for r in records],
        prefix + "ask_price": [float(r["ask_price"]) for r in records],
        prefix + "ask_qty": [float(r["ask_qty"]) for r in records],
    }).set_index("timestamp")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--spot-id", type=int, required=True)
    parser.add_argument("--futures-id", type=int, required=True)
    parser.add_argument("--from-us", type=int, required=True)
    parser.add_argument("--to-us", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    start = time.perf_counter()

    async def both():
        return await asyncio.gather(
            fetch(args.url, args.spot_id, args.from_us, args.to_us),
            fetch(args.url, args.futures_id, args.from_us, args.to_us))

    spot_records, futures_records = asyncio.run(both())
    fetched = time.perf_counter()
    spot = frame(spot_records, "spot_")
    futures = frame(futures_records, "fut_")
    framed = time.perf_counter()
    merged = spot.join(futures, how="outer").sort_index().ffill().dropna()
    joined = time.perf_counter()

    rows = len(spot_records) + len(futures_records)
    result = {
        "peer": "asyncpg fetch + Decimal->float + pandas DataFrame + outer join/ffill",
        "rows_read": rows,
        "spot_rows": len(spot_records),
        "futures_rows": len(futures_records),
        "merged_rows": len(merged),
        "fut_bid_price_sum": float(np.sum(merged["fut_bid_price"].to_numpy())),
        "seconds": joined - start,
        "fetch_seconds": fetched - start,
        "dataframe_seconds": framed - fetched,
        "join_seconds": joined - framed,
        "rows_per_second": rows / (joined - start),
        "versions": {"python": sys.version.split()[0], "asyncpg": asyncpg.__version__,
                     "pandas": pd.__version__, "numpy": np.__version__},
    }
    with open(args.out, "w") as handle:
        json.dump(result, handle, indent=2)
    print(f"db_read.py: {rows} rows in {result['seconds']:.2f} s "
          f"(fetch {result['fetch_seconds']:.2f}, frames {result['dataframe_seconds']:.2f}, "
          f"join {result['join_seconds']:.2f}), {len(merged)} merged rows", file=sys.stderr)


if __name__ == "__main__":
    main()
