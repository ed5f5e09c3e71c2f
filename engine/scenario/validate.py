"""Validation of one scenario (no sweep): the schema's checks, then its historical data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from engine.scenario.errors import input_error
from engine.scenario.history import load_history
from engine.scenario.price_models.registry import HISTORICAL_MODELS
from engine.scenario.root import Scenario


def validate_point(data: Mapping[str, Any]) -> Scenario:
    """Validate a plain mapping into a frozen `Scenario`, without expanding its sweep; the data of
    a historical price model exist, parse and cover the horizon. Raises `InputError`."""
    try:
        scenario = Scenario.model_validate(dict(data))
    except ValidationError as exc:
        raise input_error(exc) from None
    if scenario.market.price.model in HISTORICAL_MODELS:
        load_history(scenario)
    return scenario
