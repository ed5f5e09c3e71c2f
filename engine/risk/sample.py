"""Checks and Monte Carlo error bars shared by every risk metric.

- Levels and probabilities are plain numbers in (0, 1); a level is keyed by its shortest decimal
  string (`level_key`: 0.95 -> "0.95").
- Every mean comes with its Monte Carlo standard error, sd(ddof=1) / sqrt(n).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from engine.errors import InputError


def level_key(level: float) -> str:
    """The key a level is stored under in the metrics and the summary: 0.95 -> "0.95"."""
    return f"{float(level):g}"


def check_level(level: float) -> float:
    """`level` as a float; `InputError` unless it lies strictly between 0 and 1."""
    level = float(level)
    if not 0.0 < level < 1.0:
        raise InputError("level", level, "must be strictly between 0 and 1")
    return level


def sample_values(x: npt.ArrayLike, name: str = "values") -> np.ndarray:
    """A flat float64 copy of `x`; `InputError` naming `name` when it is empty."""
    values = np.asarray(x, dtype=np.float64).ravel()
    if values.size == 0:
        raise InputError(name, "[]", "needs at least one value")
    return values


def finite_or_none(x: float) -> float | None:
    """`x` as a float, or None when it is not finite (JSON has no NaN)."""
    return float(x) if math.isfinite(x) else None


def sample_std(values: np.ndarray) -> float:
    """The sample standard deviation (ddof = 1); NaN for fewer than two values."""
    return float(np.std(values, ddof=1)) if values.size > 1 else math.nan


def mean_with_stderr(x: npt.ArrayLike) -> dict[str, float | None]:
    """{"mean", "stderr"}: the sample mean and its Monte Carlo standard error sd(ddof=1)/sqrt(n)."""
    values = sample_values(x)
    sd = sample_std(values)
    return {
        "mean": finite_or_none(float(values.mean())),
        "stderr": finite_or_none(sd / math.sqrt(values.size)),
    }
