"""The lane kernel's state layout: LANES paths side by side, one flat array per kind.

Lane state is one flat float64 array `v`, field f of lane j at `v[F_f + j]` (the `F_*` offsets are
multiples of LANES), the stream states one flat uint64 array `s` likewise. With every offset a
compile-time constant in one array, LLVM can prove that the lane loops' loads and stores do not
overlap, and vectorises them without run-time alias checks. Both arrays start on a 64-byte boundary
(`aligned_empty`), so no 512-bit load or store straddles two cache lines.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Paths per group: a multiple of the vector width (8 doubles); 32 measured slightly faster than 16,
# and 8 much slower (LLVM unrolls such a short loop instead of vectorising it).
LANES = 32  # at most 64: the draw stage returns its rejected lanes as the bits of a uint64
QUARTER = LANES // 4
if LANES > 64 or LANES % 4:  # pragma: no cover - a constant
    raise ValueError(
        f"LANES = {LANES}: at most 64 (one bit per lane) and a multiple of 4 (quarters)"
    )

# rows of the uint64 array: the four xoshiro256++ words, then a copy of them taken at the start of
# the step (from which the scalar fix-up redraws a step whose normal was rejected)
S_WORDS = 4
S_SNAPSHOT = 4 * LANES
S_ROWS = 8

# rows of the float64 lane-state array
F_LOG_P = 0 * LANES  # ln P_k
F_SQRT_P = 1 * LANES  # sqrt(P_k)
F_PRICE = 2 * LANES  # P_k
F_FUND_RATE = 3 * LANES  # f_k
F_LP_VALUE = 4 * LANES  # V_LP(P_k)
F_DD_PEAK = 5 * LANES  # the running peak at the deepest drawdown so far
F_HEDGE = 6 * LANES  # q, short size
F_ACCOUNT = 7 * LANES  # perp account (margin cash + q entry)
F_LOG_BARRIER = 8 * LANES  # ln P_liq
F_FEES = 9 * LANES
F_FUNDING = 10 * LANES
F_PERP_PNL = 11 * LANES
F_COSTS = 12 * LANES
F_LIQ_LOSS = 13 * LANES
F_LIQUIDATED = 14 * LANES  # 0.0 / 1.0
F_LIQ_TIME = 15 * LANES
F_PEAK = 16 * LANES
F_DD_DROP = 17 * LANES  # the maximum drawdown is F_DD_DROP / F_DD_PEAK (as the driver's)
F_WEALTH = 18 * LANES
F_REBALANCES = 19 * LANES  # count, exact in a double
# per-step temporaries
F_Z_PRICE = 20 * LANES
F_Z_FUNDING = 21 * LANES
F_U_BRIDGE = 22 * LANES
F_U_JUMP = 23 * LANES
F_Z_JUMP = 24 * LANES
F_JUMP = 25 * LANES  # the step's summed log-jump
F_LOG_DIFFUSED = 26 * LANES
F_LOG_NEW = 27 * LANES
F_SQRT_NEW = 28 * LANES
F_PRICE_NEW = 29 * LANES
F_LIQ_PRICE = 30 * LANES  # liquidation price of the step, 0.0 for none
F_FLAG = 31 * LANES  # a stage's "this lane needs the scalar fix-up" mark
F_LOG = 32 * LANES  # arguments of logarithms, then the logarithms (_log_lanes)
F_MOVES = 33 * LANES  # 1.0 where a settlement or a trade moves the barrier
N_FIELDS = 34


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def aligned_empty(n, dtype):  # pragma: no cover - compiled
    """An uninitialised array of n 8-byte items starting on a 64-byte boundary (numba's np.empty
    aligns to 32 bytes only): each row of LANES items then fills whole cache lines, and no 512-bit
    load or store of the lane loops straddles two of them."""
    buffer = np.empty(n + 8, dtype)
    skip = (-(buffer.ctypes.data >> 3)) & 7
    return buffer[skip : skip + n]
