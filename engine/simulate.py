"""Run a scenario in memory: split the paths (of every sweep point) into fixed blocks, run the
kernel on each block as a dask task, gather the per-path results into an xarray Dataset with units
and provenance. Large runs stream into a store instead: `engine.runner`.

Each path's random stream depends only on (seed, path index) (see `engine.kernels.rng`), so the
Dataset is bit-identical for any block size, number of workers or scheduler.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping
from typing import Any

import dask
import numba
import numpy as np
import xarray as xr

from engine.errors import InputError
from engine.outputs import DERIVED_OUTPUTS, PATH_OUTPUTS, SAMPLE_OUTPUTS
from engine.params import observation_days
from engine.scenario import Scenario, load_scenario
from engine.version import __version__

DEFAULT_BLOCK_PATHS = 4_096
RNG_DESCRIPTION = "xoshiro256++ per path, seeded by splitmix64(seed, path); 256-layer ziggurat"


def versions() -> dict[str, str]:
    return {
        "lphedge": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "xarray": xr.__version__,
        "dask": dask.__version__,
    }


def _resolve(
    scenario: Scenario | Mapping[str, Any] | str | None, paths: int | None, seed: int | None
) -> Scenario:
    overrides: dict[str, Any] = {}
    if paths is not None:
        overrides["paths"] = paths
    if seed is not None:
        overrides["seed"] = seed
    if isinstance(scenario, Scenario) and not overrides:
        return scenario
    return load_scenario(scenario, overrides=overrides)


def simulate(
    scenario: Scenario | Mapping[str, Any] | str | None = None,
    paths: int | None = None,
    seed: int | None = None,
    *,
    block_paths: int | None = None,
    workers: int | None = None,
    scheduler: str = "threads",
    client: Any = None,
) -> xr.Dataset:
    """Simulate a scenario and return one Dataset with dimension `path` (plus one dimension per
    swept key, named by the dotted key, when the scenario has a `sweep`).

    `scenario` is a `Scenario`, a mapping, a YAML path or shipped name, or None for the default.
    `paths` and `seed` override the scenario's. `block_paths` is the task size (default:
    `engine.runner.default_block_paths`, as `run_to_store`'s); `workers` the
    number of dask workers (default: every core); `scheduler` a local dask scheduler name
    ("threads", "processes", "synchronous"); `client` a `dask.distributed.Client` to run the tasks
    on instead (e.g. connected to a cluster). None of these changes a single number. The whole
    result is held in memory: for large runs use `engine.runner.run_to_store`.
    """
    from engine.runner import compute_block, dataset_layout, make_plan, run_tasks

    scn = _resolve(scenario, paths, seed)
    if block_paths is not None and block_paths < 1:
        raise InputError("block_paths", block_paths, "must be at least 1")
    plan = make_plan(scn, block_paths)
    tasks = plan.tasks()
    point_json = [p.to_json() for _, p in plan.points]
    n_time = len(observation_days(plan.points[0][1]))
    arrays: dict[str, np.ndarray] = {}
    for name, spec in {**PATH_OUTPUTS, **DERIVED_OUTPUTS}.items():
        arrays[name] = np.empty((*plan.sweep_shape, plan.paths), spec.dtype)
    for name in SAMPLE_OUTPUTS:
        arrays[f"sample_{name}"] = np.empty((*plan.sweep_shape, plan.n_sample, n_time))

    def fill(task: Any, values: dict[str, np.ndarray]) -> None:
        for name, block in values.items():
            if name.startswith("sample_"):
                end = task.first_path + task.n_record
                arrays[name][(*task.position, slice(task.first_path, end))] = block
            else:
                end = task.first_path + task.n_paths
                arrays[name][(*task.position, slice(task.first_path, end))] = block

    if client is not None:
        run_tasks(client, compute_block, tasks, lambda t: (point_json[t.point], t), fill)
    else:
        delayed = [dask.delayed(compute_block)(point_json[t.point], t) for t in tasks]
        results = dask.compute(*delayed, scheduler=scheduler, num_workers=workers)
        for task, values in zip(tasks, results, strict=True):
            fill(task, values)
    return dataset_layout(plan, arrays)


def scenario_of(ds: xr.Dataset) -> Scenario:
    """The resolved scenario a results Dataset was made from."""
    return load_scenario(json.loads(ds.attrs["scenario"]))
