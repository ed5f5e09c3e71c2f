"""Names, units and descriptions of every per-path output and sampled-path field: the core
model's, then the registered hedge instruments' (`engine.scenario.instruments`)."""

from __future__ import annotations

import numpy as np

from engine.declarations import OutputSpec
from engine.kernels.layout import RECORD_FIELDS, PathOutputs
from engine.scenario.instruments.registry import instrument_outputs

CORE_OUTPUTS: dict[str, OutputSpec] = {
    "pnl": OutputSpec("quote", "P&L over the horizon, W_T - K", np.float64),
    "final_value": OutputSpec("quote", "portfolio value W_T: LP + fees + perp equity", np.float64),
    "lp_value": OutputSpec("quote", "value of the LP position at the horizon, V_LP,T", np.float64),
    "il": OutputSpec(
        "quote",
        "impermanent loss at the horizon, V_LP,T - (x0 P_T + y0), plus the quote moved from the "
        "pool to the margin net of sweeps and the swap costs (the LP side beyond HODL)",
        np.float64,
    ),
    "fees": OutputSpec("quote", "LP fees accrued over the horizon (cash)", np.float64),
    "funding": OutputSpec("quote", "funding received by the short (negative: paid)", np.float64),
    "trading_costs": OutputSpec(
        "quote", "perp taker fees and slippage, opening trade included", np.float64
    ),
    "perp_pnl": OutputSpec(
        "quote", "price P&L of the short, marked to the liquidation price if liquidated", np.float64
    ),
    "liquidation_loss": OutputSpec(
        "quote",
        "equity lost at liquidation: penalty, plus negative equity absorbed by the venue (< 0)",
        np.float64,
    ),
    "liquidated": OutputSpec("1", "whether the short was liquidated within the horizon", np.bool_),
    "liquidation_time": OutputSpec(
        "days", "grid time at which the liquidation executed (NaN if none)", np.float64
    ),
    "max_drawdown": OutputSpec(
        "1",
        "maximum drawdown of W as a fraction of its running peak (peak starts at K)",
        np.float64,
    ),
    "n_rebalances": OutputSpec("1", "number of rebalancing trades after the opening", np.int32),
    "final_price": OutputSpec("quote/risky", "price of the risky asset at the horizon", np.float64),
    "final_hedge": OutputSpec("risky", "size of the short at the horizon (units)", np.float64),
    "stressed_share": OutputSpec(
        "1",
        "fraction of the steps spent in regimes marked stressed (price model regime; else 0)",
        np.float64,
    ),
    "unhedged_pnl": OutputSpec(
        "quote",
        "P&L of putting all of K in the LP, unhedged, on the same paths (the same re-ranges, no "
        "margin moves): K/V0 (V_LP,T - V0 + fees) minus its own gas",
        np.float64,
    ),
}
"""The core model's per-path outputs: the LP position, the short perpetual and its liquidation,
the portfolio, and the unhedged comparison."""

PATH_OUTPUTS: dict[str, OutputSpec] = {**CORE_OUTPUTS, **instrument_outputs()}
"""Every per-path output: the core's, then each registered instrument's, in the order of the
kernel's `PathOutputs`."""
assert tuple(PATH_OUTPUTS) == PathOutputs._fields

DERIVED_OUTPUTS: dict[str, OutputSpec] = {
    "hodl_pnl": OutputSpec(
        "quote", "P&L of holding the initial tokens (x0, y0): x0 (P_T - P0)", np.float64
    ),
}

SAMPLE_OUTPUTS: dict[str, OutputSpec] = {
    "price": OutputSpec("quote/risky", "price of the risky asset", np.float64),
    "value": OutputSpec("quote", "portfolio value W", np.float64),
    "lp_value": OutputSpec("quote", "LP position value", np.float64),
    "perp_equity": OutputSpec(
        "quote", "perp equity (cash recovered after a liquidation)", np.float64
    ),
    "hedge_size": OutputSpec("risky", "size of the short (units)", np.float64),
    "funding_rate": OutputSpec(
        "1/interval",
        "funding rate per funding interval, before the cap (premium: the exchange formula)",
        np.float64,
    ),
    "regime": OutputSpec(
        "1",
        "index of the regime in force from this time on (alphabetical order of the names in "
        "market.price.regime.states; 0 for the other price models)",
        np.float64,
    ),
}
assert tuple(SAMPLE_OUTPUTS) == RECORD_FIELDS


def allocate_path_outputs(n_paths: int) -> PathOutputs:
    """Fresh output arrays for a block of n_paths."""
    return PathOutputs(*(np.zeros(n_paths, spec.dtype) for spec in PATH_OUTPUTS.values()))
