"""Kernel constants of venue failure, insurance and auto-deleveraging."""

from __future__ import annotations

from typing import Any

from engine.kernels.venue import VenueParams
from engine.scenario.root import Scenario


def venue_params(scenario: Scenario) -> VenueParams:
    """Hazards, loss fractions and cover of the pool and the perp venue; premium rates per step."""
    venue = scenario.venue
    dt = scenario.dt_years

    def cover(spec: Any) -> tuple[int, float, float, float]:
        if spec.cover is None:
            return 0, 0.0, 0.0, 0.0
        c = spec.cover
        return 1, c.premium_rate * dt, float(c.payout_fraction), float(c.approval_probability)

    pool_cover, pool_premium_dt, pool_payout, pool_approval = cover(venue.pool)
    perp_cover, perp_premium_dt, perp_payout, perp_approval = cover(venue.perp)
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
