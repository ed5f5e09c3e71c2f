"""What a benchmark ran on: CPU, cores, memory, software versions, source revision."""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
_SIMD_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f")


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def cpu_info() -> dict[str, Any]:
    """CPU model, logical/physical/usable cores and SIMD flags, from /proc/cpuinfo on Linux."""
    model = ""
    flags: set[str] = set()
    cores: set[tuple[str, str]] = set()
    physical_id = core_id = ""
    for line in _read("/proc/cpuinfo").splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "model name" and not model:
            model = value
        elif key == "flags" and not flags:
            flags = set(value.split())
        elif key == "physical id":
            physical_id = value
        elif key == "core id":
            core_id = value
            cores.add((physical_id, core_id))
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count() or 1
    try:
        import llvmlite.binding as llvm

        host_cpu = llvm.get_host_cpu_name()
    except Exception:  # pragma: no cover - llvmlite always comes with numba
        host_cpu = ""
    return {
        "model": model or platform.processor() or platform.machine(),
        "logical_cores": os.cpu_count(),
        "physical_cores": len(cores) or None,
        "usable_cores": usable,
        "simd": [f for f in _SIMD_FLAGS if f in flags],
        "llvm_host_cpu": host_cpu,
    }


def memory_bytes() -> int | None:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return None


def software_versions() -> dict[str, str]:
    import dask
    import llvmlite
    import numba
    import numpy
    import xarray

    import engine

    return {
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "numpy": numpy.__version__,
        "numba": numba.__version__,
        "llvmlite": llvmlite.__version__,
        "dask": dask.__version__,
        "xarray": xarray.__version__,
        "lphedge": engine.__version__,
    }


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def engine_source_digest() -> str:
    """SHA-256 of the engine's Python sources (paths and contents): tells apart two runs on the same
    commit with different uncommitted kernel edits."""
    digest = hashlib.sha256()
    for path in sorted((REPO_ROOT / "engine").rglob("*.py")):
        digest.update(str(path.relative_to(REPO_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def source_revision() -> dict[str, Any]:
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": _git("rev-parse", "HEAD"),
        "branch": _git("rev-parse", "--abbrev-ref", "HEAD"),
        "dirty": None if status is None else bool(status),
        "engine_sha256": engine_source_digest(),
    }


def describe() -> dict[str, Any]:
    """The machine and software a run is measured on."""
    ram = memory_bytes()
    return {
        "cpu": cpu_info(),
        "ram_bytes": ram,
        "ram_gib": None if ram is None else round(ram / 2**30, 1),
        "platform": platform.platform(),
        "hostname": platform.node(),
        "versions": software_versions(),
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }
