"""The seed's delta-arbitrage API on the DeltaArbitrage Swift engine.

``from deltaarb import DeltaArbitrageOptimizer, delta_neutral_backtest`` is the
seed's code with one import changed: the same names, signatures, dataclasses
and exceptions, computed by the engine's C library (libDeltaArbitrageC).
"""
from __future__ import annotations

from ._frames import MARKET_DATA_COLUMNS
from ._native import library_path
from .backtest import delta_neutral_backtest, optimized_delta_neutral_backtest, walk_forward_report
from .errors import (
    DataFetchError,
    EngineError,
    InsufficientDataError,
    MarketDataError,
    OptimizationError,
    OptimizationTimeoutError,
    ParameterUpdateError,
    ParameterValidationError,
)
from .mock import generate_mock_market_data, generate_mock_spread_regime
from .optimizer import DeltaArbitrageOptimizer
from .types import (
    DeltaArbitrageConfig,
    MeanReversionMetrics,
    OptimizationPerformance,
    OptimizationResult,
    OptimizationStatusEvent,
    ParameterUpdateEvent,
    SpreadAnalysis,
    StrategyPerformance,
)

__version__ = "0.1.0"

__all__ = [
    "DataFetchError", "DeltaArbitrageConfig", "DeltaArbitrageOptimizer", "EngineError", "InsufficientDataError",
    "MARKET_DATA_COLUMNS", "MarketDataError", "MeanReversionMetrics", "OptimizationError",
    "OptimizationPerformance", "OptimizationResult", "OptimizationStatusEvent", "OptimizationTimeoutError",
    "ParameterUpdateError", "ParameterUpdateEvent", "ParameterValidationError", "SpreadAnalysis",
    "StrategyPerformance", "delta_neutral_backtest", "generate_mock_market_data", "generate_mock_spread_regime",
    "library_path", "optimized_delta_neutral_backtest", "walk_forward_report",
]
