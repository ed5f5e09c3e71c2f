"""Liquidation of the short hedge: its probability, survival curve and time quantiles.

Times are in days from the start; a path never liquidated has a NaN liquidation time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import xarray as xr

from engine.errors import InputError
from engine.risk.probability import Z_95, proportion, wilson_interval
from engine.risk.sample import finite_or_none, level_key

LIQUIDATION_QUANTILES = (0.01, 0.05, 0.1, 0.25, 0.5)
"""Quantiles of the (unconditional) time to liquidation; beyond the horizon they are None."""
SURVIVAL_POINTS = 400
"""At most this many intervals in the survival curve's time grid."""


def survival_curve(
    liquidation_time: npt.ArrayLike, times: npt.ArrayLike, z: float = Z_95
) -> dict[str, list[float]]:
    """The probability that the hedge is not yet liquidated at each of `times` (days).

    S(t) = 1 - #{paths liquidated at or before t} / n, over all n paths (a path never liquidated
    has a NaN time). Every path is followed to the horizon, so there is no censoring inside it and
    S(t) is a plain binomial proportion: "low"/"high" are its Wilson 95 % interval.
    """
    t_liq = np.asarray(liquidation_time, dtype=np.float64).ravel()
    n = t_liq.size
    if n == 0:
        raise InputError("paths", 0, "needs at least one path")
    grid = np.asarray(times, dtype=np.float64).ravel()
    finite = np.sort(t_liq[np.isfinite(t_liq)])
    dead = np.searchsorted(finite, grid, side="right")
    alive = n - dead
    bounds = [wilson_interval(int(k), n, z) for k in alive]
    return {
        "time": grid.tolist(),
        "survival": (alive / n).tolist(),
        "low": [b[0] for b in bounds],
        "high": [b[1] for b in bounds],
    }


def liquidation_time_quantiles(
    liquidation_time: npt.ArrayLike, probs: Sequence[float] = LIQUIDATION_QUANTILES
) -> dict[str, float | None]:
    """Time (days) by which a fraction p of all paths has been liquidated, for each p.

    The empirical p-quantile of the time to liquidation with never-liquidated paths at +infinity
    (`inverted_cdf`); None when fewer than a fraction p of the paths are liquidated in the horizon.
    """
    t = np.asarray(liquidation_time, dtype=np.float64).ravel()
    t = np.where(np.isfinite(t), t, np.inf)
    out: dict[str, float | None] = {}
    for p in probs:
        q = float(np.quantile(t, p, method="inverted_cdf"))
        out[level_key(p)] = finite_or_none(q)
    return out


def time_grid(point: xr.Dataset) -> np.ndarray:
    """Days at which the survival curve is evaluated: the ends of every k-th simulation step (k
    chosen so that there are at most SURVIVAL_POINTS intervals) and the horizon, computed as the
    kernel computes liquidation times, k x step_hours / 24, so that a liquidation at a grid time
    counts at that time. It depends on the run's attributes only, never on which coordinates a
    Dataset happens to carry."""
    n_steps = int(point.attrs.get("n_steps", 0))
    step_hours = float(point.attrs.get("step_hours", 0.0))
    if n_steps < 1 or step_hours <= 0.0:
        return np.linspace(0.0, float(point.attrs.get("horizon_days", 1.0)), SURVIVAL_POINTS + 1)
    every = max(1, math.ceil(n_steps / SURVIVAL_POINTS))
    steps = np.arange(0, n_steps + 1, every)
    if steps[-1] != n_steps:
        steps = np.append(steps, n_steps)
    return steps * (step_hours / 24.0)


def liquidation_section(
    point: xr.Dataset, survival_times: npt.ArrayLike | None = None
) -> dict[str, Any]:
    """One point's liquidation metrics: probability with its Wilson interval and count, and (when
    the point has `liquidation_time`) the survival curve at `survival_times` (default: the grid of
    `time_grid`), the quantiles of the time to liquidation and the mean / median time among the
    liquidated paths (days)."""
    liq = proportion(point["liquidated"].values)
    section: dict[str, Any] = {"probability": liq["p"], "ci": liq["ci"], "count": liq["count"]}
    if "liquidation_time" in point:
        t_liq = np.asarray(point["liquidation_time"].values, dtype=np.float64)
        grid = time_grid(point) if survival_times is None else survival_times
        section["survival"] = survival_curve(t_liq, grid)
        section["time_quantiles"] = liquidation_time_quantiles(t_liq)
        hit = t_liq[np.isfinite(t_liq)]
        section["time_given_liquidated"] = (
            {"mean": float(hit.mean()), "median": float(np.median(hit))} if hit.size else None
        )
    return section
