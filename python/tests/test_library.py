"""The installed engine library: loadable on its own, and computing what
another build of the same sources computes (scripts/test.sh installs the
package with the library pip builds through SwiftPM and names the CMake
build's in DELTAARB_COMPARE_LIBRARY)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import deltaarb

_RESULTS = """
import asyncio, json, math
import deltaarb
df = deltaarb.generate_mock_market_data(hours=6, seed=7, spread_volatility=0.003)
trades = deltaarb.delta_neutral_backtest(df, max_entry_cost_pct=0.4, min_profit_pct=0.2, max_hours=0.5)
for t in trades:
    t["entry_time"], t["exit_time"] = str(t["entry_time"]), str(t["exit_time"])
optimizer = deltaarb.DeltaArbitrageOptimizer(grid_steps=12)
result = asyncio.run(optimizer.optimize_parameters(df, lookback_hours=6))
print(json.dumps({"library": str(deltaarb.library_path()), "rows": len(df),
                  "first_mid": float(df["spot_ask_price"].iloc[0] + df["spot_bid_price"].iloc[0]) / 2,
                  "trades": trades,
                  # without the timings (optimization_performance, events), which differ run to run
                  "optimizer": {k: v for k, v in optimizer.last_report.items()
                                if k not in ("optimization_performance", "events")}}, sort_keys=True))
"""


def _results(library: "str | None") -> dict:
    """The results above from a fresh interpreter loading ``library`` (the
    installed one when None), with no LD_LIBRARY_PATH: the library must find
    the Swift runtime by itself."""
    env = {k: v for k, v in os.environ.items() if k not in ("LD_LIBRARY_PATH", "DELTAARB_LIBRARY")}
    if library:
        env["DELTAARB_LIBRARY"] = library
    out = subprocess.run([sys.executable, "-c", _RESULTS], env=env, check=True, capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parent).stdout
    return json.loads(out)


def test_installed_library_loads_without_help() -> None:
    results = _results(None)
    assert Path(results["library"]).parent == Path(deltaarb.__file__).resolve().parent / "_lib"
    assert results["rows"] == 21_601 and results["trades"]


def test_installed_library_computes_what_the_other_build_computes() -> None:
    other = os.environ.get("DELTAARB_COMPARE_LIBRARY")
    if not other:
        pytest.skip("DELTAARB_COMPARE_LIBRARY (another build of libDeltaArbitrageC) is not set")
    installed, compared = _results(None), _results(other)
    assert compared["library"] == other and installed["library"] != other
    for key in ("rows", "first_mid", "trades", "optimizer"):
        assert installed[key] == compared[key], key
