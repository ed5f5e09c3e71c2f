"""Historical price models: `bootstrap` (stationary block bootstrap of historical steps) and
`replay` (the historical path itself), fed by the aligned arrays of `engine.history`.

Each step takes one historical step i: its log-return, its intrabar maximum ln(high / close)
(the liquidation test of the step: the barrier is crossed within the step when the end price times
high / close reaches it) and, with `funding.model: historical`, the funding rate in force over it.

Bootstrap (Politis & Romano 1994): the first step starts a block at a uniform index; each later
step starts a new block with probability p = step_hours / mean_block_hours, else continues with
the next historical step (circularly). Draws per step, always both: u_block, then u_start (the
new block's start, ceil(u_start n) - 1). Replay: step k takes historical step k; no draws.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

BOOTSTRAP = 4
REPLAY = 5


class HistoryParams(NamedTuple):
    """log_return, log_high, funding: per historical step (see engine.history.History);
    restart: p, the probability that a bootstrap step starts a new block; from_data: the funding
    rate is the historical one."""

    log_return: np.ndarray
    log_high: np.ndarray
    funding: np.ndarray
    restart: float
    from_data: bool


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def bootstrap_index(index, k, u_block, u_start, restart, n):  # pragma: no cover - compiled
    """The historical step taken by step k, given `index`, the one taken by step k - 1: a new
    block at ceil(u_start n) - 1 (uniform on 0..n-1 for u_start in (0, 1]) on the first step or
    when u_block <= restart, else the next step, circularly."""
    if k == 0 or u_block <= restart:
        return np.intp(np.ceil(u_start * n)) - 1
    index += 1
    if index == n:
        return 0
    return index
