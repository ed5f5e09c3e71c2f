"""The hedge against the unhedged LP on the same paths: effectiveness and the unhedged tail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.risk.probability import proportion
from engine.risk.sample import finite_or_none, level_key, mean_with_stderr, sample_std
from engine.risk.tail import expected_shortfall, value_at_risk


def hedge_effectiveness(pnl: npt.ArrayLike, unhedged_pnl: npt.ArrayLike) -> float | None:
    """1 - Var(hedged P&L) / Var(unhedged P&L) on the same paths (dimensionless).

    1 means the hedge removes all variance, 0 none, negative that it adds variance. None when the
    unhedged P&L does not vary (or there are fewer than two paths).
    """
    hedged = np.asarray(pnl, dtype=np.float64)
    unhedged = np.asarray(unhedged_pnl, dtype=np.float64)
    if hedged.size < 2:
        return None
    var_unhedged = float(np.var(unhedged, ddof=1))
    if not var_unhedged > 0.0:
        return None
    return 1.0 - float(np.var(hedged, ddof=1)) / var_unhedged


def hedge_section(pnl: np.ndarray, unhedged: np.ndarray, levels: Sequence[float]) -> dict[str, Any]:
    """The hedged P&L `pnl` against the unhedged LP's `unhedged` on the same paths (quote units):
    effectiveness, the unhedged P&L's mean / stderr / std and its VaR and ES per level,
    P(hedged > unhedged) and the mean difference."""
    u_loss = -unhedged
    return {
        "effectiveness": hedge_effectiveness(pnl, unhedged),
        "unhedged_pnl": {**mean_with_stderr(unhedged), "std": finite_or_none(sample_std(unhedged))},
        "unhedged_var": {level_key(a): value_at_risk(u_loss, a) for a in levels},
        "unhedged_es": {level_key(a): expected_shortfall(u_loss, a) for a in levels},
        "hedged_better": proportion(pnl > unhedged),
        "pnl_difference": mean_with_stderr(pnl - unhedged),
    }
