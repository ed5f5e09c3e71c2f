"""Deterministic shocks on top of any price model: price moves, volatility multipliers, forced
funding (the scenario's `shocks:` list, turned into per-step arrays by engine/inputs/shocks.py).

Step k covers (t_k, t_k+1]. Per step:
  - log_move[k]: added to the step's log-price drift (ln(1 + move) / n over the n steps of a price
    shock's window). It shifts the diffusive leg: within the step the path is still a Brownian
    bridge between its endpoints (a deterministic drift does not change a bridge's law), so the
    liquidation test is unchanged.
  - vol_multiplier[k]: the step's diffusive sd is multiplied by M, the bridge test uses the
    multiplied variance (bridge scale / M^2), and the log drift gets the Ito term of the extra
    variance, -(M^2 - 1) sd^2 / 2, so E[P] is unchanged by a volatility shock (inside the window the
    price is the model's GBM leg with vol M sigma).
  - forced_funding[k]: the rate forced at the end of step k (NaN: not forced).
The arrays are empty (length 0) when the scenario has no shocks: the step then skips them all.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit


class ShockParams(NamedTuple):
    """Per-step arrays of length n_steps, or of length 0 without shocks. log_move: ln-price units
    added over step k. vol_multiplier: multiplier of the diffusive sd over step k (1: none).
    forced_funding: funding rate per interval forced at the end of step k (NaN: not forced)."""

    log_move: np.ndarray
    vol_multiplier: np.ndarray
    forced_funding: np.ndarray


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def shocked_step(step_drift, step_sd, step_bridge_scale, log_move, multiplier):  # pragma: no cover
    """The step's (log drift, diffusive log-sd, bridge scale 2 / sd^2) under the step's shocks."""
    if multiplier != 1.0:
        m2 = multiplier * multiplier
        step_drift -= 0.5 * (m2 - 1.0) * step_sd * step_sd
        step_sd *= multiplier
        step_bridge_scale /= m2
    return step_drift + log_move, step_sd, step_bridge_scale
