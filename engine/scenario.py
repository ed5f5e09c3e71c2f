"""Scenario files: the schema, its defaults, loading and dotted-key overrides.

A scenario is a YAML mapping validated into a frozen `Scenario`. Every key has a default, and the
defaults *are* the built-in default scenario (`scenarios/default.yaml` spells them out). Units follow
MODEL.md: prices and money in quote units (USD), annualised rates per 365-day year, funding rates per
funding interval as a fraction.

Validation errors are raised as `InputError` with the dotted field name and the offending value.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from engine.errors import InputError

HOURS_PER_YEAR = 8760.0
_GRID_TOLERANCE = 1e-9


class _Spec(BaseModel):
    """Base of every scenario section: frozen, unknown keys rejected, no NaN or infinity, no
    silent coercion of strings into numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


HISTORICAL_MODELS = ("bootstrap", "replay")
_JUMP_MODELS = ("merton", "regime")


class GarchSpec(_Spec):
    """GARCH(1,1) on the per-step log-return (model `garch`; docs/model-notes.md, price models).

    The step's variance is h_k = vol^2 dt x v_k with v_{k+1} = (1 - alpha - beta) + alpha v_k e_k^2
    + beta v_k, e_k the step's unit-variance innovation: `market.price.vol` is the long-run
    (unconditional) annualised vol. alpha and beta are per simulation step (per `step_hours`): a
    fit at another frequency does not carry over unchanged.
    """

    alpha: float = Field(0.05, ge=0.0)
    """Weight of the last squared innovation (per step, dimensionless)."""
    beta: float = Field(0.90, ge=0.0)
    """Weight of the last variance (per step, dimensionless); alpha + beta < 1."""
    dof: float | None = Field(None, gt=2.0)
    """Student-t degrees of freedom nu of the innovations, scaled to unit variance; null: normal."""
    initial_vol: float | None = Field(None, gt=0.0)
    """Annualised vol of the first step, sqrt(h_0 / dt); null: the long-run `vol`."""

    @model_validator(mode="after")
    def _stationary(self) -> GarchSpec:
        if self.alpha + self.beta >= 1.0:
            raise ValueError(
                f"alpha = {self.alpha!r}: alpha + beta = {self.alpha + self.beta!r} must be below "
                "1 (a finite long-run variance)"
            )
        return self


class RegimeStateSpec(_Spec):
    """One regime of the `regime` model. A parameter left null takes the value of the same key in
    `market.price` (drift, vol, jumps) or `market.funding` (funding_mean)."""

    drift: float | None = None
    """Annualised drift mu in this regime (E[P] grows at mu while the regime lasts)."""
    vol: float | None = Field(None, ge=0.0)
    """Annualised diffusive vol in this regime."""
    jump_intensity: float | None = Field(None, ge=0.0)
    """Merton jumps per year in this regime."""
    jump_mean: float | None = None
    jump_vol: float | None = Field(None, ge=0.0)
    funding_mean: float | None = None
    """Long-run OU funding rate (per funding interval) while this regime lasts."""
    stressed: bool = False
    """Counted in the per-path output `stressed_share` (fraction of steps in stressed regimes)."""
    transitions: dict[str, Annotated[float, Field(ge=0.0)]] = Field(default_factory=dict)
    """Intensity per year of a switch to each named regime (an absent regime: 0)."""


class RegimeSpec(_Spec):
    """Markov chain over named regimes (model `regime`). The per-step transition matrix is the
    exact exp(Q dt) of the generator Q built from the intensities."""

    initial: str = "stationary"
    """Regime at t = 0: a regime name, or `stationary` (drawn from the chain's stationary law)."""
    states: dict[str, RegimeStateSpec] = Field(default_factory=dict)
    """The regimes by name; their index (the `regime` field of sampled paths) is the
    alphabetical order of the names."""


class HistorySpec(_Spec):
    """Historical data of the `bootstrap` and `replay` models (docs/model-notes.md).

    CSV paths: `~` and environment variables (`${LPHEDGE_DATA}`) are expanded; a relative path is
    taken from the folder of the scenario file that holds it (from the current folder for a value
    given with --set or in a mapping). The loaded scenario carries the absolute path.
    """

    prices: str | None = None
    """Price CSV (`timestamp`, `close`, and `high` when intrabar is `high`); its interval must be
    step_hours."""
    funding: str | None = None
    """Funding CSV (`timestamp`, `funding_rate`): each return is paired with the rate in force
    over its hour; needed by `market.funding.model: historical`."""
    start: str | None = None
    """Steps starting at or after this time are used (ISO date or date-time, UTC; a price's time
    is its bar's close time); null: from the data's start. A replay starts here."""
    end: str | None = None
    """Steps ending at or before this time are used; null: to the data's end."""
    mean_block_hours: float = Field(168.0, gt=0.0)
    """Bootstrap: mean length of the resampled blocks, hours (geometric block lengths)."""
    intrabar: Literal["high", "close"] = "high"
    """Liquidation test within a step: `high` uses the bar's high (the price's true maximum over
    the hour); `close` only the grid prices."""

    @field_validator("start", "end", mode="before")
    @classmethod
    def _date_as_text(cls, value: Any) -> Any:
        if isinstance(value, datetime | date):  # YAML reads 2022-01-01 as a date
            return value.isoformat()
        return value

    @model_validator(mode="after")
    def _dates(self) -> HistorySpec:
        from engine.data import parse_time

        moments = {}
        for key in ("start", "end"):
            text = getattr(self, key)
            if text is not None:
                try:
                    moments[key] = parse_time(text)
                except ValueError:
                    raise ValueError(
                        f"{key} = {text!r}: not an ISO date (YYYY-MM-DD) or date-time"
                    ) from None
        if len(moments) == 2 and moments["start"] >= moments["end"]:
            raise ValueError(f"end = {self.end!r}: must be after start ({self.start!r})")
        return self


class PriceSpec(_Spec):
    """Risky-asset price process. `drift` and `vol` are annualised; jumps are Merton log-jumps.

    Models: `gbm`, `merton`, `garch` (GARCH(1,1), Student-t innovations; `vol` is the long-run
    vol), `regime` (Markov-switching; `regime.states`), `bootstrap` (stationary block bootstrap of
    historical returns) and `replay` (one historical path); the last two read `history`.
    """

    model: Literal["gbm", "merton", "garch", "regime", "bootstrap", "replay"] = "gbm"
    drift: float = 0.0
    """Expected growth rate mu of the price, per year: E[P_t] = P0 exp(mu t)."""
    vol: float = Field(0.8, ge=0.0)
    """Diffusive volatility sigma, per sqrt(year)."""
    jump_intensity: float = Field(0.0, ge=0.0)
    """Merton: expected number of jumps per year."""
    jump_mean: float = -0.05
    """Merton: mean of the log-jump size."""
    jump_vol: float = Field(0.10, ge=0.0)
    """Merton: standard deviation of the log-jump size."""
    garch: GarchSpec = GarchSpec()
    """Model `garch` only."""
    regime: RegimeSpec = RegimeSpec()
    """Model `regime` only."""
    history: HistorySpec = HistorySpec()
    """Models `bootstrap` and `replay` only."""

    @model_validator(mode="after")
    def _jumps_need_merton(self) -> PriceSpec:
        if self.model not in _JUMP_MODELS and self.jump_intensity > 0.0:
            raise ValueError(
                f"jump_intensity = {self.jump_intensity!r}: jumps need market.price.model: merton "
                "(or regime)"
            )
        return self

    @model_validator(mode="after")
    def _sections_match_the_model(self) -> PriceSpec:
        for key, models in (
            ("garch", ("garch",)),
            ("regime", ("regime",)),
            ("history", HISTORICAL_MODELS),
        ):
            if self.model not in models and getattr(self, key) != type(getattr(self, key))():
                raise ValueError(
                    f"{key} = {getattr(self, key).model_dump()}: used only by "
                    f"market.price.model: {' or '.join(models)} (the model is {self.model})"
                )
        if self.model == "garch" and self.vol <= 0.0:
            raise ValueError(f"vol = {self.vol!r}: garch needs a positive long-run vol")
        if self.model == "regime":
            self._check_regimes()
        if self.model in HISTORICAL_MODELS and self.history.prices is None:
            raise ValueError(
                f"history.prices = None: market.price.model: {self.model} needs a price CSV"
            )
        return self

    def _check_regimes(self) -> None:
        states = self.regime.states
        if not states:
            raise ValueError("regime.states = {}: the regime model needs at least one regime")
        if "stationary" in states:
            raise ValueError("regime.states.stationary = {...}: `stationary` is a reserved name")
        for name, state in states.items():
            for target in state.transitions:
                if target not in states:
                    raise ValueError(
                        f"regime.states.{name}.transitions.{target} = "
                        f"{state.transitions[target]!r}: no regime named {target!r} "
                        f"(regimes: {', '.join(states)})"
                    )
                if target == name:
                    raise ValueError(
                        f"regime.states.{name}.transitions.{target} = "
                        f"{state.transitions[target]!r}: a regime cannot switch to itself"
                    )
        initial = self.regime.initial
        if initial != "stationary" and initial not in states:
            raise ValueError(
                f"regime.initial = {initial!r}: no regime of that name "
                f"(regimes: {', '.join(states)}; or stationary)"
            )
        if initial == "stationary" and len(states) > 1:
            from engine.params import generator_matrix, stationary_law

            if stationary_law(generator_matrix(self)) is None:
                raise ValueError(
                    "regime.initial = 'stationary': the chain has no unique stationary law (some "
                    "regimes cannot be reached from the others); name the initial regime"
                )

    @property
    def regime_names(self) -> list[str]:
        """The regimes in index order: alphabetical (a resolved scenario's JSON sorts its keys,
        so the order written in the file could not survive a round trip)."""
        return sorted(self.regime.states)

    def regime_value(self, state: RegimeStateSpec, key: str) -> float:
        """A regime's parameter, or the price's own when the regime leaves it null."""
        value = getattr(state, key)
        return float(getattr(self, key) if value is None else value)


class FundingSpec(_Spec):
    """Perpetual funding rate, per funding interval, as a fraction (0.0001 = 0.01 %).

    Every rate-valued key (`initial`, `mean`, `jump_mean`, `jump_vol`, `interest`, `clamp`, `cap`)
    is per funding interval of `interval_hours`; `vol` is in those rate units per sqrt(year). So a
    rate means the same cash per settlement whatever the interval: changing `interval_hours` from
    8 to 1 with the same keys pays 8 times as much per day. For the same daily carry divide the
    rate-valued keys by 8 (Binance scales the 0.01 % interest and the clamp the same way).

    `ou`: Ornstein-Uhlenbeck `df = reversion (mean - f) dt + vol dB + dJ`,
    corr(dB, dW) = corr_with_price, J compound Poisson (`jump_*`; none by default);
    `premium`: the exchange formula `f = p + clamp(interest - p, -clamp, +clamp)` on a premium p
    that follows that OU process (its `initial`, `mean`, `reversion`, `vol`, `corr_with_price` and
    `jump_*`); `constant`: the rate stays at `initial` (which defaults to `mean`); `none`: no
    funding; `historical`: the rate drawn with each historical return (price models bootstrap and
    replay, with `market.price.history.funding`). The paid rate is then clamped to [-cap, +cap] in
    every model.
    """

    model: Literal["ou", "constant", "none", "premium", "historical"] = "ou"
    interval_hours: float = Field(8.0, gt=0.0)
    """Hours between settlements (8: most exchanges; 1: e.g. hourly-funded contracts)."""
    initial: float | None = None
    """Rate at t = 0 (`premium`: the premium at t = 0); defaults to `mean`."""
    mean: float = 0.0001
    """Long-run rate theta per interval (0.01 % per 8 h, the usual exchange baseline);
    `premium`: the long-run premium."""
    reversion: float = Field(50.0, ge=0.0)
    """Mean-reversion speed kappa per year (50/yr: a half-life of about 5 days)."""
    vol: float = Field(0.003, ge=0.0)
    """OU volatility eta, rate units per sqrt(year); stationary sd = vol / sqrt(2 reversion)."""
    corr_with_price: float = Field(0.3, ge=-1.0, le=1.0)
    cap: float | None = Field(0.004, gt=0.0)
    """Each paid rate is clamped to [-cap, +cap]; null for no cap."""
    jump_intensity: float = Field(0.0, ge=0.0)
    """`ou` / `premium`: expected number of jumps of the OU state per year (0: no jumps)."""
    jump_mean: float = 0.0
    """`ou` / `premium`: mean jump of the OU state, rate units per interval."""
    jump_vol: float = Field(0.0, ge=0.0)
    """`ou` / `premium`: standard deviation of one jump, rate units per interval."""
    interest: float = 0.0001
    """`premium`: the interest component, per interval (Binance: 0.01 % per 8 h)."""
    clamp: float = Field(0.0005, ge=0.0)
    """`premium`: half-width c of the clamp on interest - premium, per interval (0.05 %)."""

    @model_validator(mode="after")
    def _keys_need_their_model(self) -> FundingSpec:
        if self.jump_intensity > 0.0 and self.model not in ("ou", "premium"):
            raise ValueError(
                f"jump_intensity = {self.jump_intensity!r}: funding jumps need "
                "market.funding.model: ou or premium"
            )
        if self.model != "premium":
            for key in ("interest", "clamp"):
                value = getattr(self, key)
                if value != FundingSpec.model_fields[key].default:
                    raise ValueError(
                        f"{key} = {value!r}: used only by market.funding.model: premium"
                    )
        return self

    @property
    def initial_rate(self) -> float:
        return self.mean if self.initial is None else self.initial


class _ShockWindow(_Spec):
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


class MarketSpec(_Spec):
    spot: float = Field(3000.0, gt=0.0)
    """Initial price P0, quote units per unit of the risky asset."""
    price: PriceSpec = PriceSpec()
    funding: FundingSpec = FundingSpec()

    @model_validator(mode="after")
    def _price_and_funding_agree(self) -> MarketSpec:
        price, funding = self.price, self.funding
        historical_price = price.model in HISTORICAL_MODELS
        if funding.model == "historical":
            if not historical_price:
                raise ValueError(
                    "funding.model = 'historical': needs market.price.model bootstrap or "
                    f"replay (the model is {price.model})"
                )
            if price.history.funding is None:
                raise ValueError(
                    "funding.model = 'historical': needs a funding CSV in "
                    "market.price.history.funding"
                )
        if price.history.funding is not None and funding.model != "historical":
            raise ValueError(
                f"price.history.funding = {price.history.funding!r}: used only by "
                f"market.funding.model: historical (the model is {funding.model})"
            )
        if (
            historical_price
            and funding.model in ("ou", "premium")
            and funding.corr_with_price != 0.0
        ):
            raise ValueError(
                f"funding.corr_with_price = {funding.corr_with_price!r}: {funding.model} funding "
                "(an OU process) cannot be "
                f"correlated with historical returns ({price.model}); use funding model "
                "historical, or corr_with_price: 0"
            )
        if price.model == "regime" and funding.model not in ("ou", "premium"):
            for name, state in price.regime.states.items():
                if state.funding_mean is not None:
                    raise ValueError(
                        f"price.regime.states.{name}.funding_mean = {state.funding_mean!r}: "
                        f"a regime's funding mean needs funding model ou or premium (it is {funding.model})"
                    )
        return self


class RangeSpec(_Spec):
    """v3 range as fractions of spot: Pa = spot (1 + lower), Pb = spot (1 + upper)."""

    lower: float = Field(-0.2, gt=-1.0)
    upper: float = 0.25

    @model_validator(mode="after")
    def _ordered(self) -> RangeSpec:
        if self.lower >= self.upper:
            raise ValueError(f"lower = {self.lower!r}: must be below upper ({self.upper!r})")
        return self


class FeesSpec(_Spec):
    """LP fee income. `apr`: fee_apr x V_LP x dt while in range. `arbitrage`: fee_tier x the quote
    volume the price path forces through the position, plus optional noise volume."""

    model: Literal["apr", "arbitrage", "none"] = "apr"
    apr: float = Field(0.15, ge=0.0)
    fee_tier: float = Field(0.003, ge=0.0, lt=1.0)
    noise_volume_to_tvl_per_day: float = Field(0.0, ge=0.0)


class RerangeSpec(_Spec):
    """[issue6-lp] Re-centring a v3 range that the price has left: withdraw everything, swap to
    the new range's composition (paying the pool's fee tier and `pool.swap_slippage_bps` on the
    amount swapped), mint the new range around the price. The hedge follows the new delta at once.

    `none`: never (default). `exit`: at the first grid point with the price out of range.
    `out_for_hours`: once the price has been out of range at every grid point for that long.
    """

    trigger: Literal["none", "exit", "out_for_hours"] = "none"
    out_for_hours: float = Field(24.0, gt=0.0)
    """Hours out of range (at consecutive grid points) before re-ranging; a multiple of step_hours."""
    width: float | None = Field(None, gt=0.0)
    """Log-width ln(Pb / Pa) of the new range, centred in log on the price (Pa = P e^{-w/2},
    Pb = P e^{w/2}); null: the original relative range, Pa = P (1 + lower), Pb = P (1 + upper)."""


class PoolSpec(_Spec):
    type: Literal["v2", "v3"] = "v2"
    range: RangeSpec = RangeSpec()
    fees: FeesSpec = FeesSpec()
    rerange: RerangeSpec = RerangeSpec()
    swap_slippage_bps: float = Field(0.0, ge=0.0, lt=10000.0)
    """[issue6-lp] Slippage of the swaps between the pool's tokens (re-ranging, margin moves), in
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


class RebalanceSpec(_Spec):
    """`none`: static short; `periodic`: back to target every `every_hours`; `band`: back to target
    when |q - q*| > band x q*."""

    policy: Literal["none", "periodic", "band"] = "band"
    every_hours: float = Field(24.0, gt=0.0)
    band: float = Field(0.10, ge=0.0)


class TierSpec(_Spec):
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


class ImpliedVolSpec(_Spec):
    """Implied volatility of an option bought with strike K at forward F (= spot):
    `vol x multiplier + skew x ln(K / F)`, per sqrt(year). Each option keeps it until expiry."""

    vol: float | None = Field(None, gt=0.0)
    """Base volatility per sqrt(year); null: the market's `market.price.vol`."""
    multiplier: float = Field(1.0, gt=0.0)
    """Implied over realised: 1.0 prices options at the simulated volatility."""
    skew: float = 0.0
    """Slope per unit log-moneyness ln(K/F); negative makes out-of-the-money puts dearer."""


class OptionsSpec(_Spec):
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


class HedgeSpec(_Spec):
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
    """[issue6-lp] After a liquidation: stay unhedged, or re-open the target short (ratio x delta)
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


class MarginSpec(_Spec):
    """[issue6-lp] Margin management of the short from the pool. The margin ratio is
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


class GasSpec(_Spec):
    """[issue6-lp] Gas, quote units per transaction. An LP operation: the opening mint, each
    withdrawal or deposit (top-up, sweep, re-hedge funding) and each re-range. A perp transaction:
    the opening trade, each rebalance, each margin top-up or sweep and each re-hedge."""

    lp_operation: float = Field(0.0, ge=0.0)
    perp_transaction: float = Field(0.0, ge=0.0)


class CoverSpec(_Spec):
    """Insurance of one venue: a premium of `premium_rate` per year on the covered amount (the
    venue exposure at the start of each step: the LP value, or the margin account's equity),
    paid every step until the venue fails; at the failure the claim is approved with probability
    `approval_probability` and pays `payout_fraction` x the loss."""

    premium_rate: float = Field(0.0, ge=0.0)
    payout_fraction: float = Field(1.0, ge=0.0, le=1.0)
    approval_probability: float = Field(1.0, ge=0.0, le=1.0)


class VenueRiskSpec(_Spec):
    """Failure of one venue: the first event of a Poisson process of `hazard_per_year` events per
    year takes `loss_fraction` of the exposure (each venue fails at most once per path)."""

    hazard_per_year: float = Field(0.0, ge=0.0)
    loss_fraction: float = Field(1.0, ge=0.0, le=1.0)
    cover: CoverSpec | None = None
    """Insurance of the venue; null: uninsured."""


class AdlSpec(_Spec):
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


class VenueSpec(_Spec):
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


class OutputSpec(_Spec):
    """What is kept besides the per-path summaries: a sample of whole paths on a coarse grid."""

    sample_paths: int = Field(200, ge=0)
    observe_every_hours: float = Field(24.0, gt=0.0)


class Scenario(_Spec):
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
        n = self.horizon_days * 24.0 / self.step_hours
        if abs(n - round(n)) > _GRID_TOLERANCE * max(1.0, n) or round(n) < 1:
            raise ValueError(
                f"step_hours = {self.step_hours!r}: horizon_days x 24 = {self.horizon_days * 24.0!r} "
                "hours is not a whole number of steps"
            )
        for field, hours in (
            ("hedge.rebalance.every_hours", self.hedge.rebalance.every_hours),
            ("output.observe_every_hours", self.output.observe_every_hours),
        ):
            k = hours / self.step_hours
            if abs(k - round(k)) > _GRID_TOLERANCE * max(1.0, k) or round(k) < 1:
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
                k = hours / self.step_hours
                least = 1 if key == "hours" else 0  # a window of at least one step
                if abs(k - round(k)) > _GRID_TOLERANCE * max(1.0, k) or round(k) < least:
                    value = shock.day if key == "day" else shock.hours
                    raise ValueError(
                        f"{where}.{key} = {value!r}: the window must start and end on the grid "
                        f"(whole multiples of step_hours {self.step_hours!r} hours)"
                    )
            if start + length > horizon_hours * (1.0 + _GRID_TOLERANCE):
                raise ValueError(
                    f"{where}.day = {shock.day!r}: the window (day {shock.day!r} + "
                    f"{shock.hours!r} h) ends beyond the horizon ({self.horizon_days!r} days)"
                )
            if isinstance(shock, VolShock) and self.market.price.model in ("bootstrap", "replay"):
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
    def _management_is_consistent(self) -> Scenario:  # [issue6-lp]
        # with tiers: MM / notional = rate - amount / notional is below the rate of the bracket in
        # force; the trigger must exceed the opening bracket's rate (a position that grows into a
        # higher bracket meets that bracket's rate, which the user's trigger may not clear)
        m = self.hedge.maintenance_margin
        what = "hedge.maintenance_margin"
        if self.hedge.tiers and self.hedge.ratio > 0.0:
            from engine.params import split_capital  # params imports this module

            notional = self.hedge.ratio * split_capital(self).x0 * self.market.spot
            bracket = next(
                (t for t in self.hedge.tiers if t.notional_cap >= notional), self.hedge.tiers[-1]
            )
            m = bracket.maintenance_rate
            what = "the maintenance_rate of the opening notional's hedge.tiers bracket"
        for field, ratio in (
            ("margin.topup_below", self.margin.topup_below),
            ("margin.topup_to", self.margin.topup_to),
        ):
            if ratio is not None and ratio <= m:
                raise ValueError(f"{field} = {ratio!r}: must exceed {what} {m!r}")
        clocks = [("hedge.rehedge_cooldown_hours", self.hedge.rehedge_cooldown_hours, 0)]
        if self.pool.rerange.trigger == "out_for_hours":
            clocks.append(("pool.rerange.out_for_hours", self.pool.rerange.out_for_hours, 1))
        for field, hours, least in clocks:
            k = hours / self.step_hours
            if abs(k - round(k)) > _GRID_TOLERANCE * max(1.0, k) or round(k) < least:
                raise ValueError(
                    f"{field} = {hours!r}: must be a whole multiple of step_hours {self.step_hours!r}"
                )
        return self

    @model_validator(mode="after")
    def _options_and_tiers_fit(self) -> Scenario:  # [issue6-venue]
        opts = self.hedge.options
        if opts.kind != "none":
            if opts.iv.vol is None and self.market.price.model in ("bootstrap", "replay"):
                raise ValueError(
                    f"hedge.options.iv.vol = None: with market.price.model "
                    f"{self.market.price.model} the price comes from history and "
                    "market.price.vol drives nothing; set the options' implied vol"
                )
            k = opts.tenor_days * 24.0 / self.step_hours
            if abs(k - round(k)) > _GRID_TOLERANCE * max(1.0, k) or round(k) < 1:
                raise ValueError(
                    f"hedge.options.tenor_days = {opts.tenor_days!r}: must be a whole number of "
                    f"steps of step_hours {self.step_hours!r}"
                )
            has_put, has_call = opts.legs
            legs = (("put", has_put, opts.put_strike), ("call", has_call, opts.call_strike))
            for leg, on, strike in legs:
                if on and strike > 0.0 and self.implied_vol(strike) < 0.0:
                    raise ValueError(
                        f"hedge.options.iv.skew = {opts.iv.skew!r}: the {leg} leg's implied "
                        f"volatility at strike {strike!r} x spot is {self.implied_vol(strike)!r}, "
                        "negative"
                    )
        if self.hedge.tiers and self.hedge.ratio > 0.0:
            from engine.params import split_capital  # params imports this module

            notional = self.hedge.ratio * split_capital(self).x0 * self.market.spot
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
        iv = self.hedge.options.iv
        base = self.market.price.vol if iv.vol is None else iv.vol
        return base * iv.multiplier + iv.skew * math.log(strike_fraction)

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


# --------------------------------------------------------------------------------------------
# Loading


def shipped_scenarios_dir() -> Path:
    """Folder of the scenarios shipped with lphedge.

    In an installed wheel they live in the package (`engine/_scenarios`, copied from the project's
    top-level `scenarios/` at build time); in a source checkout they are the top-level folder.
    """
    packaged = Path(str(resources.files("engine"))) / "_scenarios"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "scenarios"


def shipped_scenarios() -> dict[str, Path]:
    """Shipped scenario names to their files: the file stem for the top folder, `folder/stem` for
    a subfolder (the stress library: `stress/2022-11-ftx`). Top-level scenarios come first."""
    root = shipped_scenarios_dir()
    top = {p.stem: p for p in sorted(root.glob("*.yaml"))}
    nested = {
        p.relative_to(root).with_suffix("").as_posix(): p for p in sorted(root.glob("*/**/*.yaml"))
    }
    return {**top, **nested}


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """A path to an existing file, or the name of a shipped scenario."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    shipped = shipped_scenarios()
    if str(name_or_path) in shipped:
        return shipped[str(name_or_path)]
    if path.exists():
        raise InputError("scenario", str(name_or_path), "is not a file")
    raise InputError(
        "scenario",
        str(name_or_path),
        f"no such file, and not a shipped scenario (shipped: {', '.join(shipped) or 'none'})",
    )


def read_scenario_file(path: Path) -> dict[str, Any]:
    """Parse a YAML scenario file into a mapping (no validation yet)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError("scenario", str(path), f"cannot be read ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except ValueError as exc:  # a date-like value YAML cannot make a date of, e.g. 2022-13-01
        raise InputError("scenario", str(path), f"is not valid YAML ({exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError("scenario", str(path), f"is not valid YAML{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError("scenario", str(path), "must be a YAML mapping of keys to values")
    return data


def parse_override(text: str) -> tuple[str, Any]:
    """`KEY=VALUE` with a dotted key; the value is read as YAML (`5` -> 5, `v3` -> 'v3')."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise InputError("--set", text, "expected KEY=VALUE, e.g. hedge.leverage=5")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except (yaml.YAMLError, ValueError):  # ValueError: a date-like value such as 2022-13-01
        raise InputError(key, raw, "value is not valid YAML") from None
    return key, value


def apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of `data` with each dotted key set to its value. A part that is a whole
    number indexes a list already in the data (`shocks.0.move`: the first shock's move)."""
    out: dict[str, Any] = copy.deepcopy(data)  # YAML data may hold dates: no JSON round trip
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        node: Any = out
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            if isinstance(node, list):
                index = _list_index(node, part, ".".join(parts[: depth + 1]))
                if last:
                    node[index] = value
                else:
                    node = node[index]
                continue
            if part.isdigit() and part not in node:  # no schema key is a number
                raise InputError(".".join(parts[: depth + 1]), part, "indexes no list here")
            if last:
                node[part] = value
                continue
            child = node.setdefault(part, {})
            if not isinstance(child, dict | list):
                raise InputError(".".join(parts[: depth + 1]), child, "is a value, not a section")
            node = child
    return out


def _list_index(items: list[Any], part: str, field: str) -> int:
    """The list position named by one part of a dotted key."""
    if not part.isdigit() or int(part) >= len(items):
        raise InputError(field, part, f"is not an index of this list (it has {len(items)} items)")
    return int(part)


# Lists of tagged unions: pydantic names a member's tag after its index (shocks.0.price.move);
# errors drop it (shocks.0.move).
_TAGGED_LISTS = {"shocks"}


def _error_location(err: Any) -> tuple[list[str], Any]:
    """The dotted location of one pydantic error, and the offending value."""
    raw, value = list(err["loc"]), err["input"]
    loc = [
        str(p)
        for i, p in enumerate(raw)
        if not (i >= 2 and isinstance(raw[i - 1], int) and raw[i - 2] in _TAGGED_LISTS)
    ]
    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
        key = str(err["ctx"]["discriminator"]).strip("'")
        loc.append(key)
        value = value.get(key) if isinstance(value, dict) else value
    elif err["type"] == "missing":
        value = None
    return loc, value


def _format_validation_error(exc: ValidationError) -> InputError:
    messages = []
    first_field, first_value = "", None
    for err in exc.errors():
        loc, value = _error_location(err)
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
            # model-level checks name their own field first: "field = value: reason"
            head, _, rest = msg.partition(" = ")
            if rest and " " not in head:
                loc.append(head)
                messages.append(f"{'.'.join(loc)} = {rest}")
                first_field = first_field or ".".join(loc)
                continue
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        field = ".".join(loc)
        messages.append(f"{field} = {value!r}: {msg}")
        if not first_field:
            first_field, first_value = field, value
    return InputError(first_field, first_value, "invalid scenario", message="; ".join(messages))


def validate_scenario(data: Mapping[str, Any]) -> Scenario:
    """Validate a plain mapping into a frozen `Scenario` (every sweep point included)."""
    try:
        scenario = Scenario.model_validate(dict(data))
    except ValidationError as exc:
        raise _format_validation_error(exc) from None
    if scenario.market.price.model in HISTORICAL_MODELS:
        from engine.history import load_history

        load_history(scenario)  # the data exist, parse and cover the horizon, or InputError
    if scenario.sweep:
        sweep_points(scenario)  # raises InputError naming the key and the value
    return scenario


# --------------------------------------------------------------------------------------------
# Sweeps

SWEEP_FORBIDDEN = {
    "paths": "every sweep point has the same paths",
    "seed": "every sweep point uses the same seed (common random numbers)",
    "sweep": "a sweep cannot sweep itself",
    "name": "the name labels the whole run",
    "description": "the description labels the whole run",
}


def parse_grid(text: str) -> tuple[str, list[Any]]:
    """`KEY=V1,V2,...` (the `--grid` option): a dotted key and its values, each read as YAML."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise InputError("--grid", text, "expected KEY=V1,V2,..., e.g. hedge.leverage=2,3,5")
    items = [item.strip() for item in raw.split(",")]
    if not raw.strip() or any(not item for item in items):
        raise InputError(f"--grid {key}", raw, "needs a comma-separated list of values")
    values = []
    for item in items:
        try:
            values.append(yaml.safe_load(item))
        except yaml.YAMLError:
            raise InputError(f"--grid {key}", item, "value is not valid YAML") from None
    return key, values


def _point_label(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else value


def point_key(point: Mapping[str, Any]) -> str:
    """The label of a sweep point: `hedge.ratio=0.5,hedge.leverage=3` (the `--grid` syntax)."""
    return ",".join(f"{k}={_point_label(v)}" for k, v in point.items())


def sweep_points(scenario: Scenario) -> list[tuple[dict[str, Any], Scenario]]:
    """Every point of the scenario's sweep, in C order of its keys (the last key varies fastest):
    (the point's {dotted key: value}, the point's scenario without a sweep). A scenario without a
    sweep has one point, `({}, scenario)`.

    Raises `InputError` naming the key and the value for an empty list, a value that is not a
    scalar, a repeated value, an unknown key, a value of the wrong type or out of range, a key
    that cannot be swept, and points whose outputs would not have the same shape.
    """
    if not scenario.sweep:
        return [({}, scenario)]
    base = scenario.to_dict()
    del base["sweep"]
    for key, values in scenario.sweep.items():
        field = f"sweep.{key}"
        if key.split(".")[0] in SWEEP_FORBIDDEN:
            raise InputError(
                field, values, f"cannot be swept: {SWEEP_FORBIDDEN[key.split('.')[0]]}"
            )
        if not isinstance(values, list) or not values:
            raise InputError(field, values, "needs a non-empty list of values")
        for value in values:
            if isinstance(value, dict | list) or value is None:
                raise InputError(field, value, "sweep values must be numbers, strings or booleans")
        if len({json.dumps(v) for v in values}) != len(values):
            raise InputError(field, values, "repeats a value")
    points = []
    keys = list(scenario.sweep)
    for combo in itertools.product(*(scenario.sweep[k] for k in keys)):
        point = dict(zip(keys, combo, strict=True))
        try:
            point_scenario = validate_scenario(apply_overrides(base, point))
        except InputError as exc:
            raise InputError(
                "sweep",
                point_key(point),
                str(exc),
                message=f"sweep point {point_key(point)}: {exc}",
            ) from None
        points.append((point, point_scenario))
    first = points[0][1]
    shape = _output_shape(first)
    for point, point_scenario in points[1:]:
        if _output_shape(point_scenario) != shape:
            raise InputError(
                "sweep",
                point_key(point),
                "changes the shape of the outputs (the number of steps or of sampled paths, or "
                "the observation grid); sweep those keys in separate runs",
            )
    return points


def _output_shape(scenario: Scenario) -> tuple[Any, ...]:
    every = scenario.output.observe_every_hours
    return (scenario.n_steps, scenario.step_hours, every, scenario.output.sample_paths)


def load_scenario(
    source: str | Path | Mapping[str, Any] | Scenario | None = None,
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
) -> Scenario:
    """Load and validate a scenario.

    `source` is a YAML file, the name of a shipped scenario, a mapping, a `Scenario`, or None for the
    built-in default. `overrides` maps dotted keys to values (`{"hedge.leverage": 5}`) or is a list
    of `KEY=VALUE` strings as on the command line.
    """
    if source is None:
        data: dict[str, Any] = {}
    elif isinstance(source, Scenario):
        data = source.to_dict()
    elif isinstance(source, Mapping):
        data = dict(source)
    else:
        path = resolve_scenario_path(source)
        data = resolve_data_paths(read_scenario_file(path), path.parent)
    if overrides:
        if isinstance(overrides, Mapping):
            pairs = dict(overrides)
        else:
            pairs = dict(parse_override(item) for item in overrides)
        data = apply_overrides(data, pairs)
    return validate_scenario(resolve_data_paths(data, Path.cwd()))


DATA_PATH_KEYS = ("market.price.history.prices", "market.price.history.funding")
"""Scenario keys holding file paths (docs/model-notes.md: historical data)."""


def resolve_data_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """`data` (a new mapping if anything changed) with every data path made absolute: `~` and
    environment variables (`$VAR`, `${VAR}`) expanded, then a relative path taken from `base`
    (the scenario file's folder, or the current folder). An unset variable is an `InputError`
    naming the key."""
    out = data
    for dotted in DATA_PATH_KEYS:
        node: Any = data
        for part in dotted.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, str):
            continue
        expanded = os.path.expanduser(os.path.expandvars(node))
        if "$" in expanded:
            unset = re.findall(r"\$\{?(\w+)", expanded)
            raise InputError(
                dotted,
                node,
                f"environment variable {', '.join(unset)} is not set (for the shipped "
                "data-driven scenarios: the folder of the historical CSV files)",
            )
        resolved = str((base / expanded).resolve())
        if resolved != node:
            out = apply_overrides(out, {dotted: resolved})
    return out
