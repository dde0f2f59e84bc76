"""Shared fixtures: generated market data and the CLI binary."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import deltaarb

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def market() -> "deltaarb.pd.DataFrame":  # type: ignore[name-defined]
    """Six hours of 1 s ticks with a wide enough spread to trade both ways."""
    return deltaarb.generate_mock_market_data(hours=6, seed=1, spread_volatility=0.003)


def find_cli() -> "Path | None":
    """`delta-arb` from DELTA_ARB_CLI, the CMake build, or a SwiftPM build."""
    named = os.environ.get("DELTA_ARB_CLI")
    if named:
        return Path(named)
    for candidate in (REPO / ".build-cmake" / "bin" / "delta-arb", REPO / ".build" / "release" / "delta-arb",
                      REPO / ".build" / "debug" / "delta-arb"):
        if candidate.is_file():
            return candidate
    found = shutil.which("delta-arb")
    return Path(found) if found else None


@pytest.fixture(scope="session")
def cli() -> Path:
    """The CLI binary; a missing one fails under CI=1 and skips otherwise."""
    path = find_cli()
    if path is None or not path.is_file():
        message = "delta-arb is not built (run cmake --build .build-cmake, or set DELTA_ARB_CLI)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
