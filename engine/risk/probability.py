"""Probabilities with Wilson 95 % intervals: proportions of paths, exceedances.

Probabilities are plain numbers in [0, 1] (not percent).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.errors import InputError
from engine.risk.sample import level_key, sample_values

Z_95 = 1.959963984540054
"""Two-sided 95 % standard normal quantile, Phi^-1(0.975)."""


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


def proportion(events: npt.ArrayLike) -> dict[str, Any]:
    """{"p", "ci", "count", "n"}: the fraction of True, its Wilson 95 % interval and the counts."""
    flags = np.asarray(events, dtype=bool).ravel()
    n = int(flags.size)
    k = int(flags.sum())
    return {"p": k / n, "ci": list(wilson_interval(k, n)), "count": k, "n": n}


def exceedance(
    x: npt.ArrayLike, thresholds: Sequence[float], scale: float = 1.0
) -> dict[str, dict[str, Any]]:
    """P(x > t * scale) with its Wilson interval, keyed by threshold (`level_key`)."""
    values = sample_values(x)
    return {level_key(t): proportion(values > t * scale) for t in thresholds}
