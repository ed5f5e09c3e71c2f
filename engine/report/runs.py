"""Loading stored runs for the report, and the report's unit: the entity (a run or a sweep point)
with its risk metrics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xarray as xr

from engine.errors import InputError
from engine.results.store import read_results
from engine.risk.point_metrics import risk_metrics
from engine.risk.sweep import points
from engine.risk.tail import LEVELS
from engine.scenario import point_key

REQUIRED = ("pnl", "liquidated", "liquidation_time", "max_drawdown")


def load_run(path: str | Path) -> xr.Dataset:
    """Re-read a stored run for reporting; `InputError` for a missing, foreign, incomplete store
    or one without the per-path results a report needs."""
    ds = read_results(path)
    missing = [v for v in REQUIRED if v not in ds]
    if missing or ("capital" not in ds.attrs and "capital" not in ds.variables):
        what = ", ".join(missing) if missing else "the capital"
        raise InputError("results", str(path), f"lacks {what}: not an lphedge results store")
    if ds.sizes.get("path", 0) < 1:
        raise InputError("results", str(path), "holds no paths")
    return ds


@dataclass
class Entity:
    """One run or one sweep point: its data, metrics and where it came from."""

    run: int  # index of the run it belongs to
    run_label: str
    coords: dict[str, Any]
    ds: xr.Dataset
    metrics: dict[str, Any]

    @property
    def label(self) -> str:
        if not self.coords:
            return self.run_label
        point = ", ".join(f"{k}={v}" for k, v in self.coords.items())
        return f"{self.run_label} [{point}]" if self.run_label else point


def _point_risk(summary: Mapping[str, Any], coords: Mapping[str, Any]) -> dict[str, Any]:
    """The risk metrics of one point, read from the run's summary (`engine.risk.summary`)."""
    return summary["points"][point_key(dict(coords))]["risk"] if coords else summary["risk"]


def entities(
    runs: Sequence[tuple[str, xr.Dataset]],
    summaries: Sequence[Mapping[str, Any]] | None = None,
) -> list[Entity]:
    """Every run's entities, one per sweep point (one for a plain run), in order. With
    `summaries` (each run's `engine.risk.summary`) the metrics are read from them; otherwise
    computed here (`risk_metrics` at `LEVELS`, as the summary does)."""
    if summaries is not None and len(summaries) != len(runs):
        raise InputError("summaries", len(summaries), f"needs one per run ({len(runs)})")
    out = []
    for i, (label, ds) in enumerate(runs):
        for coords, point in points(ds):
            metrics = (
                risk_metrics(point, LEVELS)
                if summaries is None
                else _point_risk(summaries[i], coords)
            )
            out.append(Entity(i, label, coords, point, metrics))
    return out
