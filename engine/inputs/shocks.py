"""The scenario's shocks as per-step arrays."""

from __future__ import annotations

import math

import numpy as np

from engine.kernels.shocks import ShockParams
from engine.scenario.root import Scenario
from engine.scenario.shocks import FundingShock, PriceShock, VolShock


def shock_window(scenario: Scenario, day: float, hours: float) -> range:
    """Steps k whose start t_k lies in [day, day + hours / 24): validation makes both ends grid
    points inside the horizon."""
    first = round(day * 24.0 / scenario.step_hours)
    return range(first, first + round(hours / scenario.step_hours))


def shock_params(scenario: Scenario) -> ShockParams:
    """Per-step arrays of the scenario's shocks (length 0 when it has none). Overlapping windows
    compose: log moves add, volatility multipliers multiply (forced-funding windows cannot
    overlap)."""
    n = scenario.n_steps if scenario.shocks else 0
    log_move = np.zeros(n)
    vol_multiplier = np.ones(n)
    forced = np.full(n, np.nan)
    for shock in scenario.shocks:
        steps = shock_window(scenario, shock.day, shock.hours)
        if isinstance(shock, PriceShock):
            log_move[steps.start : steps.stop] += math.log1p(shock.move) / len(steps)
        elif isinstance(shock, VolShock):
            vol_multiplier[steps.start : steps.stop] *= shock.multiplier
        elif isinstance(shock, FundingShock):
            forced[steps.start : steps.stop] = shock.rate
    return ShockParams(log_move=log_move, vol_multiplier=vol_multiplier, forced_funding=forced)
