"""The options and arguments the `lphedge` commands share (typer annotations)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from engine.results.plan import DEFAULT_BLOCK_PATHS

REPORT_NAME = "report.html"
"""The HTML report's file name inside a run directory."""

SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="KEY=VALUE",
        help="Override a scenario key, dotted (e.g. hedge.leverage=5). Repeatable.",
    ),
]


ScenarioArg = Annotated[
    str | None,
    typer.Argument(
        metavar="SCENARIO", help="Scenario YAML file or shipped scenario name; default: built-in."
    ),
]
PathsOption = Annotated[int | None, typer.Option("--paths", help="Number of Monte Carlo paths.")]
SeedOption = Annotated[int | None, typer.Option("--seed", help="Random seed.")]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Run directory; default: runs/<scenario name>.")
]
WorkersOption = Annotated[
    int | None,
    typer.Option("--workers", min=1, help="Local workers (threads); default: every core."),
]
ProcessesOption = Annotated[
    bool,
    typer.Option("--processes", help="Local workers are processes instead of threads."),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="ADDRESS",
        help="Run on an existing dask.distributed cluster (e.g. tcp://host:8786); the run "
        "directory must be on a file system every worker can write.",
    ),
]
BlockOption = Annotated[
    int | None,
    typer.Option(
        "--block-paths",
        min=1,
        help=f"Paths per task (default: a multiple of {DEFAULT_BLOCK_PATHS} giving each task about "
        "3e7 path-steps, with at least 8 tasks in the run); changes no result.",
    ),
]
ResumeOption = Annotated[
    bool,
    typer.Option(
        "--resume", help="Continue an interrupted run in --out: only its missing tasks run."
    ),
]
OverwriteOption = Annotated[
    bool, typer.Option("--overwrite", help="Replace the results already in --out.")
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
ReportOption = Annotated[
    bool, typer.Option("--report", help=f"Also write the HTML risk report, DIR/{REPORT_NAME}.")
]
