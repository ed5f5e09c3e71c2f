"""The report page: its style, the assembly of the sections, and writing it.

The page loads nothing from outside (no scripts, no CDN, inline CSS only); every piece of user
text is escaped.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import xarray as xr

from engine.errors import InputError
from engine.files import write_text_atomic
from engine.formatting import pct
from engine.report.markup import esc
from engine.report.runs import entities, load_run
from engine.report.sections import (
    MAX_DETAILED,
    detail_sections,
    key_findings,
    scenario_section,
    sweep_section,
    warnings_box,
)
from engine.report.tables import headline_table
from engine.risk.point_metrics import LOSS_THRESHOLDS, MIN_TAIL_PATHS
from engine.risk.sweep import sweep_dims
from engine.version import __version__

CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1280px;
color:#222;padding:0 16px}
h1{margin-bottom:4px}h2{border-bottom:2px solid #1f77b4;padding-bottom:3px;margin-top:34px}
.sub{color:#555;margin-top:0}
table{border-collapse:collapse;margin:10px 0;font-size:14px}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
thead th{background:#eef3f9}table.kv th,table.headline tbody th{background:#f7f7f7;white-space:nowrap}
tr.total{background:#f3f3f3}
.ci{color:#666;font-size:12px}.warn{color:#b00;font-size:12px;font-weight:bold}
.warnbox{border:1px solid #e0a000;background:#fff8e1;padding:8px 14px;margin:14px 0}
.findings{border-left:4px solid #1f77b4;background:#f2f7fc;padding:10px 14px;margin:14px 0;
line-height:1.5}
.caption{color:#444;font-size:13px;max-width:1100px}
img{max-width:100%;display:block;margin:8px 0}
pre{background:#f6f6f6;padding:8px;font-size:12px;overflow:auto}
nav a{margin-right:14px}
"""


def build_report(
    runs: Sequence[tuple[str, xr.Dataset]],
    *,
    generated: datetime | None = None,
    summaries: Sequence[Mapping[str, Any]] | None = None,
) -> str:
    """The HTML report of one run, one sweep, or several runs side by side (a comparison).

    `runs`: (label, results Dataset) pairs; the label (usually the run directory) is shown
    escaped. `summaries`, each run's `engine.risk.summary` when the caller has them, supply the
    metrics instead of computing them again. Returns the complete, self-contained HTML document.
    """
    if not runs:
        raise InputError("results", "[]", "nothing to report")
    ents = entities(runs, summaries)
    when = (generated or datetime.now(UTC)).isoformat(timespec="seconds")
    names = [str(ds.attrs.get("scenario_name", "?")) for _, ds in runs]
    compare = len(runs) > 1
    if compare:
        title = "lphedge comparison: " + " vs ".join(names)
    else:
        title = f"lphedge risk report: {names[0]}"
        if sweep_dims(runs[0][1]):
            title += " (sweep over " + ", ".join(sweep_dims(runs[0][1])) + ")"
    body = [
        f"<h1>{esc(title)}</h1>",
        f"<p class='sub'>Report generated {esc(when)} by lphedge {esc(__version__)} from the "
        "stored results (no re-simulation). Money in quote units; K = capital; "
        "loss = −P&amp;L; 95 % confidence intervals from the Monte Carlo sample.</p>",
    ]
    for i, (label, ds) in enumerate(runs):
        body.append(scenario_section(label, ds, f"scenario-{i}"))
    body.append(warnings_box(ents))
    if len(ents) == 1:
        body.append(key_findings(ents[0]))

    for i, (label, ds) in enumerate(runs):
        if sweep_dims(ds):
            body.append(sweep_section(label, ds, [e for e in ents if e.run == i]))

    detailed = ents[:MAX_DETAILED]
    body.append("<section><h2>Headline</h2>")
    if len(detailed) < len(ents):
        body.append(
            f"<p class='caption'>Showing the first {MAX_DETAILED} of {len(ents)} runs / points; "
            "the table across the swept settings lists all of them.</p>"
        )
    body.append(headline_table(detailed) + "</section>")

    body.append(detail_sections(detailed))
    body.append(
        "<section><h2>Method</h2><p class='caption'>VaR<sub>a</sub>: the empirical a-quantile "
        "of the loss; its interval brackets it between order statistics chosen from the "
        "binomial distribution of the count below the quantile (distribution-free). "
        "ES<sub>a</sub>: the mean loss at or beyond VaR<sub>a</sub>; interval ± 1.96 standard "
        "errors (Manistre &amp; Hancock 2005). Probabilities: Wilson 95 % intervals. Means: "
        "± one Monte Carlo standard error, sd / √n. A tail estimate resting on fewer than "
        f"{MIN_TAIL_PATHS} paths is flagged. Loss thresholds: "
        + ", ".join(pct(x, 0) for x in LOSS_THRESHOLDS)
        + " of K.</p></section>"
    )
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "img-src data:; style-src 'unsafe-inline'\">"
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        + "".join(body)
        + "</body></html>\n"
    )


def default_report_path(results: Sequence[str | Path]) -> Path:
    """RUN_DIR/report.html for one run directory (beside a bare .zarr store); else compare.html."""
    if len(results) != 1:
        return Path("compare.html")
    p = Path(results[0])
    if p.suffix == ".zarr":
        p = p.parent
    return p / "report.html"


def write_report(text: str, out: str | Path) -> Path:
    """Write the report atomically (temporary file, then rename); `InputError` naming `--output`
    when the file cannot be written."""
    path = Path(os.path.abspath(out))
    if path.is_dir():
        raise InputError("--output", str(out), "is a directory")
    if not path.parent.is_dir():
        raise InputError("--output", str(out), f"{path.parent} is not a directory")
    try:
        write_text_atomic(path, text)
    except OSError as exc:
        raise InputError("--output", str(out), f"cannot be written ({exc.strerror})") from None
    return path


def report_runs(results: Sequence[str | Path], out: str | Path | None = None) -> Path:
    """Load each stored run, build the report and write it; returns the written path."""
    runs = [(str(r), load_run(r)) for r in results]
    target = default_report_path(results) if out is None else Path(out)
    return write_report(build_report(runs), target)
