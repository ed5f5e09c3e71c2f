"""Scale-out benchmarks: the streaming runner (`engine.simulation.streamed.run_to_store`) on dask.distributed.

    python -m benchmarks.scale efficiency      # parallel efficiency 1 vs 2 workers, task overhead
    python -m benchmarks.scale big --paths 1000000 --days 365   # the 1M-path year

`efficiency` times the same run (default scenario, 32768 paths, 365 days hourly, in the engine's
default task size unless `--tasks` splits it) with a 1-thread and a 2-thread LocalCluster,
interleaved (1, 2, 1, 2, ...), each on a cluster of its own started for it (as `lphedge run` does),
each call the whole `run_to_store`: store creation, tasks, summary, completion mark.
`efficiency = t1 / (2 t2)` per pair. Per-task overhead: a run of near-empty tasks (1 step, 16 paths
per task) divided by its task count, and the extra time of the same 8192-path run cut into 128
tasks rather than 8.

`big` runs the command line (`python -m engine.cli run`) in a child process and reports its wall
time and peak resident memory (`getrusage(RUSAGE_CHILDREN).ru_maxrss`: the largest child, which is
the whole run, workers included, with the default thread workers).

Both print a table and write a JSON record (`benchmarks/results/scale-<mode>.json` by default)
with the machine's description and the machine load while measuring (see benchmarks/README.md:
this VM's speed drifts by up to 2x, so read the ratios).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import engine
from benchmarks.machine import REPO_ROOT, describe, source_revision
from benchmarks.progress import log
from benchmarks.timing import measure, summary

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@contextlib.contextmanager
def _local_client(threads: int, warm: Any, tmp: Path) -> Iterator[Any]:
    """A client of a LocalCluster of `threads` thread workers in this process, as `lphedge run`
    makes one, after a small warm-up run on it. One at a time: a second in-process cluster left
    running beside it took 0.7 s more of a 2.8 s run (its event loops compete for the GIL)."""
    from distributed import Client, LocalCluster

    from engine.simulation.streamed import run_to_store

    with (
        LocalCluster(
            n_workers=1, threads_per_worker=threads, processes=False, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        run_to_store(warm, tmp / "warm", block_paths=16, client=client, overwrite=True)
        yield client


def efficiency(args: argparse.Namespace) -> dict[str, Any]:
    from engine.results.plan import make_plan
    from engine.simulation.streamed import run_to_store

    scn = engine.load_scenario(None, {"paths": args.paths, "horizon_days": args.days})
    block = max(1, args.paths // args.tasks) if args.tasks else make_plan(scn).block_paths
    path_steps = scn.paths * scn.n_steps
    tmp = Path(tempfile.mkdtemp(prefix="lphedge-scale-"))
    warm = engine.load_scenario(scn, {"paths": 64})
    try:
        times: dict[int, list[float]] = {1: [], 2: []}
        task_times: dict[int, list[float]] = {1: [], 2: []}
        cores: dict[int, list[float]] = {1: [], 2: []}
        other: dict[int, list[float]] = {1: [], 2: []}
        for r in range(args.repeats):
            for w in (1, 2):
                log(f"parallel: repeat {r + 1}/{args.repeats}, {w} worker(s)")
                with _local_client(w, warm, tmp) as client:
                    sample, report = measure(
                        run_to_store,
                        scn,
                        tmp / f"p{w}",
                        block_paths=block,
                        client=client,
                        overwrite=True,
                    )
                times[w].append(sample.wall)
                task_times[w].append(report.elapsed_s)
                cores[w].append(sample.process_cores)
                other[w].append(sample.other_load)
        eff = [t1 / (2.0 * t2) for t1, t2 in zip(times[1], times[2], strict=True)]

        # per-task overhead: near-empty tasks (one step), 1 worker
        tiny = engine.load_scenario(
            None, {"paths": args.overhead_tasks * 16, "horizon_days": 1 / 24, "step_hours": 1}
        )
        tiny = engine.load_scenario(
            tiny, {"output.observe_every_hours": 1, "hedge.rebalance.every_hours": 1}
        )
        mid = engine.load_scenario(None, {"paths": 8192, "horizon_days": args.days})
        empty = []
        extra = []
        with _local_client(1, warm, tmp) as client:
            for r in range(args.repeats):
                log(
                    f"task overhead: repeat {r + 1}/{args.repeats}, {args.overhead_tasks} empty tasks"
                )
                sample, report = measure(
                    run_to_store, tiny, tmp / "tiny", block_paths=16, client=client, overwrite=True
                )
                empty.append(report.elapsed_s / report.tasks_total)
            # the same 8192-path run in 8 and in 128 tasks, 1 worker
            for r in range(args.repeats):
                log(f"task overhead: repeat {r + 1}/{args.repeats}, 8 vs 128 tasks")
                few, _ = measure(
                    run_to_store, mid, tmp / "few", block_paths=1024, client=client, overwrite=True
                )
                many, _ = measure(
                    run_to_store, mid, tmp / "many", block_paths=64, client=client, overwrite=True
                )
                extra.append((many.wall - few.wall) / (128 - 8))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "scenario": "default",
        "paths": scn.paths,
        "horizon_days": scn.horizon_days,
        "n_steps": scn.n_steps,
        "tasks": -(-scn.paths // block),
        "block_paths": block,
        "call": "engine.simulation.streamed.run_to_store(..., client=LocalCluster(threads=W)) incl. store and summary",
        "wall_s": {str(w): summary(times[w]) for w in (1, 2)},
        "path_steps_per_s": {str(w): summary([path_steps / t for t in times[w]]) for w in (1, 2)},
        "cores_used": {str(w): summary(cores[w]) for w in (1, 2)},
        "other_load_cores": {str(w): summary(other[w]) for w in (1, 2)},
        "speedup": summary([t1 / t2 for t1, t2 in zip(times[1], times[2], strict=True)]),
        "efficiency": summary(eff),
        "tasks_s": {str(w): summary(task_times[w]) for w in (1, 2)},
        "tasks_efficiency": summary(
            [t1 / (2.0 * t2) for t1, t2 in zip(task_times[1], task_times[2], strict=True)]
        ),
        "empty_task_s": summary(empty),
        "empty_task_paths": 16,
        "extra_s_per_task_8_vs_128": summary(extra),
    }


def big(args: argparse.Namespace) -> dict[str, Any]:
    out = Path(args.out or tempfile.mkdtemp(prefix="lphedge-big-")) / "run"
    cmd = [
        sys.executable,
        "-m",
        "engine.cli",
        "run",
        "--paths",
        str(args.paths),
        "--set",
        f"horizon_days={args.days}",
        "--out",
        str(out),
        "--overwrite",
    ]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    if args.block_paths:
        cmd += ["--block-paths", str(args.block_paths)]
    log("running: " + " ".join(cmd[2:]))
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    sample, done = measure(
        subprocess.run, cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"the run failed (exit {done.returncode}):\n{done.stderr}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kib = usage.ru_maxrss
    run_cpu = usage.ru_utime + usage.ru_stime
    summary = json.loads((out / "summary.json").read_text())
    scn_steps = round(args.days * 24)
    record = {
        "command": " ".join(["lphedge", *cmd[3:]]),
        "paths": args.paths,
        "horizon_days": args.days,
        "n_steps": scn_steps,
        "wall_s": sample.wall,
        "path_steps_per_s": args.paths * scn_steps / sample.wall,
        "peak_rss_bytes": peak_kib * 1024,
        "peak_rss_gib": peak_kib / 2**20,
        "run_cpu_s": run_cpu,
        "run_cores": run_cpu / sample.wall,
        "machine_busy_cores": max(sample.machine_busy, 0.0) / sample.wall,
        "other_load_cores": max(sample.machine_busy - run_cpu, 0.0) / sample.wall,
        "store_bytes": sum(p.stat().st_size for p in out.rglob("*") if p.is_file()),
        "pnl_mean": summary["pnl_mean"],
        "stderr_tail": done.stderr.strip().splitlines()[-1:],
    }
    if not args.out:
        shutil.rmtree(out.parent, ignore_errors=True)
    return record


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__)
    sub = parser.add_subparsers(dest="mode", required=True)
    e = sub.add_parser("efficiency", help="parallel efficiency 1 vs 2 workers, task overhead")
    e.add_argument("--paths", type=int, default=32768)
    e.add_argument("--days", type=float, default=365.0)
    e.add_argument(
        "--tasks",
        type=int,
        default=0,
        help="tasks of the timed run (default 0: the engine's default task size)",
    )
    e.add_argument("--repeats", type=int, default=3)
    e.add_argument("--overhead-tasks", type=int, default=128)
    b = sub.add_parser("big", help="the 1M-path year: wall time and peak memory of the CLI")
    b.add_argument("--paths", type=int, default=1_000_000)
    b.add_argument("--days", type=float, default=365.0)
    b.add_argument("--workers", type=int, default=None)
    b.add_argument("--block-paths", type=int, default=None)
    b.add_argument("--out", default=None, help="keep the run here (default: a temporary dir)")
    for p in (e, b):
        p.add_argument("--json", type=Path, default=None)
    return parser.parse_args(argv)


def format_report(record: dict[str, Any]) -> str:
    r = record["result"]
    lines = [f"machine: {record['machine']['cpu'].get('model')} ({os.cpu_count()} logical cores)"]
    if record["mode"] == "efficiency":
        lines += [
            f"run: default scenario, {r['paths']} paths x {r['n_steps']} steps, "
            f"{r['tasks']} tasks of {r['block_paths']} paths, {len(r['efficiency']['values'])} pairs",
            f"wall 1 worker   {r['wall_s']['1']['median']:.2f} s  "
            f"({r['path_steps_per_s']['1']['median'] / 1e6:.1f} M path-steps/s)",
            f"wall 2 workers  {r['wall_s']['2']['median']:.2f} s  "
            f"({r['path_steps_per_s']['2']['median'] / 1e6:.1f} M path-steps/s)",
            f"speedup         {r['speedup']['median']:.3f} [{r['speedup']['min']:.3f}, "
            f"{r['speedup']['max']:.3f}]",
            f"efficiency      {100 * r['efficiency']['median']:.1f} % "
            f"[{100 * r['efficiency']['min']:.1f}, {100 * r['efficiency']['max']:.1f}]",
            f"tasks phase     {100 * r['tasks_efficiency']['median']:.1f} % "
            f"[{100 * r['tasks_efficiency']['min']:.1f}, {100 * r['tasks_efficiency']['max']:.1f}] "
            "(efficiency of the task phase alone: no store creation, no summary)",
            f"other load      {r['other_load_cores']['2']['median']:.2f} cores (2-worker runs), "
            f"{r['other_load_cores']['1']['median']:.2f} (1-worker runs)",
            f"empty task      {1e3 * r['empty_task_s']['median']:.1f} ms per task "
            f"(16 paths x 1 step, 1 worker)",
            f"task overhead   {1e3 * r['extra_s_per_task_8_vs_128']['median']:.1f} ms per extra "
            f"task (8192 paths in 128 vs 8 tasks)",
        ]
    else:
        lines += [
            f"command         {r['command']}",
            f"wall            {r['wall_s']:.1f} s ({r['wall_s'] / 60:.2f} min)",
            f"throughput      {r['path_steps_per_s'] / 1e6:.1f} M path-steps/s",
            f"peak RSS        {r['peak_rss_gib']:.2f} GiB",
            f"cores used      {r['run_cores']:.2f} by the run; other load {r['other_load_cores']:.2f} "
            "cores",
            f"store           {r['store_bytes'] / 2**20:.0f} MiB",
        ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    load0 = os.getloadavg()
    result = efficiency(args) if args.mode == "efficiency" else big(args)
    record = {
        "schema": "lphedge-benchmarks-scale/1",
        "mode": args.mode,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m benchmarks.scale " + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": {**describe(), "loadavg_start": load0, "loadavg_end": os.getloadavg()},
        "git": source_revision(),
        "result": result,
        "total_s": time.perf_counter() - started,
    }
    path = args.json or RESULTS_DIR / f"scale-{args.mode}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(format_report(record))
    log(f"record: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
