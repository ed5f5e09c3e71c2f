"""`margin` and `gas`: margin management of the short from the pool, and gas costs."""

from __future__ import annotations

from pydantic import Field, model_validator

from engine.scenario.base import Spec


class MarginSpec(Spec):
    """Margin management of the short from the pool. The margin ratio is
    equity / (q P). Below `topup_below` liquidity is withdrawn from the pool (pro rata, so the
    delta falls too; the risky part sold at the pool's fee tier + swap slippage) to bring the
    ratio back to `topup_to`; above `sweep_above` the excess over `topup_to` goes back to the pool.
    Decided at grid points, after the rebalancing policy. null: off (default)."""

    topup_below: float | None = Field(None, gt=0.0)
    topup_to: float | None = Field(None, gt=0.0)
    sweep_above: float | None = Field(None, gt=0.0)

    @model_validator(mode="after")
    def _ordered(self) -> MarginSpec:
        if (self.topup_below is not None or self.sweep_above is not None) and self.topup_to is None:
            raise ValueError(
                "topup_to = None: top-ups and sweeps need the ratio they restore (topup_to)"
            )
        if self.topup_to is not None and self.topup_below is None and self.sweep_above is None:
            raise ValueError(
                f"topup_to = {self.topup_to!r}: has no effect without topup_below or sweep_above"
            )
        if self.topup_below is not None and self.topup_to is not None:
            if self.topup_to <= self.topup_below:
                raise ValueError(
                    f"topup_to = {self.topup_to!r}: must exceed topup_below ({self.topup_below!r})"
                )
        if self.sweep_above is not None and self.topup_to is not None:
            if self.sweep_above <= self.topup_to:
                raise ValueError(
                    f"sweep_above = {self.sweep_above!r}: must exceed topup_to ({self.topup_to!r})"
                )
        return self


class GasSpec(Spec):
    """Gas, quote units per transaction. An LP operation: the opening mint, each
    withdrawal or deposit (top-up, sweep, re-hedge funding) and each re-range. A perp transaction:
    the opening trade, each rebalance, each margin top-up or sweep and each re-hedge."""

    lp_operation: float = Field(0.0, ge=0.0)
    perp_transaction: float = Field(0.0, ge=0.0)
