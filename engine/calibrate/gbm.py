"""GBM calibration: drift and vol from log returns, with standard errors.

From the log returns `r` at the data's interval (`dt` in years, 365-day year),
`sigma^2 = var(r) / dt` and `mu = mean(r) / dt + sigma^2 / 2`, so that `E[P_t] = P0 exp(mu t)` as
in the engine. Standard errors by the delta method from the sample mean and variance, using the
sample's own third and fourth moments (`var(s^2) = (m4 - s^4) / n`, `cov(mean, s^2) = m3 / n`):
for Gaussian returns they reduce to the textbook `sigma / sqrt(2 n)` and `sigma / sqrt(T)`; for
fat-tailed returns they are honest (larger).
"""

from __future__ import annotations

import math

import numpy as np

from engine.calibrate.estimates import Estimate, PriceFit, check_returns, delta_se
from engine.errors import InputError


def fit_gbm(returns: np.ndarray, dt_years: float) -> PriceFit:
    """GBM drift and vol (annualised) from log returns at interval dt_years, with s.e."""
    r = check_returns(returns, 3, "log returns")
    n = r.size
    mean = float(r.mean())
    s2 = float(r.var(ddof=1))
    if s2 <= 0.0:
        raise InputError("log returns", n, "have zero variance: the price never moves")
    c = r - mean
    m3 = float(np.mean(c**3))
    m4 = float(np.mean(c**4))
    cov = np.array([[s2 / n, m3 / n], [m3 / n, max(m4 - s2 * s2, 0.0) / n]])

    def engine_params(x: np.ndarray) -> np.ndarray:
        m, v = x
        return np.array([m / dt_years + v / (2.0 * dt_years), math.sqrt(v / dt_years)])

    value = engine_params(np.array([mean, s2]))
    se = delta_se(engine_params, np.array([mean, s2]), cov)
    return PriceFit(
        "gbm",
        n,
        dt_years,
        {
            "drift": Estimate(float(value[0]), float(se[0])),
            "vol": Estimate(float(value[1]), float(se[1])),
        },
    )
