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
from typing import Any, NamedTuple

import dask
import numba
import numpy as np
import xarray as xr

from engine.errors import InputError
from engine.inputs import KernelInputs, observation_days
from engine.kernels.driver import RECORD_FIELDS, simulate_block
from engine.kernels.lanes import simulate_block_lanes
from engine.outputs import DERIVED_OUTPUTS, PATH_OUTPUTS, SAMPLE_OUTPUTS, allocate_path_outputs
from engine.scenario import Scenario, load_scenario
from engine.version import __version__

DEFAULT_BLOCK_PATHS = 4_096
KERNELS = ("auto", "general", "lanes")
RNG_DESCRIPTION = "xoshiro256++ per path, seeded by splitmix64(seed, path); 256-layer ziggurat"


class BlockResult(NamedTuple):
    first_path: int
    outputs: dict[str, np.ndarray]
    record: np.ndarray


def run_block(
    inputs: KernelInputs,
    seed: int,
    first_path: int,
    n_paths: int,
    n_record: int,
    kernel: str = "auto",
) -> BlockResult:
    """Simulate paths [first_path, first_path + n_paths); keep whole paths for the first n_record.

    `kernel`: "auto" runs the lane (SIMD) kernel when it supports the scenario
    (`inputs.lanes`, from `engine.dispatch.supports`) and the general kernel otherwise; "general"
    forces the general kernel; "lanes" forces the lane kernel (an error if it does not support the
    scenario). Both give the same bits where both apply.
    """
    if kernel not in KERNELS:
        raise ValueError(f"kernel = {kernel!r}: must be one of {', '.join(KERNELS)}")
    if kernel == "lanes" and not inputs.lanes:
        raise ValueError("kernel = 'lanes': the lane kernel does not support this scenario")
    out = allocate_path_outputs(n_paths)
    n_obs = int(inputs.grid.observe_index.max(initial=0)) + 1
    record = np.full((n_record, n_obs, len(RECORD_FIELDS)), np.nan)
    models = (
        inputs.market,
        inputs.pool,
        inputs.hedge,
        inputs.grid,
        inputs.manage,
        inputs.funding,
        inputs.shocks,
    )
    stream = (np.uint64(seed), np.int64(first_path), out, record)
    if inputs.lanes and kernel != "general":
        # options and venue hazards are off in every scenario the lane kernel supports
        simulate_block_lanes(*models, *stream)
    else:
        simulate_block(*models, inputs.options, inputs.venue, *stream)
    return BlockResult(first_path, out._asdict(), record)


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
