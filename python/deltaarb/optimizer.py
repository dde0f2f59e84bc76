"""The seed's ``DeltaArbitrageOptimizer`` on the engine's optimiser."""
from __future__ import annotations

import asyncio
from typing import Any, Dict, Optional

import pandas as pd

from . import _native
from ._frames import columns_of, with_index_label
from .errors import MarketDataError
from .types import MeanReversionMetrics, OptimizationResult, SpreadAnalysis


class DeltaArbitrageOptimizer:
    """Main optimization engine for delta arbitrage parameters.

    The three performance targets are the seed's constructor arguments; the
    keyword-only settings are the engine's other optimiser settings (the
    options of ``delta-arb optimize`` of the same names), each defaulting to
    the seed's value. Thresholds are in percent, fees are fractions.
    """

    def __init__(self,
                 target_hit_rate: float = 0.7,
                 min_trades_per_day: int = 5,
                 max_drawdown_tolerance: float = 0.02,
                 *,
                 max_entry_threshold: Optional[float] = None,
                 min_exit_threshold: Optional[float] = None,
                 max_threshold_ratio: Optional[float] = None,
                 max_position_hold_minutes: Optional[int] = None,
                 min_spread_data_points: Optional[int] = None,
                 spot_fee: Optional[float] = None,
                 fut_fee: Optional[float] = None,
                 grid_steps: Optional[int] = None,
                 entry_grid: Optional[str] = None,
                 exit_grid: Optional[str] = None,
                 time_budget_ms: Optional[float] = None) -> None:
        """Initialize optimizer with target constraints.

        Raises ``ParameterValidationError`` (the engine's message) for a
        setting out of range.
        """
        settings: Dict[str, Any] = {
            "target_hit_rate": float(target_hit_rate),
            "min_daily_trades": int(min_trades_per_day),
            "max_drawdown_tolerance": float(max_drawdown_tolerance),
            "max_entry_threshold": max_entry_threshold, "min_exit_threshold": min_exit_threshold,
            "max_threshold_ratio": max_threshold_ratio, "max_position_hold_minutes": max_position_hold_minutes,
            "min_spread_data_points": min_spread_data_points, "spot_fee": spot_fee, "fut_fee": fut_fee,
            "grid_steps": grid_steps, "entry_grid": entry_grid, "exit_grid": exit_grid,
            "time_budget_ms": time_budget_ms,
        }
        #: Every setting in force, as the engine resolved it.
        self.settings: Dict[str, Any] = _native.optimizer_config(settings)
        self.target_hit_rate = float(target_hit_rate)
        self.min_trades_per_day = int(min_trades_per_day)
        self.max_drawdown_tolerance = float(max_drawdown_tolerance)
        #: The full report of the latest ``optimize_parameters`` (the JSON of
        #: ``delta-arb optimize --json`` without ``data_gaps``), or None.
        self.last_report: Optional[Dict[str, Any]] = None

    def __repr__(self) -> str:
        return (f"DeltaArbitrageOptimizer(target_hit_rate={self.target_hit_rate}, "
                f"min_trades_per_day={self.min_trades_per_day}, max_drawdown_tolerance={self.max_drawdown_tolerance})")

    def report(self, df: pd.DataFrame, lookback_hours: float = 24) -> Dict[str, Any]:
        """The engine's whole optimisation report for ``df`` (blocking): the
        document ``delta-arb optimize --json`` prints, without ``data_gaps``."""
        columns = columns_of(df)
        try:
            return _native.optimize(columns, self.settings, lookback_hours)
        except MarketDataError as error:
            raise with_index_label(error, df) from None

    async def optimize_parameters(self,
                                  df: pd.DataFrame,
                                  lookback_hours: int = 24) -> OptimizationResult:
        """Optimize entry/exit thresholds based on historical data.

        Args:
            df: book-ticker data: ``spot_ask_price, spot_bid_price,
                fut_ask_price, fut_bid_price`` and a ``timestamp`` column or a
                UTC DatetimeIndex, in time order.
            lookback_hours: hours of trailing data to analyze (fractions allowed).

        Returns:
            OptimizationResult with optimized parameters.

        Raises:
            InsufficientDataError, ParameterValidationError,
            OptimizationTimeoutError (the engine's messages), MarketDataError.

        The grid search runs in a worker thread (on all cores, outside the GIL).
        """
        report = await asyncio.to_thread(self.report, df, lookback_hours)
        self.last_report = report
        return OptimizationResult.from_json(report["optimization_result"])

    def analyze_spread_distribution(self, df: pd.DataFrame) -> SpreadAnalysis:
        """Analyze spread characteristics for optimization (1 s as-of grid)."""
        return SpreadAnalysis.from_json(self._analysis(df)["spread_analysis"])

    def analyze_mean_reversion(self, df: pd.DataFrame) -> MeanReversionMetrics:
        """The spread's mean-reversion metrics (AR(1), ADF, ARCH-LM) on the 1 s grid."""
        return MeanReversionMetrics.from_json(self._analysis(df)["mean_reversion"])

    def _analysis(self, df: pd.DataFrame) -> Dict[str, Any]:
        columns = columns_of(df)
        try:
            return _native.analyze(columns, 1.0)
        except MarketDataError as error:
            raise with_index_label(error, df) from None

    def validate_parameters(self,
                            entry_threshold: float,
                            exit_threshold: float) -> bool:
        """Validate that parameters meet safety constraints: both positive and
        finite, entry ≤ max_entry_threshold, exit ≥ min_exit_threshold,
        exit < entry, entry/exit ≤ max_threshold_ratio."""
        safe, _ = _native.validate_parameters(self.settings, entry_threshold, exit_threshold)
        return safe

    def parameter_violation(self, entry_threshold: float, exit_threshold: float) -> Optional[str]:
        """The first safety rule the pair breaks, in the engine's words, or None when safe."""
        _, reason = _native.validate_parameters(self.settings, entry_threshold, exit_threshold)
        return reason
