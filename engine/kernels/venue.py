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

from engine.kernels.lp import position_at
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


# The venues as path state, and their hooks in the general kernel's step (engine.kernels.driver).


class VenueState(NamedTuple):
    """pool_step / perp_step: the step of the venue's failure (-1: none within the horizon), and
    the uniform its claim is tested against; whether it happened; the losses it took, the cover
    premia paid and payouts received so far (quote); the ADL closes and the cascade steps with the
    short in profit (counts)."""

    pool_step: int
    perp_step: int
    u_pool_claim: float
    u_perp_claim: float
    pool_exploited: bool
    perp_failed: bool
    pool_exploit_loss: float
    perp_venue_loss: float
    insurance_premium: float
    insurance_payout: float
    adl_events: int
    adl_cascades: int


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def start_venue(venue, venue_draws):  # pragma: no cover - compiled
    """At t = 0: the failure steps and the claims' uniforms from the path's venue uniforms (no
    failure when the venue is off)."""
    pool_step = -1
    perp_step = -1
    if venue.active == 1:
        pool_step = event_step(
            venue_draws[V_POOL_TIME], venue.pool_hazard, venue.step_years, venue.n_steps
        )
        perp_step = event_step(
            venue_draws[V_PERP_TIME], venue.perp_hazard, venue.step_years, venue.n_steps
        )
    return VenueState(
        pool_step,
        perp_step,
        venue_draws[V_POOL_CLAIM],
        venue_draws[V_PERP_CLAIM],
        False,
        False,
        0.0,
        0.0,
        0.0,
        0.0,
        0,
        0,
    )


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _with_premium(st, premium):  # pragma: no cover - compiled
    return VenueState(
        st.pool_step,
        st.perp_step,
        st.u_pool_claim,
        st.u_perp_claim,
        st.pool_exploited,
        st.perp_failed,
        st.pool_exploit_loss,
        st.perp_venue_loss,
        premium,
        st.insurance_payout,
        st.adl_events,
        st.adl_cascades,
    )


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def venue_premia(st, value_lp, equity, venue):  # pragma: no cover - compiled
    """At a step's start: the cover premia on the exposures (the LP value V and the margin
    account's equity, quote), until the venue fails."""
    premium = st.insurance_premium
    if venue.pool_cover and not st.pool_exploited:
        premium += venue.pool_premium_dt * value_lp
    if venue.perp_cover and not st.perp_failed:
        premium += venue.perp_premium_dt * max(equity, 0.0)
    return _with_premium(st, premium)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def exploit_pool(
    st, pos, unhedged, moves_liquidity, sqrt_p, price, venue
):  # pragma: no cover - compiled
    """The pool exploit, after the step's fees and revaluation: it takes loss_fraction of the LP's
    liquidity (`pos`, an `lp.Position`) and of the unhedged benchmark's (the same pool; its own
    L when `moves_liquidity`), and the claim pays on the LP's loss. Returns (st, pos, unhedged)."""
    loss = pos.value_lp
    pos = position_at(
        pos.liquidity * (1.0 - venue.pool_loss), pos.sqrt_lower, pos.sqrt_upper, sqrt_p, price
    )
    loss -= pos.value_lp
    if moves_liquidity:
        unhedged = position_at(
            unhedged.liquidity * (1.0 - venue.pool_loss),
            unhedged.sqrt_lower,
            unhedged.sqrt_upper,
            sqrt_p,
            price,
        )
    payout = claim_paid(
        loss, venue.pool_cover, venue.pool_payout, venue.pool_approval, st.u_pool_claim
    )
    st = VenueState(
        st.pool_step,
        st.perp_step,
        st.u_pool_claim,
        st.u_perp_claim,
        True,
        st.perp_failed,
        st.pool_exploit_loss + loss,
        st.perp_venue_loss,
        st.insurance_premium,
        st.insurance_payout + payout,
        st.adl_events,
        st.adl_cascades,
    )
    return st, pos, unhedged


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def deleverage(st, account, q, price, venue, side):  # pragma: no cover - compiled
    """A cascade step with the short of q units in profit: the venue closes it (at `price`, no
    fee) with probability adl_probability, against the next uniform of the side stream `side`.
    Returns (st, account, q)."""
    events = st.adl_events
    if uniform(side) <= venue.adl_probability:
        account -= q * price
        q = 0.0
        events += 1
    st = VenueState(
        st.pool_step,
        st.perp_step,
        st.u_pool_claim,
        st.u_perp_claim,
        st.pool_exploited,
        st.perp_failed,
        st.pool_exploit_loss,
        st.perp_venue_loss,
        st.insurance_premium,
        st.insurance_payout,
        events,
        st.adl_cascades + 1,
    )
    return st, account, q


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def fail_perp(st, account, q, price, venue):  # pragma: no cover - compiled
    """The perp-venue failure: it takes loss_fraction of the margin account's equity at `price`
    and ends the short (closed at that price, no cost); the claim pays on the loss. Returns
    (st, the account left, in quote)."""
    equity = account - q * price
    loss = venue.perp_loss * max(equity, 0.0)
    payout = claim_paid(
        loss, venue.perp_cover, venue.perp_payout, venue.perp_approval, st.u_perp_claim
    )
    st = VenueState(
        st.pool_step,
        st.perp_step,
        st.u_pool_claim,
        st.u_perp_claim,
        st.pool_exploited,
        True,
        st.pool_exploit_loss,
        st.perp_venue_loss + loss,
        st.insurance_premium,
        st.insurance_payout + payout,
        st.adl_events,
        st.adl_cascades,
    )
    return st, equity - loss


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def write_venue_outputs(out, i, st):  # pragma: no cover - compiled
    """Path i's venue outputs: losses, cover premia and payouts (quote), events (flags, counts)."""
    out.pool_exploit_loss[i] = st.pool_exploit_loss
    out.perp_venue_loss[i] = st.perp_venue_loss
    out.insurance_premium[i] = st.insurance_premium
    out.insurance_payout[i] = st.insurance_payout
    out.pool_exploited[i] = st.pool_exploited
    out.perp_venue_failed[i] = st.perp_failed
    out.adl_events[i] = st.adl_events
    out.adl_cascades[i] = st.adl_cascades
