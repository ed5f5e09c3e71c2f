"""Isolated-margin short perpetual: equity, liquidation barrier, continuous monitoring.

The account is kept as `account = margin cash + q * entry` (quote units), so that equity is
`E = account - q P` for a short of q > 0 units, and a trade of dq at price P that leaves equity
unchanged before costs is `account += dq * P`. Maintenance margin is `m q P`; the short is
liquidated when `E <= m q P`, i.e. when P >= P_liq = account / (q (1 + m)).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from engine.kernels.detmath import log as det_log

POLICY_NONE = 0
POLICY_PERIODIC = 1
POLICY_BAND = 2

# exp(-37) < 2**-53: a bridge-crossing probability this small can never beat a uniform in (0, 1],
# so skipping its evaluation changes no result.
_BRIDGE_NEGLIGIBLE = 37.0


class HedgeParams(NamedTuple):
    """ratio: h, target short q* = h x delta_LP. maintenance: m. penalty: liquidation penalty as a
    fraction of the notional at execution. cost_rate: taker fee + slippage as a fraction of traded
    notional. policy: POLICY_*. band: relative band of the band policy."""

    ratio: float
    maintenance: float
    penalty: float
    cost_rate: float
    policy: int
    band: float


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def log_liquidation_price(account, q, maintenance):  # pragma: no cover - compiled
    """ln P_liq for a short of q > 0 units; +inf when there is no short or no positive account."""
    if q <= 0.0 or account <= 0.0:
        return np.inf if q <= 0.0 else -np.inf
    # issue 7: the deterministic log shared with the lane kernel, which evaluates it across lanes
    return det_log(account / (q * (1.0 + maintenance)))


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def bridge_crosses(log_barrier, log_start, log_end, bridge_scale, u):  # pragma: no cover
    """Whether a Brownian bridge from log_start to log_end (both below the barrier) touches the
    barrier, given the uniform u in (0, 1]: P(cross) = exp(-2 a b / var), a and b the log-distances
    to the barrier and var the step's diffusive log-variance; bridge_scale = 2 / var (0: no
    diffusion, no crossing between grid points)."""
    exponent = (log_barrier - log_start) * (log_barrier - log_end) * bridge_scale
    if exponent > _BRIDGE_NEGLIGIBLE or bridge_scale == 0.0:
        return False
    return u < np.exp(-exponent)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def recovered_on_liquidation(account, q, price, penalty):  # pragma: no cover - compiled
    """Cash returned to the trader when the short is liquidated at `price`: the equity left after
    the penalty on the notional, never below zero (losses are capped at the collateral)."""
    equity = account - q * price
    return max(equity - penalty * q * price, 0.0)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def is_below_maintenance(account, q, price, maintenance):  # pragma: no cover - compiled
    return q > 0.0 and account - q * price <= maintenance * q * price


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def rebalance_due(q, target, due_by_clock, hedge):  # pragma: no cover - compiled
    """Whether the policy trades the short from q to the target now."""
    if hedge.policy == POLICY_BAND:
        return abs(q - target) > hedge.band * target
    if hedge.policy == POLICY_PERIODIC:
        return due_by_clock and q != target
    return False
