"""The seed's mock data generators, on the engine's generator."""
from __future__ import annotations

import pandas as pd

from . import _native
from ._frames import MARKET_DATA_COLUMNS


def _frame(columns: dict) -> pd.DataFrame:
    index = pd.DatetimeIndex(pd.to_datetime(columns["timestamp"], unit="ns", utc=True), name="timestamp")
    return pd.DataFrame({name: columns[name] for name in MARKET_DATA_COLUMNS[1:]}, index=index)


def generate_mock_market_data(
    hours: int = 24,
    spread_volatility: float = 0.002,
    trend_strength: float = 0.0,
    *,
    seed: int = 0,
    tick_interval_seconds: float = 1.0,
) -> pd.DataFrame:
    """Generate realistic mock market data for testing.

    The spot mid is a driftless geometric random walk; the futures basis is
    an Ornstein–Uhlenbeck process whose stationary standard deviation is
    ``spread_volatility`` (a fraction of price), plus a drift of
    ``trend_strength`` per hour. Rows arrive every ``tick_interval_seconds``
    on average; the same ``seed`` gives the same data (``delta-arb generate``
    writes the same rows).

    Returns the eight price and quantity columns of the seed's
    MarketDataFrame on a UTC DatetimeIndex named ``timestamp``.
    """
    return _frame(_native.generate_mock(None, hours, spread_volatility, trend_strength, tick_interval_seconds, seed))


def generate_mock_spread_regime(
    regime_type: str = 'mean_reverting',  # 'trending', 'volatile'
    duration_hours: int = 6,
    *,
    seed: int = 0,
    tick_interval_seconds: float = 1.0,
) -> pd.DataFrame:
    """Generate specific spread regime patterns for testing:
    ``'mean_reverting'``, ``'trending'`` (drifting mean) or ``'volatile'``
    (volatility bursts). Same frame shape as ``generate_mock_market_data``."""
    return _frame(_native.generate_mock(regime_type, duration_hours, 0.0, 0.0, tick_interval_seconds, seed))
