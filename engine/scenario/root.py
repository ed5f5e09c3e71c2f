"""The scenario: every section, and the checks that tie them to the time grid."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field, model_validator

from engine.modelmath.capital import range_sqrt_bounds, split_capital
from engine.modelmath.grid import GRID_TOLERANCE, is_whole_multiple
from engine.scenario.base import HOURS_PER_YEAR, Spec
from engine.scenario.hedge import HedgeSpec
from engine.scenario.instruments.management import GasSpec, MarginSpec
from engine.scenario.instruments.options import implied_vol
from engine.scenario.instruments.registry import INSTRUMENTS
from engine.scenario.instruments.venue import VenueSpec
from engine.scenario.market import MarketSpec
from engine.scenario.output import OutputSpec
from engine.scenario.pool import PoolSpec
from engine.scenario.price_models.registry import HISTORICAL_MODELS
from engine.scenario.shocks import FundingShock, Shock, VolShock


class Scenario(Spec):
    """A validated, frozen scenario. Defaults are the built-in default scenario."""

    name: str = "default"
    description: str = (
        "ETH/USDC Uniswap v2 position, short perp hedge at 1x delta and 3x leverage, "
        "band-rebalanced, 90 days, hourly steps"
    )
    horizon_days: float = Field(90.0, gt=0.0)
    step_hours: float = Field(1.0, gt=0.0)
    paths: int = Field(100_000, ge=1)
    seed: int = Field(20261121, ge=0, lt=2**63)
    capital: float = Field(100_000.0, gt=0.0)
    """Total capital K in quote units, split between the LP position and the perp margin."""
    market: MarketSpec = MarketSpec()
    pool: PoolSpec = PoolSpec()
    hedge: HedgeSpec = HedgeSpec()
    margin: MarginSpec = MarginSpec()
    gas: GasSpec = GasSpec()
    venue: VenueSpec = VenueSpec()
    output: OutputSpec = OutputSpec()
    sweep: dict[str, list[Any]] = Field(default_factory=dict)
    """Parameter sweep: dotted keys to lists of values; the run covers their Cartesian product,
    every point with the same seed (common random numbers). Empty: a single run."""
    shocks: list[Shock] = Field(default_factory=list)
    """Deterministic overlays on the market, applied on top of any price model (empty: none):
    `{kind: price, day, hours, move}`, `{kind: funding, day, hours, rate}`,
    `{kind: vol, day, hours, multiplier}`. Price moves and vol multipliers of overlapping windows
    compose (log moves add, multipliers multiply); forced-funding windows may not overlap."""

    @model_validator(mode="after")
    def _grid_is_whole(self) -> Scenario:
        if not is_whole_multiple(self.horizon_days * 24.0, self.step_hours):
            raise ValueError(
                f"step_hours = {self.step_hours!r}: horizon_days x 24 = {self.horizon_days * 24.0!r} "
                "hours is not a whole number of steps"
            )
        for field, hours in (
            ("hedge.rebalance.every_hours", self.hedge.rebalance.every_hours),
            ("output.observe_every_hours", self.output.observe_every_hours),
        ):
            if not is_whole_multiple(hours, self.step_hours):
                raise ValueError(
                    f"{field} = {hours!r}: must be a whole multiple of step_hours {self.step_hours!r}"
                )
        self._check_shocks()
        return self

    def _check_shocks(self) -> None:
        """Shock windows on whole steps inside the horizon; forced funding only where funding is
        paid, within the cap, in windows that do not overlap."""
        horizon_hours = self.horizon_days * 24.0
        funding = self.market.funding
        forced: list[tuple[float, float, int]] = []
        for i, shock in enumerate(self.shocks):
            where = f"shocks.{i}"
            start, length = shock.day * 24.0, shock.hours
            for key, hours in (("day", start), ("hours", length)):
                least = 1 if key == "hours" else 0  # a window of at least one step
                if not is_whole_multiple(hours, self.step_hours, least):
                    value = shock.day if key == "day" else shock.hours
                    raise ValueError(
                        f"{where}.{key} = {value!r}: the window must start and end on the grid "
                        f"(whole multiples of step_hours {self.step_hours!r} hours)"
                    )
            if start + length > horizon_hours * (1.0 + GRID_TOLERANCE):
                raise ValueError(
                    f"{where}.day = {shock.day!r}: the window (day {shock.day!r} + "
                    f"{shock.hours!r} h) ends beyond the horizon ({self.horizon_days!r} days)"
                )
            if isinstance(shock, VolShock) and self.market.price.model in HISTORICAL_MODELS:
                raise ValueError(
                    f"{where}.multiplier = {shock.multiplier!r}: the {self.market.price.model} "
                    "price model steps by historical returns, with no diffusive volatility to "
                    "multiply"
                )
            if isinstance(shock, FundingShock):
                if funding.model == "none":
                    raise ValueError(
                        f"{where}.rate = {shock.rate!r}: market.funding.model is none, "
                        "no funding is paid"
                    )
                if funding.cap is not None and abs(shock.rate) > funding.cap:
                    raise ValueError(
                        f"{where}.rate = {shock.rate!r}: beyond market.funding.cap {funding.cap!r}"
                    )
                for start_j, end_j, j in forced:
                    if start < end_j and start_j < start + length:
                        raise ValueError(
                            f"{where}.day = {shock.day!r}: the forced-funding window overlaps "
                            f"that of shocks.{j}"
                        )
                forced.append((start, start + length, i))

    @model_validator(mode="after")
    def _instruments_fit(self) -> Scenario:
        """Each registered instrument's checks of the whole scenario, in registry order."""
        for instrument in INSTRUMENTS.values():
            if instrument.check is not None:
                instrument.check(self)
        return self

    @model_validator(mode="after")
    def _tiers_fit(self) -> Scenario:
        """The opening notional within the brackets, and its equity above their maintenance."""
        if self.hedge.tiers and self.hedge.ratio > 0.0:
            notional = self.opening_notional
            last_cap = self.hedge.tiers[-1].notional_cap
            if notional > last_cap:
                raise ValueError(
                    f"hedge.tiers = {len(self.hedge.tiers)} brackets: the opening notional "
                    f"{notional!r} is above the largest cap {last_cap!r}"
                )
            equity = notional / self.hedge.leverage - self.hedge.trade_cost_rate * notional
            if equity <= self.hedge.maintenance_at(notional):
                raise ValueError(
                    f"hedge.leverage = {self.hedge.leverage!r}: the opening equity {equity!r} is "
                    f"at or below the tiered maintenance margin "
                    f"{self.hedge.maintenance_at(notional)!r} of the opening notional "
                    f"{notional!r}; the short would be liquidated at once"
                )
        return self

    def implied_vol(self, strike_fraction: float) -> float:
        """Implied volatility (per sqrt(year)) of an option struck at strike_fraction x forward."""
        return implied_vol(self.hedge.options, self.market.price.vol, strike_fraction)

    @property
    def opening_notional(self) -> float:
        """Notional of the short at t = 0, quote units: ratio x the LP's risky holding x0 x spot
        (the capital split of MODEL.md §2)."""
        pool, hedge = self.pool, self.hedge
        bounds = range_sqrt_bounds(
            self.market.spot, pool.range.lower, pool.range.upper, full_range=pool.type == "v2"
        )
        split = split_capital(self.capital, self.market.spot, bounds, hedge.ratio, hedge.leverage)
        return hedge.ratio * split.x0 * self.market.spot

    @property
    def n_steps(self) -> int:
        return round(self.horizon_days * 24.0 / self.step_hours)

    @property
    def dt_years(self) -> float:
        return self.step_hours / HOURS_PER_YEAR

    def to_dict(self) -> dict[str, Any]:
        """The fully resolved scenario (every key, defaults included) as plain data. `sweep` and
        `shocks` are left out when empty, so a plain scenario resolves as it did before them."""
        empty = {key for key in ("sweep", "shocks") if not getattr(self, key)}
        return self.model_dump(mode="json", exclude=empty or None)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)
