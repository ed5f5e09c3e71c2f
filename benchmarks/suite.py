"""The benchmark run: checks, compile time, single-core throughput against the random-number floor,
the engine against two vectorised numpy programs of the same model, and parallel
efficiency, in one process so that every ratio is measured back to back.

Speed on a shared VM drifts (up to 2x over minutes), so absolute rates are only indicative; the
figures to compare across runs and machines are the ratios, each formed per repeat from two timings
taken one right after the other (model then floor; engine then numpy; 1 worker then 2 workers; cold
then warm compile), then summarised by their median and range.
"""

from __future__ import annotations

import os
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.case_checks import run_checks
from benchmarks.cases import select_cases
from benchmarks.compile_time import measure_compile
from benchmarks.machine import describe, source_revision
from benchmarks.memory import measure_memory
from benchmarks.parallel import measure_parallel
from benchmarks.settings import SCHEMA, Settings
from benchmarks.throughput import measure_throughput
from benchmarks.versus_numpy import measure_numpy, run_numpy_check


def run(settings: Settings, argv: Sequence[str], json_path: Path) -> dict[str, Any]:
    """The whole run, checks first, as the JSON record (raises CheckFailed when a check fails)."""
    start = time.perf_counter()
    record: dict[str, Any] = {
        "schema": SCHEMA,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": shlex.join(["python", "-m", "benchmarks", *argv]),
        "python_executable": sys.executable,
        "settings": asdict(settings),
    }
    record["machine"] = describe()
    record["git"] = source_revision()
    # nothing is timed before the results are checked
    cases, record["skipped_cases"] = select_cases()
    done = run_checks(settings, cases)
    numpy_check = run_numpy_check(settings, done) if settings.numpy else None
    # compile probes: fresh interpreters; this process stays idle meanwhile
    record["compile"] = measure_compile(settings) if settings.measure_compile else None
    record["throughput"] = measure_throughput(settings, done, cases)
    record["numpy"] = measure_numpy(settings, numpy_check) if numpy_check is not None else None
    record["parallel"] = measure_parallel(settings, done)
    record["memory"] = measure_memory(settings) if settings.memory else None
    record["checks"] = [c.as_dict() for c in done]
    record["machine"]["load_average_at_end"] = (
        list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    )
    record["total_s"] = time.perf_counter() - start
    record["json_path"] = str(json_path)
    return record
