"""`gbm`: geometric Brownian motion, log P steps by (mu - sigma^2/2) dt + sigma dW (MODEL.md §3).
It reads only the common keys of `market.price`."""

from __future__ import annotations

from engine.kernels.market import GBM
from engine.scenario.price_models.base import PriceModel

MODEL = PriceModel(name="gbm", kernel_code=GBM)
