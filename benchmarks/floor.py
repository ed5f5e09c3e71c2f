"""The random-number floor: the cost of the model's draws alone.

`rng_floor` makes, for every path and step, exactly the draws the engine's driver makes (same
per-path streams from `engine.kernels.rng.seed_stream`, and the step's draws by the engine's own
definition of their order, `engine.kernels.draws.gbm_step_draws`: z_price, z_funding, [u_jump,
z_jump when Merton], u_bridge) and does nothing else with them than add them up, so that the
compiler cannot drop them. A model kernel cannot run faster than this
floor; `model time / floor time` says how much of the model's time goes to anything but the draws.

`model_floor` does the same for any scenario the general kernel runs: the other price models'
draws (`draws.regime_step_draws`; GARCH's, with its Student-t factor, and the historical models'
by the engine's own chunk loop `draws.draw_model_steps`, the one place their order is written), the
regime's initial uniform, the funding jumps' pair, and the venue's side
stream (seeded per path, four uniforms, one more per ADL cascade). `draw_plan` lists them.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numba import njit

from engine.kernels.draws import (
    D_BLOCK,
    D_BRIDGE,
    D_FJUMP_U,
    D_FJUMP_Z,
    D_FUNDING,
    D_PRICE,
    D_START,
    D_T_SCALE,
    DRAW_CHUNK,
    DRAW_WIDTH,
    draw_model_steps,
    gbm_step_draws,
    regime_step_draws,
)
from engine.kernels.garch import GARCH
from engine.kernels.history import BOOTSTRAP, REPLAY
from engine.kernels.lane_draws import draw_floor
from engine.kernels.market import MERTON
from engine.kernels.regime import REGIME
from engine.kernels.rng import STREAM_VENUE, seed_side_stream, seed_stream, uniform
from engine.kernels.venue import N_VENUE_DRAWS


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
                z_price, z_funding, u_jump, z_jump, _, _, u_bridge = gbm_step_draws(
                    state, True, False
                )
                acc += z_price
                acc += z_funding
                acc += u_jump
                acc += z_jump
                acc += u_bridge
        else:
            for _ in range(n_steps):
                z_price, z_funding, _, _, _, _, u_bridge = gbm_step_draws(state, False, False)
                acc += z_price
                acc += z_funding
                acc += u_bridge
        out[i] = acc


def run_floor(seed: int, first_path: int, n_paths: int, n_steps: int, merton: bool) -> np.ndarray:
    """Run the floor kernel on a block of paths; returns the per-path sums of the draws."""
    out = np.empty(n_paths)
    rng_floor(np.uint64(seed), np.int64(first_path), np.int64(n_steps), bool(merton), out)
    return out


def run_floor_lanes(
    seed: int, first_path: int, n_paths: int, n_steps: int, merton: bool
) -> np.ndarray:
    """The floor of the lane kernel (`engine.kernels.lane_draws.draw_floor`: the same generator, drawn
    as that kernel draws, vectorised across lanes); per-path sums equal to `run_floor`'s."""
    out = np.empty(n_paths)
    draw_floor(np.uint64(seed), np.int64(first_path), np.int64(n_steps), bool(merton), out)
    return out


# --------------------------------------------------------------------------------------------
# The floor of any scenario on the general kernel (every price model, funding jumps, the venue
# side stream)


class FloorDraws(NamedTuple):
    """What one path draws, as `engine.kernels.driver` draws it. model: the market's kind
    (engine.kernels.market.MERTON, garch.GARCH, regime.REGIME, history.BOOTSTRAP, REPLAY; GBM
    otherwise). funding_jumps: each step draws u_fjump, z_fjump. regime_initial: one uniform
    before the first step (the stationary initial regime). regime_jumps: each step draws u_jump,
    z_jump (some regime jumps). regime_switching: each step draws u_regime. venue: the path's
    venue side stream is seeded and draws N_VENUE_DRAWS uniforms, plus one per ADL cascade."""

    model: int
    funding_jumps: bool
    regime_initial: bool
    regime_jumps: bool
    regime_switching: bool
    venue: bool


def floor_draws(inputs: Any) -> FloorDraws:
    """The draws of a scenario's paths, from its kernel inputs (`engine.inputs.kernel_inputs`)."""
    market = inputs.market
    regime = market.model == REGIME
    return FloorDraws(
        model=int(market.model),
        funding_jumps=bool(inputs.funding.jumps),
        regime_initial=bool(regime and market.regime.draw_initial),
        regime_jumps=bool(regime and market.regime.jumps),
        regime_switching=bool(regime and market.regime.switching),
        venue=bool(inputs.venue.active),
    )


def draw_plan(draws: FloorDraws, garch_dof: float) -> dict[str, Any]:
    """The draws of one path, in the engine's order: per step (names, and the count of normals,
    uniforms and Student-t factors), per path on the main stream, and on the venue side stream."""
    step: list[str] = []
    historical = draws.model in (BOOTSTRAP, REPLAY)
    if not historical:
        step.append("z_price")
    step.append("z_funding")
    if draws.model == MERTON or draws.regime_jumps:
        step += ["u_jump", "z_jump"]
    t_factor = draws.model == GARCH and garch_dof > 0.0
    if t_factor:
        step.append("t_factor")
    if draws.regime_switching:
        step.append("u_regime")
    if draws.model == BOOTSTRAP:
        step += ["u_block", "u_start"]
    if draws.funding_jumps:
        step += ["u_fjump", "z_fjump"]
    if not historical:
        step.append("u_bridge")
    normals = sum(1 for name in step if name.startswith("z_"))
    uniforms = sum(1 for name in step if name.startswith("u_"))
    path = ["u_initial_regime"] if draws.regime_initial else []
    side = [f"{N_VENUE_DRAWS} venue uniforms", "1 uniform per ADL cascade"] if draws.venue else []
    label = f"{normals}N+{uniforms}U" + ("+t" if t_factor else "")
    if path or side:
        label += " +path"
    return {
        "per_step": step,
        "normals": normals,
        "uniforms": uniforms,
        "t_factors": int(t_factor),
        "per_path": path,
        "side_stream": side,
        "label": label,
    }


def describe_plan(plan: dict[str, Any]) -> str:
    """One line: what the floor draws per step and per path."""
    text = "per step " + ", ".join(plan["per_step"])
    if plan["t_factors"]:
        text += (
            " (t_factor: engine.kernels.garch.t_scale, a Marsaglia-Tsang gamma: 1 normal + 1 "
            "uniform per trial, ~1.02 trials, then a sqrt)"
        )
    if plan["per_path"]:
        text += "; per path " + ", ".join(plan["per_path"])
    if plan["side_stream"]:
        text += "; venue side stream per path: " + ", ".join(plan["side_stream"])
    return text


@njit(nogil=True, cache=True, inline="always")
def _historical_or_garch_sum(
    state, chunk, n_steps, market, funding_jumps, acc
):  # pragma: no cover - compiled
    """acc plus the draws of a GARCH, bootstrap or replay path over n_steps steps, drawn by the
    engine's own chunk loop (`draws.draw_model_steps`, the one place their order is written) and
    added in that per-step order."""
    model = market.model
    for k in range(0, n_steps, DRAW_CHUNK):
        n = min(DRAW_CHUNK, n_steps - k)
        draw_model_steps(state, chunk, n, market, funding_jumps)
        for j in range(n):
            if model == GARCH:
                acc += chunk[j, D_PRICE]
                acc += chunk[j, D_FUNDING]
                acc += chunk[j, D_T_SCALE]  # the Student-t factor (1.0, no draw, without dof)
            elif model == BOOTSTRAP:
                acc += chunk[j, D_FUNDING]
                acc += chunk[j, D_BLOCK]
                acc += chunk[j, D_START]
            else:
                acc += chunk[j, D_FUNDING]
            if funding_jumps:
                acc += chunk[j, D_FJUMP_U]
                acc += chunk[j, D_FJUMP_Z]
            if model == GARCH:
                acc += chunk[j, D_BRIDGE]
    return acc


@njit(nogil=True, cache=True)
def model_floor(
    seed, first_path, n_steps, draws, market, adl_counts, out
):  # pragma: no cover - compiled
    """For paths first_path .. first_path + len(out) - 1: out[i] = the sum of every number the
    path draws over n_steps steps (main stream and venue side stream), drawn as the general kernel
    draws them (the same generator functions, the same order), and nothing else. adl_counts[i]:
    the path's ADL cascades (one side-stream uniform each; the count depends on the path's state,
    so it is taken from a model run of the same paths)."""
    state = np.empty(4, np.uint64)
    side = np.empty(4, np.uint64)
    chunk = np.zeros((DRAW_CHUNK, DRAW_WIDTH))
    model = draws.model
    funding_jumps = draws.funding_jumps
    regime_jumps = draws.regime_jumps
    switching = draws.regime_switching
    for i in range(out.shape[0]):
        path = first_path + i
        seed_stream(state, seed, path)
        acc = 0.0
        if draws.regime_initial:
            acc += uniform(state)  # the initial regime
        if model == GARCH or model == BOOTSTRAP or model == REPLAY:
            acc = _historical_or_garch_sum(state, chunk, n_steps, market, funding_jumps, acc)
        elif model == REGIME:
            for _ in range(n_steps):
                z_price, z_funding, u_jump, z_jump, u_regime, u_fjump, z_fjump, u_bridge = (
                    regime_step_draws(state, regime_jumps, switching, funding_jumps)
                )
                acc += z_price
                acc += z_funding
                if regime_jumps:
                    acc += u_jump
                    acc += z_jump
                if switching:
                    acc += u_regime
                if funding_jumps:
                    acc += u_fjump
                    acc += z_fjump
                acc += u_bridge
        else:  # GBM, MERTON
            merton = model == MERTON
            for _ in range(n_steps):
                z_price, z_funding, u_jump, z_jump, u_fjump, z_fjump, u_bridge = gbm_step_draws(
                    state, merton, funding_jumps
                )
                acc += z_price
                acc += z_funding
                if merton:
                    acc += u_jump
                    acc += z_jump
                if funding_jumps:
                    acc += u_fjump
                    acc += z_fjump
                acc += u_bridge
        if draws.venue:
            seed_side_stream(side, seed, path, STREAM_VENUE)
            for _ in range(N_VENUE_DRAWS + adl_counts[i]):
                acc += uniform(side)
        out[i] = acc


def run_model_floor(
    inputs: Any,
    seed: int,
    first_path: int,
    n_paths: int,
    adl_counts: np.ndarray | None = None,
) -> np.ndarray:
    """Run `model_floor` on a block of paths of the scenario behind `inputs`; adl_counts: the
    ADL cascades of paths first_path .. (None: no ADL draws). Returns the per-path sums."""
    out = np.empty(n_paths)
    counts = (
        np.zeros(n_paths, np.int64)
        if adl_counts is None
        else np.ascontiguousarray(adl_counts, dtype=np.int64)
    )
    if counts.shape[0] != n_paths:
        raise ValueError(f"adl_counts has {counts.shape[0]} entries for {n_paths} paths")
    model_floor(
        np.uint64(seed),
        np.int64(first_path),
        np.int64(inputs.grid.n_steps),
        floor_draws(inputs),
        inputs.market,
        counts,
        out,
    )
    return out
