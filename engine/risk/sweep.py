"""Sweep points of a results Dataset, and the capital K of a point.

A results Dataset may carry dimensions besides `path` (one per swept scenario key, named by the
dotted key, e.g. "hedge.leverage"). Every metric reduces over `path` only: `points(ds)` splits a
Dataset into its sweep points.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np
import xarray as xr

from engine.errors import InputError


def sweep_dims(ds: xr.Dataset) -> list[str]:
    """The dimensions of `pnl` other than `path` (the swept keys), in order."""
    if "pnl" not in ds:
        raise InputError("results", ds.attrs.get("scenario_name", "?"), "has no pnl variable")
    return [str(d) for d in ds["pnl"].dims if d != "path"]


def _plain(x: Any) -> Any:
    return x.item() if hasattr(x, "item") else x


def points(ds: xr.Dataset) -> Iterator[tuple[dict[str, Any], xr.Dataset]]:
    """Yield (coordinates, one-point Dataset) for every sweep point; one ({}, ds) for a plain run.

    Coordinates map each sweep dimension to its plain Python value at the point.
    """
    dims = sweep_dims(ds)
    for index in itertools.product(*(range(ds.sizes[d]) for d in dims)):
        sel = dict(zip(dims, index, strict=True))
        point = ds.isel(sel) if sel else ds
        coords = {d: _plain(point[d].values) if d in point.coords else i for d, i in sel.items()}
        yield coords, point


def capital_of(point: xr.Dataset) -> float:
    """The capital K of a one-point Dataset, quote units. A `capital` variable (a swept store keeps
    the per-point capital as a variable over the sweep dimensions) wins over the attrs."""
    if "capital" in point.variables and point["capital"].ndim == 0:
        return float(point["capital"].values)
    return float(point.attrs["capital"])


def capital_scale(ds: xr.Dataset) -> float:
    """The largest capital K in a Dataset (one run or a whole sweep), quote units, or 1."""
    if "capital" in ds.variables:
        return float(np.max(ds["capital"].values))
    return float(ds.attrs.get("capital", 1.0))
