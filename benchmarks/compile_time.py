"""Compile time of the path kernel: cold (empty numba cache) and warm (cached) probes, each a fresh
interpreter running `benchmarks.probe`, interleaved.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

from benchmarks.machine import REPO_ROOT
from benchmarks.progress import log
from benchmarks.settings import Settings
from benchmarks.timing import summary


def run_probe(cache_dir: str | None) -> dict[str, Any]:
    """One fresh interpreter running `benchmarks.probe`; `cache_dir` sets NUMBA_CACHE_DIR
    (None: the environment's default cache, normally engine/kernels/__pycache__)."""
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.probe"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"compile probe failed (exit {done.returncode}):\n{done.stderr}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["process_wall_s"] = wall
    report["compile_s"] = report["first_call_s"] - report["second_call_s"]
    return report


def measure_compile(settings: Settings) -> dict[str, Any]:
    """Cold (empty NUMBA_CACHE_DIR) and warm (default cache) probes, interleaved."""
    log("compile: priming the default numba cache")
    priming = run_probe(None)
    cold: list[dict[str, Any]] = []
    warm: list[dict[str, Any]] = []
    for r in range(settings.compile_repeats):
        with tempfile.TemporaryDirectory(prefix="lphedge-numba-cold-") as empty:
            log(f"compile: repeat {r + 1}/{settings.compile_repeats}, cold (empty cache)")
            cold.append(run_probe(empty))
        log(f"compile: repeat {r + 1}/{settings.compile_repeats}, warm (cached)")
        warm.append(run_probe(None))
    warnings = []
    if any(p["cache_misses"] == 0 for p in cold):
        warnings.append("a cold probe found no cache miss: it may not have compiled")
    if any(p["cache_hits"] == 0 or p["cache_misses"] > 0 for p in warm):
        warnings.append(
            "a warm probe did not load the kernel from the cache (sources edited meanwhile?)"
        )

    def fields(probes: list[dict[str, Any]]) -> dict[str, Any]:
        keys = ("import_s", "first_call_s", "second_call_s", "compile_s", "process_wall_s")
        out: dict[str, Any] = {k: summary([p[k] for p in probes]) for k in keys}
        out["cache_hits"] = [p["cache_hits"] for p in probes]
        out["cache_misses"] = [p["cache_misses"] for p in probes]
        return out

    return {
        "kernel": "engine.kernels.lanes.simulate_block_lanes via engine.block.run_block",
        "probe_paths": cold[0]["probe_paths"],
        "n_steps": cold[0]["n_steps"],
        "cold": fields(cold),
        "warm": fields(warm),
        "cold_over_warm_first_call": summary(
            [c["first_call_s"] / w["first_call_s"] for c, w in zip(cold, warm, strict=True)]
        ),
        "priming_cache_hits": priming["cache_hits"],
        "warnings": warnings,
    }
