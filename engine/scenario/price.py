"""`market.price`: the risky asset's price process. The common keys live in
`price_models.base.CommonPriceSpec`, each model's own section and checks in its module of
`price_models/`; this section holds them together and runs the checks of the chosen model."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import field_validator, model_validator

from engine.scenario.price_models.base import CommonPriceSpec
from engine.scenario.price_models.garch import GarchSpec
from engine.scenario.price_models.historical import HistorySpec
from engine.scenario.price_models.regime import (
    RegimeSpec,
    RegimeStateSpec,
    regime_generator,
    regime_value,
)
from engine.scenario.price_models.registry import (
    JUMP_MODELS,
    PRICE_MODELS,
    choices_message,
    price_model,
    sections,
)


class PriceSpec(CommonPriceSpec):
    """Risky-asset price process. `drift` and `vol` are annualised; jumps are Merton log-jumps.

    Models: `gbm`, `merton`, `garch` (GARCH(1,1), Student-t innovations; `vol` is the long-run
    vol), `regime` (Markov-switching; `regime.states`), `bootstrap` (stationary block bootstrap of
    historical returns) and `replay` (one historical path); the last two read `history`.
    """

    garch: GarchSpec = GarchSpec()
    """Model `garch` only."""
    regime: RegimeSpec = RegimeSpec()
    """Model `regime` only."""
    history: HistorySpec = HistorySpec()
    """Models `bootstrap` and `replay` only."""

    @field_validator("model", mode="before")
    @classmethod
    def _registered(cls, value: Any) -> Any:
        if not isinstance(value, str) or value not in PRICE_MODELS:
            raise ValueError(choices_message())
        return value

    @model_validator(mode="after")
    def _jumps_need_merton(self) -> PriceSpec:
        if self.model not in JUMP_MODELS and self.jump_intensity > 0.0:
            raise ValueError(
                f"jump_intensity = {self.jump_intensity!r}: jumps need market.price.model: merton "
                "(or regime)"
            )
        return self

    @model_validator(mode="after")
    def _sections_match_the_model(self) -> PriceSpec:
        for key, models in sections().items():
            if self.model not in models and getattr(self, key) != type(getattr(self, key))():
                raise ValueError(
                    f"{key} = {getattr(self, key).model_dump()}: used only by "
                    f"market.price.model: {' or '.join(models)} (the model is {self.model})"
                )
        model = price_model(self.model)
        if model.check is not None:
            model.check(self, self.section_of(self.model))
        return self

    def section_of(self, name: str) -> Any:
        """The own section of the model `name` (None for a model without one)."""
        section = price_model(name).section
        return None if section is None else getattr(self, section)

    @property
    def regime_names(self) -> list[str]:
        """The regimes in index order: alphabetical (a resolved scenario's JSON sorts its keys,
        so the order written in the file could not survive a round trip)."""
        return self.regime.names

    def regime_value(self, state: RegimeStateSpec, key: str) -> float:
        """A regime's parameter, or the price's own when the regime leaves it null."""
        return regime_value(self, state, key)


def generator_matrix(price: PriceSpec) -> np.ndarray:
    """The regime chain's generator Q (per year): Q[i, j] the intensity of a switch i -> j, rows
    summing to 0; regimes in index order (`PriceSpec.regime_names`, alphabetical)."""
    return regime_generator(price.regime)
