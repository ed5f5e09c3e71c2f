"""The JSON-ready summary of a results Dataset: what summary.json holds (MODEL.md section 8).

Every value is a plain Python number, string, list or dict; a value that cannot be computed (e.g.
hedge effectiveness when the unhedged P&L does not vary) is None. The headline keys (`var`, `es`,
`liquidation_probability`, ...) are read from the point's `risk_metrics`, computed once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from engine.errors import InputError
from engine.risk.point_metrics import risk_metrics
from engine.risk.sample import level_key
from engine.risk.sweep import capital_of, points, sweep_dims
from engine.risk.tail import tail_metrics
from engine.scenario import point_key

SUMMARY_LEVELS = (0.95, 0.99)
"""Default levels of the summary's `var` / `es` keys."""
DRAWDOWN_LEVELS = (0.5, 0.95, 0.99)
"""Levels of the summary's `max_drawdown_quantiles` (among `DRAWDOWN_QUANTILES`)."""
COMPONENTS = ("fees", "funding", "il", "trading_costs")
"""Per-path P&L components whose means `summary` reports (quote units)."""


def summary(ds: xr.Dataset, levels: Sequence[float] = SUMMARY_LEVELS) -> dict[str, Any]:
    """JSON-ready summary of a results Dataset.

    Money amounts (pnl_*, var, es, *_mean) are in quote units; `var_fraction`, `es_fraction` are
    divided by the capital K; `liquidation_probability` and its Wilson 95 % interval are
    probabilities; `max_drawdown_quantiles` are fractions of the running peak of W;
    `hedge_effectiveness` is dimensionless. `var`, `es` and their fractions are keyed by level
    string ("0.95"), `max_drawdown_quantiles` by "0.5", "0.95", "0.99". `pnl_std` is the sample
    standard deviation (ddof = 1) and `pnl_mean_stderr` = pnl_std / sqrt(paths).

    `risk` holds every metric of `risk_metrics` (levels `LEVELS`, with confidence intervals,
    survival curve, attribution, warnings). A Dataset with sweep dimensions (besides `path`) gives
    the layout of a sweep's summary.json: {"sweep": {key: [values]}, "points": {"key=value,...":
    {"coords": {key: value}, **summary}}}, one summary per point, never pooled across points.
    """
    dims = sweep_dims(ds)
    if dims:
        return {
            "sweep": {d: np.asarray(ds[d].values).tolist() for d in dims},
            "points": {point_key(c): {"coords": c, **summary(p, levels)} for c, p in points(ds)},
        }
    pnl = np.asarray(ds["pnl"].values, dtype=np.float64)
    if pnl.size == 0:
        raise InputError("paths", 0, "the results hold no paths")
    capital = capital_of(ds)
    risk = risk_metrics(ds)
    missing = [a for a in levels if level_key(a) not in risk["tail"]]
    tails = {**risk["tail"], **tail_metrics(-pnl, capital, missing)}
    keys = [level_key(a) for a in levels]
    liquidation = risk["liquidation"]
    dd_quantiles = risk["drawdown"]["quantiles"]
    out: dict[str, Any] = {
        "scenario": str(ds.attrs.get("scenario_name", "")),
        "paths": int(pnl.size),
        "seed": int(ds.attrs["seed"]),
        "capital": capital,
        "horizon_days": float(ds.attrs["horizon_days"]),
        "step_hours": float(ds.attrs["step_hours"]),
        "pnl_mean": float(pnl.mean()),
        "pnl_std": risk["pnl"]["std"],
        "pnl_mean_stderr": risk["pnl"]["stderr"],
        "var": {k: tails[k]["var"] for k in keys},
        "es": {k: tails[k]["es"] for k in keys},
        "var_fraction": {k: tails[k]["var_fraction"] for k in keys},
        "es_fraction": {k: tails[k]["es_fraction"] for k in keys},
        "liquidations": liquidation["count"],
        "liquidation_probability": liquidation["probability"],
        "liquidation_probability_ci": list(liquidation["ci"]),
        "max_drawdown_quantiles": {
            level_key(a): dd_quantiles[level_key(a)] for a in DRAWDOWN_LEVELS
        },
    }
    for name in COMPONENTS:
        out[f"{name}_mean"] = float(np.mean(ds[name].values))
    out["hedge_effectiveness"] = risk["hedge"]["effectiveness"] if "hedge" in risk else None
    out["risk"] = risk
    return out
