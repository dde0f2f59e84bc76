"""The optimizer, analysis and walk-forward: equal to the CLI's JSON on the same data."""
from __future__ import annotations

import asyncio
import json
import math
import subprocess
from pathlib import Path

import pandas as pd
import pytest

import deltaarb

#: Members of `optimize --json` that measure the run (time, memory) rather than the data.
RUN_DEPENDENT = {"optimization_performance", "events"}


def write_cli_csv(df: pd.DataFrame, path: Path) -> None:
    """The frame as the CLI reads it: epoch-nanosecond timestamps, prices
    written with Python's shortest round-trip repr (the exact doubles)."""
    out = df.reset_index()
    out["timestamp"] = out["timestamp"].astype("int64")
    out.to_csv(path, index=False)


def run_cli(cli: Path, *args: str) -> dict:
    done = subprocess.run([str(cli), *args, "--json"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_csv_round_trip_is_exact(market: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    write_cli_csv(market, path)
    back = pd.read_csv(path)
    assert (back["spot_ask_price"].to_numpy() == market["spot_ask_price"].to_numpy()).all()


@pytest.mark.parametrize("settings,options", [
    ({}, []),
    ({"target_hit_rate": 0.6, "min_trades_per_day": 3, "max_drawdown_tolerance": 0.05, "grid_steps": 12,
      "spot_fee": 0.0004, "max_position_hold_minutes": 120},
     ["--target-hit-rate", "0.6", "--min-daily-trades", "3", "--max-drawdown", "0.05", "--grid-steps", "12",
      "--spot-fee", "0.0004", "--max-hold-minutes", "120"]),
    ({"entry_grid": "0.1:0.6:11", "exit_grid": "0.05:0.3:6"}, ["--entry-grid", "0.1:0.6:11", "--exit-grid", "0.05:0.3:6"]),
])
def test_optimize_equals_the_cli(market: pd.DataFrame, cli: Path, tmp_path: Path, settings: dict, options: list) -> None:
    path = tmp_path / "m.csv"
    write_cli_csv(market, path)
    expected = run_cli(cli, "optimize", str(path), "--lookback-hours", "4", *options)
    optimizer = deltaarb.DeltaArbitrageOptimizer(**settings)
    result = asyncio.run(optimizer.optimize_parameters(market, lookback_hours=4))
    report = optimizer.last_report
    assert report is not None
    for key in set(expected) - RUN_DEPENDENT - {"data_gaps"}:
        assert report[key] == expected[key], key
    assert set(report) == set(expected) - {"data_gaps"}
    assert result == deltaarb.OptimizationResult.from_json(expected["optimization_result"])
    assert result.entry_threshold_pct > result.exit_threshold_pct
    assert optimizer.validate_parameters(result.entry_threshold_pct, result.exit_threshold_pct)


def test_analysis_equals_the_cli(market: pd.DataFrame, cli: Path, tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    write_cli_csv(market, path)
    expected = run_cli(cli, "analyze", str(path))
    optimizer = deltaarb.DeltaArbitrageOptimizer()
    analysis = optimizer.analyze_spread_distribution(market)
    assert analysis == deltaarb.SpreadAnalysis.from_json(expected["spread_analysis"])
    assert sorted(analysis.percentiles) == [1, 5, 10, 25, 50, 75, 90, 95, 99]
    assert len(analysis.autocorrelation) == 51 and analysis.autocorrelation[0] == 1.0
    assert optimizer.analyze_mean_reversion(market) == deltaarb.MeanReversionMetrics.from_json(expected["mean_reversion"])


def test_walk_forward_equals_the_cli(market: pd.DataFrame, cli: Path, tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    write_cli_csv(market, path)
    expected = run_cli(cli, "walk-forward", str(path), "--window-hours", "1", "--update-minutes", "30")
    optimizer = deltaarb.DeltaArbitrageOptimizer()
    trades, history = asyncio.run(deltaarb.optimized_delta_neutral_backtest(
        market, optimizer, optimization_window_hours=1, update_interval_minutes=30))
    assert history == [deltaarb.OptimizationResult.from_json(r) for r in expected["optimization_history"]]
    assert len(history) >= 5
    assert len(trades) == len(expected["trades"]) > 0
    for mine, theirs in zip(trades, expected["trades"]):
        assert mine["entry_time"] == pd.Timestamp(theirs["entry_time"])
        assert mine["exit_time"] == pd.Timestamp(theirs["exit_time"])
        for key in deltaarb.backtest.TRADE_KEYS[2:]:
            assert mine[key] == theirs[key], key


def test_static_params_walk_forward_is_the_plain_backtest(market: pd.DataFrame) -> None:
    optimizer = deltaarb.DeltaArbitrageOptimizer()
    trades, history = asyncio.run(deltaarb.optimized_delta_neutral_backtest(
        market, optimizer, static_params={"entry_threshold_pct": 0.3, "exit_threshold_pct": 0.1}))
    assert history == []
    assert trades == deltaarb.delta_neutral_backtest(market, max_entry_cost_pct=0.3, min_profit_pct=0.1)
    assert trades


def test_async_calls_run_concurrently_under_asyncio_run(market: pd.DataFrame) -> None:
    optimizer = deltaarb.DeltaArbitrageOptimizer(grid_steps=8)

    async def both() -> list:
        return await asyncio.gather(optimizer.optimize_parameters(market, lookback_hours=2),
                                    optimizer.optimize_parameters(market, lookback_hours=2))

    first, second = asyncio.run(both())
    assert first == second
    assert first.analysis_period_hours == 2
    assert 0 <= first.confidence_score <= 1


def test_mock_data_equals_the_cli_generator(cli: Path, tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    done = subprocess.run([str(cli), "generate", "--hours", "0.5", "--seed", "11", "--regime", "trending",
                           "--epoch-timestamps", "-o", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    written = pd.read_csv(path)
    df = deltaarb.generate_mock_spread_regime("trending", 0.5, seed=11)
    assert list(df.columns) == list(deltaarb.MARKET_DATA_COLUMNS[1:])
    assert str(df.index.tz) == "UTC" and df.index.name == "timestamp"
    assert (df.index.asi8 == written["timestamp"].to_numpy()).all()
    for column in df.columns:
        assert (df[column].to_numpy() == written[column].to_numpy()).all(), column


def test_dataclasses_have_the_seeds_fields() -> None:
    import dataclasses
    fields = {cls.__name__: [f.name for f in dataclasses.fields(cls)] for cls in (
        deltaarb.OptimizationResult, deltaarb.OptimizationStatusEvent, deltaarb.DeltaArbitrageConfig)}
    assert fields["OptimizationResult"] == ["entry_threshold_pct", "exit_threshold_pct", "confidence_score",
                                            "analysis_period_hours", "mean_reversion_speed", "spread_volatility",
                                            "optimization_timestamp"]
    assert fields["OptimizationStatusEvent"] == ["timestamp", "status", "data_points_analyzed", "error_message",
                                                 "duration_ms"]
    config = deltaarb.DeltaArbitrageConfig(symbol="BTC/USDT")
    assert (config.max_entry_threshold, config.min_exit_threshold, config.max_position_hold_minutes) == (1.0, 0.05, 360)
    assert issubclass(deltaarb.InsufficientDataError, deltaarb.OptimizationError)
    assert not math.isnan(deltaarb.DeltaArbitrageOptimizer().settings["spot_fee"])
