"""The historical data of a scenario's `bootstrap` and `replay` price models, read once and
checked against its time grid: the price data's interval is the step, the funding data's the
funding interval, a bootstrap block is at least one step, a replay's window is covered without
gaps. Every problem is an `InputError` naming the scenario key and its value.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from engine.data import iso, parse_time
from engine.errors import InputError
from engine.history import History, read_history
from engine.scenario.root import Scenario


def load_history(scenario: Scenario) -> History:
    """The scenario's historical steps, checked against its grid (step_hours, the horizon of a
    replay, the funding interval, the bootstrap's block length). Raises `InputError`."""
    price = scenario.market.price
    spec = price.history
    if spec.prices is None:
        raise InputError("market.price.history.prices", None, f"{price.model} needs a price CSV")
    history = read_history(spec.prices, spec.funding, spec.start, spec.end, spec.intrabar == "high")
    if abs(history.interval_hours - scenario.step_hours) > 1e-9:
        raise InputError(
            "step_hours",
            scenario.step_hours,
            f"must equal the interval of the price data ({history.interval_hours:g} h) for "
            f"market.price.model: {price.model}",
        )
    funding = scenario.market.funding
    if funding.model == "historical":
        if abs(history.funding_interval_hours - funding.interval_hours) > 1e-9:
            raise InputError(
                "market.funding.interval_hours",
                funding.interval_hours,
                f"must equal the interval of the funding data ({history.funding_interval_hours:g}"
                " h): the historical rates are per that interval",
            )
    if price.model == "bootstrap" and spec.mean_block_hours < scenario.step_hours:
        raise InputError(
            "market.price.history.mean_block_hours",
            spec.mean_block_hours,
            f"must be at least one step ({scenario.step_hours:g} h)",
        )
    if price.model == "replay":
        _check_replay(scenario, history)
    return history


def _check_replay(scenario: Scenario, history: History) -> None:
    n = scenario.n_steps
    first = iso(datetime.fromtimestamp(int(history.starts[0]), UTC))
    start = scenario.market.price.history.start
    if start is not None:
        late = int(history.starts[0]) - int(parse_time(start).timestamp())
        if late >= history.interval_hours * 3600:
            raise InputError(
                "market.price.history.start",
                start,
                f"the data (prices{' with funding' if history.funding_interval_hours else ''}) "
                f"begin only at {first}; the replay cannot start there",
            )
    if len(history) < n:
        last = iso(datetime.fromtimestamp(int(history.ends[-1]), UTC))
        raise InputError(
            "horizon_days",
            scenario.horizon_days,
            f"the replay needs {n} steps of {scenario.step_hours:g} h from {first}, but the data "
            f"(prices{' with funding' if scenario.market.price.history.funding else ''}) hold "
            f"only {len(history)} up to {last}; shorten the horizon or move "
            "market.price.history.start",
        )
    breaks = np.flatnonzero(~history.follows[: n - 1])
    if len(breaks):
        at = iso(datetime.fromtimestamp(int(history.ends[breaks[0]]), UTC))
        raise InputError(
            "market.price.history.start",
            scenario.market.price.history.start,
            f"the replayed window has a gap in the data after {at} (missing rows, or no funding "
            "rate in force); choose a window without gaps",
        )
