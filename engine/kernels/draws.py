"""The per-step random numbers of a path, drawn a chunk of steps ahead from its stream.

Every path-step draws the same numbers in the same order whatever happens on the path (MODEL.md
§6, step 1), so they can be drawn ahead: a tight generation loop fills `draws[j, D_*]` for the
chunk's steps j = 0 .. n - 1, then the market's path (`engine.kernels.marketpath`) and the
position's steps read them. A column is written only by the models that draw it; the others are
left as they were.

The per-step order of each model is defined once, by the `*_step_draws` functions (inlined, they
return the step's numbers as a tuple); the chunk loops below, the lane kernel's redraws
(`engine.kernels.lane_draws.redraw_step`) and the benchmark floor (`benchmarks.floor`) all draw
through them. A number a model does not draw is returned as 0.0 and not stored.
"""

from __future__ import annotations

from numba import njit

from engine.kernels.garch import GARCH, t_scale
from engine.kernels.history import BOOTSTRAP
from engine.kernels.regime import REGIME
from engine.kernels.rng import normal, uniform

# Steps drawn ahead at a time: a tight generation loop, then straight-line model loops.
DRAW_CHUNK = 1024
D_PRICE = 0
D_FUNDING = 1
D_BRIDGE = 2
D_JUMP_U = 3
D_JUMP_Z = 4
# columns of the garch, regime and historical price models (engine.kernels.garch, .regime, .history)
D_T_SCALE = 5  # garch: the Student-t factor of z_price
D_REGIME = 5  # regime: u_regime, the next regime
D_BLOCK = 5  # bootstrap: u_block, whether a new block starts
D_START = 6  # bootstrap: u_start, where it starts
# jumps of the funding state; after the price models' columns
D_FJUMP_U = 7
D_FJUMP_Z = 8
DRAW_WIDTH = 9


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def gbm_step_draws(state, merton, funding_jumps):  # pragma: no cover - compiled
    """One GBM or Merton step's numbers, in their order: z_price, z_funding, [u_jump, z_jump if
    Merton], [u_fjump, z_fjump if the funding state jumps], u_bridge. Returns (z_price, z_funding,
    u_jump, z_jump, u_fjump, z_fjump, u_bridge)."""
    z_price = normal(state)
    z_funding = normal(state)
    u_jump = 0.0
    z_jump = 0.0
    if merton:
        u_jump = uniform(state)
        z_jump = normal(state)
    u_fjump = 0.0
    z_fjump = 0.0
    if funding_jumps:
        u_fjump = uniform(state)
        z_fjump = normal(state)
    u_bridge = uniform(state)
    return z_price, z_funding, u_jump, z_jump, u_fjump, z_fjump, u_bridge


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def garch_step_draws(state, garch, funding_jumps):  # pragma: no cover - compiled
    """One GARCH step's numbers: z_price, z_funding, the Student-t factor (its gamma draws when
    garch.dof is set; 1.0 without a draw otherwise), [u_fjump, z_fjump], u_bridge. Returns
    (z_price, z_funding, t_factor, u_fjump, z_fjump, u_bridge)."""
    z_price = normal(state)
    z_funding = normal(state)
    t_factor = t_scale(state, garch)
    u_fjump = 0.0
    z_fjump = 0.0
    if funding_jumps:
        u_fjump = uniform(state)
        z_fjump = normal(state)
    u_bridge = uniform(state)
    return z_price, z_funding, t_factor, u_fjump, z_fjump, u_bridge


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def regime_step_draws(state, jumps, switching, funding_jumps):  # pragma: no cover - compiled
    """One regime-model step's numbers: z_price, z_funding, [u_jump, z_jump if any regime jumps],
    [u_regime if several regimes], [u_fjump, z_fjump], u_bridge. Returns (z_price, z_funding,
    u_jump, z_jump, u_regime, u_fjump, z_fjump, u_bridge)."""
    z_price = normal(state)
    z_funding = normal(state)
    u_jump = 0.0
    z_jump = 0.0
    if jumps:
        u_jump = uniform(state)
        z_jump = normal(state)
    u_regime = 0.0
    if switching:
        u_regime = uniform(state)
    u_fjump = 0.0
    z_fjump = 0.0
    if funding_jumps:
        u_fjump = uniform(state)
        z_fjump = normal(state)
    u_bridge = uniform(state)
    return z_price, z_funding, u_jump, z_jump, u_regime, u_fjump, z_fjump, u_bridge


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def historical_step_draws(state, bootstrap, funding_jumps):  # pragma: no cover - compiled
    """One historical step's numbers (the price move is the data's): z_funding, [u_block, u_start
    if bootstrap], [u_fjump, z_fjump]. Returns (z_funding, u_block, u_start, u_fjump, z_fjump)."""
    z_funding = normal(state)
    u_block = 0.0
    u_start = 0.0
    if bootstrap:
        u_block = uniform(state)
        u_start = uniform(state)
    u_fjump = 0.0
    z_fjump = 0.0
    if funding_jumps:
        u_fjump = uniform(state)
        z_fjump = normal(state)
    return z_funding, u_block, u_start, u_fjump, z_fjump


@njit(nogil=True, cache=True, error_model="numpy")
def draw_steps(state, draws, n, merton, funding_jumps=False):  # pragma: no cover - compiled
    """The random numbers of the next n GBM or Merton steps (`gbm_step_draws`)."""
    for j in range(n):
        z_price, z_funding, u_jump, z_jump, u_fjump, z_fjump, u_bridge = gbm_step_draws(
            state, merton, funding_jumps
        )
        draws[j, D_PRICE] = z_price
        draws[j, D_FUNDING] = z_funding
        if merton:
            draws[j, D_JUMP_U] = u_jump
            draws[j, D_JUMP_Z] = z_jump
        if funding_jumps:
            draws[j, D_FJUMP_U] = u_fjump
            draws[j, D_FJUMP_Z] = z_fjump
        draws[j, D_BRIDGE] = u_bridge


@njit(nogil=True, cache=True, error_model="numpy")
def draw_model_steps(state, draws, n, market, funding_jumps=False):  # pragma: no cover
    """The random numbers of the next n steps of the garch, regime, bootstrap and replay price
    models (`garch_step_draws`, `regime_step_draws`, `historical_step_draws`)."""
    # one loop per model, and plain values taken out of MarketParams first: its arrays, or the
    # stream's, would otherwise be reference-counted at every step
    model = market.model
    if model == GARCH:
        garch = market.garch
        for j in range(n):
            z_price, z_funding, t_factor, u_fjump, z_fjump, u_bridge = garch_step_draws(
                state, garch, funding_jumps
            )
            draws[j, D_PRICE] = z_price
            draws[j, D_FUNDING] = z_funding
            draws[j, D_T_SCALE] = t_factor
            if funding_jumps:
                draws[j, D_FJUMP_U] = u_fjump
                draws[j, D_FJUMP_Z] = z_fjump
            draws[j, D_BRIDGE] = u_bridge
    elif model == REGIME:
        jumps = market.regime.jumps
        switching = market.regime.switching
        for j in range(n):
            z_price, z_funding, u_jump, z_jump, u_regime, u_fjump, z_fjump, u_bridge = (
                regime_step_draws(state, jumps, switching, funding_jumps)
            )
            draws[j, D_PRICE] = z_price
            draws[j, D_FUNDING] = z_funding
            if jumps:
                draws[j, D_JUMP_U] = u_jump
                draws[j, D_JUMP_Z] = z_jump
            if switching:
                draws[j, D_REGIME] = u_regime
            if funding_jumps:
                draws[j, D_FJUMP_U] = u_fjump
                draws[j, D_FJUMP_Z] = z_fjump
            draws[j, D_BRIDGE] = u_bridge
    else:  # BOOTSTRAP, REPLAY: the price move is historical
        bootstrap = model == BOOTSTRAP
        for j in range(n):
            z_funding, u_block, u_start, u_fjump, z_fjump = historical_step_draws(
                state, bootstrap, funding_jumps
            )
            draws[j, D_FUNDING] = z_funding
            if bootstrap:
                draws[j, D_BLOCK] = u_block
                draws[j, D_START] = u_start
            if funding_jumps:
                draws[j, D_FJUMP_U] = u_fjump
                draws[j, D_FJUMP_Z] = z_fjump
