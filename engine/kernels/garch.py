"""GARCH(1,1) price model with Student-t innovations scaled to unit variance.

The per-step log-return is `r_k = log_drift - (h_k - hbar)/2 + sqrt(h_k) e_k`, with
`hbar = vol^2 dt` the long-run per-step variance and `h_k = hbar v_k`; the variance ratio follows
`v_{k+1} = (1 - alpha - beta) + alpha v_k e_k^2 + beta v_k`, so `E[h] = hbar` (omega / (1 - alpha -
beta) with omega = hbar (1 - alpha - beta)). The drift term `-h_k/2` makes `E[P_{k+1} | P_k] =
P_k e^{mu dt}` for normal innovations. With alpha = beta = 0 and normal innovations v_k = 1 exactly,
and the step is GBM's, bit for bit.

Innovations: `e = z` (normal), or `e = z sqrt((nu - 2) / (2 g))` with g ~ Gamma(nu/2, 1), i.e.
z / sqrt(chi2_nu / nu) (Student t with nu degrees of freedom) times sqrt((nu - 2)/nu) (unit variance).
The gamma draw is Marsaglia & Tsang's (2000) squeeze method for shape >= 1 (nu > 2 gives shape > 1):
a normal and a uniform per trial, about 1.02 trials on average.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from engine.kernels.rng import normal, uniform

GARCH = 2


class GarchParams(NamedTuple):
    """alpha, beta: GARCH weights per step; intercept: 1 - alpha - beta (on the variance ratio).
    dof: Student-t degrees of freedom nu (0: normal innovations); gamma_shape: nu / 2;
    t_scale: (nu - 2) / 2, so that e = z sqrt(t_scale / g). initial_ratio: v_0 = h_0 / hbar.
    half_variance: hbar / 2, the long-run per-step log-variance over 2."""

    alpha: float
    beta: float
    intercept: float
    dof: float
    gamma_shape: float
    t_scale: float
    initial_ratio: float
    half_variance: float


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def gamma_draw(state, shape):  # pragma: no cover - compiled
    """Gamma(shape, 1) for shape >= 1 (Marsaglia & Tsang): d = shape - 1/3, c = 1/sqrt(9 d);
    x normal, v = (1 + c x)^3; accept d v when v > 0 and ln u < x^2/2 + d - d v + d ln v, with the
    cheap squeeze u < 1 - 0.0331 x^4 tried first."""
    d = shape - 1.0 / 3.0
    c = 1.0 / np.sqrt(9.0 * d)
    while True:
        x = normal(state)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        u = uniform(state)
        x2 = x * x
        if u < 1.0 - 0.0331 * x2 * x2:
            return d * v
        if np.log(u) < 0.5 * x2 + d * (1.0 - v + np.log(v)):
            return d * v


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def t_scale(state, garch):  # pragma: no cover - compiled
    """The factor s with e = s z a unit-variance Student t (1.0 for normal innovations)."""
    if garch.dof == 0.0:
        return 1.0
    return np.sqrt(garch.t_scale / gamma_draw(state, garch.gamma_shape))


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def next_ratio(ratio, innovation, garch):  # pragma: no cover - compiled
    """v_{k+1} = (1 - alpha - beta) + alpha v_k e_k^2 + beta v_k."""
    return garch.intercept + (garch.alpha * innovation * innovation + garch.beta) * ratio
