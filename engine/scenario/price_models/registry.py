"""The registered price models, by their `market.price.model` name. Adding a model: a module in
this package with its `MODEL` (docs/architecture.md), and one line here."""

from __future__ import annotations

from engine.scenario.price_models import bootstrap, garch, gbm, merton, regime, replay
from engine.scenario.price_models.base import PriceModel

PRICE_MODELS: dict[str, PriceModel] = {
    model.name: model
    for model in (
        gbm.MODEL,
        merton.MODEL,
        garch.MODEL,
        regime.MODEL,
        bootstrap.MODEL,
        replay.MODEL,
    )
}

HISTORICAL_MODELS = tuple(name for name, model in PRICE_MODELS.items() if model.historical)
"""Models that step by historical returns (they read `market.price.history`)."""
JUMP_MODELS = tuple(name for name, model in PRICE_MODELS.items() if model.jumps)
"""Models that may use `market.price.jump_*`."""


def price_model(name: str) -> PriceModel:
    """The registered model of that name (the schema admits no other)."""
    return PRICE_MODELS[name]


def sections() -> dict[str, tuple[str, ...]]:
    """Each model's own section of `market.price` -> the models that use it, in registry order."""
    used: dict[str, tuple[str, ...]] = {}
    for name, model in PRICE_MODELS.items():
        if model.section is not None:
            used[model.section] = (*used.get(model.section, ()), name)
    return used


def choices_message() -> str:
    """The error of an unregistered name, worded as for any other choice key."""
    names = [repr(name) for name in PRICE_MODELS]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return f"Input should be {listed}"
