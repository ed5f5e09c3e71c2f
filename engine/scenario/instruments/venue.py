"""Venue risks and cover (`venue`): failure of the pool and of the perp venue, their insurance,
auto-deleveraging of the short. Its section, its kernel parameters (`VenueParams`), its outputs,
its P&L parts, its overlay (the cover) and its lines of the terminal summary."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from engine.declarations import OutputSpec, Overlay, Part, SummaryMean
from engine.kernels.venue import VenueParams
from engine.scenario.base import Spec
from engine.scenario.instruments.base import Instrument


class CoverSpec(Spec):
    """Insurance of one venue: a premium of `premium_rate` per year on the covered amount (the
    venue exposure at the start of each step: the LP value, or the margin account's equity),
    paid every step until the venue fails; at the failure the claim is approved with probability
    `approval_probability` and pays `payout_fraction` x the loss."""

    premium_rate: float = Field(0.0, ge=0.0)
    payout_fraction: float = Field(1.0, ge=0.0, le=1.0)
    approval_probability: float = Field(1.0, ge=0.0, le=1.0)


class VenueRiskSpec(Spec):
    """Failure of one venue: the first event of a Poisson process of `hazard_per_year` events per
    year takes `loss_fraction` of the exposure (each venue fails at most once per path)."""

    hazard_per_year: float = Field(0.0, ge=0.0)
    loss_fraction: float = Field(1.0, ge=0.0, le=1.0)
    cover: CoverSpec | None = None
    """Insurance of the venue; null: uninsured."""


class AdlSpec(Spec):
    """Auto-deleveraging by the perp venue. A step whose log-return ln(P_k+1 / P_k) (jumps
    included) is at or below `cascade_log_return` is a liquidation cascade (longs liquidated en
    masse); in each, a short in profit against its average entry price is closed by the venue with
    probability `probability` (at the step's price, no fee). The rebalancing policy then re-opens
    it at its next check; with policy none the LP stays unhedged."""

    probability: float = Field(0.0, ge=0.0, le=1.0)
    """Per cascade; 0 (the default): no auto-deleveraging."""
    cascade_log_return: float = Field(-0.05, lt=0.0)
    """Log-return of one step at or below which the step is a cascade (per step: scale it with
    step_hours)."""


class VenueSpec(Spec):
    """Venue failure and insurance. `pool`: an exploit of the pool takes loss_fraction of the LP
    position's value; `perp`: a failure of the perp venue takes loss_fraction of the margin
    account's equity and ends the short; `adl`: auto-deleveraging of the short in crashes.
    Hazards 0, no cover and ADL probability 0 (the defaults): off."""

    pool: VenueRiskSpec = VenueRiskSpec()
    perp: VenueRiskSpec = VenueRiskSpec()
    adl: AdlSpec = AdlSpec()

    @property
    def active(self) -> bool:
        return self.adl.probability > 0.0 or any(
            v.hazard_per_year > 0.0 or v.cover is not None for v in (self.pool, self.perp)
        )


def _cover(risk: VenueRiskSpec, dt: float) -> tuple[int, float, float, float]:
    """(insured, premium per step, payout fraction, approval probability) of one venue."""
    if risk.cover is None:
        return 0, 0.0, 0.0, 0.0
    c = risk.cover
    return 1, c.premium_rate * dt, float(c.payout_fraction), float(c.approval_probability)


def kernel_params(scenario: Any) -> VenueParams:
    """Hazards, loss fractions and cover of the pool and the perp venue; premium rates per step."""
    venue: VenueSpec = scenario.venue
    dt = scenario.dt_years
    pool_cover, pool_premium_dt, pool_payout, pool_approval = _cover(venue.pool, dt)
    perp_cover, perp_premium_dt, perp_payout, perp_approval = _cover(venue.perp, dt)
    return VenueParams(
        active=int(venue.active),
        pool_hazard=float(venue.pool.hazard_per_year),
        pool_loss=float(venue.pool.loss_fraction),
        pool_cover=pool_cover,
        pool_premium_dt=pool_premium_dt,
        pool_payout=pool_payout,
        pool_approval=pool_approval,
        perp_hazard=float(venue.perp.hazard_per_year),
        perp_loss=float(venue.perp.loss_fraction),
        perp_cover=perp_cover,
        perp_premium_dt=perp_premium_dt,
        perp_payout=perp_payout,
        perp_approval=perp_approval,
        step_years=dt,
        n_steps=scenario.n_steps,
        adl_probability=float(venue.adl.probability),
        adl_cascade=float(venue.adl.cascade_log_return),
    )


OUTPUTS = {
    "pool_exploit_loss": OutputSpec(
        "quote", "LP value taken by a pool exploit, at the event", np.float64
    ),
    "perp_venue_loss": OutputSpec(
        "quote", "margin-account equity taken by a perp-venue failure, at the event", np.float64
    ),
    "insurance_premium": OutputSpec("quote", "venue cover premia paid", np.float64),
    "insurance_payout": OutputSpec("quote", "venue cover payouts received", np.float64),
    "pool_exploited": OutputSpec(
        "1", "whether the pool was exploited within the horizon", np.bool_
    ),
    "perp_venue_failed": OutputSpec(
        "1", "whether the perp venue failed within the horizon", np.bool_
    ),
    "adl_events": OutputSpec("1", "times the short was auto-deleveraged by the venue", np.int32),
    "adl_cascades": OutputSpec(
        "1", "cascade steps in which the short was in profit (eligible for ADL)", np.int32
    ),
}

PARTS = (
    Part("pool_exploit", "pool exploit losses", "pool_exploit_loss", -1.0, True),
    Part("perp_venue_failure", "perp venue failure losses", "perp_venue_loss", -1.0, True),
    Part("insurance_premium", "venue cover premia", "insurance_premium", -1.0, True),
    Part("insurance_payout", "venue cover payouts", "insurance_payout", 1.0, True),
)

OVERLAY = Overlay(
    key="insurance",
    label="venue cover",
    parts=("insurance_premium", "insurance_payout"),
    heading="venue cover",
    paid=("premia",),
    received=("claim payouts",),
)

SUMMARY = (
    SummaryMean("pool_exploit_loss", "mean pool-exploit loss"),
    SummaryMean("perp_venue_loss", "mean perp-venue failure loss"),
    SummaryMean("adl_events", "mean ADL closes of the short", 4),
)

INSTRUMENT = Instrument(
    name="venue",
    kernel_field="venue",
    build=kernel_params,
    outputs=OUTPUTS,
    parts=PARTS,
    overlay=OVERLAY,
    summary=SUMMARY,
)
