"""Summary risk metrics over a results Dataset (MODEL.md section 8).

Pure numpy functions over the Dataset returned by `engine.simulate` (dimension `path`). Conventions:

- loss = -P&L, in quote units; a positive VaR or ES is a loss.
- Quantiles are empirical, `numpy.quantile(..., method="inverted_cdf")`: the smallest sample value
  l with F_n(l) >= a, so every reported quantile is one of the simulated values.
- Probabilities and fractions are plain numbers in [0, 1] (not percent).

Every value in `summary` is a plain Python number, string, list or dict (JSON-ready); a value that
cannot be computed (e.g. hedge effectiveness when the unhedged P&L does not vary) is None.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import xarray as xr

from engine.errors import InputError
from engine.scenario import point_key

Z_95 = 1.959963984540054
"""Two-sided 95 % standard normal quantile, Phi^-1(0.975)."""

DRAWDOWN_LEVELS = (0.5, 0.95, 0.99)
COMPONENTS = ("fees", "funding", "il", "trading_costs")
"""Per-path P&L components whose means `summary` reports (quote units)."""


def _check_level(level: float) -> float:
    level = float(level)
    if not 0.0 < level < 1.0:
        raise InputError("level", level, "must be strictly between 0 and 1")
    return level


def _losses(loss: npt.ArrayLike) -> np.ndarray:
    values = np.asarray(loss, dtype=np.float64).ravel()
    if values.size == 0:
        raise InputError("loss", "[]", "needs at least one value")
    return values


def level_key(level: float) -> str:
    """The key a level is stored under in `summary`: 0.95 -> "0.95"."""
    return f"{float(level):g}"


def value_at_risk(loss: npt.ArrayLike, level: float) -> float:
    """Value at risk at confidence `level`: the empirical `level`-quantile of the loss.

    `loss` is -P&L per path (quote units); the result is in the same units, positive for a loss.
    Uses the inverted empirical CDF: the smallest sample loss l with F_n(l) >= level.
    """
    return float(np.quantile(_losses(loss), _check_level(level), method="inverted_cdf"))


def expected_shortfall(loss: npt.ArrayLike, level: float) -> float:
    """Expected shortfall at confidence `level`: the mean of the losses at or beyond the VaR.

    Same units as `loss` (quote units); positive for a loss. Since the VaR is a sample value, the
    mean is over at least one path.
    """
    values = _losses(loss)
    var = value_at_risk(values, level)
    return float(values[values >= var].mean())


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval (low, high) for a binomial proportion successes / n.

    `z` is the two-sided standard normal quantile (default: 95 %). Both ends lie in [0, 1].
    """
    if n < 1:
        raise InputError("n", n, "needs at least one trial")
    if not 0 <= successes <= n:
        raise InputError("successes", successes, f"must be between 0 and n = {n}")
    p = successes / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denom
    half = z * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def hedge_effectiveness(pnl: npt.ArrayLike, unhedged_pnl: npt.ArrayLike) -> float | None:
    """1 - Var(hedged P&L) / Var(unhedged P&L) on the same paths (dimensionless).

    1 means the hedge removes all variance, 0 none, negative that it adds variance. None when the
    unhedged P&L does not vary (or there are fewer than two paths).
    """
    hedged = np.asarray(pnl, dtype=np.float64)
    unhedged = np.asarray(unhedged_pnl, dtype=np.float64)
    if hedged.size < 2:
        return None
    var_unhedged = float(np.var(unhedged, ddof=1))
    if not var_unhedged > 0.0:
        return None
    return 1.0 - float(np.var(hedged, ddof=1)) / var_unhedged


def _finite_or_none(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def summary(ds: xr.Dataset, levels: Sequence[float] = (0.95, 0.99)) -> dict[str, Any]:
    """JSON-ready summary of a results Dataset.

    Money amounts (pnl_*, var, es, *_mean) are in quote units; `var_fraction`, `es_fraction` are
    divided by the capital K; `liquidation_probability` and its Wilson 95 % interval are
    probabilities; `max_drawdown_quantiles` are fractions of the running peak of W;
    `hedge_effectiveness` is dimensionless. `var`, `es` and their fractions are keyed by level
    string ("0.95"), `max_drawdown_quantiles` by "0.5", "0.95", "0.99". `pnl_std` is the sample
    standard deviation (ddof = 1) and `pnl_mean_stderr` = pnl_std / sqrt(paths).

    `risk` holds every metric of `engine.risk.risk_metrics` (levels `engine.risk.LEVELS`, with
    confidence intervals, survival curve, attribution, warnings). A Dataset with sweep dimensions
    (besides `path`) gives the layout of a sweep's summary.json: {"sweep": {key: [values]},
    "points": {"key=value,...": {"coords": {key: value}, **summary}}}, one summary per point,
    never pooled across points.
    """
    from engine import risk  # risk builds on this module

    dims = risk.sweep_dims(ds)
    if dims:
        return {
            "sweep": {d: np.asarray(ds[d].values).tolist() for d in dims},
            "points": {
                point_key(c): {"coords": c, **summary(p, levels)} for c, p in risk.points(ds)
            },
        }
    pnl = np.asarray(ds["pnl"].values, dtype=np.float64)
    n = int(pnl.size)
    if n == 0:
        raise InputError("paths", 0, "the results hold no paths")
    capital = risk.capital_of(ds)
    loss = -pnl
    pnl_std = float(np.std(pnl, ddof=1)) if n > 1 else math.nan

    var = {level_key(a): value_at_risk(loss, a) for a in levels}
    es = {level_key(a): expected_shortfall(loss, a) for a in levels}
    liquidated = np.asarray(ds["liquidated"].values, dtype=bool)
    n_liquidated = int(liquidated.sum())
    drawdown = np.asarray(ds["max_drawdown"].values, dtype=np.float64)

    out: dict[str, Any] = {
        "scenario": str(ds.attrs.get("scenario_name", "")),
        "paths": n,
        "seed": int(ds.attrs["seed"]),
        "capital": capital,
        "horizon_days": float(ds.attrs["horizon_days"]),
        "step_hours": float(ds.attrs["step_hours"]),
        "pnl_mean": float(pnl.mean()),
        "pnl_std": _finite_or_none(pnl_std),
        "pnl_mean_stderr": _finite_or_none(pnl_std / math.sqrt(n)),
        "var": var,
        "es": es,
        "var_fraction": {k: v / capital for k, v in var.items()},
        "es_fraction": {k: v / capital for k, v in es.items()},
        "liquidations": n_liquidated,
        "liquidation_probability": n_liquidated / n,
        "liquidation_probability_ci": list(wilson_interval(n_liquidated, n)),
        "max_drawdown_quantiles": {
            level_key(a): float(np.quantile(drawdown, a, method="inverted_cdf"))
            for a in DRAWDOWN_LEVELS
        },
    }
    for name in COMPONENTS:
        out[f"{name}_mean"] = float(np.mean(ds[name].values))
    out["hedge_effectiveness"] = (
        hedge_effectiveness(pnl, ds["unhedged_pnl"].values) if "unhedged_pnl" in ds else None
    )
    out["risk"] = risk.risk_metrics(ds)
    return out
