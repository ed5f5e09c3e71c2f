"""The `lphedge` command line: `commands` (the typer app and its commands), `options` (the
shared options) and `terminal` (what it prints)."""

from engine.cli.commands import DEBUG_ENV, app, default_out_dir, main
from engine.cli.options import REPORT_NAME
from engine.cli.terminal import (
    calibration_rows,
    print_summary,
    print_sweep,
    stress_table,
    summary_rows,
    sweep_rows,
)

__all__ = [
    "DEBUG_ENV",
    "REPORT_NAME",
    "app",
    "calibration_rows",
    "default_out_dir",
    "main",
    "print_summary",
    "print_sweep",
    "stress_table",
    "summary_rows",
    "sweep_rows",
]
