"""delta_neutral_backtest: trade-for-trade parity with the seed's pandas loop."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import deltaarb
from deltaarb.backtest import TRADE_KEYS

from reference import reference_backtest


def assert_same_trades(engine: list, reference: list) -> None:
    assert len(engine) == len(reference)
    for k, (mine, theirs) in enumerate(zip(engine, reference)):
        assert list(mine) == list(TRADE_KEYS), f"trade {k}: keys"
        assert set(theirs) == set(mine), f"trade {k}: keys differ from the reference's"
        for key in TRADE_KEYS:
            assert mine[key] == theirs[key], f"trade {k}: {key} {mine[key]!r} != {theirs[key]!r}"


@pytest.mark.parametrize("params", [
    {},
    {"max_entry_cost_pct": 0.3, "min_profit_pct": 0.05, "max_hours": 0.5},
    {"max_entry_cost_pct": 0.6, "min_profit_pct": 0.2, "max_hours": 2, "spot_fee": 0.001, "fut_fee": 0.0},
])
def test_trades_equal_the_seed_loop_every_key(market: pd.DataFrame, params: dict) -> None:
    engine = deltaarb.delta_neutral_backtest(market, **params)
    reference = reference_backtest(market, **params)
    assert len(reference) >= 3, "the data should produce trades for the comparison to mean something"
    assert {t["exit_reason"] for t in reference} <= {"profit_target", "timeout"}
    assert_same_trades(engine, reference)


def test_both_exit_reasons_occur_and_match() -> None:
    df = deltaarb.generate_mock_spread_regime("volatile", 4, seed=3)
    engine = deltaarb.delta_neutral_backtest(df, max_entry_cost_pct=0.4, min_profit_pct=0.3, max_hours=0.25)
    reference = reference_backtest(df, max_entry_cost_pct=0.4, min_profit_pct=0.3, max_hours=0.25)
    assert {t["exit_reason"] for t in reference} == {"profit_target", "timeout"}
    assert_same_trades(engine, reference)


def test_times_are_the_frames_index_values(market: pd.DataFrame) -> None:
    trades = deltaarb.delta_neutral_backtest(market)
    assert trades
    for t in trades:
        assert isinstance(t["entry_time"], pd.Timestamp) and t["entry_time"] in market.index
        assert t["exit_time"] > t["entry_time"]
        assert t["entry_spot_ask"] in market.loc[[t["entry_time"]], "spot_ask_price"].tolist()


def test_timestamp_column_and_range_index(market: pd.DataFrame) -> None:
    flat = market.reset_index()  # 'timestamp' column, RangeIndex
    trades = deltaarb.delta_neutral_backtest(flat)
    assert_same_trades(trades, reference_backtest(flat))
    assert all(isinstance(t["entry_time"], int) for t in trades)  # index labels, as iterrows gives them


@pytest.mark.parametrize("unit", ["s", "ms", "us"])
def test_other_time_units_and_zones_are_the_same_instants(market: pd.DataFrame, unit: str) -> None:
    """The index's UTC nanoseconds are passed as they are, whatever its zone;
    another unit is converted: the hold limit sees the same instants."""
    if not hasattr(market.index, "as_unit"):
        pytest.skip("pandas < 2 has nanosecond times only")
    whole_seconds = market.index.floor("s")
    in_ns = market.set_axis(whole_seconds, axis=0)
    expected = _frame_trades(deltaarb.delta_neutral_backtest(in_ns, max_hours=0.25))
    assert any(t["exit_reason"] == "timeout" for t in expected)  # the times decide some exits
    for index in (whole_seconds.as_unit(unit), whole_seconds.tz_convert("Asia/Tokyo").as_unit(unit),
                  whole_seconds.tz_localize(None).as_unit(unit)):
        trades = deltaarb.delta_neutral_backtest(market.set_axis(index, axis=0), max_hours=0.25)
        assert _frame_trades(trades) == expected
        assert all(t["entry_time"] in index for t in trades)
    flat = in_ns.reset_index()
    flat["timestamp"] = flat["timestamp"].dt.as_unit(unit)
    assert _frame_trades(deltaarb.delta_neutral_backtest(flat, max_hours=0.25)) == expected


def _frame_trades(trades: list) -> list:
    """The trades without their times (the time labels differ by zone and unit)."""
    return [{k: v for k, v in t.items() if k not in ("entry_time", "exit_time")} for t in trades]


def test_non_contiguous_and_float32_columns_give_the_same_trades(market: pd.DataFrame) -> None:
    strided = market.iloc[::2]
    assert_same_trades(deltaarb.delta_neutral_backtest(strided), reference_backtest(strided))
    as_object = market.copy()
    as_object["spot_bid_price"] = as_object["spot_bid_price"].astype(object)
    assert_same_trades(deltaarb.delta_neutral_backtest(as_object), deltaarb.delta_neutral_backtest(market))


def test_no_trades_and_empty_frame(market: pd.DataFrame) -> None:
    assert deltaarb.delta_neutral_backtest(market, max_entry_cost_pct=-50) == []
    assert deltaarb.delta_neutral_backtest(market.iloc[:0]) == []


def test_open_position_at_the_end_is_not_a_trade(market: pd.DataFrame) -> None:
    # An exit threshold no row reaches and no timeout: one position opens and never closes.
    assert deltaarb.delta_neutral_backtest(market, min_profit_pct=50, max_hours=math.inf) == []
