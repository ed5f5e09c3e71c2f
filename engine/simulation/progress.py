"""A run's progress on stderr: paths done, path-steps/s, ETA, and finished sweep points."""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as Bar

from engine.results.plan import Plan, Task
from engine.scenario import point_key


class Progress:
    """Paths done, path-steps/s and ETA on stderr (a rich progress bar on a terminal; nothing
    when quiet or not a terminal), and a log line per finished sweep point unless quiet."""

    def __init__(self, plan: Plan, done_before: int, quiet: bool) -> None:
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
        """Path-steps per second of the tasks run so far (tasks done before not counted)."""
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        return self.new_paths * self.plan.n_steps / elapsed


def stderr_log(message: str) -> None:
    """Print one log line on stderr."""
    print(message, file=sys.stderr, flush=True)
