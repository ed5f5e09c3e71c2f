"""Funding realism: compound-Poisson jumps of the OU state and the exchange-style premium rate.

Units: rates per funding interval, as a fraction (0.0001 = 0.01 %); intensities per year.

The Ornstein-Uhlenbeck state `s` (market.py: `next_funding`, the exact Gaussian transition) is
  - the funding rate itself (`ou`), or
  - the premium p of the exchange formula (`premium`): the rate is
        f = p + clamp(interest - p, -c, +c),
    i.e. f = interest exactly whenever |interest - p| <= c, p + c below that band, p - c above it.
Jumps: after the step's Gaussian transition the state moves by the sum of the step's jumps,
n ~ Poisson(jump_intensity dt) jumps of N(jump_mean, jump_vol^2), drawn as N(n m, n v^2) with one
uniform (the count, by inversion) and one normal, so every step draws the same numbers. The jumps
of a step land at its end (as the price's Merton jumps do).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from engine.kernels.market import jump_count

FUNDING_OU = 0
FUNDING_PREMIUM = 1
FUNDING_CONSTANT = 2
FUNDING_NONE = 3


class FundingParams(NamedTuple):
    """kind: FUNDING_*. jumps: whether the state jumps (jump_intensity > 0; each step then draws
    u_fjump and z_fjump). jump_cdf: cumulative Poisson(jump_intensity dt) probabilities of 0, 1, ...
    jumps of the state in a step (length 1, [1.0], when there are no jumps). jump_mean, jump_vol:
    of one jump, rate units per interval. interest, clamp: the premium model's interest rate and
    clamp half-width c, per interval."""

    kind: int
    jumps: bool
    jump_cdf: np.ndarray
    jump_mean: float
    jump_vol: float
    interest: float
    clamp: float


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def state_jump(u, z, jump_cdf, jump_mean, jump_vol):  # pragma: no cover - compiled
    """The sum of the step's jumps of the OU state: n jumps of N(m, v^2) sum to N(n m, n v^2)."""
    n = jump_count(u, jump_cdf)
    if n == 0:
        return 0.0
    return n * jump_mean + np.sqrt(n) * jump_vol * z


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def exchange_rate(premium, interest, clamp):  # pragma: no cover - compiled
    """f = p + clamp(interest - p, -c, c), written so that f is `interest` exactly (not p + (i - p),
    which may differ from i by round-off) whenever |interest - p| <= c."""
    gap = interest - premium
    if gap > clamp:
        return premium + clamp
    if gap < -clamp:
        return premium - clamp
    return interest


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def funding_rate(state, funding):  # pragma: no cover - compiled
    """The rate of the interval from the OU state: the state itself, or the exchange formula."""
    if funding.kind == FUNDING_PREMIUM:
        return exchange_rate(state, funding.interest, funding.clamp)
    return state
