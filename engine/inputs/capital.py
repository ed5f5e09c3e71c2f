"""The capital split of a scenario (MODEL.md §2) and its range bounds."""

from __future__ import annotations

from engine.modelmath import capital
from engine.modelmath.capital import CapitalSplit
from engine.scenario.root import Scenario


def range_sqrt_bounds(scenario: Scenario) -> tuple[float, float]:
    """(sqrt(Pa), sqrt(Pb)) of the pool's range, sqrt(quote per risky); (0, inf) for a v2 pool."""
    pool = scenario.pool
    return capital.range_sqrt_bounds(
        scenario.market.spot, pool.range.lower, pool.range.upper, full_range=pool.type == "v2"
    )


def split_capital(scenario: Scenario) -> CapitalSplit:
    """Solve V0 (LP) and C0 (perp collateral) from the capital K, quote units."""
    hedge = scenario.hedge
    return capital.split_capital(
        scenario.capital,
        scenario.market.spot,
        range_sqrt_bounds(scenario),
        hedge.ratio,
        hedge.leverage,
    )
