"""DataFrames in the seed's ``MarketDataFrame`` shape, turned into engine columns."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from . import _native
from .errors import MarketDataError

#: The seed's MarketDataFrame columns (``timestamp`` may be the index instead).
MARKET_DATA_COLUMNS = (
    "timestamp", "spot_ask_price", "spot_bid_price", "spot_ask_quantity", "spot_bid_quantity",
    "fut_ask_price", "fut_bid_price", "fut_ask_quantity", "fut_bid_quantity",
)
#: The columns every computation needs; quantities are optional and unused.
PRICE_COLUMNS = ("spot_ask_price", "spot_bid_price", "fut_ask_price", "fut_bid_price")


def _nanoseconds(values: "pd.Index | pd.Series", where: str) -> np.ndarray:
    """int64 nanoseconds since the epoch (UTC) of datetime values; a
    tz-naive time is taken as UTC, as the engine's CSV reader does.

    A DatetimeIndex's own int64 values are returned without a copy (a
    tz-aware one stores UTC already), and its NaT check is the one pandas
    caches on the index, so calls on the same frame after the first do not
    scan the index again; other units than nanoseconds are converted."""
    dtype = values.dtype
    if not (pd.api.types.is_datetime64_any_dtype(dtype)):
        raise MarketDataError(
            f"{where} must hold datetimes (datetime64 or a UTC DatetimeIndex), got dtype {dtype}; "
            "convert it with pd.to_datetime(..., utc=True)")
    index = values if isinstance(values, pd.DatetimeIndex) else pd.DatetimeIndex(values)
    if index.hasnans:
        row = int(np.flatnonzero(index.isna())[0])
        raise MarketDataError(f"row {row}: {where} is NaT")
    if getattr(index, "unit", "ns") != "ns":  # pandas < 2 has no unit: always nanoseconds
        index = index.as_unit("ns")
    return np.ascontiguousarray(index.asi8)


def columns_of(df: pd.DataFrame) -> _native.Columns:
    """The engine's view of ``df``: its ``timestamp`` column or else its
    DatetimeIndex, and the four price columns as contiguous float64 (passed
    without a copy when they already are)."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in PRICE_COLUMNS if c not in df.columns]
    if missing:
        raise MarketDataError(
            "DataFrame is missing column" + ("s " if len(missing) > 1 else " ") + ", ".join(repr(c) for c in missing)
            + f" (required: {', '.join(PRICE_COLUMNS)} and a 'timestamp' column or a DatetimeIndex)")
    if "timestamp" in df.columns:
        timestamps = _nanoseconds(df["timestamp"], "column 'timestamp'")
    elif isinstance(df.index, pd.DatetimeIndex):
        timestamps = _nanoseconds(df.index, "the DatetimeIndex")
    else:
        raise MarketDataError(
            "DataFrame has no 'timestamp' column and its index is a "
            f"{type(df.index).__name__}, not a DatetimeIndex; give it one (df.set_index('timestamp'))")
    prices = []
    for name in PRICE_COLUMNS:
        column = df[name]
        if isinstance(column, pd.DataFrame):
            raise MarketDataError(f"DataFrame has more than one column named {name!r}")
        try:
            values = column.to_numpy(dtype=np.float64, copy=False)
        except (TypeError, ValueError) as error:
            raise MarketDataError(f"column {name!r} is not numeric ({column.dtype}): {error}") from None
        prices.append(np.ascontiguousarray(values))
    return _native.Columns(timestamps, *prices)


_ROW = re.compile(r"^row (\d+):")


def with_index_label(error: MarketDataError, df: pd.DataFrame) -> MarketDataError:
    """The engine's 'row N: …' message with the row's index label added."""
    match = _ROW.match(str(error))
    if match and int(match.group(1)) < len(df.index):
        label = df.index[int(match.group(1))]
        return MarketDataError(f"{error} (index label {label!r})")
    return error
