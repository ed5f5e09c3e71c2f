"""The P&L by part: attribution (means and ES contributions) and the effect of cash overlays.

The parts follow the accounting identity of docs/model-notes.md: hodl_pnl + il = V_LP,T - V0, so
the parts of `ATTRIBUTION` add up to `pnl` per path. Money in quote units.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from engine.declarations import Overlay, Part
from engine.risk.sample import level_key, mean_with_stderr
from engine.risk.sweep import capital_scale
from engine.risk.tail import LEVELS, es_stderr, expected_shortfall, tail_mask, value_at_risk
from engine.scenario.instruments.registry import instrument_overlays, instrument_parts

ATTRIBUTION_TOLERANCE = 1e-9
"""Largest |sum of parts - P&L| accepted, relative to the capital, before an `unexplained` part."""


CORE_PARTS: tuple[Part, ...] = (
    Part("lp_price_move", "LP price move (HODL)", "hodl_pnl", 1.0),
    Part("impermanent_loss", "impermanent loss", "il", 1.0),
    Part("fees", "LP fees", "fees", 1.0),
    Part("funding", "funding", "funding", 1.0),
    Part("perp_pnl", "perp price P&L", "perp_pnl", 1.0),
    Part("trading_costs", "trading costs", "trading_costs", -1.0),
    Part("liquidation_losses", "liquidation losses", "liquidation_loss", -1.0),
)
"""The core model's P&L parts: the LP position and the short perpetual."""

ATTRIBUTION: tuple[Part, ...] = (*CORE_PARTS, *instrument_parts())
"""The P&L attribution (docs/model-notes.md, accounting identity): hodl_pnl + il = V_LP,T - V0, so
the parts add up to `pnl` per path. The core's parts, then each registered instrument's (an
instrument that adds a P&L component declares its Part in its module)."""

OVERLAYS: dict[str, Overlay] = instrument_overlays()
"""Pure cash overlays by key (the registered instruments that are one): Part names whose sum is
the overlay's net P&L per path. Nothing else on a path depends on them, so the P&L without the
overlay is exactly `pnl - net` on the same paths."""


def attribution_parts(ds: xr.Dataset) -> dict[str, xr.DataArray]:
    """The P&L parts per path (quote units), keyed by `Part.name`, over any sweep dimensions.

    Parts whose variable the Dataset lacks are left out, and so are optional parts that are zero
    on every path (a feature switched off). When the parts do not add up to `pnl`
    (beyond `ATTRIBUTION_TOLERANCE` x K: a component not yet listed in ATTRIBUTION) the remainder
    is returned as a last part, "unexplained", so the parts always add up to the P&L.
    """
    parts = {
        p.name: p.sign * ds[p.variable]
        for p in ATTRIBUTION
        if p.variable in ds and not (p.optional and not np.any(ds[p.variable].values))
    }
    if not parts:
        return {}
    total = sum(parts.values())
    rest = ds["pnl"] - total
    capital = capital_scale(ds)
    if float(np.nanmax(np.abs(rest.values), initial=0.0)) > ATTRIBUTION_TOLERANCE * capital:
        parts["unexplained"] = rest
    return parts


def attribution(point: xr.Dataset, levels: Sequence[float] = LEVELS) -> dict[str, Any]:
    """Per part: the mean and its standard error, and the contribution to ES at each level.

    The contribution of a part to ES_a is minus its mean over the tail paths (loss >= VaR_a): the
    contributions add up to ES_a exactly, as the parts add up to the P&L on every path.
    `max_residual` is max over paths of |sum of parts - pnl| (quote units).
    """
    parts = attribution_parts(point)
    if not parts:
        return {}
    pnl = np.asarray(point["pnl"].values, dtype=np.float64)
    loss = -pnl
    masks = {level_key(a): tail_mask(loss, a) for a in levels}
    labels = {p.name: p.label for p in ATTRIBUTION}
    labels["unexplained"] = "unexplained"
    rows = {}
    total = np.zeros_like(pnl)
    for name, values in parts.items():
        v = np.asarray(values.values, dtype=np.float64)
        total = total + v
        rows[name] = {
            "label": labels[name],
            **mean_with_stderr(v),
            "es_contribution": {k: float(-v[m].mean()) for k, m in masks.items()},
        }
    return {"parts": rows, "max_residual": float(np.max(np.abs(total - pnl)))}


def _with_and_without(
    pnl: np.ndarray, without: np.ndarray, levels: Sequence[float]
) -> dict[str, Any]:
    """Per level: VaR and ES of `pnl` and of `without` (the same paths without an overlay), the
    ES standard errors and `es_saved` = ES without - ES with (quote units)."""
    rows = {}
    for a in levels:
        es_with = expected_shortfall(-pnl, a)
        es_without = expected_shortfall(-without, a)
        rows[level_key(a)] = {
            "var_with": value_at_risk(-pnl, a),
            "var_without": value_at_risk(-without, a),
            "es_with": es_with,
            "es_without": es_without,
            "es_with_stderr": es_stderr(-pnl, a),
            "es_without_stderr": es_stderr(-without, a),
            "es_saved": es_without - es_with,
        }
    return rows


def overlay_effects(point: xr.Dataset, levels: Sequence[float] = LEVELS) -> dict[str, Any]:
    """What each overlay present in the run (options, venue cover) costs and does to the tail.

    Per overlay: `paid` (mean premia), `received` (mean payoffs, payouts and horizon marks), `net`
    (mean and standard error of received - paid per path: minus the expected cost), and per level
    VaR and ES of the P&L with the overlay and without it (pnl - net, the same paths: an overlay
    changes nothing else on a path), `es_saved` = ES without - ES with (quote units). Overlays that
    are zero on every path are left out.
    """
    parts = attribution_parts(point)
    pnl = np.asarray(point["pnl"].values, dtype=np.float64)
    sign = {p.name: p.sign for p in ATTRIBUTION}
    out: dict[str, Any] = {}
    for key, overlay in OVERLAYS.items():
        present = [n for n in overlay.parts if n in parts]
        if not present:
            continue
        paid = np.zeros_like(pnl)
        received = np.zeros_like(pnl)
        for n in present:
            values = np.asarray(parts[n].values, dtype=np.float64)
            if sign[n] < 0.0:
                paid -= values
            else:
                received += values
        net = received - paid
        without = pnl - net
        out[key] = {
            "label": overlay.label,
            "paid": float(paid.mean()),
            "received": float(received.mean()),
            "net": mean_with_stderr(net),
            "pnl_without": mean_with_stderr(without),
            "tail": _with_and_without(pnl, without, levels),
        }
    return out
