"""Maximum drawdown of the portfolio value W, as a fraction of its running peak (from K)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.risk.probability import exceedance
from engine.risk.sample import level_key, mean_with_stderr, sample_values

DRAWDOWN_QUANTILES = (0.5, 0.9, 0.95, 0.99)
DRAWDOWN_THRESHOLDS = (0.1, 0.2, 0.5)
"""P(max drawdown > x) is reported for these fractions of the running peak."""


def drawdown_quantiles(max_drawdown: npt.ArrayLike, levels: Sequence[float]) -> dict[str, float]:
    """The empirical (`inverted_cdf`) quantiles of the maximum drawdown, keyed by level."""
    dd = sample_values(max_drawdown)
    return {level_key(a): float(np.quantile(dd, a, method="inverted_cdf")) for a in levels}


def drawdown_section(
    max_drawdown: npt.ArrayLike, thresholds: Sequence[float] = DRAWDOWN_THRESHOLDS
) -> dict[str, Any]:
    """Quantiles (`DRAWDOWN_QUANTILES`), P(MDD > x) for x in `thresholds` and the mean with its
    standard error of the per-path maximum drawdown (fractions of the running peak)."""
    dd = sample_values(max_drawdown)
    return {
        "quantiles": drawdown_quantiles(dd, DRAWDOWN_QUANTILES),
        "exceedance": exceedance(dd, thresholds),
        **mean_with_stderr(dd),
    }
