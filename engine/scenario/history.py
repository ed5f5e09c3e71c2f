"""The historical data of a scenario's `bootstrap` and `replay` price models, read once and
checked against its time grid: the price data's interval is the step, the funding data's the funding
interval, and the model's own checks of its data (`PriceModel.check_data`). Every problem is an
`InputError` naming the scenario key and its value.
"""

from __future__ import annotations

from engine.errors import InputError
from engine.history import History, read_history
from engine.scenario.price_models.base import TimeGrid
from engine.scenario.price_models.registry import price_model
from engine.scenario.root import Scenario


def load_history(scenario: Scenario) -> History:
    """The scenario's historical steps, checked against its grid (step_hours, the funding
    interval, the model's own checks). Raises `InputError`."""
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
    model = price_model(price.model)
    if model.check_data is not None:
        model.check_data(
            spec, history, TimeGrid(scenario.step_hours, scenario.n_steps, scenario.horizon_days)
        )
    return history
