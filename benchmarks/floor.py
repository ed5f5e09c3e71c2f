"""The random-number floor: the cost of the model's draws alone.

`rng_floor` makes, for every path and step, exactly the draws the engine's driver makes (same
per-path streams from `engine.kernels.rng.seed_stream`, same generators, same kinds in the same
order: z_price, z_funding, [u_jump, z_jump when Merton], u_bridge) and does nothing else with them
than add them up, so that the compiler cannot drop them. A model kernel cannot run faster than this
floor; `model time / floor time` says how much of the model's time goes to anything but the draws.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from engine.kernels import lanes
from engine.kernels.rng import normal, seed_stream, uniform

# Draws per step, (normals, uniforms), as made by engine.kernels.driver.draw_steps.
DRAWS_GBM = (2, 1)
DRAWS_MERTON = (3, 2)


def draws_per_step(merton: bool) -> tuple[int, int]:
    """(normals, uniforms) the model draws per step."""
    return DRAWS_MERTON if merton else DRAWS_GBM


@njit(nogil=True, cache=True)
def rng_floor(seed, first_path, n_steps, merton, out):  # pragma: no cover - compiled
    """For paths first_path .. first_path + len(out) - 1: out[i] = the sum of all of the path's
    draws over n_steps steps, drawn from the path's own stream as the engine draws them."""
    state = np.empty(4, np.uint64)
    for i in range(out.shape[0]):
        seed_stream(state, seed, first_path + i)
        acc = 0.0
        if merton:
            for _ in range(n_steps):
                acc += normal(state)  # z_price
                acc += normal(state)  # z_funding
                acc += uniform(state)  # u_jump
                acc += normal(state)  # z_jump
                acc += uniform(state)  # u_bridge
        else:
            for _ in range(n_steps):
                acc += normal(state)  # z_price
                acc += normal(state)  # z_funding
                acc += uniform(state)  # u_bridge
        out[i] = acc


def run_floor(seed: int, first_path: int, n_paths: int, n_steps: int, merton: bool) -> np.ndarray:
    """Run the floor kernel on a block of paths; returns the per-path sums of the draws."""
    out = np.empty(n_paths)
    rng_floor(np.uint64(seed), np.int64(first_path), np.int64(n_steps), bool(merton), out)
    return out


def run_floor_lanes(
    seed: int, first_path: int, n_paths: int, n_steps: int, merton: bool
) -> np.ndarray:
    """The floor of the lane kernel (`engine.kernels.lanes.draw_floor`: the same generator, drawn
    as that kernel draws, vectorised across lanes); per-path sums equal to `run_floor`'s."""
    out = np.empty(n_paths)
    lanes.draw_floor(np.uint64(seed), np.int64(first_path), np.int64(n_steps), bool(merton), out)
    return out
