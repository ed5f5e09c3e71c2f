"""The store a streamed run writes: created up front at its final shape, written task by task from
the workers, resumable from its done flags.

Every variable is chunked by task block along `path` and by 1 along each sweep dimension, so every
task owns whole chunks. A task writes its region of the store from its worker, then sets its flag
in the done-flag array (`lphedge_tasks/done`, one chunk per task; zarr writes every chunk file
atomically). A killed run leaves the store incomplete; resuming it runs only the tasks whose flag
is unset.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import threading
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import zarr
from zarr.core.sync import sync as zarr_sync

from engine.errors import InputError
from engine.files import TMP_MARK
from engine.inputs import observation_days
from engine.outputs import DERIVED_OUTPUTS, PATH_OUTPUTS, SAMPLE_OUTPUTS
from engine.results.blocks import compute_block
from engine.results.layout import dataset_layout
from engine.results.plan import Plan, Task
from engine.results.store import BLOCK_ATTR, RUN_ID_ATTR, STORE_ATTR, STORE_VERSION, TASKS_ARRAY


def store_attrs_of(path: Path) -> dict[str, Any]:
    """The root attributes of the zarr store at `path`."""
    return dict(zarr.open_group(path, mode="r", zarr_format=3).attrs)


def create_store(path: Path, plan: Plan) -> None:
    """Create the store with every variable at its final shape (no chunk written) and the
    done-flag array, all unset."""
    k = len(plan.sweep_dims)
    block = plan.block_paths
    data: dict[str, Any] = {}
    encoding: dict[str, dict[str, Any]] = {}
    # one dask chunk per variable: with compute=False nothing is computed, and a graph of one
    # task per store chunk took about 0.1 s of the 0.6 s this creation took for the default
    # scenario (measured); the store's chunks are set apart, by the encoding
    for name, spec in {**PATH_OUTPUTS, **DERIVED_OUTPUTS}.items():
        shape = (*plan.sweep_shape, plan.paths)
        data[name] = da.zeros(shape, chunks=shape, dtype=spec.dtype)
        encoding[name] = {"chunks": (1,) * k + (min(block, plan.paths),)}
    n_time = len(observation_days(plan.points[0][1]))
    for name in SAMPLE_OUTPUTS:
        shape = (*plan.sweep_shape, plan.n_sample, n_time)
        data[f"sample_{name}"] = da.zeros(shape, chunks=shape, dtype=np.float64)
        encoding[f"sample_{name}"] = {
            "chunks": (1,) * k + (max(1, min(block, plan.n_sample)), n_time)
        }
    ds = dataset_layout(plan, data)
    ds.attrs[STORE_ATTR] = STORE_VERSION
    ds.attrs[BLOCK_ATTR] = plan.block_paths
    ds.attrs[RUN_ID_ATTR] = secrets.token_hex(8)
    ds.to_zarr(path, mode="w-", compute=False, consolidated=False, zarr_format=3, encoding=encoding)
    group = zarr.open_group(path, mode="r+", zarr_format=3)
    group.create_array(TASKS_ARRAY, shape=(plan.n_tasks,), chunks=(1,), dtype="uint8", fill_value=0)


def done_flags(path: Path) -> np.ndarray:
    """Which tasks of the store at `path` are done (bool, by task index)."""
    flags = zarr.open_array(path, path=TASKS_ARRAY, mode="r", zarr_format=3)[:]
    return np.asarray(flags).astype(bool)


def remove_partials(path: Path) -> None:
    """Remove the temporary chunk files a killed writer left (zarr writes
    `<chunk>.<uuid>.partial`, then renames)."""
    for p in path.rglob("*.partial"):
        with contextlib.suppress(OSError):
            p.unlink()


def open_for_resume(path: Path, plan: Plan) -> Plan:
    """Check an existing store was made from the same scenario; returns the plan with the store's
    task size."""
    try:
        attrs = store_attrs_of(path)
    except (OSError, ValueError):
        raise InputError("--resume", str(path), "is not an lphedge results store") from None
    if (
        attrs.get(STORE_ATTR) != STORE_VERSION
        or BLOCK_ATTR not in attrs
        or RUN_ID_ATTR not in attrs
    ):
        raise InputError("--resume", str(path), "is not a resumable lphedge results store")
    if attrs.get("scenario") != plan.scenario.to_json():
        raise InputError(
            "--resume",
            str(path),
            "was made from a different scenario (or --set/--grid/--paths/--seed); "
            "resume with the same ones, or pass --overwrite to start again",
        )
    block = int(attrs[BLOCK_ATTR])
    return Plan(plan.scenario, plan.points, block)


def discard(store: Path) -> None:
    """Remove an old store (renamed first, so a crash midway leaves no half-deleted results.zarr)."""
    trash = store.with_name(f".{store.name}{TMP_MARK}{secrets.token_hex(4)}")
    os.rename(store, trash)
    shutil.rmtree(trash, ignore_errors=True)


_OPEN_STORES: dict[tuple[str, str], dict[str, zarr.Array]] = {}
_OPEN_LOCK = threading.Lock()


def _store_arrays(store: str, run_id: str) -> dict[str, zarr.Array]:
    """The store's arrays, opened once per worker process and store (`run_id` tells a store from
    a new one made at the same path)."""
    key = (store, run_id)
    with _OPEN_LOCK:
        arrays = _OPEN_STORES.get(key)
        if arrays is None:
            group = zarr.open_group(store, mode="r+", zarr_format=3)
            if group.attrs.get(RUN_ID_ATTR) != run_id:
                raise RuntimeError(f"{store} is not the store this task was planned for")
            names = [*PATH_OUTPUTS, *DERIVED_OUTPUTS, *(f"sample_{n}" for n in SAMPLE_OUTPUTS)]
            arrays = {name: zarr.open_array(store, path=name, mode="r+") for name in names}
            arrays[TASKS_ARRAY] = zarr.open_array(store, path=TASKS_ARRAY, mode="r+", zarr_format=3)
            if len(_OPEN_STORES) >= 8:
                _OPEN_STORES.clear()
            _OPEN_STORES[key] = arrays
        return arrays


async def _write_regions(writes: list[tuple[zarr.Array, tuple[Any, ...], np.ndarray]]) -> None:
    await asyncio.gather(*(arr._async_array.setitem(region, v) for arr, region, v in writes))


def write_task(store: str, run_id: str, scenario_json: str, task: Task) -> int:
    """Run one task on a worker and write its region of the store, then its done flag."""
    values = compute_block(scenario_json, task)
    arrays = _store_arrays(store, run_id)
    rows = slice(task.first_path, task.first_path + task.n_paths)
    writes: list[tuple[zarr.Array, Any, np.ndarray]] = []
    for name, arr in values.items():
        if name.startswith("sample_"):
            if task.n_record:
                region = (*task.position, slice(task.first_path, task.first_path + task.n_record))
                writes.append((arrays[name], region, arr))
        else:
            writes.append((arrays[name], (*task.position, rows), arr))
    zarr_sync(_write_regions(writes))  # every chunk of the task at once, through zarr's event loop
    arrays[TASKS_ARRAY][task.index] = 1  # last: the task is done only once its data is in
    return task.index
