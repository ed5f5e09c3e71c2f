"""HTML risk reports from stored runs: one self-contained file, figures embedded as PNG.

    html = build_report([("runs/default", ds)])        # one run, a sweep, or several to compare
    write_report(html, "runs/default/report.html")

`load_run` re-reads a stored run (no re-simulation) and refuses incomplete or foreign stores with an
`InputError`. Metrics come from `engine.risk`; figures from `engine.report.plots`. Every piece of
user text (scenario names, descriptions, run labels, scenario JSON, swept values) goes through
`html.escape`; the page loads nothing from outside (no scripts, no CDN, inline CSS only).

Layout: one run gives one "entity" (a run, or one point of a sweep). A sweep gives one per point
plus charts across the swept settings; several runs give one per run (or per point) side by side.
Modules: `runs` (loading, entities), `markup` (HTML pieces), `tables`, `sections`, `page`
(assembly and writing), `plots` (figures).
"""

from engine.report.markup import esc
from engine.report.page import build_report, default_report_path, report_runs, write_report
from engine.report.runs import Entity, entities, load_run

__all__ = [
    "Entity",
    "build_report",
    "default_report_path",
    "entities",
    "esc",
    "load_run",
    "report_runs",
    "write_report",
]
