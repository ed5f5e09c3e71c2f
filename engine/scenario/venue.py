"""`venue`: failure of the pool and of the perp venue, their insurance, auto-deleveraging."""

from __future__ import annotations

from pydantic import Field

from engine.scenario.base import Spec


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
