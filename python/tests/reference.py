"""The seed's backtest as a plain pandas loop (docs/design.md, "Backtest
semantics"), written from the definitions, row by row with iterrows: the
reference the engine's trades must equal, and the peer of the benchmark."""
from __future__ import annotations

import pandas as pd


def reference_backtest(df: pd.DataFrame, max_entry_cost_pct: float = 0.5, min_profit_pct: float = 0.1,
                       max_hours: float = 6, spot_fee: float = 0.0005, fut_fee: float = 0.0005) -> list:
    trades = []
    position = None
    # Holding time comes from the 'timestamp' column when there is one, else from the index.
    has_column = "timestamp" in df.columns
    for idx, row in df.iterrows():
        t = row["timestamp"] if has_column else idx
        if position is None:
            entry_cost_pct = (row["spot_ask_price"] - row["fut_bid_price"]) / row["spot_ask_price"] * 100
            if entry_cost_pct < max_entry_cost_pct:
                position = {"entry_time": idx, "entry_t": t, "entry_spot_ask": row["spot_ask_price"],
                            "entry_fut_bid": row["fut_bid_price"], "entry_spread_pct": entry_cost_pct}
            continue
        entry_spot_cost = position["entry_spot_ask"] * (1 + spot_fee)
        entry_fut_receive = position["entry_fut_bid"] * (1 - fut_fee)
        exit_spot_receive = row["spot_bid_price"] * (1 - spot_fee)
        exit_fut_cost = row["fut_ask_price"] * (1 + fut_fee)
        spot_pnl_pts = exit_spot_receive - entry_spot_cost
        fut_pnl_pts = entry_fut_receive - exit_fut_cost
        total_pnl_pts = spot_pnl_pts + fut_pnl_pts
        net_pnl_pct = total_pnl_pts / entry_spot_cost * 100
        hours = (t - position["entry_t"]).total_seconds() / 3600
        exit_reason = None
        if net_pnl_pct >= min_profit_pct:
            exit_reason = "profit_target"
        elif hours >= max_hours:
            exit_reason = "timeout"
        if exit_reason is None:
            continue
        exit_spread_pct = (row["fut_ask_price"] - row["spot_bid_price"]) / row["fut_ask_price"] * 100
        trades.append({
            "entry_time": position["entry_time"], "exit_time": idx, "hours": hours,
            "entry_spot_ask": position["entry_spot_ask"], "entry_fut_bid": position["entry_fut_bid"],
            "exit_spot_bid": row["spot_bid_price"], "exit_fut_ask": row["fut_ask_price"],
            "spot_pnl_pts": spot_pnl_pts, "fut_pnl_pts": fut_pnl_pts, "total_pnl_pts": total_pnl_pts,
            "net_pnl_pct": net_pnl_pct, "entry_spread_pct": position["entry_spread_pct"],
            "exit_spread_pct": exit_spread_pct,
            "spread_improvement": position["entry_spread_pct"] - exit_spread_pct,
            "exit_reason": exit_reason,
        })
        position = None  # the closing row never opens a position
    return trades
