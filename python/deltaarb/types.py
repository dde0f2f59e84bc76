"""The seed's dataclasses (its interface document's names, fields and units)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, List, Optional


def _number(value: Any) -> float:
    """A JSON number; the engine writes non-finite values as null."""
    return math.nan if value is None else float(value)


@dataclass
class OptimizationResult:
    """Result from parameter optimization analysis."""

    entry_threshold_pct: float      #: optimized entry threshold, percent (0.5 = 0.5 %)
    exit_threshold_pct: float       #: optimized exit threshold, percent
    confidence_score: float         #: confidence in the optimization, 0.0–1.0
    analysis_period_hours: int      #: hours of data analyzed
    mean_reversion_speed: float     #: the seed's name: the spread's AR(1) half-life in hours (inf: no reversion)
    spread_volatility: float        #: standard deviation of the 1 s spread, percent
    optimization_timestamp: float   #: when the optimization ran, seconds since the epoch

    @classmethod
    def from_json(cls, obj: Dict[str, Any]) -> "OptimizationResult":
        half_life = obj.get("mean_reversion_speed")
        return cls(
            entry_threshold_pct=float(obj["entry_threshold_pct"]),
            exit_threshold_pct=float(obj["exit_threshold_pct"]),
            confidence_score=float(obj["confidence_score"]),
            analysis_period_hours=int(obj["analysis_period_hours"]),
            mean_reversion_speed=math.inf if half_life is None else float(half_life),
            spread_volatility=_number(obj.get("spread_volatility")),
            optimization_timestamp=float(obj["optimization_timestamp"]),
        )


@dataclass
class SpreadAnalysis:
    """Detailed spread distribution analysis (of the 1 s as-of spread)."""

    mean_spread: float              #: average spread, percent
    std_spread: float               #: standard deviation of spreads (ddof 1), percent
    percentiles: Dict[int, float]   #: {1: …, 5: …, 10: …, 25: …, 50: …, 75: …, 90: …, 95: …, 99: …}
    autocorrelation: List[float]    #: autocorrelation at lags 0…50 grid steps
    half_life_hours: float          #: mean-reversion half-life, hours (inf: no reversion)
    regime_changes: int             #: number of detected regime changes

    @classmethod
    def from_json(cls, obj: Dict[str, Any]) -> "SpreadAnalysis":
        half_life = obj.get("half_life_hours")
        return cls(
            mean_spread=_number(obj["mean_spread"]),
            std_spread=_number(obj["std_spread"]),
            percentiles={int(k): _number(v) for k, v in sorted(obj["percentiles"].items(), key=lambda kv: int(kv[0]))},
            autocorrelation=[_number(v) for v in obj["autocorrelation"]],
            half_life_hours=math.inf if half_life is None else float(half_life),
            regime_changes=int(obj["regime_changes"]),
        )


@dataclass
class MeanReversionMetrics:
    """Mean reversion characteristics of spreads."""

    half_life: float               #: time for 50 % reversion, hours (inf: no reversion)
    reversion_speed: float         #: speed coefficient, per hour
    long_term_mean: float          #: long-term spread equilibrium, percent
    volatility_clustering: bool    #: whether volatility clusters (ARCH-LM p < 0.05)
    adf_statistic: float           #: augmented Dickey–Fuller statistic
    p_value: float                 #: p-value of the ADF test

    @classmethod
    def from_json(cls, obj: Dict[str, Any]) -> "MeanReversionMetrics":
        half_life = obj.get("half_life")
        return cls(
            half_life=math.inf if half_life is None else float(half_life),
            reversion_speed=_number(obj["reversion_speed"]),
            long_term_mean=_number(obj["long_term_mean"]),
            volatility_clustering=bool(obj["volatility_clustering"]),
            adf_statistic=_number(obj["adf_statistic"]),
            p_value=_number(obj["p_value"]),
        )


@dataclass
class DeltaArbitrageConfig:
    """Configuration for delta arbitrage strategy."""

    symbol: Any
    base_position_size: float = 100.0
    max_position_multiplier: float = 2.0
    optimization_lookback_hours: int = 24
    parameter_update_interval_minutes: int = 5
    min_spread_data_points: int = 100
    max_entry_threshold: float = 1.0   #: never enter above 1 %
    min_exit_threshold: float = 0.05   #: never exit below 0.05 %
    max_position_hold_minutes: int = 360
    target_hit_rate: float = 0.7
    min_daily_trades: int = 5
    max_drawdown_tolerance: float = 0.02


@dataclass
class ParameterUpdateEvent:
    """Event fired when parameters are updated."""

    timestamp: float
    old_entry_threshold: float
    new_entry_threshold: float
    old_exit_threshold: float
    new_exit_threshold: float
    confidence_score: float
    optimization_duration_ms: float


@dataclass
class OptimizationStatusEvent:
    """Event for optimization process status."""

    timestamp: float
    status: str  #: 'started', 'completed', 'failed'
    data_points_analyzed: int
    error_message: Optional[str] = None
    duration_ms: Optional[float] = None


@dataclass
class OptimizationPerformance:
    """Performance metrics for optimization process."""

    optimization_duration_ms: float
    data_points_processed: int
    memory_usage_mb: float
    cache_hit_ratio: float


@dataclass
class StrategyPerformance:
    """Performance metrics for strategy execution."""

    avg_trade_execution_ms: float
    parameter_update_duration_ms: float
    memory_usage_mb: float
    uptime_percentage: float
