"""`merton`: GBM plus compound-Poisson log-normal jumps (`market.price.jump_*`), the drift
compensated so that E[P_t] = P0 exp(mu t) (MODEL.md §3)."""

from __future__ import annotations

from engine.kernels.market import MERTON
from engine.scenario.price_models.base import PriceModel

MODEL = PriceModel(name="merton", kernel_code=MERTON, jumps=True, step_jumps=True)
