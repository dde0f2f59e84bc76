#!/usr/bin/env python3
"""Arrow interoperability checks run by Tests/DeltaArbitrageTests/ArrowInteropTests.swift
with the real pyarrow (and polars and pandas when installed).

  arrow_interop.py check FILE.arrow EXPECTED.json UNIT
      FILE was written by delta-arb's ArrowFileWriter; EXPECTED holds the values it
      was given: {"timestamp": ["<ns>", ...], "<column>": ["<float64 bits, 16 hex digits>", ...]}
      (strings, so that no JSON parser rounds them).
      Reads FILE with pyarrow.feather.read_table (and polars.read_ipc) and checks the
      schema (timestamp[UNIT, tz=UTC], float64) and every value bit for bit.
      Prints one "ok <library>" line per library; exits 1 on a mismatch.

  arrow_interop.py write DIR
      Writes files with pyarrow and pandas into DIR, each NAME.arrow with a
      NAME.json of what a reader must load (same encoding as above; NaN for null
      quantities is the bit pattern of float('nan')), plus files a reader must refuse.
      Prints the names written.
"""
import json
import math
import struct
import sys

COLUMNS = ["spot_ask_price", "spot_bid_price", "spot_ask_quantity", "spot_bid_quantity",
           "fut_ask_price", "fut_bid_price", "fut_ask_quantity", "fut_bid_quantity"]
NAN_BITS = "%016x" % struct.unpack("<Q", struct.pack("<d", float("nan")))[0]


def bits(x):
    return "%016x" % struct.unpack("<Q", struct.pack("<d", x))[0]


def same(expected_bits, actual):
    """Bit-for-bit equality; any NaN matches any NaN (pyarrow may canonicalise them)."""
    if actual is None:
        actual = float("nan")
    e = struct.unpack("<d", struct.pack("<Q", int(expected_bits, 16)))[0]
    if math.isnan(e):
        return math.isnan(actual)
    return bits(actual) == expected_bits


def fail(message):
    print(message)
    sys.exit(1)


def check(path, expected_path, unit):
    import pyarrow as pa
    import pyarrow.feather as feather
    expected = json.load(open(expected_path))
    per = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[unit]
    table = feather.read_table(path)
    names = ["timestamp"] + COLUMNS
    if table.column_names != names:
        fail(f"pyarrow: columns {table.column_names}, expected {names}")
    if table.schema.field("timestamp").type != pa.timestamp(unit, tz="UTC"):
        fail(f"pyarrow: timestamp type {table.schema.field('timestamp').type}")
    for name in COLUMNS:
        if table.schema.field(name).type != pa.float64():
            fail(f"pyarrow: {name} type {table.schema.field(name).type}")
    times = table.column("timestamp").cast(pa.int64()).to_pylist()
    if [str(t * per) for t in times] != expected["timestamp"]:
        fail("pyarrow: timestamps differ")
    for name in COLUMNS:
        values = table.column(name).to_pylist()
        if len(values) != len(expected[name]) or not all(same(e, a) for e, a in zip(expected[name], values)):
            fail(f"pyarrow: column {name} differs")
    print(f"ok pyarrow {table.num_rows} rows")
    try:
        import polars as pl
    except ImportError:
        return
    frame = pl.read_ipc(path)
    times = frame["timestamp"].cast(pl.Int64).to_list()
    if [str(t * per) for t in times] != expected["timestamp"]:
        fail("polars: timestamps differ")
    for name in COLUMNS:
        values = frame[name].to_list()
        if not all(same(e, a) for e, a in zip(expected[name], values)):
            fail(f"polars: column {name} differs")
    print(f"ok polars {frame.height} rows")


def sample(n, seed):
    """Deterministic book-ticker rows: ns times, prices on a 1e-8 grid, bid < ask."""
    state = seed
    def nxt():
        nonlocal state
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        return state >> 33
    t = 1_760_000_000_000_000_000
    rows = {name: [] for name in ["timestamp"] + COLUMNS}
    p = 6_500_000_000_000
    for _ in range(n):
        t += (1 + nxt() % 3000) * 1_000_000
        p += nxt() % 2001 - 1000
        spread = 1 + nxt() % 500
        rows["timestamp"].append(t)
        rows["spot_ask_price"].append((p + spread) / 1e8)
        rows["spot_bid_price"].append(p / 1e8)
        rows["fut_ask_price"].append((p + spread + 300) / 1e8)
        rows["fut_bid_price"].append((p + 300) / 1e8)
        for name in ["spot_ask_quantity", "spot_bid_quantity", "fut_ask_quantity", "fut_bid_quantity"]:
            rows[name].append((nxt() % 100_000) / 1e3)
    return rows


def expected_json(rows, times_ns, nulls=None):
    out = {"timestamp": [str(t) for t in times_ns]}
    for name in COLUMNS:
        out[name] = [NAN_BITS if (nulls and name in nulls and i in nulls[name]) else bits(v)
                     for i, v in enumerate(rows[name])]
    return out


def write(directory):
    import os
    import pyarrow as pa
    import pyarrow.feather as feather
    os.makedirs(directory, exist_ok=True)

    def save(name, table, expected, **options):
        feather.write_feather(table, os.path.join(directory, name + ".arrow"), **options)
        if expected is not None:
            json.dump(expected, open(os.path.join(directory, name + ".json"), "w"))
        print(name)

    # Several record batches, ns timestamps with a zone, the seed's column order.
    rows = sample(2500, 1)
    table = pa.table({"timestamp": pa.array(rows["timestamp"], pa.timestamp("ns", tz="UTC")),
                      **{name: pa.array(rows[name], pa.float64()) for name in COLUMNS}})
    save("batches_ns", table, expected_json(rows, rows["timestamp"]), compression="uncompressed", chunksize=1000)

    # ms timestamps without a zone, columns in another order with other case, an
    # extra string column, a float32 quantity and null quantities.
    rows = sample(1200, 2)
    ms = [t // 10**6 for t in rows["timestamp"]]
    nulls = {"spot_bid_quantity": {3, 700, 1199}}
    f32 = [struct.unpack("<f", struct.pack("<f", v))[0] for v in rows["fut_ask_quantity"]]
    rows["fut_ask_quantity"] = f32
    arrays = {
        "note": pa.array([f"r{i}" for i in range(1200)]),
        "FUT_BID_PRICE": pa.array(rows["fut_bid_price"], pa.float64()),
        "Timestamp": pa.array(ms, pa.timestamp("ms")),
        "spot_ask_price": pa.array(rows["spot_ask_price"], pa.float64()),
        "spot_bid_price": pa.array(rows["spot_bid_price"], pa.float64()),
        "fut_ask_price": pa.array(rows["fut_ask_price"], pa.float64()),
        "spot_ask_quantity": pa.array(rows["spot_ask_quantity"], pa.float64()),
        "spot_bid_quantity": pa.array([None if i in nulls["spot_bid_quantity"] else v
                                       for i, v in enumerate(rows["spot_bid_quantity"])], pa.float64()),
        "fut_ask_quantity": pa.array(f32, pa.float32()),
        "fut_bid_quantity": pa.array(rows["fut_bid_quantity"], pa.float64()),
    }
    save("ms_mixed", pa.table(arrays), expected_json(rows, [t * 10**6 for t in ms], nulls),
         compression="uncompressed", chunksize=500)

    # pandas: datetime64[ns, UTC] and float64 columns, prices only.
    try:
        import pandas as pd
        rows = sample(300, 3)
        frame = pd.DataFrame({"timestamp": pd.to_datetime(rows["timestamp"], unit="ns", utc=True),
                              **{name: rows[name] for name in ["spot_ask_price", "spot_bid_price",
                                                               "fut_ask_price", "fut_bid_price"]}})
        frame.to_feather(os.path.join(directory, "pandas.arrow"), compression="uncompressed")
        expected = expected_json(rows, rows["timestamp"])
        for name in ["spot_ask_quantity", "spot_bid_quantity", "fut_ask_quantity", "fut_bid_quantity"]:
            expected[name] = [NAN_BITS] * 300
        json.dump(expected, open(os.path.join(directory, "pandas.json"), "w"))
        print("pandas")
    except ImportError:
        pass

    # Files a reader must refuse, with what the error must say.
    rows = sample(100, 4)
    table = pa.table({"timestamp": pa.array(rows["timestamp"], pa.timestamp("ns")),
                      **{name: pa.array(rows[name], pa.float64()) for name in COLUMNS}})
    save("lz4", table, None, compression="lz4")
    save("zstd", table, None, compression="zstd")
    with pa.OSFile(os.path.join(directory, "stream.arrow"), "wb") as sink:
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
    print("stream")
    dictionary = table.set_column(1, "spot_ask_price",
                                  pa.array([str(v) for v in rows["spot_ask_price"]]).dictionary_encode())
    save("dictionary", dictionary, None, compression="uncompressed")
    as_int = table.set_column(5, "fut_ask_price", pa.array([int(v) for v in rows["fut_ask_price"]], pa.int64()))
    save("int_price", as_int, None, compression="uncompressed")
    null_price = table.set_column(2, "spot_bid_price",
                                  pa.array([None if i == 42 else v for i, v in enumerate(rows["spot_bid_price"])]))
    save("null_price", null_price, None, compression="uncompressed")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 3 and sys.argv[1] == "write":
        write(sys.argv[2])
    else:
        print(__doc__)
        sys.exit(64)
