"""OU funding calibration, with standard errors, and the funding data's descriptive statistics.

OU on the per-interval rate, `df = kappa (theta - f) dt + eta dB`: the AR(1) regression
`f_{t+1} = a + b f_t + e` over pairs of settlements one interval apart. The exact OU transition gives
`b = e^{-kappa dt}`, `a = theta (1 - b)`, `var(e) = eta^2 (1 - b^2) / (2 kappa)`, so
`kappa = -ln(b) / dt`, `theta = a / (1 - b)`, `eta = sqrt(2 kappa var(e) / (1 - b^2))` (`dt` in
years of 8,760 hours). Standard errors: heteroskedasticity-robust (White) covariance of (a, b),
`var(s^2) = (m4 - s^4) / n` for the residual variance, then the delta method.

`corr_with_price` is the correlation of the AR(1) residuals with the price's log returns over the
same intervals, divided by the factor `(1 - b) / kappa / sqrt(dt (1 - b^2) / (2 kappa))` (the
correlation the exact OU transition has with `W_dt` per unit of rho; above 0.999 for kappa dt < 0.1).
It is an approximation: the engine correlates the funding shock with the *Brownian* part of the price
only, and the observed log return also carries jumps (Merton) and the drift, which dilute the
correlation; for GBM data it is unbiased up to that factor. The s.e. is Fisher's `(1 - r^2)/sqrt(n)`.

The funding data has features the OU model lacks (a point mass at the 0.01 % baseline, exchange
caps, fat tails); `funding_stats` reports them so the user can see what the fit smooths over.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.calibrate.estimates import Estimate, delta_se
from engine.data import Series, returns_over
from engine.errors import InputError

BASELINE_RATE = 0.0001  # 0.01 % per interval: the exchanges' interest component


@dataclass(frozen=True)
class FundingFit:
    n: int
    """Number of AR(1) pairs (settlements one interval apart)."""
    interval_hours: float
    params: dict[str, Estimate]
    """mean (theta), reversion (kappa), vol (eta), and corr_with_price when prices are given."""
    b: Estimate
    """AR(1) slope: the lag-1 autocorrelation of the rate at the funding interval."""
    n_corr: int = 0


def _ou_corr_factor(b: float, kappa: float, dt: float) -> float:
    """corr(OU transition shock, W_dt) per unit of rho, for the exact transition."""
    if kappa * dt < 1e-10:
        return 1.0
    return ((1.0 - b) / kappa) / math.sqrt(dt * (1.0 - b * b) / (2.0 * kappa))


def fit_ou(
    x: np.ndarray,
    y: np.ndarray,
    interval_hours: float,
    price_returns: np.ndarray | None = None,
) -> FundingFit:
    """OU funding from AR(1) pairs (x = f_t, y = f_{t+1}, one interval apart), with s.e.

    `price_returns` (optional, same length, NaN where unknown) are the log returns over the same
    intervals, for corr_with_price.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = x.size
    if n < 10:
        raise InputError("funding", n, "too few consecutive settlement pairs to fit (need 10)")
    dt = interval_hours / 8760.0
    xm = x.mean()
    sxx = float(np.sum((x - xm) ** 2))
    if sxx <= 0.0:
        raise InputError("funding", n, "the rate never changes: use funding.model: constant")
    b = float(np.sum((x - xm) * (y - y.mean())) / sxx)
    a = float(y.mean() - b * xm)
    e = y - a - b * x
    s2 = float(np.sum(e * e) / (n - 2))
    if not 0.0 < b < 1.0:
        raise InputError(
            "funding",
            round(b, 4),
            "the AR(1) slope must lie in (0, 1) for a mean-reverting OU; the data is not",
        )
    # White (HC0) covariance of (a, b)
    design = np.column_stack([np.ones(n), x])
    bread = np.linalg.inv(design.T @ design)
    meat = (design * (e * e)[:, None]).T @ design
    cov_ab = bread @ meat @ bread
    m4 = float(np.mean(e**4))
    var_s2 = max(m4 - float(np.mean(e * e)) ** 2, 0.0) / n
    cov = np.zeros((3, 3))
    cov[:2, :2] = cov_ab
    cov[2, 2] = var_s2

    def ou(p: np.ndarray) -> np.ndarray:
        a_, b_, s2_ = p
        kappa = -math.log(b_) / dt
        theta = a_ / (1.0 - b_)
        eta = math.sqrt(2.0 * kappa * s2_ / (1.0 - b_ * b_))
        return np.array([theta, kappa, eta])

    p = np.array([a, b, s2])
    value, se = ou(p), delta_se(ou, p, cov)
    params = {
        "mean": Estimate(float(value[0]), float(se[0])),
        "reversion": Estimate(float(value[1]), float(se[1])),
        "vol": Estimate(float(value[2]), float(se[2])),
    }
    n_corr = 0
    if price_returns is not None:
        pr = np.asarray(price_returns, dtype=float)
        ok = np.isfinite(pr)
        n_corr = int(np.count_nonzero(ok))
        if n_corr >= 10 and np.std(pr[ok]) > 0.0:
            r_obs = float(np.corrcoef(e[ok], pr[ok])[0, 1])
            factor = _ou_corr_factor(b, float(value[1]), dt)
            rho = max(-1.0, min(1.0, r_obs / factor))
            params["corr_with_price"] = Estimate(rho, (1.0 - r_obs**2) / math.sqrt(n_corr) / factor)
    return FundingFit(
        n, interval_hours, params, Estimate(b, float(math.sqrt(cov_ab[1, 1]))), n_corr
    )


def fit_funding(funding: Series, prices: Series | None = None) -> FundingFit:
    """OU fit of a funding file; prices (optional) give corr_with_price over the same intervals."""
    ok = funding.consecutive
    x, y = funding.values[:-1][ok], funding.values[1:][ok]
    price_returns = None
    if prices is not None:
        price_returns = returns_over(prices, funding.times)[ok]
    return fit_ou(x, y, funding.interval_hours, price_returns)


def funding_stats(funding: Series) -> dict[str, float]:
    """Descriptive statistics of the per-interval rate."""
    f = funding.values
    ok = funding.consecutive
    lag1 = float(np.corrcoef(f[:-1][ok], f[1:][ok])[0, 1]) if np.count_nonzero(ok) > 2 else math.nan
    periods_per_year = 8760.0 / funding.interval_hours
    return {
        "n": float(f.size),
        "mean": float(f.mean()),
        "sd": float(f.std(ddof=1)) if f.size > 1 else math.nan,
        "min": float(f.min()),
        "max": float(f.max()),
        "share_negative": float(np.mean(f < 0.0)),
        "share_at_baseline": float(np.mean(np.round(f * 1e8) == round(BASELINE_RATE * 1e8))),
        "annualised_mean": float(f.mean() * periods_per_year),
        "lag1_autocorrelation": lag1,
    }
