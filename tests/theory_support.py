"""What the theory tests share: units, the quiet and unhedged settings, standard errors from the
sample itself, and the closed forms of a barrier's first passage."""

from __future__ import annotations

import json
import math

import numpy as np
import xarray as xr
from scipy.stats import norm

DAYS_PER_YEAR = 365.0


HOURS_PER_YEAR = 8760.0


# A static, fee-free, funding-free GBM world: each test adds what it studies.
QUIET = {
    "market.funding.model": "none",
    "pool.fees.model": "none",
    "hedge.taker_fee": 0.0,
    "hedge.slippage_bps": 0.0,
}


UNHEDGED = {"hedge.ratio": 0.0, "hedge.rebalance.policy": "none"}


def mean_se(x: np.ndarray) -> tuple[float, float]:
    """Sample mean and its standard error s / sqrt(n)."""
    x = np.asarray(x, dtype=float)
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(x.size))


def var_se(x: np.ndarray) -> tuple[float, float]:
    """Sample variance s^2 and its standard error sqrt((m4 - s^4) / n), m4 the sample fourth
    central moment (the large-sample variance of s^2 for any distribution with a fourth moment)."""
    x = np.asarray(x, dtype=float)
    d = x - x.mean()
    s2 = float(d.var(ddof=1))
    m4 = float(np.mean(d**4))
    return s2, math.sqrt(max(m4 - s2 * s2, 0.0) / x.size)


def proportion_se(flags: np.ndarray) -> tuple[float, float]:
    """Binomial proportion and its standard error sqrt(p (1 - p) / n)."""
    flags = np.asarray(flags, dtype=bool)
    p = float(flags.mean())
    return p, math.sqrt(p * (1.0 - p) / flags.size)


def first_passage(b: float, nu: float, s: float, t: float) -> float:
    """P(max_{u <= t} X_u >= b) for X = nu u + s W_u, b > 0 (reflection principle with drift)."""
    st = s * math.sqrt(t)
    return float(
        norm.cdf((-b + nu * t) / st)
        + math.exp(2.0 * nu * b / (s * s)) * norm.cdf((-b - nu * t) / st)
    )


BGK_BETA = 0.5825971579390106  # -zeta(1/2) / sqrt(2 pi), Broadie-Glasserman-Kou


def log_barrier(ds: xr.Dataset) -> float:
    """b = ln(H / P0), H = account / (q0 (1 + m)), account = C0 + q0 P0 - cost_rate q0 P0, from
    the dataset's attrs and its resolved scenario."""
    hedge = json.loads(ds.attrs["scenario"])["hedge"]
    cost_rate = hedge["taker_fee"] + hedge["slippage_bps"] * 1e-4
    q0 = hedge["ratio"] * ds.attrs["x0"]
    p0 = ds.attrs["spot0"]
    account = ds.attrs["collateral0"] + q0 * p0 - cost_rate * q0 * p0
    return math.log(account / (q0 * (1.0 + hedge["maintenance_margin"])) / p0)
