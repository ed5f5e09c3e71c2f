"""Markov regime-switching price model: per regime its own drift, vol, Merton jumps and OU funding
mean; the regime follows a continuous-time Markov chain sampled exactly on the grid.

Regime s_k is in force over step k (t_k, t_k+1]: the step's log drift, diffusive sd, bridge scale,
jumps and the funding's OU mean are regime s_k's. At the step's end the regime moves to s_{k+1} with
the exact transition matrix exp(Q dt) of the chain's generator Q (engine/modelmath/markov.py), so
the regimes on the grid have the chain's law exactly; within a step the regime is held fixed.

Draws: the initial regime by inverting the cumulative initial law at one uniform (only when the
initial regime is `stationary` and there are several regimes, before the first step); per step the
next regime by inverting row s_k of the cumulative transition matrix at one uniform (only with
several regimes). With one regime and no jumps the draws and the step are GBM's, bit for bit; with
one regime and jumps, Merton's.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

REGIME = 3


class RegimeParams(NamedTuple):
    """Per-regime step constants, indexed by regime (rows of the 2-D arrays).

    log_drift: (mu - sigma^2/2 - lambda kbar) dt; diffusion: sigma sqrt(dt); bridge_scale:
    2 / (sigma^2 dt) (0 without diffusion); jump_cdf: Poisson(lambda dt) CDF of the jump count,
    padded with 1.0; jump_mean, jump_vol: Merton log-jump law; funding_mean: OU long-run rate per
    funding interval; stressed: 1.0 for regimes counted in `stressed_share`.
    transition_cdf[i, j]: P(s_{k+1} <= j | s_k = i), last column 1.0; initial_cdf: cumulative law of
    s_0. jumps: whether any regime jumps (the step draws u_jump, z_jump); switching: more than one
    regime (the step draws u_regime); draw_initial: s_0 is drawn.
    """

    log_drift: np.ndarray
    diffusion: np.ndarray
    bridge_scale: np.ndarray
    jump_cdf: np.ndarray
    jump_mean: np.ndarray
    jump_vol: np.ndarray
    funding_mean: np.ndarray
    stressed: np.ndarray
    transition_cdf: np.ndarray
    initial_cdf: np.ndarray
    jumps: bool
    switching: bool
    draw_initial: bool


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def pick(u, cdf):  # pragma: no cover - compiled
    """The smallest index j with u <= cdf[j] (u in (0, 1], cdf ending at 1.0)."""
    j = 0
    last = cdf.shape[0] - 1
    while j < last and u > cdf[j]:
        j += 1
    return j


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def regime_log_jump(u_jump, z_jump, jump_cdf, jump_mean, jump_vol):  # pragma: no cover
    """The step's summed Merton log-jumps in a regime: n jumps of N(m, v^2) sum to N(n m, n v^2)."""
    n = pick(u_jump, jump_cdf)
    if n == 0:
        return 0.0
    return n * jump_mean + np.sqrt(n) * jump_vol * z_jump
