"""Timing with the context needed to read it on a shared machine.

Besides wall time, each measurement takes this thread's and this process's CPU time and the whole
machine's busy CPU time (from /proc/stat, every process of every container on the VM, plus time
the hypervisor stole). From these: how many cores this process used, and how much CPU everything
else took meanwhile ("other load", in cores). A slow repeat with other load near 1 core was slowed
by a neighbour, not by the code.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

_BUSY_FIELDS = (1, 2, 3, 6, 7, 8)  # user nice system irq softirq steal (guest is within user)


def machine_busy_s() -> float:
    """Busy CPU seconds of the whole machine since boot, summed over cores; NaN if unknown."""
    try:
        with open("/proc/stat") as fh:
            fields = fh.readline().split()
        ticks = sum(int(fields[i]) for i in _BUSY_FIELDS)
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


@dataclass
class Sample:
    """Accumulated wall, thread CPU, process CPU and machine busy seconds of timed regions."""

    wall: float = 0.0
    thread_cpu: float = 0.0
    process_cpu: float = 0.0
    machine_busy: float = 0.0

    def add(self, other: Sample) -> None:
        self.wall += other.wall
        self.thread_cpu += other.thread_cpu
        self.process_cpu += other.process_cpu
        self.machine_busy += other.machine_busy

    @property
    def process_cores(self) -> float:
        """Cores this process kept busy on average."""
        return self.process_cpu / self.wall

    @property
    def other_load(self) -> float:
        """Cores kept busy by everything else on the machine on average (>= 0; /proc/stat counts
        in ticks of 10 ms, so short regions read coarsely)."""
        return max(self.machine_busy - self.process_cpu, 0.0) / self.wall


def measure(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Sample, Any]:
    """Call fn(*args, **kwargs) once; its Sample and its result."""
    busy0 = machine_busy_s()
    p0 = time.process_time()
    t0 = time.thread_time()
    w0 = time.perf_counter()
    result = fn(*args, **kwargs)
    w1 = time.perf_counter()
    t1 = time.thread_time()
    p1 = time.process_time()
    busy1 = machine_busy_s()
    return Sample(w1 - w0, t1 - t0, p1 - p0, busy1 - busy0), result


def summary(values: Sequence[float]) -> dict[str, Any]:
    """Median and range of per-repeat values (the values themselves kept)."""
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "values": list(values),
    }
