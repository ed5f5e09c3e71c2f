"""The capital split of MODEL.md §2 on plain numbers: K = V0 + C0, C0 = h delta_LP(P0) P0 / L."""

from __future__ import annotations

import math
from typing import NamedTuple


class CapitalSplit(NamedTuple):
    """MODEL.md §2: K = V0 + C0, C0 = h delta_LP(P0) P0 / leverage. Quote units; x0 in units of
    the risky asset, y0 in quote units, liquidity L in sqrt(quote x risky) units."""

    lp_value: float
    collateral: float
    x0: float
    y0: float
    liquidity: float


def range_sqrt_bounds(
    spot: float, lower: float, upper: float, full_range: bool
) -> tuple[float, float]:
    """(sqrt(Pa), sqrt(Pb)) of a range Pa = spot (1 + lower), Pb = spot (1 + upper) (fractions
    of spot); (0, inf) for a full-range (v2) pool."""
    if full_range:
        return 0.0, math.inf
    return math.sqrt(spot * (1.0 + lower)), math.sqrt(spot * (1.0 + upper))


def split_capital(
    capital: float,
    spot: float,
    sqrt_bounds: tuple[float, float],
    hedge_ratio: float,
    leverage: float,
) -> CapitalSplit:
    """Solve V0 (LP) and C0 (perp collateral) from the capital K (quote units) at price `spot`,
    for a range of `sqrt_bounds` (sqrt(Pa), sqrt(Pb)) and a short of `hedge_ratio` x the LP's
    delta opened at `leverage`."""
    sqrt_lower, sqrt_upper = sqrt_bounds
    s = min(max(math.sqrt(spot), sqrt_lower), sqrt_upper)
    x_per_l = 1.0 / s - 1.0 / sqrt_upper
    y_per_l = s - sqrt_lower
    value_per_l = x_per_l * spot + y_per_l
    risky_share = x_per_l * spot / value_per_l
    lp_value = capital / (1.0 + hedge_ratio * risky_share / leverage)
    liquidity = lp_value / value_per_l
    return CapitalSplit(
        lp_value=lp_value,
        collateral=capital - lp_value,
        x0=liquidity * x_per_l,
        y0=liquidity * y_per_l,
        liquidity=liquidity,
    )
