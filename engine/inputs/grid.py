"""The time grid's clocks: funding settlements, rebalancing checks and observations per step."""

from __future__ import annotations

import numpy as np

from engine.kernels.layout import GridParams
from engine.modelmath.capital import CapitalSplit
from engine.scenario.root import Scenario


def _settlements_per_step(n_steps: int, step_hours: float, interval_hours: float) -> np.ndarray:
    """Number of funding times j * interval in (t_k, t_k+1] for each step k."""
    ends = np.arange(n_steps + 1) * step_hours / interval_hours
    counts = np.floor(ends + 1e-9)
    return np.diff(counts).astype(np.int64)


def observation_steps(scenario: Scenario) -> int:
    """Steps between two observations of the sampled paths."""
    return round(scenario.output.observe_every_hours / scenario.step_hours)


def observation_days(scenario: Scenario) -> np.ndarray:
    """Times (days) of the observation grid: t = 0, then every observe_every_hours."""
    every = observation_steps(scenario)
    n_obs = scenario.n_steps // every + 1
    return np.arange(n_obs) * every * scenario.step_hours / 24.0


def grid_params(scenario: Scenario, split: CapitalSplit) -> GridParams:
    """The per-step clocks (funding settlements, rebalancing checks, observation index), the
    step in days, the capital and the opening collateral (quote units)."""
    n = scenario.n_steps
    steps_done = np.arange(1, n + 1)
    every_rebalance = round(scenario.hedge.rebalance.every_hours / scenario.step_hours)
    every_observe = observation_steps(scenario)
    observe = np.where(steps_done % every_observe == 0, steps_done // every_observe, -1)
    funding = scenario.market.funding
    settlements = (
        np.zeros(n, np.int64)
        if funding.model == "none"
        else _settlements_per_step(n, scenario.step_hours, funding.interval_hours)
    )
    return GridParams(
        n_steps=n,
        step_days=scenario.step_hours / 24.0,
        capital=float(scenario.capital),
        collateral=split.collateral,
        funding_events=settlements,
        rebalance_clock=(steps_done % every_rebalance == 0),
        observe_index=observe.astype(np.int64),
    )
