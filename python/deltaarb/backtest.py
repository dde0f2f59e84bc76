"""The seed's ``delta_neutral_backtest`` and ``optimized_delta_neutral_backtest``."""
from __future__ import annotations

import asyncio
import math
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import pandas as pd

from . import _native
from ._frames import columns_of, with_index_label
from .errors import MarketDataError
from .optimizer import DeltaArbitrageOptimizer
from .types import OptimizationResult

#: Keys of a trade dict, in the seed's order.
TRADE_KEYS = (
    "entry_time", "exit_time", "hours", "entry_spot_ask", "entry_fut_bid", "exit_spot_bid", "exit_fut_ask",
    "spot_pnl_pts", "fut_pnl_pts", "total_pnl_pts", "net_pnl_pct", "entry_spread_pct", "exit_spread_pct",
    "spread_improvement", "exit_reason",
)
_NUMBER_KEYS = TRADE_KEYS[2:-1]


def _trade_dicts(df: pd.DataFrame, entry: np.ndarray, exit: np.ndarray, numbers: Dict[str, List[float]],
                 reasons: List[str]) -> List[Dict[str, Any]]:
    index = df.index
    entry_times = index.take(entry).tolist() if len(entry) else []
    exit_times = index.take(exit).tolist() if len(exit) else []
    columns = [entry_times, exit_times] + [numbers[k] for k in _NUMBER_KEYS] + [reasons]
    return [dict(zip(TRADE_KEYS, row)) for row in zip(*columns)]


def delta_neutral_backtest(
    df: pd.DataFrame,
    max_entry_cost_pct: float = 0.5,
    min_profit_pct: float = 0.1,
    max_hours: float = 6,
    spot_fee: float = 0.0005,
    fut_fee: float = 0.0005
) -> list:
    """The seed's backtest: one hedged position at a time, rows in order.

    Flat: open at the first row whose entry cost ``(spot_ask − fut_bid) /
    spot_ask · 100`` is below ``max_entry_cost_pct`` (long spot at the ask,
    short futures at the bid). Holding: close at the first later row whose
    fee-adjusted ``net_pnl_pct ≥ min_profit_pct`` (``profit_target``), else
    once held ``max_hours`` (``timeout``); the closing row never opens a
    position, and a position still open at the end is not a trade.

    Returns a list of dicts with the seed's keys: ``entry_time``,
    ``exit_time`` (the DataFrame's index values of the entry and exit rows),
    ``hours``, ``entry_spot_ask``, ``entry_fut_bid``, ``exit_spot_bid``,
    ``exit_fut_ask``, ``spot_pnl_pts``, ``fut_pnl_pts``, ``total_pnl_pts``,
    ``net_pnl_pct``, ``entry_spread_pct``, ``exit_spread_pct``,
    ``spread_improvement``, ``exit_reason``.

    Raises ``MarketDataError`` (a ValueError) for a missing column, a NaN,
    infinite or non-positive price, or rows out of time order, and
    ``ParameterValidationError`` for a parameter outside its domain.
    """
    columns = columns_of(df)
    try:
        trades = _native.backtest(columns, max_entry_cost_pct, min_profit_pct, max_hours, spot_fee, fut_fee)
    except MarketDataError as error:
        raise with_index_label(error, df) from None
    numbers = {k: trades[k].tolist() for k in _NUMBER_KEYS}
    reasons = [_native.EXIT_REASONS[r] for r in trades["exit_reason"].tolist()]
    return _trade_dicts(df, trades["entry_index"], trades["exit_index"], numbers, reasons)


def _static_thresholds(static_params: Optional[Dict]) -> Tuple[float, float]:
    if not static_params:
        return math.nan, math.nan
    entry = static_params.get("entry_threshold_pct", static_params.get("max_entry_cost_pct"))
    exit = static_params.get("exit_threshold_pct", static_params.get("min_profit_pct"))
    if entry is None or exit is None:
        raise ValueError("static_params needs entry_threshold_pct and exit_threshold_pct "
                         f"(or max_entry_cost_pct and min_profit_pct), got keys {sorted(static_params)}")
    return float(entry), float(exit)


def walk_forward_report(df: pd.DataFrame, optimizer: DeltaArbitrageOptimizer, optimization_window_hours: float = 24,
                        static_params: Optional[Dict] = None, update_interval_minutes: float = 5) -> Dict[str, Any]:
    """The engine's whole walk-forward result (blocking): the document
    ``delta-arb walk-forward --json`` prints, without ``data_gaps``."""
    columns = columns_of(df)
    entry, exit = _static_thresholds(static_params)
    try:
        return _native.walk_forward(columns, optimizer.settings, optimization_window_hours,
                                    float(update_interval_minutes) * 60, entry, exit)
    except MarketDataError as error:
        raise with_index_label(error, df) from None


async def optimized_delta_neutral_backtest(
    df: pd.DataFrame,
    optimizer: DeltaArbitrageOptimizer,
    optimization_window_hours: int = 24,
    static_params: Optional[Dict] = None,
    *,
    update_interval_minutes: float = 5,
) -> Tuple[list, List[OptimizationResult]]:
    """Run backtest with dynamic parameter optimization (walk-forward).

    Every ``update_interval_minutes`` (default 5) the optimiser runs on the
    trailing ``optimization_window_hours`` of the rows before the update, and
    the rows until the next update trade with the thresholds it chose; a
    failed optimisation keeps the thresholds in force, and nothing opens
    before the first success. One position runs through the whole series.
    With ``static_params`` (``{"entry_threshold_pct": …,
    "exit_threshold_pct": …}``) no optimisation runs.

    Returns:
        (trades, optimization_history): trade dicts as
        ``delta_neutral_backtest`` returns them, and one OptimizationResult
        per successful update.
    """
    report = await asyncio.to_thread(walk_forward_report, df, optimizer, optimization_window_hours, static_params,
                                     update_interval_minutes)
    trades = report["trades"]
    entry = np.fromiter((t["entry_index"] for t in trades), dtype=np.int64, count=len(trades))
    exit = np.fromiter((t["exit_index"] for t in trades), dtype=np.int64, count=len(trades))
    numbers = {k: [math.nan if t[k] is None else float(t[k]) for t in trades] for k in _NUMBER_KEYS}
    reasons = [t["exit_reason"] for t in trades]
    history = [OptimizationResult.from_json(r) for r in report["optimization_history"]]
    return _trade_dicts(df, entry, exit, numbers, reasons), history
