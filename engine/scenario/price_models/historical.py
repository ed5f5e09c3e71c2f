"""The section and the kernel parameters shared by the historical price models `bootstrap` and
`replay`: `market.price.history` (the CSV files, the window, the intrabar rule) and the aligned
historical steps they draw from (docs/model-notes.md, historical price models)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from engine.data import parse_time
from engine.kernels.history import HistoryParams
from engine.scenario.base import Spec
from engine.scenario.price_models.base import CommonPriceSpec, StepContext


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


def check(price: CommonPriceSpec, spec: HistorySpec) -> None:
    """A historical model needs its price data."""
    if spec.prices is None:
        raise ValueError(
            f"history.prices = None: market.price.model: {price.model} needs a price CSV"
        )


def kernel_params(price: CommonPriceSpec, spec: HistorySpec, step: StepContext) -> HistoryParams:
    """The aligned historical steps (loaded into `step.history`), the bootstrap's per-step
    restart probability, and whether the funding rate comes with them."""
    history = step.history
    assert history is not None  # loaded by the kernel inputs for a historical model
    return HistoryParams(
        log_return=history.log_return,
        log_high=history.log_high,
        funding=history.funding,
        restart=step.step_hours / spec.mean_block_hours,
        from_data=step.funding_model == "historical",
    )


def inert_params(price: CommonPriceSpec, step: StepContext) -> HistoryParams:
    """For the other models: no historical steps."""
    return HistoryParams(np.zeros(1), np.zeros(1), np.zeros(1), 0.0, False)
