"""The kernels value the LP position and test the rebalancing band without a division per step
(`engine.kernels.lp.position_value`, `engine.kernels.perp.band_exceeded`): against the textbook
forms x P + y and |q - h x| > band h x on random positions in, below and above their range."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from engine.kernels.lp import amounts, position_value
from engine.kernels.perp import POLICY_BAND, HedgeParams, band_exceeded, rebalance_due

N = 200_000


def _hedge(ratio: float, band: float) -> HedgeParams:
    flat = np.array([[np.inf, 0.005, 0.0]])
    return HedgeParams(
        ratio=ratio,
        maintenance=0.005,
        penalty=0.01,
        cost_rate=0.0007,
        policy=POLICY_BAND,
        band=band,
        tiers=flat,
    )


@njit(cache=True, error_model="numpy")  # 1 / sqrt(Pa) = inf for v2, as in the kernels
def _values(sqrt_p, liquidity, sqrt_lower, sqrt_upper):  # pragma: no cover - compiled
    """(position_value, x P + y) for each sqrt price."""
    new = np.empty_like(sqrt_p)
    textbook = np.empty_like(sqrt_p)
    for i in range(sqrt_p.size):
        price = sqrt_p[i] * sqrt_p[i]
        new[i] = position_value(sqrt_p[i], price, liquidity, sqrt_lower, sqrt_upper)
        x, y = amounts(sqrt_p[i], liquidity, sqrt_lower, sqrt_upper)
        textbook[i] = x * price + y
    return new, textbook


@njit(cache=True, error_model="numpy")
def _band(q, sqrt_p, liquidity, sqrt_lower, sqrt_upper, hedge):  # pragma: no cover - compiled
    """(band_exceeded, rebalance_due with the target h x, |q - h x| - band h x, h x) for each
    pair."""
    new = np.empty(q.size, np.bool_)
    textbook = np.empty(q.size, np.bool_)
    margin = np.empty(q.size)
    targets = np.empty(q.size)
    for i in range(q.size):
        new[i] = band_exceeded(q[i], sqrt_p[i], liquidity, sqrt_lower, sqrt_upper, hedge)
        target = hedge.ratio * amounts(sqrt_p[i], liquidity, sqrt_lower, sqrt_upper)[0]
        textbook[i] = rebalance_due(q[i], target, False, hedge)
        margin[i] = abs(q[i] - target) - hedge.band * target
        targets[i] = target
    return new, textbook, margin, targets


RANGES = {"v2": (0.0, np.inf), "v3": (np.sqrt(2400.0), np.sqrt(3600.0))}


@pytest.mark.parametrize("pool", RANGES)
def test_position_value_is_x_p_plus_y_to_round_off(pool: str) -> None:
    sqrt_lower, sqrt_upper = RANGES[pool]
    liquidity = 1234.5
    sqrt_p = np.sqrt(3000.0 * np.exp(np.random.default_rng(3).normal(0.0, 0.5, N)))
    new, textbook = _values(sqrt_p, liquidity, sqrt_lower, sqrt_upper)
    # round-off: both forms lose digits to cancellation near the top of a v3 range (x = L (1/s -
    # 1/sqrt(Pb)) in one, sqrt(P) - P/sqrt(Pb) in the other); against extended precision the
    # largest errors measured were 8.8 and 6.6 units of 2^-53 of the value
    assert np.max(np.abs(new - textbook) / textbook) < 32 * 2.0**-53
    if pool == "v2":  # V = 2 L sqrt(P), exactly as written (L s + L s doubles without rounding)
        assert np.array_equal(new, 2.0 * (liquidity * sqrt_p))
    else:  # every region is reached, and above the range the value is the quote amount exactly
        assert (sqrt_p < sqrt_lower).any() and (sqrt_p > sqrt_upper).any()
        above = sqrt_p > sqrt_upper
        assert np.array_equal(
            new[above], np.full(above.sum(), liquidity * (sqrt_upper - sqrt_lower))
        )


@pytest.mark.parametrize("pool", RANGES)
@pytest.mark.parametrize("band", [0.05, 0.10])
def test_band_test_without_the_target_decides_as_the_textbook_test(pool: str, band: float) -> None:
    sqrt_lower, sqrt_upper = RANGES[pool]
    liquidity = 1234.5
    g = np.random.default_rng(5)
    sqrt_p = np.sqrt(3000.0 * np.exp(g.normal(0.0, 0.3, N)))
    x = amounts(3000.0**0.5, liquidity, sqrt_lower, sqrt_upper)[0]
    q = x * g.uniform(0.0, 2.0, N)
    q[: N // 10] = 0.0  # unhedged lanes: trade iff the target is positive
    hedge = _hedge(0.9, band)
    new, textbook, margin, target = _band(q, sqrt_p, liquidity, sqrt_lower, sqrt_upper, hedge)
    # the two can only disagree within round-off of the band's edge: each side of either test is
    # a few roundings (and, for x, the cancellation near the top of a v3 range bounded in the test
    # above: 32 units of 2^-53) of numbers no larger than q + h x
    edge = np.abs(margin) <= 64 * 2.0**-53 * (q + target)
    assert np.array_equal(new[~edge], textbook[~edge])
    assert 0.01 < new.mean() < 0.99  # both outcomes occur
