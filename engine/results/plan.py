"""The plan of a run: tasks of one sweep point x one block of consecutive paths.

Every path's random stream depends only on (seed, path index), so the results do not depend on
the task size: it only sets how the work is shared and how the store is chunked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.errors import InputError
from engine.scenario import Scenario, sweep_points

DEFAULT_BLOCK_PATHS = 4_096
"""The unit of task size (paths): default task sizes are multiples of it."""

# A task's default size (`default_block_paths`). Each streamed task costs about 25-50 ms besides its
# kernel time (scheduling, and writing ~40 zarr chunks; benchmarks.scale measures it), so a
# task gets at least TASK_PATH_STEPS of work: about 0.35 s of one core at 95 M path-steps/s. A
# run keeps at least MIN_TASKS tasks, for its workers to share.
TASK_PATH_STEPS = 2**25
MIN_TASKS = 8


@dataclass(frozen=True)
class Task:
    """One block of consecutive paths of one sweep point."""

    index: int  # position in the done-flag array: point_index * n_blocks + block
    point: int  # index of the sweep point (C order)
    position: tuple[int, ...]  # the point's index along each sweep dimension
    first_path: int
    n_paths: int
    n_record: int  # how many of the block's paths are sampled whole


@dataclass(frozen=True)
class Plan:
    """A run's sweep points and task size (paths per block), and the tasks they make."""

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
