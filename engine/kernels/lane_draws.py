"""The lane kernel's random numbers: each lane its own xoshiro256++ stream (engine.kernels.rng).

Every lane of a group draws its step's numbers in one vectorised loop: the xoshiro256++ update and
the ziggurat's fast path (a table lookup and one comparison, 98.5 % of normals) and the uniforms,
written out here for SIMD (the scalar `rng.next_u64`, `rng.normal`'s first try and `rng.uniform`
on one lane's words; a call of the scalar functions per lane would not vectorise). A step where one
of a lane's normals needs the ziggurat's wedge or tail is redrawn from that lane's stream state at
the start of the step by the scalar generator, in the order of `draws.gbm_step_draws`, so each
path's draws are exactly the scalar generator's.
"""

from __future__ import annotations

import numpy as np
from numba import njit, uint64
from numba.cpython.unsafe.numbers import trailing_zeros

from engine.kernels.draws import gbm_step_draws
from engine.kernels.lane_layout import (
    F_U_BRIDGE,
    F_U_JUMP,
    F_Z_FUNDING,
    F_Z_JUMP,
    F_Z_PRICE,
    LANES,
    N_FIELDS,
    S_ROWS,
    S_SNAPSHOT,
    S_WORDS,
    aligned_empty,
)
from engine.kernels.rng import ZIG_X, seed_stream

_TWO_M53 = 2.0**-53


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _advance(s, lane):  # pragma: no cover - compiled
    """One xoshiro256++ output of lane `lane`'s stream (rng.next_u64 on s[:4, lane])."""
    s0 = s[0 * LANES + lane]
    s1 = s[1 * LANES + lane]
    s2 = s[2 * LANES + lane]
    s3 = s[3 * LANES + lane]
    t0 = s0 + s3
    result = ((t0 << uint64(23)) | (t0 >> uint64(41))) + s0
    t = s1 << uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << uint64(45)) | (s3 >> uint64(19))
    s[0 * LANES + lane] = s0
    s[1 * LANES + lane] = s1
    s[2 * LANES + lane] = s2
    s[3 * LANES + lane] = s3
    return result


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _fast_normal(u):  # pragma: no cover - compiled
    """The ziggurat's first try from a 64-bit draw u (rng.normal): (sign, |x|, accepted)."""
    layer = np.intp(u & uint64(0xFF))
    sign = 1.0 - 2.0 * float(np.int64((u >> uint64(8)) & uint64(1)))
    x = float(np.int64(u >> uint64(11))) * _TWO_M53 * ZIG_X[layer]
    return sign, x, x < ZIG_X[layer + 1]


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _uniform(u):  # pragma: no cover - compiled
    """rng.uniform from a 64-bit draw u."""
    return float(np.int64(u >> uint64(11)) + 1) * _TWO_M53


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def draw_gbm(s, v):  # pragma: no cover - compiled
    """The fast path of a GBM step's draws on every lane (z_price, z_funding, u_bridge). Returns
    the lanes whose normals need the slow path (redraw_step) as a bit mask, bit j for lane j."""
    rejected = uint64(0)
    for lane in range(LANES):
        for w in range(S_WORDS):
            s[S_SNAPSHOT + w * LANES + lane] = s[w * LANES + lane]
        sign, x, ok = _fast_normal(_advance(s, lane))
        v[F_Z_PRICE + lane] = sign * x
        sign, x, ok_funding = _fast_normal(_advance(s, lane))
        v[F_Z_FUNDING + lane] = sign * x
        ok = ok and ok_funding
        v[F_U_BRIDGE + lane] = _uniform(_advance(s, lane))
        rejected |= uint64(not ok) << uint64(lane)
    return rejected


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def draw_merton(s, v):  # pragma: no cover - compiled
    """As draw_gbm for a Merton step: z_price, z_funding, u_jump, z_jump, u_bridge (the same
    bit mask of rejected lanes)."""
    rejected = uint64(0)
    for lane in range(LANES):
        for w in range(S_WORDS):
            s[S_SNAPSHOT + w * LANES + lane] = s[w * LANES + lane]
        sign, x, ok = _fast_normal(_advance(s, lane))
        v[F_Z_PRICE + lane] = sign * x
        sign, x, ok_funding = _fast_normal(_advance(s, lane))
        v[F_Z_FUNDING + lane] = sign * x
        v[F_U_JUMP + lane] = _uniform(_advance(s, lane))
        sign, x, ok_jump = _fast_normal(_advance(s, lane))
        v[F_Z_JUMP + lane] = sign * x
        ok = ok and ok_funding and ok_jump
        v[F_U_BRIDGE + lane] = _uniform(_advance(s, lane))
        rejected |= uint64(not ok) << uint64(lane)
    return rejected


@njit(nogil=True, cache=True, error_model="numpy")
def redraw_step(s, v, merton, scratch, rejected):  # pragma: no cover - compiled
    """Scalar fix-up of a step's draws on the lanes set in the bit mask `rejected` (a normal's
    fast path was rejected): the lane's stream is reset to its state at the start of the step and
    the step's draws are made again by the scalar generator, through the one definition of the
    step's order (`draws.gbm_step_draws`, inlined), so they are exactly the general kernel's (a
    call of draws.draw_steps per lane cost more than the draws, in reference counting of its array
    arguments). The rejected lanes, about one in 32 a step, are visited through the mask's set bits
    (trailing_zeros), not by a test of every lane, whose unpredictable branches cost more than the
    redraws themselves: the kernel ran 3-7 % faster so (measured)."""
    while rejected != 0:
        lane = np.intp(trailing_zeros(rejected))
        rejected &= rejected - uint64(1)
        for w in range(S_WORDS):
            scratch[w] = s[S_SNAPSHOT + w * LANES + lane]
        z_price, z_funding, u_jump, z_jump, _, _, u_bridge = gbm_step_draws(scratch, merton, False)
        v[F_Z_PRICE + lane] = z_price
        v[F_Z_FUNDING + lane] = z_funding
        if merton:
            v[F_U_JUMP + lane] = u_jump
            v[F_Z_JUMP + lane] = z_jump
        v[F_U_BRIDGE + lane] = u_bridge
        for w in range(S_WORDS):
            s[w * LANES + lane] = scratch[w]


@njit(nogil=True, cache=True, error_model="numpy")
def seed_lanes(s, seed, first_path, scratch):  # pragma: no cover - compiled
    """Lane j gets the stream of path first_path + j."""
    for lane in range(LANES):
        seed_stream(scratch, seed, first_path + lane)
        for w in range(S_WORDS):
            s[w * LANES + lane] = scratch[w]


@njit(nogil=True, cache=True, error_model="numpy")
def draw_floor(seed, first_path, n_steps, merton, out):  # pragma: no cover - compiled
    """out[i] = the sum of all draws of path first_path + i over n_steps steps, drawn exactly as
    `simulate_block_lanes` draws them (the same vectorised loop, the same fix-ups) and nothing
    else: the cost of this kernel's random numbers, for the benchmarks' model/floor ratio. The sums
    are bit-identical to benchmarks.floor.rng_floor's (the scalar generator)."""
    n_paths = out.shape[0]
    s = aligned_empty(S_ROWS * LANES, np.uint64)
    v = aligned_empty(N_FIELDS * LANES, np.float64)
    scratch = np.empty(S_WORDS, np.uint64)
    acc = np.empty(LANES)
    for first in range(0, n_paths, LANES):
        seed_lanes(s, seed, first_path + first, scratch)
        acc[:] = 0.0
        for _ in range(n_steps):
            # the kernel's draw loop (_simulate_group, stage 1), verbatim
            rejected = draw_merton(s, v) if merton else draw_gbm(s, v)
            if rejected != 0:
                redraw_step(s, v, merton, scratch, rejected)
            for lane in range(LANES):
                total = acc[lane] + v[F_Z_PRICE + lane]
                total += v[F_Z_FUNDING + lane]
                if merton:
                    total += v[F_U_JUMP + lane]
                    total += v[F_Z_JUMP + lane]
                acc[lane] = total + v[F_U_BRIDGE + lane]
        for lane in range(min(LANES, n_paths - first)):
            out[first + lane] = acc[lane]
