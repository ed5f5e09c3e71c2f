"""`replay`: the one historical path from `market.price.history.start`, step by step."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from engine.data import iso, parse_time
from engine.errors import InputError
from engine.history import History
from engine.kernels.history import REPLAY
from engine.scenario.price_models import historical
from engine.scenario.price_models.base import PriceModel, TimeGrid
from engine.scenario.price_models.historical import HistorySpec


def check_data(spec: HistorySpec, history: History, grid: TimeGrid) -> None:
    """The data begin at the window's start and hold the whole horizon without a gap."""
    n = grid.n_steps
    first = iso(datetime.fromtimestamp(int(history.starts[0]), UTC))
    if spec.start is not None:
        late = int(history.starts[0]) - int(parse_time(spec.start).timestamp())
        if late >= history.interval_hours * 3600:
            raise InputError(
                "market.price.history.start",
                spec.start,
                f"the data (prices{' with funding' if history.funding_interval_hours else ''}) "
                f"begin only at {first}; the replay cannot start there",
            )
    if len(history) < n:
        last = iso(datetime.fromtimestamp(int(history.ends[-1]), UTC))
        raise InputError(
            "horizon_days",
            grid.horizon_days,
            f"the replay needs {n} steps of {grid.step_hours:g} h from {first}, but the data "
            f"(prices{' with funding' if spec.funding else ''}) hold "
            f"only {len(history)} up to {last}; shorten the horizon or move "
            "market.price.history.start",
        )
    breaks = np.flatnonzero(~history.follows[: n - 1])
    if len(breaks):
        at = iso(datetime.fromtimestamp(int(history.ends[breaks[0]]), UTC))
        raise InputError(
            "market.price.history.start",
            spec.start,
            f"the replayed window has a gap in the data after {at} (missing rows, or no funding "
            "rate in force); choose a window without gaps",
        )


MODEL = PriceModel(
    name="replay",
    kernel_code=REPLAY,
    section="history",
    historical=True,
    check=historical.check,
    check_data=check_data,
    kernel_field="history",
    build=historical.kernel_params,
    inert=historical.inert_params,
)
