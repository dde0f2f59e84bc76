"""Benchmark: deltaarb.delta_neutral_backtest on a 1-million-row DataFrame
against the seed's pandas iterrows loop and the Swift engine's own backtest.

    python python/bench/bench_backtest.py            # from the repository root

Needs `deltaarb` installed (pip install ./python) and, for the Swift figure,
the CMake build (.build-cmake) and swiftc. Writes bench-results/python-binding.md.

The iterrows loop is timed on the first --iterrows-rows rows and extrapolated
linearly to the full frame (its cost is per row; the full run would take
minutes). The Swift figure is `deltaNeutralBacktest` over the same generated
data already in memory (python/bench/swift_kernel.swift), the same kernel
library the Python package calls.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import deltaarb

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python" / "tests"))
from reference import reference_backtest  # noqa: E402  (the seed's loop, shared with the parity tests)


def timed(function, repeats: int) -> tuple[list, list[float]]:
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return result, times


def swift_kernel(hours: float, tick: float, seed: int, repeats: int) -> dict | None:
    swiftc = shutil.which("swiftc") or ("/opt/swift/usr/bin/swiftc" if Path("/opt/swift/usr/bin/swiftc").exists() else None)
    build = REPO / ".build-cmake"
    if swiftc is None or not (build / "lib" / "libDeltaArbitrage.so").exists():
        print("no swiftc or no CMake build: the Swift figure is left out", file=sys.stderr)
        return None
    with tempfile.TemporaryDirectory() as tmp:
        binary = Path(tmp) / "swift_kernel"
        subprocess.run([swiftc, "-O", "-parse-as-library", str(Path(__file__).with_name("swift_kernel.swift")),
                        "-I", str(build / "swift"), "-I", str(REPO / "Sources" / "CLapack"),
                        "-I", str(REPO / "Sources" / "CZlib"),
                        "-I", str(build / "_deps" / "swiftatomics-src" / "Sources" / "_AtomicsShims" / "include"),
                        "-L", str(build / "lib"), "-lDeltaArbitrage",
                        "-lDeltaArbitrageMockData", "-lSpreadKernels", "-Xlinker", "-rpath", "-Xlinker",
                        str(build / "lib"), "-o", str(binary)], check=True)
        out = subprocess.run([str(binary), str(hours), str(tick), str(seed), str(repeats)], check=True,
                             capture_output=True, text=True).stdout
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tick-seconds", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--iterrows-rows", type=int, default=20_000)
    parser.add_argument("--out", default=str(REPO / "bench-results" / "python-binding.md"))
    args = parser.parse_args()

    hours = (args.rows - 1) * args.tick_seconds / 3600
    df = deltaarb.generate_mock_market_data(hours=hours, seed=args.seed, tick_interval_seconds=args.tick_seconds)
    rows = len(df)
    trades, times = timed(lambda: deltaarb.delta_neutral_backtest(df), args.repeats)
    binding = min(times)
    binding_median = statistics.median(times)

    subset = df.iloc[:args.iterrows_rows]
    _, loop_times = timed(lambda: reference_backtest(subset), 1)
    iterrows = loop_times[0] * rows / len(subset)
    check = deltaarb.delta_neutral_backtest(subset) == reference_backtest(subset)

    swift = swift_kernel(hours, args.tick_seconds, args.seed, args.repeats)

    lines = [
        "# Python binding: `delta_neutral_backtest` on 1 million rows",
        "",
        f"Command: `{' '.join(['python', 'python/bench/bench_backtest.py'] + sys.argv[1:])}` "
        f"(deltaarb over {deltaarb.library_path().name}, the CMake release build)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"date {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}",
        "",
        f"Data: `generate_mock_market_data` seed {args.seed}, {rows:,} rows ({args.tick_seconds * 1000:g} ms mean "
        f"tick, {hours:.2f} h), {len(trades)} trades with the seed's defaults.",
        "",
        "| implementation | seconds | rows/s | ratio to deltaarb |",
        "|---|---:|---:|---:|",
        f"| deltaarb.delta_neutral_backtest (min of {args.repeats}; median {binding_median:.5f} s) | {binding:.5f} | "
        f"{rows / binding:,.0f} | 1 |",
    ]
    if swift:
        lines.append(f"| Swift engine `deltaNeutralBacktest`, data in memory (min of {args.repeats}; median "
                     f"{swift['median_seconds']:.5f} s) | {swift['min_seconds']:.5f} | {rows / swift['min_seconds']:,.0f} | "
                     f"{swift['min_seconds'] / binding:.2f} |")
    lines += [
        f"| seed's pandas iterrows loop, {len(subset):,} rows timed ({loop_times[0]:.2f} s), extrapolated linearly | "
        f"{iterrows:.1f} | {rows / iterrows:,.0f} | {iterrows / binding:,.0f} |",
        "",
        f"- deltaarb vs iterrows: **{iterrows / binding:,.0f}×** faster (goal ≥ 1,000×).",
    ]
    if swift:
        assert swift["rows"] == rows and swift["trades"] == len(trades), "the Swift run saw different data"
        lines.append(f"- deltaarb vs the Swift engine: **{binding / swift['min_seconds']:.2f}×** its time (goal ≤ 2×). "
                     "The binding's extra work: one validation pass over the five columns (NaN / non-positive "
                     "prices, time order), and building the seed's list of dicts with index labels.")
    lines.append(f"- Trades on the {len(subset):,}-row subset equal the iterrows loop's, every key: {check}.")
    text = "\n".join(lines) + "\n"
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
