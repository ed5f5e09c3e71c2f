"""`bootstrap`: a stationary block bootstrap of historical (return, funding) steps, blocks of
geometric length with mean `market.price.history.mean_block_hours`."""

from __future__ import annotations

from engine.kernels.history import BOOTSTRAP
from engine.scenario.price_models import historical
from engine.scenario.price_models.base import PriceModel

MODEL = PriceModel(
    name="bootstrap",
    kernel_code=BOOTSTRAP,
    section="history",
    historical=True,
    check=historical.check,
    kernel_field="history",
    build=historical.kernel_params,
    inert=historical.inert_params,
)
