"""The market's path over a chunk of steps: prices, the liquidation test's inputs, funding inputs.

Nothing in the market depends on the position: the price model (with its shocks and jumps) and the
funding state move the same whatever the LP and the short do (MODEL.md §6, steps 1-3). So the
driver advances the market a chunk of steps ahead (`market_chunk`: the chunk's draws, then every
step's market quantities into the `MarketPath` arrays) and then walks the position through the
chunk. Two things follow: the price models' branches stay out of the position's step, and the
step's exponential (`detmath.exp`, a degree-13 polynomial, the costliest operation of a plain
step) runs over a contiguous array, which LLVM vectorises. `detmath.exp` gives the same bits on one
value or on a vector of them, so results do not change.

Per step k of the chunk (j = k - the chunk's first step), the floating-point operations of the
step as MODEL.md §6 and the model modules define them:
  log_end[j]       ln P_k+1, the step's jumps included
  log_diffused[j]  the end of the diffusive leg, ln P_k + drift + sd shock (before the jumps)
  log_top[j]       log_diffused[j] + the intrabar maximum above the close (historical steps;
                   + 0 otherwise): the leg crossed the barrier if this reaches it
  bridge_scale[j]  2 / the step's diffusive log-variance (0: no crossing between grid points)
  sqrt_end[j]      sqrt(P_k+1) = exp(ln P_k+1 / 2)
  funding_mean[j]  the funding state's OU mean over the step (the regime's under the regime model)
  funding_data[j]  the historical funding rate of the step (funding from the data only)
  funding_jump[j]  the step's jumps of the funding state (only when it jumps)
  regime[j]        the regime after the step (the one in force over step k + 1)
The state carried from chunk to chunk is a `MarketState`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from engine.kernels.detmath import exp as det_exp
from engine.kernels.draws import (
    D_BLOCK,
    D_FJUMP_U,
    D_FJUMP_Z,
    D_JUMP_U,
    D_JUMP_Z,
    D_PRICE,
    D_REGIME,
    D_START,
    D_T_SCALE,
    DRAW_CHUNK,
    DRAW_WIDTH,
    draw_model_steps,
    draw_steps,
)
from engine.kernels.funding import state_jump
from engine.kernels.garch import GARCH, next_ratio
from engine.kernels.history import BOOTSTRAP, REPLAY, bootstrap_index
from engine.kernels.market import MERTON, log_jump
from engine.kernels.regime import REGIME, pick, regime_log_jump
from engine.kernels.rng import uniform
from engine.kernels.shocks import shocked_step


class MarketPath(NamedTuple):
    """The market over the steps of one chunk: arrays of length DRAW_CHUNK (see the module doc),
    plus the chunk's draws (DRAW_CHUNK, DRAW_WIDTH) that the position's steps read (u_bridge)."""

    log_end: np.ndarray
    log_diffused: np.ndarray
    log_top: np.ndarray
    bridge_scale: np.ndarray
    sqrt_end: np.ndarray
    funding_mean: np.ndarray
    funding_data: np.ndarray
    funding_jump: np.ndarray
    regime: np.ndarray
    draws: np.ndarray


class MarketState(NamedTuple):
    """What the market carries from one step to the next: ln P, the GARCH variance ratio, the
    regime, the historical step taken, and the count of steps spent in stressed regimes so far.
    (The funding state's recursion is the driver's: a chain of dependent operations, it runs in the
    shadow of the position's work there; here it would set the pace of the loop.)"""

    log_p: float
    variance_ratio: float
    regime: int
    h_index: int
    stressed_steps: float


@njit(nogil=True, cache=True, error_model="numpy")
def market_path():  # pragma: no cover - compiled
    """Scratch arrays for one chunk of the market's path (the draws zeroed: a column no model
    draws reads as 0)."""
    return MarketPath(
        np.empty(DRAW_CHUNK),
        np.empty(DRAW_CHUNK),
        np.empty(DRAW_CHUNK),
        np.empty(DRAW_CHUNK),
        np.empty(DRAW_CHUNK),
        np.empty(DRAW_CHUNK),
        np.empty(DRAW_CHUNK),
        np.empty(DRAW_CHUNK),
        np.empty(DRAW_CHUNK, np.int64),
        np.zeros((DRAW_CHUNK, DRAW_WIDTH)),
    )


@njit(nogil=True, cache=True, error_model="numpy")
def market_start(state, market):  # pragma: no cover - compiled
    """The market at t = 0. The regime model with a stationary start draws s_0 here, from the
    path's stream before the first step's draws."""
    regimes = market.regime
    regime = 0
    if market.model == REGIME and regimes.draw_initial:
        regime = pick(uniform(state), regimes.initial_cdf)
    elif market.model == REGIME:
        regime = pick(1.0, regimes.initial_cdf)
    return MarketState(np.log(market.spot), market.garch.initial_ratio, regime, 0, 0.0)


@njit(nogil=True, cache=True, error_model="numpy")
def market_chunk(
    state, first, n, market, funding, shocks, path, current
):  # pragma: no cover - compiled
    """Draw steps first .. first + n - 1 (n <= DRAW_CHUNK) from the path's stream `state` into
    path.draws and fill path's arrays for them, from the market state `current` before step
    `first`; returns the state after the last."""
    draws = path.draws
    log_end = path.log_end
    log_diffused_out = path.log_diffused
    log_top = path.log_top
    bridge_out = path.bridge_scale
    sqrt_end = path.sqrt_end
    funding_mean_out = path.funding_mean
    funding_data = path.funding_data
    funding_jump = path.funding_jump
    regime_out = path.regime
    model = market.model

    # the garch, regime and historical models' constants, hoisted out of their tuples
    garch_params = market.garch
    regimes = market.regime
    regime_jumps = regimes.jumps
    switching = regimes.switching
    from_data = market.history.from_data
    restart = market.history.restart
    r_log_drift = regimes.log_drift
    r_diffusion = regimes.diffusion
    r_bridge_scale = regimes.bridge_scale
    r_jump_cdf = regimes.jump_cdf
    r_jump_mean = regimes.jump_mean
    r_jump_vol = regimes.jump_vol
    r_funding_mean = regimes.funding_mean
    r_stressed = regimes.stressed
    r_transition_cdf = regimes.transition_cdf
    h_return = market.history.log_return
    h_high = market.history.log_high
    h_funding = market.history.funding
    n_history = h_return.shape[0]
    # funding jumps and shocks
    funding_jumps = funding.jumps
    fjump_cdf = funding.jump_cdf
    shock_log_move = shocks.log_move
    shock_vol = shocks.vol_multiplier
    shocked = shock_log_move.shape[0] > 0

    log_p = current.log_p
    variance_ratio = current.variance_ratio
    regime = current.regime
    h_index = current.h_index
    stressed_steps = current.stressed_steps
    if model > MERTON:
        draw_model_steps(state, draws, n, market, funding_jumps)
    else:
        draw_steps(state, draws, n, model == MERTON, funding_jumps)
    for j in range(n):
        k = first + j
        z_price = draws[j, D_PRICE]
        # the step's log drift, diffusive sd and shock, bridge scale (2 / the step's diffusive
        # variance), jump, intrabar maximum above the end price, funding mean
        step_drift = market.log_drift
        step_sd = market.diffusion
        step_shock = z_price
        step_bridge_scale = market.bridge_scale
        step_jump = 0.0
        step_high = 0.0
        funding_mean = market.funding_mean
        if model == GARCH:
            step_shock = draws[j, D_T_SCALE] * z_price
            step_drift = market.log_drift - garch_params.half_variance * (variance_ratio - 1.0)
            step_sd = market.diffusion * np.sqrt(variance_ratio)
            step_bridge_scale = market.bridge_scale / variance_ratio
            variance_ratio = next_ratio(variance_ratio, step_shock, garch_params)
        elif model == REGIME:
            step_drift = r_log_drift[regime]
            step_sd = r_diffusion[regime]
            step_bridge_scale = r_bridge_scale[regime]
            funding_mean = r_funding_mean[regime]
            if regime_jumps:
                step_jump = regime_log_jump(
                    draws[j, D_JUMP_U],
                    draws[j, D_JUMP_Z],
                    r_jump_cdf[regime],
                    r_jump_mean[regime],
                    r_jump_vol[regime],
                )
            stressed_steps += r_stressed[regime]
            if switching:
                regime = pick(draws[j, D_REGIME], r_transition_cdf[regime])
        elif model == BOOTSTRAP or model == REPLAY:
            if model == BOOTSTRAP:
                h_index = bootstrap_index(
                    h_index,
                    k,
                    draws[j, D_BLOCK],
                    draws[j, D_START],
                    restart,
                    n_history,
                )
            else:
                h_index = k
            step_drift = h_return[h_index]
            step_sd = 0.0
            step_shock = 0.0
            step_bridge_scale = 0.0
            step_high = h_high[h_index]
        if shocked:  # the step's price move and volatility multiplier
            step_drift, step_sd, step_bridge_scale = shocked_step(
                step_drift, step_sd, step_bridge_scale, shock_log_move[k], shock_vol[k]
            )
        log_diffused = log_p + step_drift + step_sd * step_shock
        log_new = log_diffused + step_jump
        if model == MERTON:
            log_new += log_jump(draws[j, D_JUMP_U], draws[j, D_JUMP_Z], market)
        log_diffused_out[j] = log_diffused
        log_top[j] = log_diffused + step_high
        bridge_out[j] = step_bridge_scale
        log_end[j] = log_new
        log_p = log_new

        # the funding state's inputs: its OU mean, the historical rate, its jumps
        funding_mean_out[j] = funding_mean
        if from_data:  # the rate drawn with the historical return
            funding_data[j] = h_funding[h_index]
        if funding_jumps:
            funding_jump[j] = state_jump(
                draws[j, D_FJUMP_U],
                draws[j, D_FJUMP_Z],
                fjump_cdf,
                funding.jump_mean,
                funding.jump_vol,
            )
        regime_out[j] = regime

    # the deterministic exp shared with the lane kernel (engine.kernels.lanes), over the chunk at
    # once: a loop LLVM vectorises
    for j in range(n):
        sqrt_end[j] = det_exp(0.5 * log_end[j])
    return MarketState(log_p, variance_ratio, regime, h_index, stressed_steps)
