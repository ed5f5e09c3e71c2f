"""Estimates with standard errors, and the numerical pieces every fit shares: the return checks,
the delta method, the central-difference Hessian, a covariance's validity check and batch-means
standard errors. Every price fit returns a `PriceFit` of `Estimate`s in the engine's units."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.errors import InputError

BATCHES = 30
"""Contiguous batches of the batch-means standard errors (serial dependence kept within one)."""


@dataclass(frozen=True)
class Estimate:
    value: float
    se: float
    """Standard error, in the units of `value` (NaN when unavailable)."""


@dataclass(frozen=True)
class PriceFit:
    model: str
    n: int
    """Number of log returns used."""
    dt_years: float
    params: dict[str, Estimate]
    """Engine parameter name (drift, vol, jump_intensity, jump_mean, jump_vol) to estimate."""
    log_likelihood: float | None = None
    notes: list[str] = field(default_factory=list)
    comparison: list[tuple[str, str, str]] = field(default_factory=list)
    """(figure, fitted model's value, the data's own value): how the fit compares with the data."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Model-specific results the scenario writer needs (e.g. regime probabilities)."""


def check_returns(returns: np.ndarray, minimum: int, what: str) -> np.ndarray:
    """The finite entries of `returns`; InputError when fewer than `minimum` remain."""
    r = np.asarray(returns, dtype=float)
    r = r[np.isfinite(r)]
    if r.size < minimum:
        raise InputError(what, int(r.size), f"too few to fit (need at least {minimum})")
    return r


def delta_se(fn: Callable[[np.ndarray], np.ndarray], x: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Standard errors of fn(x) by the delta method, with a central-difference Jacobian."""
    x = np.asarray(x, dtype=float)
    y0 = np.asarray(fn(x), dtype=float)
    jac = np.empty((y0.size, x.size))
    for j in range(x.size):
        h = 1e-6 * max(abs(x[j]), 1e-8)
        up, down = x.copy(), x.copy()
        up[j] += h
        down[j] -= h
        jac[:, j] = (np.asarray(fn(up)) - np.asarray(fn(down))) / (2.0 * h)
    var = np.einsum("ij,jk,ik->i", jac, cov, jac)
    return np.sqrt(np.maximum(var, 0.0))


def hessian(fn: Callable[[np.ndarray], float], x: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian of fn at x (relative steps `step * max(1, |x_i|)`)."""
    d = x.size
    hess = np.empty((d, d))
    for i in range(d):
        for j in range(i, d):
            hi = step * max(1.0, abs(x[i]))
            hj = step * max(1.0, abs(x[j]))

            def at(si: float, sj: float, i: int = i, j: int = j, hi: float = hi, hj: float = hj):
                y = x.copy()
                y[i] += si * hi
                y[j] += sj * hj
                return fn(y)

            value = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4.0 * hi * hj)
            hess[i, j] = hess[j, i] = value
    return hess


def valid_covariance(compute: Callable[[], np.ndarray]) -> np.ndarray | None:
    """`compute()` when it succeeds with a finite covariance whose variances are all positive;
    None when it does not (a singular or indefinite Hessian)."""
    try:
        cov = compute()
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0.0):
        return None
    return cov


def batch_se(x: np.ndarray, batches: int = BATCHES) -> float:
    """Standard error of the mean of x from the means of contiguous batches (serial dependence
    within a batch kept)."""
    b = min(batches, max(2, x.size // 50))
    means = np.array([chunk.mean() for chunk in np.array_split(x, b)])
    return float(means.std(ddof=1) / math.sqrt(b))
