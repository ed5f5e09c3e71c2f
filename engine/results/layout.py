"""The results Dataset's layout, shared by the store and the in-memory result: dimensions,
coordinates, units, per-point constants and provenance."""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import dask
import numba
import numpy as np
import xarray as xr

from engine.inputs import observation_days, split_capital
from engine.outputs import DERIVED_OUTPUTS, PATH_OUTPUTS, SAMPLE_OUTPUTS
from engine.results.plan import Plan
from engine.scenario import Scenario
from engine.version import __version__

RNG_DESCRIPTION = "xoshiro256++ per path, seeded by splitmix64(seed, path); 256-layer ziggurat"

POINT_VARIABLES = ("capital", "lp_value0", "collateral0", "x0", "y0")
"""Per-point constants: attributes of a plain run, variables over the sweep dims of a sweep."""


def versions() -> dict[str, str]:
    """The versions of lphedge, Python and the libraries that produce a result."""
    return {
        "lphedge": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "xarray": xr.__version__,
        "dask": dask.__version__,
    }


def point_attrs(scn: Scenario) -> dict[str, Any]:
    """A point's capital split (quote, except x0 in risky units)."""
    split = split_capital(scn)
    return {
        "capital": scn.capital,
        "lp_value0": split.lp_value,
        "collateral0": split.collateral,
        "x0": split.x0,
        "y0": split.y0,
    }


def _sweep_coord(values: list[Any]) -> np.ndarray:
    return np.asarray(values)


def dataset_layout(plan: Plan, data: Mapping[str, Any]) -> xr.Dataset:
    """The results Dataset over `data` (numpy or dask arrays keyed by variable name, shaped
    (*sweep, path) or (*sweep, sample, time)), with coordinates, units and attributes."""
    scn = plan.scenario
    first = plan.points[0][1]
    sweep_dims = plan.sweep_dims
    data_vars: dict[str, xr.Variable] = {}
    for name, spec in {**PATH_OUTPUTS, **DERIVED_OUTPUTS}.items():
        data_vars[name] = xr.Variable(
            (*sweep_dims, "path"),
            data[name],
            {"units": spec.units, "description": spec.description},
        )
    for name, spec in SAMPLE_OUTPUTS.items():
        data_vars[f"sample_{name}"] = xr.Variable(
            (*sweep_dims, "sample", "time"),
            data[f"sample_{name}"],
            {"units": spec.units, "description": f"{spec.description}, sampled paths"},
        )
    coords: dict[str, Any] = {
        "path": np.arange(plan.paths, dtype=np.int64),
        "sample": np.arange(plan.n_sample, dtype=np.int64),
        "time": xr.Variable("time", observation_days(first), {"units": "days"}),
    }
    for key, values in scn.sweep.items():
        coords[key] = xr.Variable(key, _sweep_coord(values), {"description": f"swept {key}"})
    attrs: dict[str, Any] = {
        "title": f"lphedge results: {scn.name}",
        "scenario_name": scn.name,
        "scenario": scn.to_json(),
        "seed": scn.seed,
        "paths": scn.paths,
        "capital": scn.capital,
        "horizon_days": first.horizon_days,
        "step_hours": first.step_hours,
        "n_steps": first.n_steps,
        **point_attrs(first),
        "spot0": first.market.spot,
        "rng": RNG_DESCRIPTION,
        "versions": json.dumps(versions(), sort_keys=True),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if sweep_dims:
        attrs["sweep"] = json.dumps(scn.sweep)
        units = {"capital": "quote", "lp_value0": "quote", "collateral0": "quote"}
        units |= {"x0": "risky", "y0": "quote"}
        per_point = [point_attrs(p) for _, p in plan.points]
        for name in POINT_VARIABLES:
            del attrs[name]
            grid = np.array([pa[name] for pa in per_point]).reshape(plan.sweep_shape)
            data_vars[name] = xr.Variable(sweep_dims, grid, {"units": units[name]})
        attrs["spot0"] = scn.market.spot
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def point_dataset(ds: xr.Dataset, plan: Plan, point: int) -> xr.Dataset:
    """One sweep point's slice of a results Dataset, with that point's attributes (a plain run's
    Dataset is returned as it is)."""
    if not plan.sweep_dims:
        return ds
    position = dict(zip(plan.sweep_dims, plan.position(point), strict=True))
    sub = ds.isel(position).drop_vars(list(POINT_VARIABLES), errors="ignore")
    scn = plan.points[point][1]
    sub.attrs = {**ds.attrs, **point_attrs(scn), "spot0": scn.market.spot}
    return sub
