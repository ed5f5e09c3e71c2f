"""Isolated-margin short perpetual: equity, liquidation barrier, continuous monitoring.

The account is kept as `account = margin cash + q * entry` (quote units), so that equity is
`E = account - q P` for a short of q > 0 units, and a trade of dq at price P that leaves equity
unchanged before costs is `account += dq * P`.

Maintenance margin is tiered as venues publish it (Binance-style brackets): with the notional
n = q P, the bracket in force is the first i with n <= cap_i (the last bracket also applies above its
cap) and `MM = rate_i n - amount_i`. A flat rate m is the single bracket (inf, m, 0): MM = m q P.
The short is liquidated when `E <= MM`. For a fixed q the liquidation price solves
`account - q P = rate_i q P - amount_i` with i the bracket at that price's notional:
`P_i = (account + amount_i) / (q (1 + rate_i))`, taken from the first bracket whose candidate
notional q P_i lies within the bracket (see `liquidation_price`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from engine.kernels.detmath import log as det_log
from engine.kernels.lp import risky_times_sqrt_price

POLICY_NONE = 0
POLICY_PERIODIC = 1
POLICY_BAND = 2

# exp(-37) < 2**-53: a bridge-crossing probability this small can never beat a uniform in (0, 1],
# so skipping its evaluation changes no result.
BRIDGE_NEGLIGIBLE = 37.0


# columns of the tier table `HedgeParams.tiers`
TIER_CAP = 0
TIER_RATE = 1
TIER_AMOUNT = 2


class HedgeParams(NamedTuple):
    """ratio: h, target short q* = h x delta_LP. maintenance: m, the first bracket's rate.
    penalty: liquidation penalty as a fraction of the notional at execution. cost_rate: taker fee +
    slippage as a fraction of traded notional. policy: POLICY_*. band: relative band of the band
    policy. tiers: (n_brackets, 3) float array of (notional cap in quote units, maintenance rate,
    maintenance amount in quote units), caps increasing; a flat rate m is [[inf, m, 0]]."""

    ratio: float
    maintenance: float
    penalty: float
    cost_rate: float
    policy: int
    band: float
    tiers: np.ndarray


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def maintenance_margin(q, price, tiers):  # pragma: no cover - compiled
    """The venue's MM = rate_i q P - amount_i, bracket i the first with q P <= cap_i (quote)."""
    notional = q * price
    last = tiers.shape[0] - 1
    i = 0
    while i < last and notional > tiers[i, TIER_CAP]:
        i += 1
    return tiers[i, TIER_RATE] * q * price - tiers[i, TIER_AMOUNT]


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def liquidation_price(account, q, tiers):  # pragma: no cover - compiled
    """P_liq of a short of q > 0 units with account > 0: the price at which equity = MM.

    Equity minus MM falls as P rises (MM is non-decreasing in the notional), so the root lies in
    the first bracket i whose candidate P_i = (account + amount_i) / (q (1 + rate_i)) has a notional
    q P_i within the bracket's cap (for the brackets below, the candidate of the extended line lies
    beyond the cap). Should the amounts leave MM discontinuous at a cap (within the tolerance the
    scenario accepts), a candidate below its bracket's floor means the jump itself liquidates: the
    price at the floor, cap_{i-1} / q."""
    last = tiers.shape[0] - 1
    floor = 0.0
    for i in range(last + 1):
        candidate = (account + tiers[i, TIER_AMOUNT]) / (q * (1.0 + tiers[i, TIER_RATE]))
        if i == last or q * candidate <= tiers[i, TIER_CAP]:
            return max(candidate, floor / q)
        floor = tiers[i, TIER_CAP]
    return np.inf  # not reached: the last bracket always returns


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def log_liquidation_price(account, q, tiers):  # pragma: no cover - compiled
    """ln P_liq for a short of q > 0 units; +inf when there is no short or no positive account."""
    if q <= 0.0 or account <= 0.0:
        return np.inf if q <= 0.0 else -np.inf
    # the deterministic logarithm (`detmath.log`), which the lane kernel evaluates four SIMD
    # registers at a time (`detmath.log4`) with the same bits
    return det_log(liquidation_price(account, q, tiers))


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def bridge_crosses(log_barrier, log_start, log_end, bridge_scale, u):  # pragma: no cover
    """Whether a Brownian bridge from log_start to log_end (both below the barrier) touches the
    barrier, given the uniform u in (0, 1]: P(cross) = exp(-2 a b / var), a and b the log-distances
    to the barrier and var the step's diffusive log-variance; bridge_scale = 2 / var (0: no
    diffusion, no crossing between grid points)."""
    exponent = (log_barrier - log_start) * (log_barrier - log_end) * bridge_scale
    if exponent > BRIDGE_NEGLIGIBLE or bridge_scale == 0.0:
        return False
    return u < np.exp(-exponent)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def liquidation_over_step(
    log_barrier, log_start, log_diffused, log_top, log_end, price_end, bridge_scale, u_bridge
):  # pragma: no cover - compiled
    """The price at which a short with barrier ln P_liq = log_barrier is liquidated over a step
    from ln P = log_start, 0.0 for none: the diffusive leg by its top log_top (its end
    log_diffused, or for historical steps its intrabar maximum) or the Brownian bridge to
    log_diffused (given the uniform u_bridge) touching the barrier executes at P_liq; else a jump
    through it, to log_end, executes at the step's end price price_end."""
    if log_top >= log_barrier or bridge_crosses(
        log_barrier, log_start, log_diffused, bridge_scale, u_bridge
    ):
        return np.exp(log_barrier)
    if log_end >= log_barrier:
        return price_end
    return 0.0


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def recovered_on_liquidation(account, q, price, penalty):  # pragma: no cover - compiled
    """Cash returned to the trader when the short is liquidated at `price`: the equity left after
    the penalty on the notional, never below zero (losses are capped at the collateral)."""
    equity = account - q * price
    return max(equity - penalty * q * price, 0.0)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def is_below_maintenance(account, q, price, tiers):  # pragma: no cover - compiled
    """Whether the short's equity is at or below the venue's maintenance margin at `price`."""
    return q > 0.0 and account - q * price <= maintenance_margin(q, price, tiers)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def is_below_maintenance_flat(account, q, price, maintenance):  # pragma: no cover - compiled
    """`is_below_maintenance` for the flat table [[inf, m, 0]] (the same floats: m q P - 0). The
    lane kernel's vectorised settlement loop tests with it: the bracket search's loop over the
    table would keep that loop scalar."""
    return q > 0.0 and account - q * price <= maintenance * q * price


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def rebalance_due(q, target, due_by_clock, hedge):  # pragma: no cover - compiled
    """Whether the policy trades the short from q to the target now. The kernels test a positive
    band by `band_exceeded` instead (`band_tested_without_target`), which needs no target."""
    if hedge.policy == POLICY_BAND:
        return abs(q - target) > hedge.band * target
    if hedge.policy == POLICY_PERIODIC:
        return due_by_clock and q != target
    return False


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def band_tested_without_target(hedge):  # pragma: no cover - compiled
    """Whether the policy's test is `band_exceeded` (a positive band), which needs no target: the
    target h x then has to be computed (a division) only on the steps that trade. With a zero band
    the exact test q != h x is kept: a flat price must not trade."""
    return hedge.policy == POLICY_BAND and hedge.band > 0.0


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def band_exceeded(q, sqrt_p, liquidity, sqrt_lower, sqrt_upper, hedge):  # pragma: no cover
    """The band policy's |q - q*| > band q* for the target q* = h x, multiplied through by the
    clipped sqrt(P), s > 0: |q s - h (x s)| > band h (x s), where x s = L (1 - s / sqrt(Pb)) needs no
    division that depends on the price (`lp.risky_times_sqrt_price`)."""
    s = min(max(sqrt_p, sqrt_lower), sqrt_upper)
    target_times_s = hedge.ratio * risky_times_sqrt_price(sqrt_p, liquidity, sqrt_lower, sqrt_upper)
    return abs(q * s - target_times_s) > hedge.band * target_times_s


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def open_short(x, price, collateral, hedge):  # pragma: no cover - compiled
    """At t = 0: the short of h x units opened at `price` on the collateral C0 (quote). Returns
    (q, the trading cost, the account, ln P_liq)."""
    q = hedge.ratio * x
    cost = hedge.cost_rate * q * price
    account = collateral + q * price - cost
    return q, cost, account, log_liquidation_price(account, q, hedge.tiers)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def trade_to(account, q, target, price, cost_rate):  # pragma: no cover - compiled
    """A rebalancing trade of the short from q to `target` units at `price`, paying cost_rate on
    the traded notional. Returns (the account, the cost; quote)."""
    traded = target - q
    cost = cost_rate * abs(traded) * price
    return account + (traded * price - cost), cost


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def liquidate(account, q, price, penalty):  # pragma: no cover - compiled
    """The short of q units liquidated at `price`: returns (the cash recovered, the equity lost
    beyond it: the penalty, plus negative equity absorbed by the venue; quote)."""
    recovered = recovered_on_liquidation(account, q, price, penalty)
    return recovered, account - q * price - recovered
