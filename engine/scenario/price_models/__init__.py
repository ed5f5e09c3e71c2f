"""The price models: one module each (its section of `market.price`, its checks, its kernel
parameters), listed in `registry.PRICE_MODELS`."""

from engine.scenario.price_models.base import CommonPriceSpec, PriceModel, StepContext
from engine.scenario.price_models.registry import (
    HISTORICAL_MODELS,
    JUMP_MODELS,
    PRICE_MODELS,
    price_model,
)

__all__ = [
    "HISTORICAL_MODELS",
    "JUMP_MODELS",
    "PRICE_MODELS",
    "CommonPriceSpec",
    "PriceModel",
    "StepContext",
    "price_model",
]
