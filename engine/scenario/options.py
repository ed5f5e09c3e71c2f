"""`hedge.options`: long European options on the risky asset."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from engine.scenario.base import Spec


class ImpliedVolSpec(Spec):
    """Implied volatility of an option bought with strike K at forward F (= spot):
    `vol x multiplier + skew x ln(K / F)`, per sqrt(year). Each option keeps it until expiry."""

    vol: float | None = Field(None, gt=0.0)
    """Base volatility per sqrt(year); null: the market's `market.price.vol`."""
    multiplier: float = Field(1.0, gt=0.0)
    """Implied over realised: 1.0 prices options at the simulated volatility."""
    skew: float = 0.0
    """Slope per unit log-moneyness ln(K/F); negative makes out-of-the-money puts dearer."""


class OptionsSpec(Spec):
    """Long European options on the risky asset, Black-76 priced (zero rate, forward = spot).

    `put`: a put leg; `call`: a call leg; `strangle`: both legs at their strikes; `straddle`: both
    legs at one strike (put_strike = call_strike). Each leg holds `size` x the LP's risky holding
    (units of the risky asset) at purchase. Bought at t = 0 and, with `roll: at_expiry`, again at
    every expiry before the horizon at strikes relative to the spot then. Premium paid in cash,
    payoff received at expiry; options alive at the horizon are marked with Black-76."""

    kind: Literal["none", "put", "call", "strangle", "straddle"] = "none"
    put_strike: float = Field(0.9, ge=0.0)
    """Put strike as a fraction of the spot at purchase (0.9: 10 % out of the money)."""
    call_strike: float = Field(1.1, gt=0.0)
    """Call strike as a fraction of the spot at purchase."""
    size: float = Field(1.0, ge=0.0)
    """Options per leg per unit of the LP's risky holding at purchase (1: cover every unit)."""
    tenor_days: float = Field(30.0, gt=0.0)
    """Days from purchase to expiry; a whole number of steps."""
    roll: Literal["at_expiry", "none"] = "at_expiry"
    iv: ImpliedVolSpec = ImpliedVolSpec()

    @model_validator(mode="after")
    def _straddle_has_one_strike(self) -> OptionsSpec:
        if self.kind == "straddle" and self.put_strike != self.call_strike:
            raise ValueError(
                f"call_strike = {self.call_strike!r}: a straddle has one strike; set put_strike "
                f"and call_strike equal (put_strike is {self.put_strike!r}), or use a strangle"
            )
        return self

    @property
    def legs(self) -> tuple[bool, bool]:
        """(has a put leg, has a call leg)."""
        return self.kind in ("put", "strangle", "straddle"), self.kind in (
            "call",
            "strangle",
            "straddle",
        )
