"""Per-path random streams: xoshiro256++ seeded by splitmix64 of (seed, path index).

Every path owns its stream, so a path's numbers depend only on (seed, path index): results are
bit-identical whatever the block size, the number of workers or their kind (MODEL.md §9). The state
is a uint64[4] array; the functions below advance it in place and allocate nothing.

Normals use a 256-layer ziggurat (Marsaglia & Tsang 2000) on 64-bit draws: the layer index takes the
low 8 bits, the sign bit 8, and the 53-bit magnitude the top bits. Uniforms lie in (0, 1], never 0,
so that `u < p` is false whenever p < 2**-53.
"""

from __future__ import annotations

import numpy as np
from numba import njit, uint64

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_PATH_KEY = np.uint64(0xD1B54A32D192ED03)
# Tags of the side streams (`seed_side_stream`): random features that are not price models draw
# from their own per-path stream, so switching them on changes no price or funding draw.
STREAM_VENUE = 1
_STREAM_KEY = np.uint64(0x8CB92BA72F3D8DD7)
_TWO_M53 = 2.0**-53


def _ziggurat_tables(layers: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Layer edges x[0..256] and curve heights f(x) = exp(-x^2/2) of the normal ziggurat.

    x[0] is the width of the base strip (area v including the tail beyond r), x[1] = r, and
    x[256] = 0. Each layer has area v.
    """
    r = 3.6541528853610088
    v = 0.00492867323399
    x = np.empty(layers + 1)
    x[0] = v / np.exp(-0.5 * r * r)
    x[1] = r
    for i in range(2, layers):
        x[i] = np.sqrt(-2.0 * np.log(v / x[i - 1] + np.exp(-0.5 * x[i - 1] ** 2)))
    x[layers] = 0.0
    return x, np.exp(-0.5 * x * x)


ZIG_X, ZIG_F = _ziggurat_tables()
ZIG_R = float(ZIG_X[1])


@njit(nogil=True, cache=True)
def splitmix64(x):  # pragma: no cover - compiled
    """splitmix64 output function applied to x + golden gamma (x: uint64). Typed lazily, at the
    first compilation of a kernel that calls it, not at import."""
    z = uint64(x) + _GOLDEN
    z = (z ^ (z >> uint64(30))) * _MIX1
    z = (z ^ (z >> uint64(27))) * _MIX2
    return z ^ (z >> uint64(31))


@njit(nogil=True, cache=True)
def seed_stream(state, seed, path):  # pragma: no cover - compiled
    """Fill `state` (uint64[4]) with the stream of path `path` under run seed `seed`."""
    x = splitmix64(uint64(seed)) ^ (uint64(path) * _PATH_KEY)
    for j in range(4):
        x = x + _GOLDEN
        state[j] = splitmix64(x)


@njit(nogil=True, cache=True)
def seed_side_stream(state, seed, path, tag):  # pragma: no cover - compiled
    """Fill `state` with side stream `tag` (>= 1, a STREAM_* constant) of path `path` under run
    seed `seed`: independent of the main stream of `seed_stream` (the run seed is mixed with the
    tag before the path key is applied), and a function of (seed, path, tag) only."""
    x = splitmix64(splitmix64(uint64(seed)) ^ (uint64(tag) * _STREAM_KEY)) ^ (
        uint64(path) * _PATH_KEY
    )
    for j in range(4):
        x = x + _GOLDEN
        state[j] = splitmix64(x)


@njit(nogil=True, cache=True, inline="always")
def _rotl(x, k):  # pragma: no cover - compiled
    return (x << uint64(k)) | (x >> uint64(64 - k))


@njit(nogil=True, cache=True, inline="always")
def next_u64(state):  # pragma: no cover - compiled
    """One xoshiro256++ output; advances `state`."""
    s0 = state[0]
    s1 = state[1]
    s2 = state[2]
    s3 = state[3]
    result = _rotl(s0 + s3, 23) + s0
    t = s1 << uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    state[0] = s0
    state[1] = s1
    state[2] = s2
    state[3] = s3
    return result


@njit(nogil=True, cache=True, inline="always")
def uniform(state):  # pragma: no cover - compiled
    """A uniform double in (0, 1] (53-bit resolution)."""
    return float(np.int64(next_u64(state) >> uint64(11)) + 1) * _TWO_M53


@njit(nogil=True, cache=True, inline="always")
def _normal_slow(state, layer, x):  # pragma: no cover - compiled
    """The rare ziggurat branches: tail beyond r (layer 0) or the wedge test. Returns |z| or -1.0
    to ask the caller to draw again."""
    if layer == 0:
        while True:
            xt = -np.log(uniform(state)) / ZIG_R
            yt = -np.log(uniform(state))
            if 2.0 * yt > xt * xt:
                return ZIG_R + xt
    f_hi = ZIG_F[layer + 1]
    if f_hi + uniform(state) * (ZIG_F[layer] - f_hi) < np.exp(-0.5 * x * x):
        return x
    return -1.0


@njit(nogil=True, cache=True, inline="always")
def normal(state):  # pragma: no cover - compiled
    """A standard normal draw (ziggurat)."""
    while True:
        u = next_u64(state)
        layer = np.intp(u & uint64(0xFF))
        # +1.0 or -1.0 from bit 8, computed without a branch (a random sign mispredicts half the time)
        sign = 1.0 - 2.0 * float(np.int64((u >> uint64(8)) & uint64(1)))
        x = float(np.int64(u >> uint64(11))) * _TWO_M53 * ZIG_X[layer]
        if x >= ZIG_X[layer + 1]:
            x = _normal_slow(state, layer, x)
            if x < 0.0:
                continue
        return sign * x
