"""Run a scenario: split the paths into fixed blocks, run the kernel on each block as a dask task,
gather the per-path results into an xarray Dataset with units and provenance.

Each path's random stream depends only on (seed, path index) (see `engine.kernels.rng`), so the
Dataset is bit-identical for any block size, number of workers or scheduler.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

import dask
import numba
import numpy as np
import xarray as xr

from engine import __version__
from engine.errors import InputError
from engine.kernels.driver import RECORD_FIELDS, simulate_block
from engine.outputs import DERIVED_OUTPUTS, PATH_OUTPUTS, SAMPLE_OUTPUTS, allocate_path_outputs
from engine.params import KernelInputs, kernel_inputs, observation_days, split_capital
from engine.scenario import Scenario, load_scenario

DEFAULT_BLOCK_PATHS = 4_096
RNG_DESCRIPTION = "xoshiro256++ per path, seeded by splitmix64(seed, path); 256-layer ziggurat"


class BlockResult(NamedTuple):
    first_path: int
    outputs: dict[str, np.ndarray]
    record: np.ndarray


def run_block(
    inputs: KernelInputs, seed: int, first_path: int, n_paths: int, n_record: int
) -> BlockResult:
    """Simulate paths [first_path, first_path + n_paths); keep whole paths for the first n_record."""
    out = allocate_path_outputs(n_paths)
    n_obs = int(inputs.grid.observe_index.max(initial=0)) + 1
    record = np.full((n_record, n_obs, len(RECORD_FIELDS)), np.nan)
    simulate_block(
        inputs.market,
        inputs.pool,
        inputs.hedge,
        inputs.grid,
        np.uint64(seed),
        np.int64(first_path),
        out,
        record,
    )
    return BlockResult(first_path, out._asdict(), record)


def path_blocks(paths: int, block_paths: int) -> list[tuple[int, int]]:
    """(first_path, n_paths) of each block."""
    return [(start, min(block_paths, paths - start)) for start in range(0, paths, block_paths)]


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
    block_paths: int = DEFAULT_BLOCK_PATHS,
    workers: int | None = None,
    scheduler: str = "threads",
) -> xr.Dataset:
    """Simulate a scenario and return one Dataset with dimension `path`.

    `scenario` is a `Scenario`, a mapping, a YAML path or shipped name, or None for the default.
    `paths` and `seed` override the scenario's. `block_paths` is the task size; `workers` the
    number of dask workers (default: every core); `scheduler` a dask scheduler name
    ("threads", "processes", "synchronous"). None of these three changes a single number.
    """
    scn = _resolve(scenario, paths, seed)
    if block_paths < 1:
        raise InputError("block_paths", block_paths, "must be at least 1")
    inputs = kernel_inputs(scn)
    n_sample = min(scn.output.sample_paths, scn.paths)
    tasks = [
        dask.delayed(run_block)(inputs, scn.seed, start, n, max(0, min(n, n_sample - start)))
        for start, n in path_blocks(scn.paths, block_paths)
    ]
    results = dask.compute(*tasks, scheduler=scheduler, num_workers=workers)
    return build_dataset(scn, inputs, list(results), n_sample)


def build_dataset(
    scn: Scenario, inputs: KernelInputs, blocks: list[BlockResult], n_sample: int
) -> xr.Dataset:
    """Assemble block results (any order) into the results Dataset."""
    blocks = sorted(blocks, key=lambda b: b.first_path)
    data_vars: dict[str, xr.Variable] = {}
    for name, spec in PATH_OUTPUTS.items():
        values = np.concatenate([b.outputs[name] for b in blocks])
        data_vars[name] = xr.Variable(
            "path", values, {"units": spec.units, "description": spec.description}
        )
    split = split_capital(scn)
    final_price = data_vars["final_price"].values
    lp_pnl = data_vars["lp_value"].values - split.lp_value
    derived = {
        "hodl_pnl": split.x0 * (final_price - scn.market.spot),
        "unhedged_pnl": scn.capital / split.lp_value * (lp_pnl + data_vars["fees"].values),
    }
    for name, values in derived.items():
        spec = DERIVED_OUTPUTS[name]
        data_vars[name] = xr.Variable(
            "path", values, {"units": spec.units, "description": spec.description}
        )

    record = np.concatenate([b.record for b in blocks], axis=0)[:n_sample]
    for f, (name, spec) in enumerate(SAMPLE_OUTPUTS.items()):
        data_vars[f"sample_{name}"] = xr.Variable(
            ("sample", "time"),
            record[:, :, f],
            {"units": spec.units, "description": f"{spec.description}, sampled paths"},
        )
    coords = {
        "path": np.arange(scn.paths, dtype=np.int64),
        "sample": np.arange(n_sample, dtype=np.int64),
        "time": xr.Variable("time", observation_days(scn), {"units": "days"}),
    }
    attrs = {
        "title": f"lphedge results: {scn.name}",
        "scenario_name": scn.name,
        "scenario": scn.to_json(),
        "seed": scn.seed,
        "paths": scn.paths,
        "capital": scn.capital,
        "horizon_days": scn.horizon_days,
        "step_hours": scn.step_hours,
        "n_steps": scn.n_steps,
        "lp_value0": split.lp_value,
        "collateral0": split.collateral,
        "x0": split.x0,
        "y0": split.y0,
        "spot0": scn.market.spot,
        "rng": RNG_DESCRIPTION,
        "versions": json.dumps(versions(), sort_keys=True),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def scenario_of(ds: xr.Dataset) -> Scenario:
    """The resolved scenario a results Dataset was made from."""
    return load_scenario(json.loads(ds.attrs["scenario"]))
