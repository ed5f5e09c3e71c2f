"""The per-step random numbers of a path, drawn a chunk of steps ahead from its stream.

Every path-step draws the same numbers in the same order whatever happens on the path (MODEL.md
§6, step 1), so they can be drawn ahead: a tight generation loop fills `draws[j, D_*]` for the
chunk's steps j = 0 .. n - 1, then the market's path (`engine.kernels.marketpath`) and the
position's steps read them. A column is written only by the models that draw it; the others are
left as they were.

The per-step order of the GBM / Merton and regime models is defined once, by `gbm_step_draws` and
`regime_step_draws` (inlined, they return the step's numbers as a tuple, 0.0 for a number the step
does not draw); the chunk loops below, the lane kernel's redraws (`lane_draws.redraw_step`) and
the benchmark floor (`benchmarks.floor`) all draw through them. The GARCH and historical steps'
orders are written out in `draw_model_steps` (see the comment there) and in the floor, which the
benchmarks' `floor_draws_match` check compares with these loops.
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
    models, in their fixed per-step order: garch z_price, z_funding, [the t factor's gamma draws
    if dof], [u_fjump, z_fjump], u_bridge; regime `regime_step_draws`; bootstrap z_funding,
    u_block, u_start, [u_fjump, z_fjump]; replay z_funding, [u_fjump, z_fjump]. The pair u_fjump,
    z_fjump is drawn only when the funding state jumps."""
    # one loop per model, and plain values taken out of MarketParams first: its arrays, or the
    # stream's, would otherwise be reference-counted at every step
    model = market.model
    if model == GARCH:
        # the GARCH and historical steps' orders written out here, not through a step function
        # as for the other models: inlined through one, the compiled loop held one more
        # reference-count pair of the stream state per step (counted in the LLVM IR)
        garch = market.garch
        for j in range(n):
            draws[j, D_PRICE] = normal(state)
            draws[j, D_FUNDING] = normal(state)
            draws[j, D_T_SCALE] = t_scale(state, garch)
            if funding_jumps:
                draws[j, D_FJUMP_U] = uniform(state)
                draws[j, D_FJUMP_Z] = normal(state)
            draws[j, D_BRIDGE] = uniform(state)
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
            draws[j, D_FUNDING] = normal(state)
            if bootstrap:
                draws[j, D_BLOCK] = uniform(state)
                draws[j, D_START] = uniform(state)
            if funding_jumps:
                draws[j, D_FJUMP_U] = uniform(state)
                draws[j, D_FJUMP_Z] = normal(state)
