"""Bad input: clear Python errors carrying the engine's messages, never a crash."""
from __future__ import annotations

import asyncio
import math

import numpy as np
import pandas as pd
import pytest

import deltaarb


def test_missing_column_names_it(market: pd.DataFrame) -> None:
    with pytest.raises(deltaarb.MarketDataError, match="missing column 'fut_bid_price'"):
        deltaarb.delta_neutral_backtest(market.drop(columns=["fut_bid_price"]))
    with pytest.raises(ValueError, match="'spot_ask_price', 'spot_bid_price'"):
        deltaarb.delta_neutral_backtest(market.drop(columns=["spot_ask_price", "spot_bid_price"]))


def test_no_time_index() -> None:
    df = pd.DataFrame({c: [1.0, 1.0] for c in deltaarb.MARKET_DATA_COLUMNS[1:]})
    with pytest.raises(deltaarb.MarketDataError, match="not a DatetimeIndex"):
        deltaarb.delta_neutral_backtest(df)
    df["timestamp"] = ["2025-01-01", "2025-01-02"]
    with pytest.raises(deltaarb.MarketDataError, match="column 'timestamp' must hold datetimes"):
        deltaarb.delta_neutral_backtest(df)


def test_nan_price_names_row_column_and_label(market: pd.DataFrame) -> None:
    df = market.copy()
    df.iloc[1234, df.columns.get_loc("fut_ask_price")] = np.nan
    with pytest.raises(deltaarb.MarketDataError, match=r"^row 1234: fut_ask_price is nan; prices must be positive") as info:
        deltaarb.delta_neutral_backtest(df)
    assert repr(df.index[1234]) in str(info.value)
    with pytest.raises(deltaarb.MarketDataError, match="row 1234: fut_ask_price"):
        asyncio.run(deltaarb.DeltaArbitrageOptimizer().optimize_parameters(df))


@pytest.mark.parametrize("value", [0.0, -1.0, math.inf])
def test_non_positive_or_infinite_price(market: pd.DataFrame, value: float) -> None:
    df = market.copy()
    df.iloc[5, df.columns.get_loc("spot_ask_price")] = value
    with pytest.raises(deltaarb.MarketDataError, match="row 5: spot_ask_price is"):
        deltaarb.delta_neutral_backtest(df)


_NEGATIVE_NAN = np.frombuffer(np.uint64(0xFFF8_0000_0000_0001).tobytes(), dtype=np.float64)[0]


@pytest.mark.parametrize("value", [-0.0, -math.inf, _NEGATIVE_NAN, -5e-324])
@pytest.mark.parametrize("column", ["spot_ask_price", "spot_bid_price", "fut_ask_price", "fut_bid_price"])
@pytest.mark.parametrize("row", [0, 7, 4_321, -1])
def test_every_bad_price_is_found_in_every_column_at_every_place(market: pd.DataFrame, value: float, column: str,
                                                                  row: int) -> None:
    """The engine's check is a bit-pattern reduction per column: each kind of
    bad value (the sign-bit ones here, the others above) is found in each
    column, at the first row, the middle, the last row."""
    df = market.copy()
    row = row % len(df)
    df.iloc[row, df.columns.get_loc(column)] = value
    with pytest.raises(deltaarb.MarketDataError, match=rf"^row {row}: {column} is "):
        deltaarb.delta_neutral_backtest(df)


def test_extreme_valid_prices_and_times_pass(market: pd.DataFrame) -> None:
    """The edges of 'positive and finite' (the smallest subnormal, the
    largest double) and equal or pre-1970 times are not errors."""
    df = market.iloc[:300].copy()
    df.iloc[10, df.columns.get_loc("spot_bid_price")] = 5e-324
    df.iloc[11, df.columns.get_loc("fut_ask_price")] = np.finfo(np.float64).max
    assert isinstance(deltaarb.delta_neutral_backtest(df), list)
    times = pd.date_range("1969-12-31 23:59:00", periods=len(df), freq="1s").to_numpy().copy()
    times[5] = times[4]  # equal times are in order
    before_and_after_epoch = df.set_axis(pd.DatetimeIndex(times, tz="UTC"), axis=0)
    assert isinstance(deltaarb.delta_neutral_backtest(before_and_after_epoch), list)
    swapped = times.copy()
    swapped[[59, 60]] = swapped[[60, 59]]  # across the epoch: 1970-01-01T00:00:00 before 1969-12-31T23:59:59
    with pytest.raises(deltaarb.MarketDataError, match="row 60: timestamp 1969-12-31T23:59:59"):
        deltaarb.delta_neutral_backtest(df.set_axis(pd.DatetimeIndex(swapped, tz="UTC"), axis=0))


def test_a_span_beyond_int64_nanoseconds_is_an_error_not_a_crash() -> None:
    """datetime64[ns] reaches 1677…2262, but a difference of two such times
    may not fit an int64: the engine says so instead of overflowing."""
    index = pd.DatetimeIndex(["1678-01-01", "1678-01-01 00:00:01", "2261-01-01", "2261-01-02"], tz="UTC")
    df = pd.DataFrame({"spot_ask_price": 100.0, "spot_bid_price": 99.9, "fut_ask_price": 100.1,
                       "fut_bid_price": 100.0}, index=index)
    with pytest.raises(deltaarb.MarketDataError, match=r"^rows 0 to 3 span 1678-01-01T00:00:00.*more than the 292 years"):
        deltaarb.delta_neutral_backtest(df, min_profit_pct=50)
    [trade] = deltaarb.delta_neutral_backtest(df.iloc[2:], min_profit_pct=50)  # the 2261 rows alone are fine
    assert (trade["exit_reason"], trade["hours"]) == ("timeout", 24.0)


def test_unsorted_index(market: pd.DataFrame) -> None:
    order = np.arange(len(market))
    order[[100, 101]] = order[[101, 100]]
    with pytest.raises(deltaarb.MarketDataError, match="row 101: timestamp .* is earlier than row 100's"):
        deltaarb.delta_neutral_backtest(market.iloc[order])


def test_time_running_back_centuries_inside_a_position_is_an_error_not_a_crash() -> None:
    """The check runs beside the backtest, which must not trap on the rows
    the check then refuses: here the held position's age overflows int64."""
    index = pd.DatetimeIndex(["2261-01-01", "2261-01-01 00:00:01", "1678-01-01", "2261-01-02"], tz="UTC")
    df = pd.DataFrame({"spot_ask_price": 100.0, "spot_bid_price": 99.9, "fut_ask_price": 100.1,
                       "fut_bid_price": 100.0}, index=index)
    with pytest.raises(deltaarb.MarketDataError, match="row 2: timestamp 1678-01-01T00:00:00.* is earlier than row 1's"):
        deltaarb.delta_neutral_backtest(df, min_profit_pct=50)


def test_nat_timestamp(market: pd.DataFrame) -> None:
    flat = market.reset_index()
    flat.loc[3, "timestamp"] = pd.NaT
    with pytest.raises(deltaarb.MarketDataError, match="row 3: column 'timestamp' is NaT"):
        deltaarb.delta_neutral_backtest(flat)


def test_bad_backtest_parameters_are_the_engines_errors(market: pd.DataFrame) -> None:
    with pytest.raises(deltaarb.ParameterValidationError, match=r"^invalid max_hours = 0: must be > 0$"):
        deltaarb.delta_neutral_backtest(market, max_hours=0)
    with pytest.raises(ValueError, match=r"invalid spot_fee = 1: must be a fraction in \[0, 1\)"):
        deltaarb.delta_neutral_backtest(market, spot_fee=1)
    with pytest.raises(deltaarb.OptimizationError, match="invalid max_entry_cost_pct = nan"):
        deltaarb.delta_neutral_backtest(market, max_entry_cost_pct=math.nan)


def test_optimizer_settings_and_data_errors(market: pd.DataFrame) -> None:
    with pytest.raises(deltaarb.ParameterValidationError, match=r"invalid target_hit_rate = 1.5: must be in \[0, 1\]"):
        deltaarb.DeltaArbitrageOptimizer(target_hit_rate=1.5)
    with pytest.raises(deltaarb.ParameterValidationError, match="grid_steps"):
        deltaarb.DeltaArbitrageOptimizer(grid_steps=0)
    optimizer = deltaarb.DeltaArbitrageOptimizer()
    with pytest.raises(deltaarb.InsufficientDataError, match="insufficient data: need at least 100, got 50"):
        asyncio.run(optimizer.optimize_parameters(market.iloc[:50]))
    with pytest.raises(deltaarb.InsufficientDataError):
        optimizer.analyze_spread_distribution(market.iloc[:30])
    with pytest.raises(deltaarb.ParameterValidationError, match="lookback_hours"):
        asyncio.run(optimizer.optimize_parameters(market, lookback_hours=-1))


def test_optimization_timeout(market: pd.DataFrame) -> None:
    optimizer = deltaarb.DeltaArbitrageOptimizer(time_budget_ms=0.001, grid_steps=256)
    with pytest.raises(deltaarb.OptimizationTimeoutError, match="budget"):
        asyncio.run(optimizer.optimize_parameters(market, lookback_hours=6))


def test_mock_generator_errors() -> None:
    with pytest.raises(ValueError, match="regime_type 'sideways' is not one of 'mean_reverting', 'trending', 'volatile'"):
        deltaarb.generate_mock_spread_regime("sideways")
    with pytest.raises(deltaarb.ParameterValidationError, match="hours"):
        deltaarb.generate_mock_market_data(hours=-1)


def test_validate_parameters_follows_the_safety_rules() -> None:
    optimizer = deltaarb.DeltaArbitrageOptimizer()
    assert optimizer.validate_parameters(0.5, 0.1) is True
    assert optimizer.validate_parameters(1.2, 0.1) is False          # above max_entry_threshold 1.0
    assert optimizer.validate_parameters(0.5, 0.01) is False         # below min_exit_threshold 0.05
    assert optimizer.validate_parameters(0.1, 0.2) is False          # exit not below entry
    assert optimizer.validate_parameters(0.9, 0.06) is False         # ratio 15 > 10
    assert optimizer.validate_parameters(math.nan, 0.1) is False
    assert optimizer.parameter_violation(1.2, 0.1) == "invalid entry_threshold_pct = 1.2: must not exceed max_entry_threshold 1"
    assert deltaarb.DeltaArbitrageOptimizer(max_entry_threshold=2).validate_parameters(1.2, 0.2) is True
