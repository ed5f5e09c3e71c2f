"""The loss tail: VaR and ES with their confidence intervals, computed once per level.

- loss = -P&L in quote units; a positive VaR or ES is a loss. Fractions are of the capital K.
- VaR_a is the empirical a-quantile of the loss, `numpy.quantile(..., method="inverted_cdf")`: the
  smallest sample loss l with F_n(l) >= a, so every reported quantile is one of the simulated
  values. ES_a is the mean loss at or beyond VaR_a (the "tail": at least one path).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.errors import InputError
from engine.risk.probability import Z_95
from engine.risk.sample import check_level, level_key, sample_values

LEVELS = (0.95, 0.99, 0.999)
"""Default VaR / ES confidence levels."""


def value_at_risk(loss: npt.ArrayLike, level: float) -> float:
    """Value at risk at confidence `level`: the empirical `level`-quantile of the loss.

    `loss` is -P&L per path (quote units); the result is in the same units, positive for a loss.
    Uses the inverted empirical CDF: the smallest sample loss l with F_n(l) >= level.
    """
    values = sample_values(loss, "loss")
    return float(np.quantile(values, check_level(level), method="inverted_cdf"))


def expected_shortfall(loss: npt.ArrayLike, level: float) -> float:
    """Expected shortfall at confidence `level`: the mean of the losses at or beyond the VaR.

    Same units as `loss` (quote units); positive for a loss. Since the VaR is a sample value, the
    mean is over at least one path.
    """
    values = sample_values(loss, "loss")
    var = value_at_risk(values, level)
    return float(values[values >= var].mean())


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
    values = np.sort(sample_values(loss))
    lo, hi = quantile_rank_interval(values.size, level, confidence)
    return [
        None if lo is None else float(values[lo - 1]),
        None if hi is None else float(values[hi - 1]),
    ]


def tail_mask(loss: npt.ArrayLike, level: float) -> np.ndarray:
    """Boolean mask of the tail paths: loss at or beyond VaR_level (the paths ES averages)."""
    values = sample_values(loss)
    return values >= value_at_risk(values, level)


def es_stderr(loss: npt.ArrayLike, level: float) -> float | None:
    """Asymptotic standard error of the ES estimate at `level` (quote units).

    Var(ES_hat) ~ [s_tail^2 + a (ES - VaR)^2] / (n (1 - a)), with s_tail^2 the variance of the losses
    in the tail: Manistre & Hancock, "Variance of the CTE Estimator", North American Actuarial Journal
    9(2), 2005, eq. (7); the second term is the VaR's own sampling error carried into the mean. None
    when the tail holds fewer than two paths.
    """
    values = sample_values(loss)
    n = values.size
    mask = tail_mask(values, level)
    if mask.sum() < 2:
        return None
    var = value_at_risk(values, level)
    es = float(values[mask].mean())
    s2 = float(np.var(values[mask], ddof=1))
    return math.sqrt((s2 + level * (es - var) ** 2) / (n * (1.0 - level)))


def tail_metrics(loss: np.ndarray, capital: float, levels: Sequence[float]) -> dict[str, Any]:
    """Per level (keyed by `level_key`): VaR and ES with their 95 % intervals (VaR: order
    statistics; ES: asymptotic normal, see `es_stderr`), the same as fractions of the capital K,
    and the number of tail paths against the n (1 - a) expected. Money in quote units."""
    out: dict[str, Any] = {}
    n = loss.size
    for a in levels:
        var = value_at_risk(loss, a)
        es = expected_shortfall(loss, a)
        var_ci = var_interval(loss, a)
        se = es_stderr(loss, a)
        es_ci = [None, None] if se is None else [es - Z_95 * se, es + Z_95 * se]
        n_tail = int(tail_mask(loss, a).sum())
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
