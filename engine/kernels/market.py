"""Market step: GBM / Merton log-price and exact Ornstein-Uhlenbeck funding.

Units: log-prices in ln(quote per unit); `dt` in years; funding rates per funding interval.
Per step the caller draws, in this order: z_price, z_funding, then (Merton only) u_jump, z_jump.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from engine.kernels.garch import GarchParams
from engine.kernels.history import HistoryParams
from engine.kernels.regime import RegimeParams
from engine.kernels.regime import pick as jump_count  # inversion of the Poisson CDF, u in (0, 1]

GBM = 0
MERTON = 1
# GARCH = 2, REGIME = 3, BOOTSTRAP = 4, REPLAY = 5: engine.kernels.garch, .regime, .history


class MarketParams(NamedTuple):
    """Per-step constants of the market model (precomputed once per run).

    log_drift: drift of ln P per step, (mu - sigma^2/2 - lambda kbar) dt.
    diffusion: sigma sqrt(dt), the step's diffusive log-sd; bridge_scale: 2 / (sigma^2 dt), or 0
    without diffusion (the Brownian-bridge crossing exponent is a b bridge_scale).
    jump_cdf: cumulative Poisson(lambda dt) probabilities for 0, 1, 2, ... jumps in a step.
    funding_*: exact OU transition f' = mean + (f - mean) decay + a z_price + b z_funding.
    funding_cap: paid rates are clamped to [-cap, cap] (inf for no cap).
    garch, regime, history: the parameters of those price models (inert for the others).
    """

    spot: float
    model: int
    log_drift: float
    diffusion: float
    bridge_scale: float
    jump_cdf: np.ndarray
    jump_mean: float
    jump_vol: float
    funding_initial: float
    funding_mean: float
    funding_decay: float
    funding_load_price: float
    funding_load_own: float
    funding_cap: float
    garch: GarchParams
    regime: RegimeParams
    history: HistoryParams


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def log_jump(u_jump, z_jump, market):  # pragma: no cover - compiled
    """Sum of the step's Merton log-jumps: n jumps of N(m, s^2) sum to N(n m, n s^2), drawn with
    one normal so that every step uses the same number of draws."""
    n = jump_count(u_jump, market.jump_cdf)
    if n == 0:
        return 0.0
    return n * market.jump_mean + np.sqrt(n) * market.jump_vol * z_jump


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def ou_funding_step(f, mean, decay, load_price, load_own, z_price, z_funding):  # pragma: no cover
    """Exact OU step of the funding rate f around the long-run rate `mean`: the decay
    exp(-kappa dt) and the loads on the price shock and on the funding's own shock (MarketParams'
    funding_decay, funding_load_price, funding_load_own), jointly Gaussian with the price shock."""
    return mean + (f - mean) * decay + load_price * z_price + load_own * z_funding


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def next_funding_to(f, mean, z_price, z_funding, market):  # pragma: no cover - compiled
    """`ou_funding_step` around the long-run rate `mean` (market.funding_mean, or the regime's
    under the regime model) with the market's decay and loads."""
    return ou_funding_step(
        f,
        mean,
        market.funding_decay,
        market.funding_load_price,
        market.funding_load_own,
        z_price,
        z_funding,
    )


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def paid_rate(f, cap):  # pragma: no cover - compiled
    """The funding rate actually settled: f clamped to [-cap, cap]."""
    return min(max(f, -cap), cap)
