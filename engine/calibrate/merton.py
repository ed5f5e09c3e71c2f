"""Merton jump-diffusion calibration by maximum likelihood, with standard errors.

The per-interval log-return density is a Poisson mixture of normals
`sum_k Pois(k; lambda dt) N(r; c dt + k m, sigma^2 dt + k v^2)`, truncated where the Poisson tail
is below 1e-12; `scipy.optimize` on transformed parameters; standard errors from the inverse of the
numerical Hessian of the log-likelihood, carried to the engine's parameters (annualised, 365-day
year) by the delta method. The drift is reported compensated as the engine uses it:
`mu = c + sigma^2/2 + lambda (e^{m + v^2/2} - 1)`.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammaln, logsumexp

from engine.calibrate.estimates import (
    Estimate,
    PriceFit,
    check_returns,
    delta_se,
    hessian,
    valid_covariance,
)
from engine.errors import InputError

POISSON_TAIL = 1e-12
"""The mixture is truncated at the jump count whose Poisson tail probability is below this."""


def _poisson_terms(lam_dt: float) -> int:
    """Smallest K with P(N > K) < POISSON_TAIL for N ~ Poisson(lam_dt), at least 4."""
    # loaded when a fit runs: scipy.stats, .optimize and .signal add ~0.45 s to each lphedge start
    from scipy.stats import poisson

    return max(4, int(poisson.isf(POISSON_TAIL, lam_dt)) + 1)


def _merton_nll(theta: np.ndarray, z: np.ndarray, k_max: int) -> float:
    """Mean negative log-likelihood of standardised returns z under the per-interval Merton
    density; theta = (c, log s, log lam, m, log v) in per-interval, standardised units."""
    c, log_s, log_lam, m, log_v = theta
    s2, lam, v2 = math.exp(2.0 * log_s), math.exp(log_lam), math.exp(2.0 * log_v)
    k = np.arange(k_max + 1)
    log_pk = k * log_lam - lam - gammaln(k + 1)
    var = s2 + k * v2
    mean = c + k * m
    dev = z[:, None] - mean[None, :]
    logs = log_pk - 0.5 * np.log(2.0 * math.pi * var) - 0.5 * dev * dev / var
    return float(-np.mean(logsumexp(logs, axis=1)))


def _start(z: np.ndarray) -> tuple[np.ndarray, float]:
    """Starting point of the optimizer, a robust centre and scale with the returns beyond 4 robust
    sds as the jumps, and its jump probability per interval."""
    n = z.size
    med = float(np.median(z))
    mad = 1.4826 * float(np.median(np.abs(z - med)))
    s0 = max(min(mad, 0.99), 0.05)
    big = np.abs(z - med) > 4.0 * s0
    lam0 = min(max(np.count_nonzero(big) / n, 1.0 / n), 0.5)
    m0 = float(z[big].mean()) if np.any(big) else 0.0
    v0 = float(z[big].std()) if np.count_nonzero(big) > 1 else 3.0 * s0
    return np.array([med, math.log(s0), math.log(lam0), m0, math.log(max(v0, 0.5))]), lam0


def fit_merton(returns: np.ndarray, dt_years: float) -> PriceFit:
    """Merton jump-diffusion by maximum likelihood of the per-interval log-return density."""
    from scipy.optimize import minimize  # loaded when a fit runs: ~0.1 s off each lphedge start

    r = check_returns(returns, 50, "log returns")
    n = r.size
    scale = float(r.std())
    if scale <= 0.0:
        raise InputError("log returns", n, "have zero variance: the price never moves")
    z = r / scale
    start, lam0 = _start(z)
    k_max = _poisson_terms(max(lam0 * 4.0, 0.05))
    result = None
    for _ in range(4):
        objective = lambda th, k=k_max: _merton_nll(th, z, k)  # noqa: E731
        result = minimize(objective, start, method="BFGS", options={"gtol": 1e-7, "maxiter": 500})
        if not np.all(np.isfinite(result.x)):
            break
        needed = _poisson_terms(math.exp(result.x[2]))
        start = result.x
        if needed <= k_max:
            break
        k_max = needed
    if result is None or not np.all(np.isfinite(result.x)):
        raise InputError("log returns", n, "the Merton likelihood could not be maximised")
    theta = result.x
    notes: list[str] = []
    if not result.success:
        notes.append(f"optimizer: {result.message}")
    hess = hessian(lambda th: n * _merton_nll(th, z, k_max), theta)
    cov = valid_covariance(lambda: np.linalg.inv(hess))
    if cov is None:
        cov = np.full((5, 5), np.nan)
        notes.append("the Hessian is not positive definite: standard errors unavailable")

    def engine_params(th: np.ndarray) -> np.ndarray:
        c, log_s, log_lam, m, log_v = th
        s = math.exp(log_s) * scale
        lam = math.exp(log_lam) / dt_years
        jm, jv = m * scale, math.exp(log_v) * scale
        sigma = s / math.sqrt(dt_years)
        mu = c * scale / dt_years + 0.5 * sigma**2 + lam * math.expm1(jm + 0.5 * jv**2)
        return np.array([mu, sigma, lam, jm, jv])

    value = engine_params(theta)
    se = delta_se(engine_params, theta, cov) if np.all(np.isfinite(cov)) else np.full(5, np.nan)
    names = ("drift", "vol", "jump_intensity", "jump_mean", "jump_vol")
    ll = -n * _merton_nll(theta, z, k_max) - n * math.log(scale)
    return PriceFit(
        "merton",
        n,
        dt_years,
        {k: Estimate(float(v), float(e)) for k, v, e in zip(names, value, se, strict=True)},
        log_likelihood=ll,
        notes=notes,
    )
