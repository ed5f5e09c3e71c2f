"""`market.price`: the risky asset's price process and the sections of its models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from engine.data import parse_time
from engine.modelmath.markov import generator, stationary_law
from engine.scenario.base import Spec

HISTORICAL_MODELS = ("bootstrap", "replay")
_JUMP_MODELS = ("merton", "regime")


class GarchSpec(Spec):
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


class RegimeStateSpec(Spec):
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


class RegimeSpec(Spec):
    """Markov chain over named regimes (model `regime`). The per-step transition matrix is the
    exact exp(Q dt) of the generator Q built from the intensities."""

    initial: str = "stationary"
    """Regime at t = 0: a regime name, or `stationary` (drawn from the chain's stationary law)."""
    states: dict[str, RegimeStateSpec] = Field(default_factory=dict)
    """The regimes by name; their index (the `regime` field of sampled paths) is the
    alphabetical order of the names."""


class HistorySpec(Spec):
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


class PriceSpec(Spec):
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


def generator_matrix(price: PriceSpec) -> np.ndarray:
    """The regime chain's generator Q (per year): Q[i, j] the intensity of a switch i -> j, rows
    summing to 0; regimes in index order (`PriceSpec.regime_names`, alphabetical)."""
    states = price.regime.states
    return generator(price.regime_names, {name: states[name].transitions for name in states})
