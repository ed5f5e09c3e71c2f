"""`shocks`: deterministic overlays on the simulated market."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from engine.scenario.base import Spec


class _ShockWindow(Spec):
    """A deterministic overlay on the simulated market over [day, day + hours/24) days: the steps
    whose start lies in that window. Must start and end on grid points inside the horizon."""

    day: float = Field(ge=0.0)
    """Start of the window, days from t = 0."""
    hours: float = Field(gt=0.0)
    """Length of the window, hours."""


class PriceShock(_ShockWindow):
    """A price move of `move` (fraction: -0.3 = -30 %) spread evenly in log over the window: each
    of its n steps adds ln(1 + move) / n to ln P, on top of the price model's own step."""

    kind: Literal["price"]
    move: float = Field(gt=-1.0)


class FundingShock(_ShockWindow):
    """The funding rate forced to `rate` (per interval) at every step of the window."""

    kind: Literal["funding"]
    rate: float


class VolShock(_ShockWindow):
    """The diffusive volatility multiplied by `multiplier` at every step of the window."""

    kind: Literal["vol"]
    multiplier: float = Field(gt=0.0)


Shock = Annotated[PriceShock | FundingShock | VolShock, Field(discriminator="kind")]
