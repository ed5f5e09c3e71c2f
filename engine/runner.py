"""Scale-out runs: a scenario (or a sweep of scenarios) as dask tasks that stream into a zarr store.

A run is planned as tasks of one sweep point x one block of consecutive paths. The store
(`DIR/results.zarr`) is created up front with every variable at its final shape, chunked by block
along `path` and by 1 along each sweep dimension, so every task owns whole chunks. Each task runs
the kernel on its block, writes its region of the store from the worker, then sets its flag in the
store's done-flag array (`lphedge_tasks/done`, one chunk per task; zarr writes every chunk file
atomically). The client only counts finished tasks: it never holds the per-path arrays.

After the last task the client writes `summary.json` (one point at a time) and then, last, the
store's completion mark. A killed job leaves an incomplete store that readers refuse; `--resume`
reopens it, checks that it was made from the same scenario, and runs only the tasks whose flag is
unset. Every path's random stream depends only on (seed, path index), so the finished store is the
same whatever the task size, the number of workers, the scheduler, or how many times the job was
interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import secrets
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import xarray as xr
import zarr

from engine.block import BlockResult, run_block
from engine.errors import InputError
from engine.metrics import summary as summarise
from engine.outputs import DERIVED_OUTPUTS, PATH_OUTPUTS, SAMPLE_OUTPUTS
from engine.params import kernel_inputs, observation_days, split_capital
from engine.scenario import Scenario, load_scenario, point_key, sweep_points
from engine.simulate import DEFAULT_BLOCK_PATHS, RNG_DESCRIPTION, versions
from engine.store import (
    BLOCK_ATTR,
    COMPLETE_ATTR,
    RESULTS_NAME,
    RUN_ID_ATTR,
    STORE_ATTR,
    STORE_VERSION,
    SUMMARY_NAME,
    TASKS_ARRAY,
    check_output,
)

POINT_VARIABLES = ("capital", "lp_value0", "collateral0", "x0", "y0")
"""Per-point constants: attributes of a plain run, variables over the sweep dims of a sweep."""


# --------------------------------------------------------------------------------------------
# The plan


@dataclass(frozen=True)
class Task:
    index: int  # position in the done-flag array: point_index * n_blocks + block
    point: int  # index of the sweep point (C order)
    position: tuple[int, ...]  # the point's index along each sweep dimension
    first_path: int
    n_paths: int
    n_record: int  # how many of the block's paths are sampled whole


@dataclass(frozen=True)
class Plan:
    scenario: Scenario  # the scenario as given, sweep included
    points: list[tuple[dict[str, Any], Scenario]]  # ({key: value}, point scenario)
    block_paths: int

    @property
    def sweep_dims(self) -> list[str]:
        return list(self.scenario.sweep)

    @property
    def sweep_shape(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.scenario.sweep.values())

    @property
    def paths(self) -> int:
        return self.scenario.paths

    @property
    def n_sample(self) -> int:
        return min(self.scenario.output.sample_paths, self.scenario.paths)

    @property
    def blocks(self) -> list[tuple[int, int]]:
        paths, size = self.paths, self.block_paths
        return [(start, min(size, paths - start)) for start in range(0, paths, size)]

    @property
    def n_tasks(self) -> int:
        return len(self.points) * len(self.blocks)

    @property
    def n_steps(self) -> int:
        return self.points[0][1].n_steps

    def position(self, point: int) -> tuple[int, ...]:
        return (
            tuple(int(i) for i in np.unravel_index(point, self.sweep_shape))
            if self.sweep_shape
            else ()
        )

    def tasks(self) -> list[Task]:
        blocks = self.blocks
        out = []
        for p in range(len(self.points)):
            position = self.position(p)
            for b, (start, n) in enumerate(blocks):
                n_record = max(0, min(n, self.n_sample - start))
                out.append(Task(p * len(blocks) + b, p, position, start, n, n_record))
        return out


# A task's default size (`default_block_paths`). Each task costs the runner about 25-50 ms besides
# its kernel time (scheduling, and writing ~40 zarr chunks; benchmarks.scale measures it), so a
# task gets at least TASK_PATH_STEPS of work: about 0.35 s of one core at 95 M path-steps/s. A
# run keeps at least MIN_TASKS tasks, for its workers to share.
TASK_PATH_STEPS = 2**25
MIN_TASKS = 8


def default_block_paths(paths: int, n_steps: int, n_points: int = 1) -> int:
    """Paths per task when none is given: a multiple of DEFAULT_BLOCK_PATHS, at least one, as
    large as TASK_PATH_STEPS of work asks (n_steps steps per path) but small enough that the run
    (n_points sweep points of `paths` paths) has MIN_TASKS tasks. A 90-day hourly run of 100,000
    paths gets tasks of 12,288 paths (9 tasks), a sweep of it 16,384, a year hourly 4096. The
    task size changes no result."""
    unit = DEFAULT_BLOCK_PATHS
    by_work = -(-TASK_PATH_STEPS // (max(n_steps, 1) * unit)) * unit  # rounded up
    by_count = paths // -(-MIN_TASKS // n_points) // unit * unit  # rounded down
    return max(min(by_work, by_count), unit)


def make_plan(scenario: Scenario, block_paths: int | None = None) -> Plan:
    """The run's tasks; `block_paths` None: default_block_paths."""
    points = sweep_points(scenario)
    if block_paths is None:
        n_steps = max(point.n_steps for _, point in points)
        block = default_block_paths(scenario.paths, n_steps, len(points))
    else:
        block = int(block_paths)
    if block < 1:
        raise InputError("--block-paths", block_paths, "must be at least 1")
    return Plan(scenario, points, block)


def _sweep_coord(values: list[Any]) -> np.ndarray:
    return np.asarray(values)


# --------------------------------------------------------------------------------------------
# What one block produces


def block_values(scn: Scenario, result: BlockResult) -> dict[str, np.ndarray]:
    """Every per-path variable of one block (kernel outputs and derived P&Ls), plus the sampled
    paths as `sample_<field>` arrays (n_record, n_time)."""
    split = split_capital(scn)
    values = dict(result.outputs)
    values["hodl_pnl"] = split.x0 * (values["final_price"] - scn.market.spot)
    for f, name in enumerate(SAMPLE_OUTPUTS):
        values[f"sample_{name}"] = result.record[:, :, f]
    return values


@functools.lru_cache(maxsize=64)
def _point_inputs(scenario_json: str) -> tuple[Scenario, Any]:
    """A point's scenario and kernel inputs, made once per worker process and point."""
    scn = load_scenario(json.loads(scenario_json))
    return scn, kernel_inputs(scn)


def compute_block(scenario_json: str, task: Task) -> dict[str, np.ndarray]:
    scn, inputs = _point_inputs(scenario_json)
    result = run_block(inputs, scn.seed, task.first_path, task.n_paths, task.n_record)
    return block_values(scn, result)


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
    try:  # every chunk of the task at once, through zarr's event loop
        from zarr.core.sync import sync

        sync(_write_regions(writes))
    except (ImportError, AttributeError):  # pragma: no cover - another zarr version
        for target, region, arr in writes:
            target[region] = arr
    arrays[TASKS_ARRAY][task.index] = 1  # last: the task is done only once its data is in
    return task.index


# --------------------------------------------------------------------------------------------
# The Dataset layout, shared by the store and the in-memory result


def point_attrs(scn: Scenario) -> dict[str, Any]:
    split = split_capital(scn)
    return {
        "capital": scn.capital,
        "lp_value0": split.lp_value,
        "collateral0": split.collateral,
        "x0": split.x0,
        "y0": split.y0,
    }


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


def summaries(ds: xr.Dataset, plan: Plan, load: bool = False) -> dict[str, Any]:
    """summary.json: the run's summary, or for a sweep one entry per point keyed by its label
    (`hedge.ratio=0.5,hedge.leverage=3`), each with the point's coordinates. With `load`, each
    point's path variables are loaded (and dropped) one point at a time."""
    names = [*PATH_OUTPUTS, *DERIVED_OUTPUTS]
    if not plan.sweep_dims:
        return summarise(ds[names].load() if load else ds)
    out: dict[str, Any] = {"sweep": plan.scenario.sweep, "points": {}}
    for p, (point, _) in enumerate(plan.points):
        sub = point_dataset(ds, plan, p)
        s = summarise(sub[names].load() if load else sub)
        out["points"][point_key(point)] = {"coords": point, **s}
    return out


# --------------------------------------------------------------------------------------------
# Dask execution


@contextlib.contextmanager
def dask_client(
    client: Any = None,
    scheduler: str | None = None,
    workers: int | None = None,
    processes: bool = False,
) -> Iterator[Any]:
    """A dask.distributed Client: the one given; one connected to `scheduler` (an address);
    or a LocalCluster of `workers` threads (default: every usable core) in this process, or of
    `workers` single-threaded processes."""
    if client is not None:
        yield client
        return
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            with Client(scheduler, timeout="10s") as remote:
                yield remote
        except OSError as exc:
            raise InputError("--scheduler", scheduler, f"cannot connect ({exc})") from None
        return
    n = workers or default_workers()
    if processes:
        cluster = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
    else:
        cluster = LocalCluster(
            n_workers=1,
            threads_per_worker=n,
            processes=False,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
    with cluster, Client(cluster) as local:
        yield local


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def run_tasks(
    client: Any,
    fn: Callable[..., Any],
    tasks: list[Task],
    args: Callable[[Task], tuple[Any, ...]],
    on_done: Callable[[Task, Any], None],
) -> None:
    """Submit `fn(*args(task))` for every task and call `on_done(task, result)` as each finishes
    (in completion order). A failed task cancels the rest and raises its exception."""
    from distributed import as_completed

    token = secrets.token_hex(4)
    by_key = {}
    futures = []
    for task in tasks:
        fut = client.submit(fn, *args(task), key=f"lphedge-{token}-{task.index}", pure=False)
        by_key[fut.key] = task
        futures.append(fut)
    try:
        for fut in as_completed(futures):
            result = fut.result()
            on_done(by_key[fut.key], result)
            fut.release()
    finally:
        client.cancel([f for f in futures if not f.done()])


# --------------------------------------------------------------------------------------------
# Progress


class Progress:
    """Paths done, path-steps/s and ETA on stderr (a rich progress bar on a terminal; nothing
    when quiet or not a terminal), and a log line per finished sweep point unless quiet."""

    def __init__(self, plan: Plan, done_before: int, quiet: bool) -> None:
        from rich.console import Console

        self.plan = plan
        self.quiet = quiet
        self.console = Console(stderr=True, highlight=False)
        self.total = plan.paths * len(plan.points)
        self.done = done_before
        self.start = time.perf_counter()
        self.new_paths = 0
        self.remaining: dict[int, int] = {}
        for task in plan.tasks():
            self.remaining[task.point] = self.remaining.get(task.point, 0) + 1
        self._bar = None
        if not quiet and self.console.is_terminal:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as Bar

            self._bar = Bar(
                TextColumn("paths"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=self.console,
                transient=True,
            )
            self._id = self._bar.add_task("paths", total=self.total, completed=done_before, rate="")

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def skip(self, task: Task) -> None:
        """A task already done (resume)."""
        self._count_point(task, log=False)

    def task_done(self, task: Task) -> None:
        self.done += task.n_paths
        self.new_paths += task.n_paths
        if self._bar is not None:
            elapsed = max(time.perf_counter() - self.start, 1e-9)
            rate = self.new_paths * self.plan.n_steps / elapsed
            self._bar.update(
                self._id, completed=self.done, rate=f"{rate / 1e6:,.1f} M path-steps/s"
            )
        self._count_point(task, log=True)

    def _count_point(self, task: Task, log: bool) -> None:
        self.remaining[task.point] -= 1
        if self.remaining[task.point] == 0 and log and self.plan.sweep_dims and not self.quiet:
            point = self.plan.points[task.point][0]
            finished = sum(1 for v in self.remaining.values() if v == 0)
            self.console.print(
                f"sweep point {finished}/{len(self.plan.points)} done: {point_key(point)} "
                f"({time.perf_counter() - self.start:.1f} s)"
            )

    def rate(self) -> float:
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        return self.new_paths * self.plan.n_steps / elapsed


# --------------------------------------------------------------------------------------------
# The store


def _store_attrs_of(path: Path) -> dict[str, Any]:
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
    flags = zarr.open_array(path, path=TASKS_ARRAY, mode="r", zarr_format=3)[:]
    return np.asarray(flags).astype(bool)


def _remove_partials(path: Path) -> None:
    """Temporary chunk files a killed writer left (zarr writes `<chunk>.<uuid>.partial`, then
    renames)."""
    for p in path.rglob("*.partial"):
        with contextlib.suppress(OSError):
            p.unlink()


def open_for_resume(path: Path, plan: Plan) -> Plan:
    """Check an existing store was made from the same scenario; returns the plan with the store's
    task size."""
    try:
        attrs = _store_attrs_of(path)
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


@dataclass
class RunReport:
    out: Path
    summary: dict[str, Any]
    tasks_run: int
    tasks_total: int
    elapsed_s: float
    path_steps_per_s: float
    resumed: bool
    dashboard: str | None


def run_to_store(
    scenario: Scenario,
    out_dir: str | Path,
    *,
    block_paths: int | None = None,
    workers: int | None = None,
    processes: bool = False,
    scheduler: str | None = None,
    client: Any = None,
    resume: bool = False,
    overwrite: bool = False,
    quiet: bool = True,
    log: Callable[[str], None] | None = None,
) -> RunReport:
    """Run `scenario` (a sweep if it has one) into out_dir/results.zarr, streaming task by task;
    then write out_dir/summary.json and mark the store complete.

    `resume`: continue an incomplete store made from the same scenario (only missing tasks run; a
    complete store is left as it is). `overwrite`: replace whatever is there. Otherwise an
    existing results.zarr is refused. The result does not depend on `block_paths`, `workers`,
    `processes`, `scheduler`/`client`, or on interruptions.
    """
    say = log or (lambda message: None)
    plan = make_plan(scenario, block_paths)
    out = check_output(out_dir, overwrite=overwrite or resume)
    store = out / RESULTS_NAME
    resumed = False
    if resume and store.exists():
        requested = plan.block_paths
        plan = open_for_resume(store, plan)
        if block_paths is not None and requested != plan.block_paths:
            raise InputError(
                "--block-paths",
                block_paths,
                f"the store being resumed was made with --block-paths {plan.block_paths}",
            )
        resumed = True
    start = time.perf_counter()
    dashboard = None
    # connect first: an unreachable scheduler leaves nothing behind
    with dask_client(client, scheduler, workers, processes) as dc:
        if resumed:
            _remove_partials(store)
        else:
            if store.exists() or store.is_symlink():
                _discard(store)
            (out / SUMMARY_NAME).unlink(missing_ok=True)
            try:
                out.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InputError(
                    "--out", str(out_dir), f"cannot be created ({exc.strerror})"
                ) from None
            create_store(store, plan)

        attrs = _store_attrs_of(store)
        flags = done_flags(store)
        tasks = plan.tasks()
        todo = [t for t in tasks if not flags[t.index]]
        if resumed:
            say(f"resuming {store}: {len(tasks) - len(todo)} of {len(tasks)} tasks already done")
        progress = Progress(plan, sum(t.n_paths for t in tasks if flags[t.index]), quiet)
        for t in tasks:
            if flags[t.index]:
                progress.skip(t)
        if todo:
            if scheduler or client is not None:
                dashboard = getattr(dc, "dashboard_link", None)
                if dashboard:
                    say(f"dask dashboard: {dashboard}")
            point_json = [p.to_json() for _, p in plan.points]
            run_id = attrs[RUN_ID_ATTR]
            with progress:
                run_tasks(
                    dc,
                    write_task,
                    todo,
                    lambda t: (str(store), run_id, point_json[t.point], t),
                    lambda t, _: progress.task_done(t),
                )
    elapsed = time.perf_counter() - start
    missing = int((~done_flags(store)).sum())
    if missing:  # pragma: no cover - every future finished without error
        raise RuntimeError(f"{missing} tasks finished without setting their done flags")

    if attrs.get(COMPLETE_ATTR) is True and (out / SUMMARY_NAME).is_file():
        summary = json.loads((out / SUMMARY_NAME).read_text(encoding="utf-8"))
    else:
        with xr.open_zarr(store, consolidated=False, decode_timedelta=False, chunks=None) as ds:
            ds.attrs = {k: v for k, v in ds.attrs.items() if not k.startswith("lphedge_")}
            summary = summaries(ds, plan, load=True)
        _write_text_atomic(
            out / SUMMARY_NAME, json.dumps(summary, indent=2, allow_nan=False) + "\n"
        )
        zarr.open_group(store, mode="r+", zarr_format=3).attrs[COMPLETE_ATTR] = True  # last
    return RunReport(
        out=out,
        summary=summary,
        tasks_run=len(todo),
        tasks_total=len(tasks),
        elapsed_s=elapsed,
        path_steps_per_s=progress.rate(),
        resumed=resumed,
        dashboard=dashboard,
    )


def _discard(store: Path) -> None:
    """Remove an old store (renamed first, so a crash midway leaves no half-deleted results.zarr)."""
    trash = store.with_name(f".{store.name}.lphedge-tmp-{secrets.token_hex(4)}")
    os.rename(store, trash)
    shutil.rmtree(trash, ignore_errors=True)


def _write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.lphedge-tmp-{secrets.token_hex(4)}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def stderr_log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
