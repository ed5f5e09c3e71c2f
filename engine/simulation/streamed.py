"""Scale-out runs: a scenario (or a sweep of scenarios) as dask tasks that stream into a zarr store.

A run is planned as tasks of one sweep point x one block of consecutive paths
(`engine.results.plan`). The store (`DIR/results.zarr`) is created up front with every variable at
its final shape, and each task writes its region of it from its worker, then sets its done flag
(`engine.results.resumable`). The client only counts finished tasks: it never holds the per-path
arrays.

After the last task the client writes `summary.json` (one point at a time) and then, last, the
store's completion mark. A killed job leaves an incomplete store that readers refuse; `--resume`
reopens it, checks that it was made from the same scenario, and runs only the tasks whose flag is
unset. Every path's random stream depends only on (seed, path index), so the finished store is the
same whatever the task size, the number of workers, the scheduler, or how many times the job was
interrupted.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xarray as xr
import zarr

from engine.errors import InputError
from engine.files import write_text_atomic
from engine.outputs import DERIVED_OUTPUTS, PATH_OUTPUTS
from engine.results.layout import point_dataset
from engine.results.plan import Plan, Task, make_plan
from engine.results.resumable import (
    create_store,
    discard,
    done_flags,
    open_for_resume,
    remove_partials,
    store_attrs_of,
    write_task,
)
from engine.results.store import (
    COMPLETE_ATTR,
    RESULTS_NAME,
    RUN_ID_ATTR,
    SUMMARY_NAME,
    check_output,
)
from engine.risk.run_summary import summary as summarise
from engine.scenario import Scenario, point_key
from engine.simulation.cluster import dask_client, run_tasks
from engine.simulation.progress import Progress


@dataclass
class RunReport:
    """What `run_to_store` did: the run directory, its summary, the tasks run (of all the
    run's tasks), the wall time (s), the throughput of the tasks run (path-steps/s), whether an
    existing store was resumed, and the dask dashboard's address (a scheduler or client given)."""

    out: Path
    summary: dict[str, Any]
    tasks_run: int
    tasks_total: int
    elapsed_s: float
    path_steps_per_s: float
    resumed: bool
    dashboard: str | None


def summaries(ds: xr.Dataset, plan: Plan) -> dict[str, Any]:
    """summary.json: the run's summary, or for a sweep one entry per point keyed by its label
    (`hedge.ratio=0.5,hedge.leverage=3`), each with the point's coordinates. Each point's path
    variables are loaded (and dropped) one point at a time."""
    names = [*PATH_OUTPUTS, *DERIVED_OUTPUTS]
    if not plan.sweep_dims:
        return summarise(ds[names].load())
    out: dict[str, Any] = {"sweep": plan.scenario.sweep, "points": {}}
    for p, (point, _) in enumerate(plan.points):
        sub = point_dataset(ds, plan, p)
        s = summarise(sub[names].load())
        out["points"][point_key(point)] = {"coords": point, **s}
    return out


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
    say = log or (lambda _: None)
    plan = make_plan(scenario, block_paths)
    out = check_output(out_dir, overwrite=overwrite or resume)
    store = out / RESULTS_NAME
    resumed = resume and store.exists()
    if resumed:
        plan = _resumed_plan(store, plan, block_paths)
    start = time.perf_counter()
    dashboard = None
    # connect first: an unreachable scheduler leaves nothing behind
    with dask_client(client, scheduler, workers, processes) as dc:
        if resumed:
            remove_partials(store)
        else:
            _fresh_store(out, out_dir, plan)
        attrs = store_attrs_of(store)
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
            with progress:
                _run_todo(dc, store, attrs[RUN_ID_ATTR], plan, todo, progress)
    elapsed = time.perf_counter() - start
    missing = int((~done_flags(store)).sum())
    if missing:  # pragma: no cover - every future finished without error
        raise RuntimeError(f"{missing} tasks finished without setting their done flags")
    return RunReport(
        out=out,
        summary=_finish(out, plan, complete=attrs.get(COMPLETE_ATTR) is True),
        tasks_run=len(todo),
        tasks_total=len(tasks),
        elapsed_s=elapsed,
        path_steps_per_s=progress.rate(),
        resumed=resumed,
        dashboard=dashboard,
    )


def _resumed_plan(store: Path, plan: Plan, block_paths: int | None) -> Plan:
    """The plan of the store being resumed (its task size), refusing another `block_paths`."""
    requested = plan.block_paths
    plan = open_for_resume(store, plan)
    if block_paths is not None and requested != plan.block_paths:
        raise InputError(
            "--block-paths",
            block_paths,
            f"the store being resumed was made with --block-paths {plan.block_paths}",
        )
    return plan


def _fresh_store(out: Path, out_dir: str | Path, plan: Plan) -> None:
    """Replace whatever run is in `out` by a new, empty store (`out_dir`: `out` as given)."""
    store = out / RESULTS_NAME
    if store.exists() or store.is_symlink():
        discard(store)
    (out / SUMMARY_NAME).unlink(missing_ok=True)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError("--out", str(out_dir), f"cannot be created ({exc.strerror})") from None
    create_store(store, plan)


def _run_todo(
    client: Any, store: Path, run_id: str, plan: Plan, todo: list[Task], progress: Progress
) -> None:
    """Run the tasks not done yet on `client`, each writing into `store` from its worker."""
    point_json = [p.to_json() for _, p in plan.points]
    run_tasks(
        client,
        write_task,
        todo,
        lambda t: (str(store), run_id, point_json[t.point], t),
        lambda t, _: progress.task_done(t),
    )


def _finish(out: Path, plan: Plan, complete: bool) -> dict[str, Any]:
    """The run's summary: read back when the store was `complete` already, else computed from the
    store and written to summary.json, after which the store is marked complete."""
    store = out / RESULTS_NAME
    if complete and (out / SUMMARY_NAME).is_file():
        summary: dict[str, Any] = json.loads((out / SUMMARY_NAME).read_text(encoding="utf-8"))
        return summary
    with xr.open_zarr(store, consolidated=False, decode_timedelta=False, chunks=None) as ds:
        ds.attrs = {k: v for k, v in ds.attrs.items() if not k.startswith("lphedge_")}
        summary = summaries(ds, plan)
    write_text_atomic(out / SUMMARY_NAME, json.dumps(summary, indent=2, allow_nan=False) + "\n")
    zarr.open_group(store, mode="r+", zarr_format=3).attrs[COMPLETE_ATTR] = True  # last
    return summary
