"""Venue failure and insurance: a pool exploit and a perp-venue failure as Poisson hazards.

Each venue fails at most once per path: at the first event of a Poisson process of intensity
`hazard` per year, i.e. at tau = -ln(u) / hazard for a uniform u in (0, 1] (exact, one draw per
path). The failure applies in the grid step k whose interval (t_k, t_k+1] holds tau; none when tau
is beyond the horizon. A pool exploit takes `loss_fraction` of the LP position's value; a perp-venue
failure takes `loss_fraction` of the margin account's equity and ends the short.

Cover (optional, per venue): a premium of `premium_rate` per year on the covered amount (the
venue exposure at the start of each step), paid each step until the venue fails; at the failure a
claim is approved with probability `approval` (a second uniform) and then pays
`payout_fraction` x the loss.

The uniforms come from the path's venue side stream (`rng.seed_side_stream`, tag STREAM_VENUE), in
the fixed order u_pool_time, u_pool_claim, u_perp_time, u_perp_claim, drawn once at the path's start
whenever any venue feature is on: switching hazards on changes no price or funding draw.

Auto-deleveraging (ADL): a step whose log-return is at or below `adl_cascade` is a liquidation
cascade; in each, a short in profit against its average entry price is closed by the venue with
probability `adl_probability`, tested against the next uniform of the same side stream (after the
four above, one per such cascade).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from engine.kernels.rng import STREAM_VENUE, seed_side_stream, uniform

V_POOL_TIME = 0
V_POOL_CLAIM = 1
V_PERP_TIME = 2
V_PERP_CLAIM = 3
N_VENUE_DRAWS = 4


class VenueParams(NamedTuple):
    """active: 1 when any hazard or cover is set. For the pool and the perp venue: hazard per year,
    loss_fraction of the exposure lost at the failure, cover (1: insured), premium_dt = premium
    rate per year x dt (the fraction of the covered amount paid per step), payout fraction of the
    loss, approval probability of a claim. step_years: dt; n_steps: steps in the horizon.
    adl_probability: per cascade (0: no ADL); adl_cascade: the step log-return at or below which a
    step is a liquidation cascade."""

    active: int
    pool_hazard: float
    pool_loss: float
    pool_cover: int
    pool_premium_dt: float
    pool_payout: float
    pool_approval: float
    perp_hazard: float
    perp_loss: float
    perp_cover: int
    perp_premium_dt: float
    perp_payout: float
    perp_approval: float
    step_years: float
    n_steps: int
    adl_probability: float
    adl_cascade: float


@njit(nogil=True, cache=True, error_model="numpy")
def draw_venue(state, seed, path, draws):  # pragma: no cover - compiled
    """The path's venue uniforms, in the fixed order of V_*, from its venue side stream."""
    seed_side_stream(state, seed, path, STREAM_VENUE)
    for j in range(N_VENUE_DRAWS):
        draws[j] = uniform(state)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def event_step(u, hazard, step_years, n_steps):  # pragma: no cover - compiled
    """The step k with tau in (t_k, t_k+1], tau = -ln(u) / hazard years; -1 when beyond the
    horizon or without hazard."""
    if hazard <= 0.0:
        return -1
    steps = -np.log(u) / hazard / step_years
    if steps > n_steps:
        return -1
    return max(int(np.ceil(steps)) - 1, 0)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def claim_paid(loss, covered, payout, approval, u_claim):  # pragma: no cover - compiled
    """The payout of the claim on a loss: payout x loss when insured and approved (u <= approval)."""
    if covered and u_claim <= approval:
        return payout * loss
    return 0.0
