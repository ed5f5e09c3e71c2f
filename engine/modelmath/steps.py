"""Per-step constants of the model's processes on plain numbers: the log drift and diffusive sd of
a (jump-)diffusion step, the exact OU transition loads, and the Poisson law of jump counts."""

from __future__ import annotations

import math

import numpy as np

JUMP_TAIL = 1e-17
"""Poisson tail mass left out of a jump-count CDF."""


def jump_count_cdf(intensity_dt: float) -> np.ndarray:
    """CDF of Poisson(intensity_dt) at 0, 1, ..., up to where the tail is below JUMP_TAIL;
    intensity_dt is the expected number of jumps per step (intensity per year x dt in years)."""
    if intensity_dt <= 0.0:
        return np.ones(1)
    pmf = [math.exp(-intensity_dt)]
    while 1.0 - sum(pmf) > JUMP_TAIL and len(pmf) < 200:
        pmf.append(pmf[-1] * intensity_dt / len(pmf))
    cdf = np.cumsum(pmf)
    cdf[-1] = 1.0
    return cdf


def ou_loads(reversion: float, vol: float, corr: float, dt: float) -> tuple[float, float, float]:
    """Exact OU transition over dt: decay e^{-kappa dt}, and the shock's loads on the price shock
    z_price (= dW / sqrt(dt)) and on an independent normal, from the joint Gaussian law of
    (W_dt, int_0^dt e^{-kappa (dt - s)} dB_s) with corr(dB, dW) = corr. reversion kappa per
    year, vol in rate units per sqrt(year), dt in years."""
    if reversion > 0.0:
        decay = math.exp(-reversion * dt)
        variance = vol * vol * -math.expm1(-2.0 * reversion * dt) / (2.0 * reversion)
        covariance = corr * vol * -math.expm1(-reversion * dt) / reversion
    else:
        decay = 1.0
        variance = vol * vol * dt
        covariance = corr * vol * dt
    load_price = covariance / math.sqrt(dt)
    load_own = math.sqrt(max(variance - load_price * load_price, 0.0))
    return decay, load_price, load_own


def diffusion_constants(
    drift: float, vol: float, intensity: float, jump_mean: float, jump_vol: float, dt: float
) -> tuple[float, float, float]:
    """(log drift, diffusive sd, bridge scale) of one step: (mu - sigma^2/2 - lambda kbar) dt,
    sigma sqrt(dt), 2 / (sigma^2 dt) (0 without diffusion); kbar = e^{m + v^2/2} - 1. drift mu
    per year, vol sigma per sqrt(year), intensity lambda jumps per year, dt in years."""
    mean_jump_factor = math.expm1(jump_mean + 0.5 * jump_vol**2)
    log_drift = (drift - 0.5 * vol**2 - intensity * mean_jump_factor) * dt
    bridge_scale = 2.0 / (vol**2 * dt) if vol > 0.0 else 0.0
    return log_drift, vol * math.sqrt(dt), bridge_scale
