"""The seed's exceptions, raised with the engine's messages."""
from __future__ import annotations


class OptimizationError(Exception):
    """Base class for optimization errors."""


class InsufficientDataError(OptimizationError):
    """Raised when not enough data for reliable optimization."""


class ParameterValidationError(OptimizationError, ValueError):
    """Raised when parameters (optimized or given) fail validation.

    Also a ``ValueError``: a bad argument to the backtest or the mock data
    generators raises it too.
    """


class OptimizationTimeoutError(OptimizationError):
    """Raised when optimization takes too long (``time_budget_ms``)."""


class ParameterUpdateError(Exception):
    """Raised when parameter update fails."""


class DataFetchError(Exception):
    """Raised when market data fetch fails."""


class MarketDataError(ValueError):
    """A DataFrame the engine cannot use: a missing column, a NaN, infinite
    or non-positive price, an unsorted or missing time index. The message
    names the column and the row."""


class EngineError(RuntimeError):
    """Any other failure inside the engine."""
