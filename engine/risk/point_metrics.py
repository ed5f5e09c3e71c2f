"""Every risk metric of one sweep point, with Monte Carlo error bars (MODEL.md section 8).

Pure functions: an xarray results Dataset in, plain JSON-ready data out (floats, ints, strings,
lists, dicts; None where a number cannot be computed). Nothing here simulates, reads files or
draws. Money in quote units, fractions of the capital K where named so, probabilities in [0, 1]
with Wilson 95 % intervals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy.typing as npt
import xarray as xr

from engine.errors import InputError
from engine.risk.drawdown import DRAWDOWN_THRESHOLDS, drawdown_section
from engine.risk.hedge import hedge_section
from engine.risk.liquidation import liquidation_section
from engine.risk.parts import attribution, overlay_effects
from engine.risk.probability import exceedance
from engine.risk.sample import finite_or_none, mean_with_stderr, sample_std, sample_values
from engine.risk.sweep import capital_of, points
from engine.risk.tail import LEVELS, tail_metrics

LOSS_THRESHOLDS = (0.0, 0.05, 0.1, 0.2)
"""P(loss > x K) is reported for these fractions of the capital (0: any loss)."""
MIN_TAIL_PATHS = 100
"""A tail estimate resting on fewer paths than this at or beyond the VaR gets a warning."""
MIN_EVENTS = 10
"""A probability estimated from fewer events than this gets a warning."""


def _tail_warnings(tail: dict[str, Any]) -> list[str]:
    return [
        f"VaR/ES {100 * float(key):g} % rest on {t['tail_paths']} paths at or beyond the "
        f"VaR (fewer than {MIN_TAIL_PATHS}): run more paths for a reliable tail estimate"
        for key, t in tail.items()
        if t["tail_paths"] < MIN_TAIL_PATHS
    ]


def _per_path_means(point: xr.Dataset) -> dict[str, dict[str, float | None]]:
    """Every numeric per-path variable's mean with its standard error (liquidation times, NaN
    on the paths never liquidated, are summarised by the liquidation section instead)."""
    return {
        str(name): mean_with_stderr(var.values)
        for name, var in point.data_vars.items()
        if var.dims == ("path",) and var.dtype.kind in "fiub" and name != "liquidation_time"
    }


def risk_metrics(
    point: xr.Dataset,
    levels: Sequence[float] = LEVELS,
    *,
    loss_thresholds: Sequence[float] = LOSS_THRESHOLDS,
    drawdown_thresholds: Sequence[float] = DRAWDOWN_THRESHOLDS,
    survival_times: npt.ArrayLike | None = None,
) -> dict[str, Any]:
    """Every risk metric of one sweep point (a Dataset whose `pnl` has the single dimension path).

    Keys (money in quote units, fractions of K where named so):
    `pnl` mean/stderr/std; `tail`: per level VaR, ES, their 95 % intervals, the same as fractions
    of K and the number of tail paths (see `tail_metrics`); `loss_exceedance`: P(loss > x K);
    `liquidation`: probability with its Wilson interval, the survival curve (at `survival_times`,
    default the observation grid), quantiles of the time to liquidation and the mean/median time
    among liquidated paths; `drawdown`: quantiles and P(MDD > x); `attribution`; `overlays`
    (options / venue cover: cost and ES with and without, see `overlay_effects`); `hedge`:
    effectiveness and the unhedged LP's P&L on the same paths; `means`: every per-path variable's
    mean with its standard error; `warnings`: plain sentences. Sections whose variables the
    Dataset lacks are left out.
    """
    if "pnl" not in point or point["pnl"].dims != ("path",):
        dims = None if "pnl" not in point else point["pnl"].dims
        raise InputError("results", dims, "risk_metrics takes one sweep point (pnl over path)")
    pnl = sample_values(point["pnl"].values)
    capital = capital_of(point)
    loss = -pnl
    out: dict[str, Any] = {
        "paths": pnl.size,
        "capital": capital,
        "pnl": {**mean_with_stderr(pnl), "std": finite_or_none(sample_std(pnl))},
        "tail": tail_metrics(loss, capital, levels),
        "loss_exceedance": exceedance(loss, loss_thresholds, capital),
    }
    warnings = _tail_warnings(out["tail"])
    if "liquidated" in point:
        out["liquidation"] = liquidation_section(point, survival_times)
        count = out["liquidation"]["count"]
        if 0 < count < MIN_EVENTS:
            warnings.append(
                f"only {count} liquidated paths: the liquidation probability is imprecise "
                "(see its interval)"
            )
    if "max_drawdown" in point:
        out["drawdown"] = drawdown_section(point["max_drawdown"].values, drawdown_thresholds)
    attr = attribution(point, levels)
    if attr:
        out["attribution"] = attr
        if "unexplained" in attr["parts"]:
            warnings.append(
                "the attribution parts do not add up to the P&L: an unexplained part of mean "
                f"{attr['parts']['unexplained']['mean']:.6g} is shown"
            )
    overlays = overlay_effects(point, levels)
    if overlays:
        out["overlays"] = overlays
    if "unhedged_pnl" in point:
        out["hedge"] = hedge_section(pnl, sample_values(point["unhedged_pnl"].values), levels)
    out["means"] = _per_path_means(point)
    out["warnings"] = warnings
    return out


def risk_by_point(ds: xr.Dataset, levels: Sequence[float] = LEVELS) -> list[dict[str, Any]]:
    """`risk_metrics` of every sweep point: [{"point": {dim: value}, "metrics": {...}}, ...]."""
    return [{"point": c, "metrics": risk_metrics(p, levels)} for c, p in points(ds)]
