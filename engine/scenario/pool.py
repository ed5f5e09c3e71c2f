"""`pool`: the AMM position (v2 or v3 range), its fee income and re-ranging."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from engine.scenario.base import Spec
from engine.scenario.instruments.management import RerangeSpec


class RangeSpec(Spec):
    """v3 range as fractions of spot: Pa = spot (1 + lower), Pb = spot (1 + upper)."""

    lower: float = Field(-0.2, gt=-1.0)
    upper: float = 0.25

    @model_validator(mode="after")
    def _ordered(self) -> RangeSpec:
        if self.lower >= self.upper:
            raise ValueError(f"lower = {self.lower!r}: must be below upper ({self.upper!r})")
        return self


class FeesSpec(Spec):
    """LP fee income. `apr`: fee_apr x V_LP x dt while in range. `arbitrage`: fee_tier x the quote
    volume the price path forces through the position, plus optional noise volume."""

    model: Literal["apr", "arbitrage", "none"] = "apr"
    apr: float = Field(0.15, ge=0.0)
    fee_tier: float = Field(0.003, ge=0.0, lt=1.0)
    noise_volume_to_tvl_per_day: float = Field(0.0, ge=0.0)


class PoolSpec(Spec):
    """The LP position: a full-range v2 pool or a v3 range, its fees, re-ranging and swap costs."""

    type: Literal["v2", "v3"] = "v2"
    range: RangeSpec = RangeSpec()
    fees: FeesSpec = FeesSpec()
    rerange: RerangeSpec = RerangeSpec()
    swap_slippage_bps: float = Field(0.0, ge=0.0, lt=10000.0)
    """Slippage of the swaps between the pool's tokens (re-ranging, margin moves), in
    basis points of the amount swapped, on top of `fees.fee_tier`."""

    @model_validator(mode="after")
    def _range_only_for_v3(self) -> PoolSpec:
        # a resolved v2 scenario carries the default range; only a range set to other values is
        # a mistake (it would be silently ignored)
        if self.type == "v2" and self.range != RangeSpec():
            raise ValueError(
                f"range = {self.range.model_dump()}: a v2 pool is full range; "
                "a range needs pool.type: v3"
            )
        if self.type == "v2" and self.rerange.trigger != "none":
            raise ValueError(
                f"rerange = {self.rerange.model_dump()}: a v2 pool is full range and never out "
                "of range; re-ranging needs pool.type: v3"
            )
        if self.swap_cost_rate >= 1.0:
            raise ValueError(
                f"swap_slippage_bps = {self.swap_slippage_bps!r}: with fees.fee_tier "
                f"{self.fees.fee_tier!r} a swap would cost all of its amount or more"
            )
        return self

    @property
    def swap_cost_rate(self) -> float:
        """Cost of a swap between the pool's tokens as a fraction of the amount swapped."""
        return self.fees.fee_tier + self.swap_slippage_bps * 1e-4
