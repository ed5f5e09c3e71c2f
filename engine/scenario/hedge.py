"""`hedge`: the short perpetual, its rebalancing policy and the venue's maintenance brackets."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from engine.scenario.base import Spec
from engine.scenario.instruments.options import OptionsSpec


class RebalanceSpec(Spec):
    """`none`: static short; `periodic`: back to target every `every_hours`; `band`: back to target
    when |q - q*| > band x q*."""

    policy: Literal["none", "periodic", "band"] = "band"
    every_hours: float = Field(24.0, gt=0.0)
    band: float = Field(0.10, ge=0.0)


class TierSpec(Spec):
    """One maintenance-margin bracket as venues publish them (Binance-style): for a position of
    notional n = q P (quote units) in this bracket, MM = n x maintenance_rate - maintenance_amount.
    A position is in the first bracket whose notional_cap is at or above its notional."""

    notional_cap: float = Field(gt=0.0)
    """Largest notional of the bracket, quote units (the last bracket also applies above it)."""
    maintenance_rate: float = Field(ge=0.0, lt=1.0)
    maintenance_amount: float = Field(0.0, ge=0.0)
    """Quote units: the venue's cumulative deduction that keeps MM continuous across brackets."""


TIER_AMOUNT_TOLERANCE = 0.01
"""Largest gap accepted between a bracket's maintenance_amount and the value that keeps the
maintenance margin continuous (quote units; venues publish amounts rounded to the cent)."""


class HedgeSpec(Spec):
    """Isolated-margin short perpetual sized `ratio` x the LP's delta."""

    ratio: float = Field(1.0, ge=0.0)
    leverage: float = Field(3.0, gt=0.0)
    """Notional / collateral at opening; below 1 the short is over-collateralised."""
    maintenance_margin: float = Field(0.005, ge=0.0, lt=1.0)
    liquidation_penalty: float = Field(0.01, ge=0.0, lt=1.0)
    """Charged on the notional at liquidation, out of the remaining equity."""
    taker_fee: float = Field(0.0005, ge=0.0, lt=1.0)
    slippage_bps: float = Field(2.0, ge=0.0, lt=10000.0)
    rebalance: RebalanceSpec = RebalanceSpec()
    after_liquidation: Literal["unhedged", "rehedge"] = "unhedged"
    """After a liquidation: stay unhedged, or re-open the target short (ratio x delta)
    after `rehedge_cooldown_hours`, its collateral (notional / leverage) funded from the pool."""
    rehedge_cooldown_hours: float = Field(24.0, ge=0.0)
    """Hours from a liquidation to the re-hedge; a multiple of step_hours (0: the same step)."""
    tiers: list[TierSpec] = Field(default_factory=list)
    """Tiered maintenance brackets, caps increasing; when set they replace maintenance_margin
    (which must then stay at its default). Empty: the flat maintenance_margin."""
    options: OptionsSpec = OptionsSpec()
    """Options hedge; kind none (the default) holds none. Usable with ratio 0 (options alone)."""

    @model_validator(mode="after")
    def _tiers_are_a_venue_table(self) -> HedgeSpec:
        if not self.tiers:
            return self
        default_mm = HedgeSpec.model_fields["maintenance_margin"].default
        if self.maintenance_margin != default_mm:
            raise ValueError(
                f"maintenance_margin = {self.maintenance_margin!r}: tiers replace the flat "
                f"maintenance margin; leave it at its default {default_mm!r} or remove tiers"
            )
        first = self.tiers[0]
        if first.maintenance_amount != 0.0:
            raise ValueError(
                f"tiers.0.maintenance_amount = {first.maintenance_amount!r}: the first bracket's "
                "amount must be 0 (no maintenance deduction on small positions)"
            )
        for i in range(1, len(self.tiers)):
            lo, hi = self.tiers[i - 1], self.tiers[i]
            if hi.notional_cap <= lo.notional_cap:
                raise ValueError(
                    f"tiers.{i}.notional_cap = {hi.notional_cap!r}: caps must increase "
                    f"(bracket {i - 1} ends at {lo.notional_cap!r})"
                )
            if hi.maintenance_rate < lo.maintenance_rate:
                raise ValueError(
                    f"tiers.{i}.maintenance_rate = {hi.maintenance_rate!r}: rates must not "
                    f"decrease (bracket {i - 1} has {lo.maintenance_rate!r})"
                )
            expected = lo.maintenance_amount + lo.notional_cap * (
                hi.maintenance_rate - lo.maintenance_rate
            )
            if abs(hi.maintenance_amount - expected) > TIER_AMOUNT_TOLERANCE + 1e-9 * expected:
                raise ValueError(
                    f"tiers.{i}.maintenance_amount = {hi.maintenance_amount!r}: expected "
                    f"{expected!r} = amount {lo.maintenance_amount!r} + cap {lo.notional_cap!r} x "
                    f"(rate {hi.maintenance_rate!r} - {lo.maintenance_rate!r}), so that the "
                    "maintenance margin is continuous at the bracket boundary"
                )
        return self

    def maintenance_at(self, notional: float) -> float:
        """The venue's maintenance margin (quote units) of a position of `notional` quote units."""
        if not self.tiers:
            return self.maintenance_margin * notional
        tier = next((t for t in self.tiers if notional <= t.notional_cap), self.tiers[-1])
        return tier.maintenance_rate * notional - tier.maintenance_amount

    @property
    def trade_cost_rate(self) -> float:
        """Cost of a trade as a fraction of its notional |dq| P."""
        return self.taker_fee + self.slippage_bps * 1e-4

    @model_validator(mode="after")
    def _opening_is_not_liquidatable(self) -> HedgeSpec:
        if self.ratio > 0.0:
            headroom = 1.0 / self.leverage - self.trade_cost_rate - self.maintenance_margin
            if headroom <= 0.0:
                raise ValueError(
                    f"leverage = {self.leverage!r}: the opening collateral 1/leverage minus trading "
                    f"costs does not exceed maintenance_margin {self.maintenance_margin!r}; "
                    "the short would be liquidated at once"
                )
        return self
