"""Peak memory of a large run of the command line, in a child process."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.machine import REPO_ROOT
from benchmarks.progress import log
from benchmarks.settings import Settings


def measure_memory(settings: Settings) -> dict[str, Any]:
    """Peak resident memory of `lphedge run` on `memory_paths` paths of the default scenario over
    `memory_days` days, streamed into a store (benchmarks.scale big, in a fresh interpreter so
    that only that run's process is measured). Memory does not grow with the number of steps:
    nothing of size paths x steps is kept, so a short horizon measures the same peak."""
    with tempfile.TemporaryDirectory(prefix="lphedge-memory-") as tmp:
        record_path = Path(tmp) / "memory.json"
        cmd = [
            sys.executable,
            "-m",
            "benchmarks.scale",
            "big",
            "--paths",
            str(settings.memory_paths),
            "--days",
            f"{settings.memory_days:g}",
            "--json",
            str(record_path),
        ]
        log(f"memory: {settings.memory_paths} paths x {settings.memory_days:g} day(s)")
        done = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"memory run failed (exit {done.returncode}):\n{done.stderr}")
        result = json.loads(record_path.read_text())["result"]
    return {
        "call": shlex.join(["python", *cmd[1:-2]]),
        "paths": result["paths"],
        "horizon_days": result["horizon_days"],
        "n_steps": result["n_steps"],
        "wall_s": result["wall_s"],
        "peak_rss_bytes": result["peak_rss_bytes"],
        "peak_rss_gib": result["peak_rss_gib"],
        "store_bytes": result["store_bytes"],
        "note": "memory does not grow with steps (nothing of size paths x steps is stored; "
        "python -m benchmarks.scale big --paths 1000000 --days 365 measures the whole year)",
    }
