"""ctypes binding of the engine's C ABI (Sources/DeltaArbitrageC/include/deltaarb.h)."""
from __future__ import annotations

import ctypes
import json
import os
import sys
from pathlib import Path
from typing import Any, Optional

import numpy as np

from .errors import (
    EngineError,
    InsufficientDataError,
    MarketDataError,
    OptimizationTimeoutError,
    ParameterValidationError,
)

ABI_VERSION = 1
_NAME = "libDeltaArbitrageC.dylib" if sys.platform == "darwin" else "libDeltaArbitrageC.so"

_i64 = ctypes.c_int64
_i32 = ctypes.c_int32
_dbl = ctypes.c_double
_vp = ctypes.c_void_p
_cp = ctypes.c_char_p
_pvp = ctypes.POINTER(ctypes.c_void_p)
_pi64 = ctypes.POINTER(ctypes.c_int64)
_pi32 = ctypes.POINTER(ctypes.c_int32)
_COLUMNS = [_i64, _vp, _vp, _vp, _vp, _vp]

#: numpy view of ``deltaarb_trade`` (120 bytes, no padding).
TRADE_DTYPE = np.dtype([
    ("entry_index", "<i8"), ("exit_index", "<i8"), ("exit_reason", "<i8"),
    ("hours", "<f8"), ("entry_spot_ask", "<f8"), ("entry_fut_bid", "<f8"),
    ("exit_spot_bid", "<f8"), ("exit_fut_ask", "<f8"), ("spot_pnl_pts", "<f8"),
    ("fut_pnl_pts", "<f8"), ("total_pnl_pts", "<f8"), ("net_pnl_pct", "<f8"),
    ("entry_spread_pct", "<f8"), ("exit_spread_pct", "<f8"), ("spread_improvement", "<f8"),
])
EXIT_REASONS = ("profit_target", "timeout")


def library_path() -> Path:
    """The library loaded: ``DELTAARB_LIBRARY`` when set, else the one installed with the package."""
    named = os.environ.get("DELTAARB_LIBRARY")
    if named:
        return Path(named)
    return Path(__file__).resolve().parent / "_lib" / _NAME


def _load() -> ctypes.CDLL:
    path = library_path()
    if not path.is_file():
        raise ImportError(
            f"deltaarb: the engine library {path} is missing; reinstall with `pip install ./python` "
            "or set DELTAARB_LIBRARY to a built libDeltaArbitrageC")
    try:
        lib = ctypes.CDLL(str(path))
    except OSError as error:
        # Typically the Swift runtime: the library finds it through the run
        # path of the toolchain that built it, which must stay installed.
        raise ImportError(
            f"deltaarb: cannot load the engine library {path}: {error}. It needs the Swift runtime of the "
            "toolchain that built it (its run path, `readelf -d` shows it) and OpenBLAS, LAPACKE and zlib; "
            "reinstall with `pip install ./python` after installing them, or put the runtime's directory "
            "on LD_LIBRARY_PATH") from None
    lib.deltaarb_abi_version.restype = _i32
    lib.deltaarb_abi_version.argtypes = []
    if lib.deltaarb_abi_version() != ABI_VERSION:
        raise ImportError(f"deltaarb: {path} has ABI version {lib.deltaarb_abi_version()}, expected {ABI_VERSION}")
    lib.deltaarb_free.restype = None
    lib.deltaarb_free.argtypes = [_vp]
    lib.deltaarb_trade_size.restype = _i64
    lib.deltaarb_trade_size.argtypes = []
    if lib.deltaarb_trade_size() != TRADE_DTYPE.itemsize:
        raise ImportError(f"deltaarb: {path} writes {lib.deltaarb_trade_size()}-byte trades, expected {TRADE_DTYPE.itemsize}")
    signatures = {
        "deltaarb_backtest": _COLUMNS + [_dbl] * 5 + [_pvp, _pi64, _pvp],
        "deltaarb_optimizer_config": [_cp, _pvp, _pvp],
        "deltaarb_validate_parameters": [_cp, _dbl, _dbl, _pi32, _pvp, _pvp],
        "deltaarb_optimize": _COLUMNS + [_cp, _dbl, _pvp, _pvp],
        "deltaarb_analyze": _COLUMNS + [_dbl, _pvp, _pvp],
        "deltaarb_walk_forward": _COLUMNS + [_cp, _dbl, _dbl, _dbl, _dbl, _pvp, _pvp],
        "deltaarb_generate_mock": [_cp, _dbl, _dbl, _dbl, _dbl, ctypes.c_uint64, _pvp, _pi64, _pvp],
    }
    for name, argtypes in signatures.items():
        function = getattr(lib, name)
        function.restype = _i32
        function.argtypes = argtypes
    return lib


_lib = _load()

_ERRORS = {
    1: MarketDataError,
    2: InsufficientDataError,
    3: ParameterValidationError,
    4: OptimizationTimeoutError,
    5: ValueError,
    6: EngineError,
}


class Columns:
    """The five columns the engine reads, as contiguous numpy arrays kept
    alive for the call (no copy when the DataFrame's columns already are)."""

    __slots__ = ("rows", "timestamps", "spot_ask", "spot_bid", "fut_ask", "fut_bid")

    def __init__(self, timestamps: np.ndarray, spot_ask: np.ndarray, spot_bid: np.ndarray,
                 fut_ask: np.ndarray, fut_bid: np.ndarray) -> None:
        self.rows = len(timestamps)
        self.timestamps = timestamps
        self.spot_ask = spot_ask
        self.spot_bid = spot_bid
        self.fut_ask = fut_ask
        self.fut_bid = fut_bid

    def arguments(self) -> list:
        return [self.rows, self.timestamps.ctypes.data, self.spot_ask.ctypes.data, self.spot_bid.ctypes.data,
                self.fut_ask.ctypes.data, self.fut_bid.ctypes.data]


def _take_string(pointer: ctypes.c_void_p) -> Optional[str]:
    if not pointer.value:
        return None
    try:
        return ctypes.string_at(pointer.value).decode("utf-8")
    finally:
        _lib.deltaarb_free(pointer)


def _check(status: int, error: ctypes.c_void_p) -> None:
    if status == 0:
        return
    message = _take_string(error) or f"engine status {status}"
    raise _ERRORS.get(status, EngineError)(message)


def backtest(columns: Columns, max_entry_cost_pct: float, min_profit_pct: float, max_hours: float,
             spot_fee: float, fut_fee: float) -> np.ndarray:
    """The trades as a structured array of ``TRADE_DTYPE`` (copied out of the engine's buffer)."""
    trades, count, error = ctypes.c_void_p(), ctypes.c_int64(), ctypes.c_void_p()
    status = _lib.deltaarb_backtest(*columns.arguments(), float(max_entry_cost_pct), float(min_profit_pct),
                                    float(max_hours), float(spot_fee), float(fut_fee),
                                    ctypes.byref(trades), ctypes.byref(count), ctypes.byref(error))
    _check(status, error)
    if not trades.value:
        return np.empty(0, dtype=TRADE_DTYPE)
    try:
        raw = ctypes.string_at(trades.value, count.value * TRADE_DTYPE.itemsize)
        return np.frombuffer(raw, dtype=TRADE_DTYPE)
    finally:
        _lib.deltaarb_free(trades)


def _json_call(function: Any, *arguments: Any) -> Any:
    output, error = ctypes.c_void_p(), ctypes.c_void_p()
    status = function(*arguments, ctypes.byref(output), ctypes.byref(error))
    _check(status, error)
    return json.loads(_take_string(output) or "null")


def _config(settings: dict) -> bytes:
    return json.dumps({k: v for k, v in settings.items() if v is not None}).encode()


def optimizer_config(settings: dict) -> dict:
    """Every optimiser setting in force for ``settings`` (the engine's defaults filled in)."""
    return _json_call(_lib.deltaarb_optimizer_config, _config(settings))


def validate_parameters(settings: dict, entry: float, exit: float) -> tuple[bool, Optional[str]]:
    safe, reason, error = ctypes.c_int32(), ctypes.c_void_p(), ctypes.c_void_p()
    status = _lib.deltaarb_validate_parameters(_config(settings), float(entry), float(exit), ctypes.byref(safe),
                                               ctypes.byref(reason), ctypes.byref(error))
    _check(status, error)
    return bool(safe.value), _take_string(reason)


def optimize(columns: Columns, settings: dict, lookback_hours: float) -> dict:
    """The document of ``delta-arb optimize --json`` without ``data_gaps``."""
    return _json_call(_lib.deltaarb_optimize, *columns.arguments(), _config(settings), float(lookback_hours))


def analyze(columns: Columns, grid_step_seconds: float) -> dict:
    return _json_call(_lib.deltaarb_analyze, *columns.arguments(), float(grid_step_seconds))


def walk_forward(columns: Columns, settings: dict, window_hours: float, update_interval_seconds: float,
                 static_entry: float, static_exit: float) -> dict:
    return _json_call(_lib.deltaarb_walk_forward, *columns.arguments(), _config(settings), float(window_hours),
                      float(update_interval_seconds), float(static_entry), float(static_exit))


MOCK_COLUMNS = ("timestamp", "spot_ask_price", "spot_bid_price", "spot_ask_quantity", "spot_bid_quantity",
                "fut_ask_price", "fut_bid_price", "fut_ask_quantity", "fut_bid_quantity")


def generate_mock(regime: Optional[str], hours: float, spread_volatility: float, trend_strength: float,
                  tick_interval_seconds: float, seed: int) -> dict[str, np.ndarray]:
    """The nine columns of generated data (copied out of the engine's buffer)."""
    if not 0 <= int(seed) < 2**64:
        raise ValueError(f"seed must be in [0, 2**64), got {seed}")
    buffer, rows, error = ctypes.c_void_p(), ctypes.c_int64(), ctypes.c_void_p()
    status = _lib.deltaarb_generate_mock(regime.encode() if regime is not None else None, float(hours),
                                         float(spread_volatility), float(trend_strength),
                                         float(tick_interval_seconds), int(seed),
                                         ctypes.byref(buffer), ctypes.byref(rows), ctypes.byref(error))
    _check(status, error)
    n = rows.value
    try:
        raw = np.frombuffer(ctypes.string_at(buffer.value, 9 * 8 * n), dtype=np.uint8) if n else np.empty(0, np.uint8)
    finally:
        _lib.deltaarb_free(buffer)
    out: dict[str, np.ndarray] = {}
    for k, name in enumerate(MOCK_COLUMNS):
        part = raw[k * 8 * n:(k + 1) * 8 * n]
        out[name] = part.view("<i8" if k == 0 else "<f8").copy()
    return out
