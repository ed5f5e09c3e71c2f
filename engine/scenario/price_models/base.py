"""What every price model shares: the keys of `market.price` common to all models, the record a
model registers (`PriceModel`), and what its kernel-parameter builder reads besides
`market.price` (`StepContext`).

A price model is one module of this package: its own section of `market.price` (if any) and its
checks, its kernel-parameter builder, and a `MODEL` record listed in `registry.py`. The kernel
side (its draw loop and step) lives in `engine/kernels/`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from pydantic import Field

from engine.history import History
from engine.scenario.base import Spec


class CommonPriceSpec(Spec):
    """The keys of `market.price` every model reads or inherits. `drift` and `vol` are
    annualised; jumps are Merton log-jumps."""

    model: str = "gbm"
    """The price model, a name registered in `registry.PRICE_MODELS`."""
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


@dataclass(frozen=True)
class StepContext:
    """What a model's kernel parameters depend on besides `market.price`: the step (years and
    hours), the funding model and its long-run rate (per funding interval), and the historical
    data of a model that reads them (loaded by the kernel-input floor; None otherwise)."""

    dt_years: float
    step_hours: float
    funding_model: str
    funding_mean: float
    history: History | None = None


class TimeGrid(NamedTuple):
    """The simulation's grid: hours per step, number of steps, horizon in days."""

    step_hours: float
    n_steps: int
    horizon_days: float


Check = Callable[[CommonPriceSpec, Any], None]
"""A model's checks of `market.price` (common keys, its own section); raise ValueError
`"field = value: reason"`, the field relative to `market.price`."""
Build = Callable[[CommonPriceSpec, Any, StepContext], NamedTuple]
"""A model's kernel parameters from the common keys, its own section and the step context."""
Inert = Callable[[CommonPriceSpec, StepContext], NamedTuple]
"""The kernel parameters of a model's field when another model runs."""
CheckFunding = Callable[[CommonPriceSpec, Any, Any], None]
"""A model's checks of `market.price` (common keys, its own section) with `market.funding`;
raise ValueError `"field = value: reason"`, the field relative to `market`."""
CheckData = Callable[[Any, History, TimeGrid], None]
"""A historical model's checks of its loaded data (its section, the data, the grid); raise
`InputError` naming the scenario key."""


@dataclass(frozen=True)
class PriceModel:
    """One price model as the schema and the kernel inputs see it.

    name: its `market.price.model` value. kernel_code: the code of its draw loop
    (`MarketParams.model`). section: its own key of `market.price`, or None. jumps: it may use
    `market.price.jump_*`; step_jumps: the common step draws those jumps (Merton). historical: it
    steps by the historical returns of `market.price.history`. check, check_funding, check_data: its
    checks when it is the model (of `market.price`, of `market.price` with `market.funding`, of its
    loaded historical data). kernel_field: the field of `MarketParams` its builder fills (build when
    it is the model, inert otherwise), or None.
    """

    name: str
    kernel_code: int
    section: str | None = None
    jumps: bool = False
    step_jumps: bool = False
    historical: bool = False
    check: Check | None = None
    check_funding: CheckFunding | None = None
    check_data: CheckData | None = None
    kernel_field: str | None = None
    build: Build | None = None
    inert: Inert | None = None
