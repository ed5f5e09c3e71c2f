"""`bootstrap`: a stationary block bootstrap of historical (return, funding) steps, blocks of
geometric length with mean `market.price.history.mean_block_hours`."""

from __future__ import annotations

from engine.errors import InputError
from engine.history import History
from engine.kernels.history import BOOTSTRAP
from engine.scenario.price_models import historical
from engine.scenario.price_models.base import PriceModel, TimeGrid
from engine.scenario.price_models.historical import HistorySpec


def check_data(spec: HistorySpec, history: History, grid: TimeGrid) -> None:
    """A block holds at least one step."""
    if spec.mean_block_hours < grid.step_hours:
        raise InputError(
            "market.price.history.mean_block_hours",
            spec.mean_block_hours,
            f"must be at least one step ({grid.step_hours:g} h)",
        )


MODEL = PriceModel(
    name="bootstrap",
    kernel_code=BOOTSTRAP,
    section="history",
    historical=True,
    check=historical.check,
    check_data=check_data,
    kernel_field="history",
    build=historical.kernel_params,
    inert=historical.inert_params,
)
