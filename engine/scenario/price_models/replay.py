"""`replay`: the one historical path from `market.price.history.start`, step by step."""

from __future__ import annotations

from engine.kernels.history import REPLAY
from engine.scenario.price_models import historical
from engine.scenario.price_models.base import PriceModel

MODEL = PriceModel(
    name="replay",
    kernel_code=REPLAY,
    section="history",
    historical=True,
    check=historical.check,
    kernel_field="history",
    build=historical.kernel_params,
    inert=historical.inert_params,
)
