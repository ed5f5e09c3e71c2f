"""Risk metrics with Monte Carlo error bars, over any sweep dimensions (MODEL.md section 8).

Pure functions: numpy arrays or an xarray results Dataset in, plain JSON-ready data out (floats,
ints, strings, lists, dicts; None where a number cannot be computed). Nothing here simulates, reads
files or draws.

Conventions (as `engine.metrics`):

- loss = -P&L in quote units; a positive VaR or ES is a loss. Fractions are of the capital K.
- VaR_a is the empirical a-quantile of the loss (`inverted_cdf`: the smallest sample loss l with
  F_n(l) >= a); ES_a is the mean loss at or beyond VaR_a (the "tail": at least one path).
- Probabilities are plain numbers in [0, 1]; their intervals are Wilson 95 % intervals.
- Every mean comes with its Monte Carlo standard error, sd(ddof=1) / sqrt(n).

Sweeps: a results Dataset may carry dimensions besides `path` (one per swept scenario key, named by
the dotted key, e.g. "hedge.leverage"). Every metric reduces over `path` only: `points(ds)` splits a
Dataset into its sweep points, `risk_metrics` works on one point, `risk_by_point` on all of them and
`headline_table` returns the headline scalars as an xarray Dataset over the sweep dimensions.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import xarray as xr

from engine.errors import InputError
from engine.metrics import (
    Z_95,
    expected_shortfall,
    hedge_effectiveness,
    level_key,
    value_at_risk,
    wilson_interval,
)

LEVELS = (0.95, 0.99, 0.999)
"""Default VaR / ES confidence levels."""
DRAWDOWN_QUANTILES = (0.5, 0.9, 0.95, 0.99)
DRAWDOWN_THRESHOLDS = (0.1, 0.2, 0.5)
"""P(max drawdown > x) is reported for these fractions of the running peak."""
LOSS_THRESHOLDS = (0.0, 0.05, 0.1, 0.2)
"""P(loss > x K) is reported for these fractions of the capital (0: any loss)."""
LIQUIDATION_QUANTILES = (0.01, 0.05, 0.1, 0.25, 0.5)
"""Quantiles of the (unconditional) time to liquidation; beyond the horizon they are None."""
MIN_TAIL_PATHS = 100
"""A tail estimate resting on fewer paths than this at or beyond the VaR gets a warning."""
MIN_EVENTS = 10
"""A probability estimated from fewer events than this gets a warning."""
ATTRIBUTION_TOLERANCE = 1e-9
"""Largest |sum of parts - P&L| accepted, relative to the capital, before an `unexplained` part."""


class Part(NamedTuple):
    """One additive part of the P&L: `sign * ds[variable]` per path (quote units). An `optional`
    part (a feature that is off by default) is left out of the attribution of a run in which it is
    zero on every path."""

    name: str
    label: str
    variable: str
    sign: float
    optional: bool = False


ATTRIBUTION: tuple[Part, ...] = (
    Part("lp_price_move", "LP price move (HODL)", "hodl_pnl", 1.0),
    Part("impermanent_loss", "impermanent loss", "il", 1.0),
    Part("fees", "LP fees", "fees", 1.0),
    Part("funding", "funding", "funding", 1.0),
    Part("perp_pnl", "perp price P&L", "perp_pnl", 1.0),
    Part("trading_costs", "trading costs", "trading_costs", -1.0),
    Part("liquidation_losses", "liquidation losses", "liquidation_loss", -1.0),
    Part("swap_costs", "pool swap costs", "swap_costs", -1.0),  # [issue6-lp]
    Part("gas", "gas", "gas", -1.0),  # [issue6-lp]
    Part("option_premium", "option premia", "option_premium", -1.0, True),
    Part("option_payoff", "option payoffs", "option_payoff", 1.0, True),
    Part("option_value", "options marked at the horizon", "option_value", 1.0, True),
    Part("pool_exploit", "pool exploit losses", "pool_exploit_loss", -1.0, True),
    Part("perp_venue_failure", "perp venue failure losses", "perp_venue_loss", -1.0, True),
    Part("insurance_premium", "venue cover premia", "insurance_premium", -1.0, True),
    Part("insurance_payout", "venue cover payouts", "insurance_payout", 1.0, True),
)
"""The P&L attribution (docs/model-notes.md, accounting identity): hodl_pnl + il = V_LP,T - V0, so
the parts add up to `pnl` per path. A feature that adds a P&L component appends its Part here."""


# --------------------------------------------------------------------------------------------
# Sweep points


def sweep_dims(ds: xr.Dataset) -> list[str]:
    """The dimensions of `pnl` other than `path` (the swept keys), in order."""
    if "pnl" not in ds:
        raise InputError("results", ds.attrs.get("scenario_name", "?"), "has no pnl variable")
    return [str(d) for d in ds["pnl"].dims if d != "path"]


def _plain(x: Any) -> Any:
    x = x.item() if hasattr(x, "item") else x
    return x


def points(ds: xr.Dataset) -> Iterator[tuple[dict[str, Any], xr.Dataset]]:
    """Yield (coordinates, one-point Dataset) for every sweep point; one ({}, ds) for a plain run.

    Coordinates map each sweep dimension to its plain Python value at the point.
    """
    dims = sweep_dims(ds)
    for index in itertools.product(*(range(ds.sizes[d]) for d in dims)):
        sel = dict(zip(dims, index, strict=True))
        point = ds.isel(sel) if sel else ds
        coords = {d: _plain(point[d].values) if d in point.coords else i for d, i in sel.items()}
        yield coords, point


def capital_of(point: xr.Dataset) -> float:
    """The capital K of a one-point Dataset, quote units. A `capital` variable (a swept store keeps
    the per-point capital as a variable over the sweep dimensions) wins over the attrs."""
    if "capital" in point.variables and point["capital"].ndim == 0:
        return float(point["capital"].values)
    return float(point.attrs["capital"])


def capital_scale(ds: xr.Dataset) -> float:
    """The largest capital K in a Dataset (one run or a whole sweep), quote units, or 1."""
    if "capital" in ds.variables:
        return float(np.max(ds["capital"].values))
    return float(ds.attrs.get("capital", 1.0))


# --------------------------------------------------------------------------------------------
# Error bars on the 1-D building blocks


def _values(x: npt.ArrayLike) -> np.ndarray:
    values = np.asarray(x, dtype=np.float64).ravel()
    if values.size == 0:
        raise InputError("values", "[]", "needs at least one value")
    return values


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def mean_with_stderr(x: npt.ArrayLike) -> dict[str, float | None]:
    """{"mean", "stderr"}: the sample mean and its Monte Carlo standard error sd(ddof=1)/sqrt(n)."""
    values = _values(x)
    n = values.size
    sd = float(np.std(values, ddof=1)) if n > 1 else math.nan
    return {"mean": _finite(float(values.mean())), "stderr": _finite(sd / math.sqrt(n))}


def _binomial_cdf(n: int, p: float) -> tuple[int, np.ndarray]:
    """(k0, cdf): P(B <= k) for k = k0, k0 + 1, ... over the window holding all but a negligible
    part (< 1e-25) of the Binomial(n, p) mass, computed from log-gamma pmfs."""
    spread = math.sqrt(n * p * (1.0 - p))
    k0 = max(0, math.floor(n * p - 12.0 * spread - 12.0))
    k1 = min(n, math.ceil(n * p + 12.0 * spread + 12.0))
    k = np.arange(k0, k1 + 1)
    log_choose = math.lgamma(n + 1) - np.array(
        [math.lgamma(i + 1) + math.lgamma(n - i + 1) for i in range(k0, k1 + 1)]
    )
    pmf = np.exp(log_choose + k * math.log(p) + (n - k) * math.log1p(-p))
    return k0, np.cumsum(pmf)


def quantile_rank_interval(
    n: int, level: float, confidence: float = 0.95
) -> tuple[int | None, int | None]:
    """1-based ranks (lo, hi) of the order statistics bracketing the `level`-quantile.

    Distribution-free: the number B of sample values below the true quantile q is
    Binomial(n, level), and X_(lo) <= q < X_(hi) exactly when lo <= B <= hi - 1 (continuous loss;
    Conover, "Practical Nonparametric Statistics", 3rd ed., section 3.2; Hahn & Meeker,
    "Statistical Intervals", section 5.2). With the exact binomial CDF F, lo is the smallest k with
    F(k) >= (1 - confidence) / 2 and hi - 1 the smallest k with F(k) >= (1 + confidence) / 2, so
    each side misses with probability at most (1 - confidence) / 2. A rank outside 1..n is None: the
    sample does not bound the quantile on that side (too few paths beyond it).
    """
    if n < 1:
        raise InputError("n", n, "needs at least one value")
    level = float(level)
    k0, cdf = _binomial_cdf(n, level)
    half = (1.0 - confidence) / 2.0

    def ppf(p: float) -> int:
        # p shrunk by one part in 1e12 so that a CDF value equal to p up to round-off in the
        # summed pmf still counts as reaching it (the rank must not jump by one on round-off)
        return k0 + min(int(np.searchsorted(cdf, p * (1.0 - 1e-12), side="left")), cdf.size - 1)

    lo = ppf(half)
    hi = ppf(1.0 - half) + 1
    return (lo if lo >= 1 else None), (hi if hi <= n else None)


def var_interval(loss: npt.ArrayLike, level: float, confidence: float = 0.95) -> list[float | None]:
    """[low, high]: the order-statistic confidence interval of VaR_level (quote units).

    See `quantile_rank_interval`; an end the sample cannot bound (too few paths in the tail) is None.
    """
    values = np.sort(_values(loss))
    lo, hi = quantile_rank_interval(values.size, level, confidence)
    return [
        None if lo is None else float(values[lo - 1]),
        None if hi is None else float(values[hi - 1]),
    ]


def tail(loss: npt.ArrayLike, level: float) -> np.ndarray:
    """Boolean mask of the tail paths: loss at or beyond VaR_level (the paths ES averages)."""
    values = _values(loss)
    return values >= value_at_risk(values, level)


def es_stderr(loss: npt.ArrayLike, level: float) -> float | None:
    """Asymptotic standard error of the ES estimate at `level` (quote units).

    Var(ES_hat) ~ [s_tail^2 + a (ES - VaR)^2] / (n (1 - a)), with s_tail^2 the variance of the losses
    in the tail: Manistre & Hancock, "Variance of the CTE Estimator", North American Actuarial Journal
    9(2), 2005, eq. (7); the second term is the VaR's own sampling error carried into the mean. None
    when the tail holds fewer than two paths.
    """
    values = _values(loss)
    n = values.size
    mask = tail(values, level)
    if mask.sum() < 2:
        return None
    var = value_at_risk(values, level)
    es = float(values[mask].mean())
    s2 = float(np.var(values[mask], ddof=1))
    return math.sqrt((s2 + level * (es - var) ** 2) / (n * (1.0 - level)))


def proportion(events: npt.ArrayLike) -> dict[str, Any]:
    """{"p", "ci", "count", "n"}: the fraction of True, its Wilson 95 % interval and the counts."""
    flags = np.asarray(events, dtype=bool).ravel()
    n = int(flags.size)
    k = int(flags.sum())
    return {"p": k / n, "ci": list(wilson_interval(k, n)), "count": k, "n": n}


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
        out[level_key(p)] = _finite(q)
    return out


def exceedance(
    x: npt.ArrayLike, thresholds: Sequence[float], scale: float = 1.0
) -> dict[str, dict[str, Any]]:
    """P(x > t * scale) with its Wilson interval, keyed by threshold (`level_key`)."""
    values = _values(x)
    return {level_key(t): proportion(values > t * scale) for t in thresholds}


# --------------------------------------------------------------------------------------------
# Attribution


def attribution_parts(ds: xr.Dataset) -> dict[str, xr.DataArray]:
    """The P&L parts per path (quote units), keyed by `Part.name`, over any sweep dimensions.

    Parts whose variable the Dataset lacks are left out, and so are optional parts that are zero
    on every path (a feature switched off). When the parts do not add up to `pnl`
    (beyond `ATTRIBUTION_TOLERANCE` x K: a component not yet listed in ATTRIBUTION) the remainder
    is returned as a last part, "unexplained", so the parts always add up to the P&L.
    """
    parts = {
        p.name: p.sign * ds[p.variable]
        for p in ATTRIBUTION
        if p.variable in ds and not (p.optional and not np.any(ds[p.variable].values))
    }
    if not parts:
        return {}
    total = sum(parts.values())
    rest = ds["pnl"] - total
    capital = capital_scale(ds)
    if float(np.nanmax(np.abs(rest.values), initial=0.0)) > ATTRIBUTION_TOLERANCE * capital:
        parts["unexplained"] = rest
    return parts


def attribution(point: xr.Dataset, levels: Sequence[float] = LEVELS) -> dict[str, Any]:
    """Per part: the mean and its standard error, and the contribution to ES at each level.

    The contribution of a part to ES_a is minus its mean over the tail paths (loss >= VaR_a): the
    contributions add up to ES_a exactly, as the parts add up to the P&L on every path.
    `max_residual` is max over paths of |sum of parts - pnl| (quote units).
    """
    parts = attribution_parts(point)
    if not parts:
        return {}
    pnl = np.asarray(point["pnl"].values, dtype=np.float64)
    loss = -pnl
    masks = {level_key(a): tail(loss, a) for a in levels}
    labels = {p.name: p.label for p in ATTRIBUTION}
    labels["unexplained"] = "unexplained"
    rows = {}
    total = np.zeros_like(pnl)
    for name, values in parts.items():
        v = np.asarray(values.values, dtype=np.float64)
        total = total + v
        rows[name] = {
            "label": labels[name],
            **mean_with_stderr(v),
            "es_contribution": {k: float(-v[m].mean()) for k, m in masks.items()},
        }
    return {"parts": rows, "max_residual": float(np.max(np.abs(total - pnl)))}


OVERLAYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "options": ("options hedge", ("option_premium", "option_payoff", "option_value")),
    "insurance": ("venue cover", ("insurance_premium", "insurance_payout")),
}
"""Pure cash overlays: Part names whose sum is the overlay's net P&L per path. Nothing else on a
path depends on them, so the P&L without the overlay is exactly `pnl - net` on the same paths."""


def overlay_effects(point: xr.Dataset, levels: Sequence[float] = LEVELS) -> dict[str, Any]:
    """What each overlay present in the run (options, venue cover) costs and does to the tail.

    Per overlay: `paid` (mean premia), `received` (mean payoffs, payouts and horizon marks), `net`
    (mean and standard error of received - paid per path: minus the expected cost), and per level
    VaR and ES of the P&L with the overlay and without it (pnl - net, the same paths: an overlay
    changes nothing else on a path), `es_saved` = ES without - ES with (quote units). Overlays that
    are zero on every path are left out.
    """
    parts = attribution_parts(point)
    pnl = np.asarray(point["pnl"].values, dtype=np.float64)
    out: dict[str, Any] = {}
    for key, (label, names) in OVERLAYS.items():
        present = [n for n in names if n in parts]
        if not present:
            continue
        sign = {p.name: p.sign for p in ATTRIBUTION}
        paid = np.zeros_like(pnl)
        received = np.zeros_like(pnl)
        for n in present:
            values = np.asarray(parts[n].values, dtype=np.float64)
            if sign[n] < 0.0:
                paid -= values
            else:
                received += values
        net = received - paid
        without = pnl - net
        tail_rows = {}
        for a in levels:
            es_with = expected_shortfall(-pnl, a)
            es_without = expected_shortfall(-without, a)
            tail_rows[level_key(a)] = {
                "var_with": value_at_risk(-pnl, a),
                "var_without": value_at_risk(-without, a),
                "es_with": es_with,
                "es_without": es_without,
                "es_with_stderr": es_stderr(-pnl, a),
                "es_without_stderr": es_stderr(-without, a),
                "es_saved": es_without - es_with,
            }
        out[key] = {
            "label": label,
            "paid": float(paid.mean()),
            "received": float(received.mean()),
            "net": mean_with_stderr(net),
            "pnl_without": mean_with_stderr(without),
            "tail": tail_rows,
        }
    return out


# --------------------------------------------------------------------------------------------
# One point


def _var_es(loss: np.ndarray, capital: float, levels: Sequence[float]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    n = loss.size
    for a in levels:
        var = value_at_risk(loss, a)
        es = expected_shortfall(loss, a)
        var_ci = var_interval(loss, a)
        se = es_stderr(loss, a)
        es_ci = [None, None] if se is None else [es - Z_95 * se, es + Z_95 * se]
        n_tail = int(tail(loss, a).sum())
        out[level_key(a)] = {
            "var": var,
            "var_ci": var_ci,
            "es": es,
            "es_stderr": se,
            "es_ci": es_ci,
            "var_fraction": var / capital,
            "var_fraction_ci": [None if x is None else x / capital for x in var_ci],
            "es_fraction": es / capital,
            "es_fraction_ci": [None if x is None else x / capital for x in es_ci],
            "tail_paths": n_tail,
            "expected_tail_paths": n * (1.0 - a),
        }
    return out


SURVIVAL_POINTS = 400
"""At most this many intervals in the survival curve's time grid."""


def _time_grid(point: xr.Dataset) -> np.ndarray:
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
    `pnl` mean/stderr/std; `tail`: per level VaR, ES, their 95 % intervals (VaR: order statistics;
    ES: asymptotic normal, see `es_stderr`), the same as fractions of K and the number of tail paths;
    `loss_exceedance`: P(loss > x K); `liquidation`: probability with its Wilson interval, the
    survival curve (at `survival_times`, default the observation grid), quantiles of the time to
    liquidation and the mean/median time among liquidated paths; `drawdown`: quantiles and
    P(MDD > x); `attribution`; `overlays` (options / venue cover: cost and ES with and without,
    see `overlay_effects`); `hedge`: effectiveness and the unhedged LP's P&L on the same paths;
    `means`: every per-path variable's mean with its standard error; `warnings`: plain sentences.
    Sections whose variables the Dataset lacks are left out.
    """
    if "pnl" not in point or point["pnl"].dims != ("path",):
        dims = None if "pnl" not in point else point["pnl"].dims
        raise InputError("results", dims, "risk_metrics takes one sweep point (pnl over path)")
    pnl = _values(point["pnl"].values)
    n = pnl.size
    capital = capital_of(point)
    loss = -pnl
    warnings: list[str] = []
    sd = float(np.std(pnl, ddof=1)) if n > 1 else math.nan
    out: dict[str, Any] = {
        "paths": n,
        "capital": capital,
        "pnl": {**mean_with_stderr(pnl), "std": _finite(sd)},
        "tail": _var_es(loss, capital, levels),
        "loss_exceedance": exceedance(loss, loss_thresholds, capital),
    }
    for key, t in out["tail"].items():
        if t["tail_paths"] < MIN_TAIL_PATHS:
            warnings.append(
                f"VaR/ES {100 * float(key):g} % rest on {t['tail_paths']} paths at or beyond the "
                f"VaR (fewer than {MIN_TAIL_PATHS}): run more paths for a reliable tail estimate"
            )

    if "liquidated" in point:
        liq = proportion(point["liquidated"].values)
        section: dict[str, Any] = {"probability": liq["p"], "ci": liq["ci"], "count": liq["count"]}
        if "liquidation_time" in point:
            t_liq = np.asarray(point["liquidation_time"].values, dtype=np.float64)
            grid = _time_grid(point) if survival_times is None else survival_times
            section["survival"] = survival_curve(t_liq, grid)
            section["time_quantiles"] = liquidation_time_quantiles(t_liq)
            hit = t_liq[np.isfinite(t_liq)]
            section["time_given_liquidated"] = (
                {"mean": float(hit.mean()), "median": float(np.median(hit))} if hit.size else None
            )
        out["liquidation"] = section
        if 0 < liq["count"] < MIN_EVENTS:
            warnings.append(
                f"only {liq['count']} liquidated paths: the liquidation probability is imprecise "
                "(see its interval)"
            )

    if "max_drawdown" in point:
        dd = _values(point["max_drawdown"].values)
        out["drawdown"] = {
            "quantiles": {
                level_key(a): float(np.quantile(dd, a, method="inverted_cdf"))
                for a in DRAWDOWN_QUANTILES
            },
            "exceedance": exceedance(dd, drawdown_thresholds),
            **mean_with_stderr(dd),
        }

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
        unhedged = _values(point["unhedged_pnl"].values)
        u_loss = -unhedged
        out["hedge"] = {
            "effectiveness": hedge_effectiveness(pnl, unhedged),
            "unhedged_pnl": {
                **mean_with_stderr(unhedged),
                "std": _finite(float(np.std(unhedged, ddof=1)) if n > 1 else math.nan),
            },
            "unhedged_var": {level_key(a): value_at_risk(u_loss, a) for a in levels},
            "unhedged_es": {level_key(a): expected_shortfall(u_loss, a) for a in levels},
            "hedged_better": proportion(pnl > unhedged),
            "pnl_difference": mean_with_stderr(pnl - unhedged),
        }

    out["means"] = {
        str(name): mean_with_stderr(var.values)
        for name, var in point.data_vars.items()
        if var.dims == ("path",) and var.dtype.kind in "fiub" and name != "liquidation_time"
    }
    out["warnings"] = warnings
    return out


# --------------------------------------------------------------------------------------------
# Every point


def risk_by_point(ds: xr.Dataset, levels: Sequence[float] = LEVELS) -> list[dict[str, Any]]:
    """`risk_metrics` of every sweep point: [{"point": {dim: value}, "metrics": {...}}, ...]."""
    return [{"point": c, "metrics": risk_metrics(p, levels)} for c, p in points(ds)]


HEADLINE = (
    "pnl_mean",
    "pnl_mean_stderr",
    "var",
    "es",
    "es_fraction",
    "liquidation_probability",
    "hedge_effectiveness",
    "max_drawdown_median",
)


def headline(metrics: Mapping[str, Any], level: float = 0.99) -> dict[str, float | None]:
    """The headline scalars of one point's `risk_metrics` (level for VaR / ES)."""
    t = metrics["tail"][level_key(level)]
    liq = metrics.get("liquidation", {})
    dd = metrics.get("drawdown", {})
    return {
        "pnl_mean": metrics["pnl"]["mean"],
        "pnl_mean_stderr": metrics["pnl"]["stderr"],
        "var": t["var"],
        "es": t["es"],
        "es_fraction": t["es_fraction"],
        "liquidation_probability": liq.get("probability"),
        "hedge_effectiveness": metrics.get("hedge", {}).get("effectiveness"),
        "max_drawdown_median": dd.get("quantiles", {}).get("0.5"),
    }


def headline_table(
    ds: xr.Dataset, level: float = 0.99, by_point: Sequence[Mapping[str, Any]] | None = None
) -> xr.Dataset:
    """The headline scalars as an xarray Dataset over the sweep dimensions (scalars for a run).

    `by_point` (the output of `risk_by_point` with `level` among its levels) avoids recomputing.
    """
    if by_point is None:
        by_point = risk_by_point(ds, sorted({*LEVELS, level}))
    dims = sweep_dims(ds)
    shape = tuple(ds.sizes[d] for d in dims)
    data = {k: np.full(shape, np.nan) for k in HEADLINE}
    for flat, entry in enumerate(by_point):
        index = np.unravel_index(flat, shape) if shape else ()
        for k, v in headline(entry["metrics"], level).items():
            data[k][index] = np.nan if v is None else v
    coords = {d: ds[d].values for d in dims if d in ds.coords}
    return xr.Dataset(
        {k: (dims, v) for k, v in data.items()}, coords=coords, attrs={"level": level}
    )
