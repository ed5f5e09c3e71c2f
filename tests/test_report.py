"""HTML reports: a plain run, a sweep and a comparison render with their plots, escape user text,
load nothing from outside, and refuse incomplete or foreign stores."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import zarr
from typer.testing import CliRunner

import engine
from engine import cli
from engine.formatting import money, pct
from engine.report import build_report, esc, load_run
from engine.results import store
from engine.results.store import write_run
from engine.risk import risk_metrics, summary

runner = CliRunner()
EVIL = "<script>alert(1)</script>"
EVIL_DESCRIPTION = "<img src=x onerror=alert(2)> & 'quotes' \"double\" $x$"


def small(name: str = "small", **overrides: object) -> xr.Dataset:
    base = {
        "name": name,
        "horizon_days": 5,
        "step_hours": 4,
        "paths": 800,
        "hedge.leverage": 6,
        "output.sample_paths": 15,
    }
    base.update(overrides)
    return engine.simulate(engine.load_scenario(None, overrides=base))


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("stores")
    out: dict[str, Path] = {}
    ds = small()
    out["plain"] = write_run(root / "plain", ds, summary(ds))
    evil = small(EVIL, description=EVIL_DESCRIPTION)
    out["evil"] = write_run(root / "evil", evil, summary(evil))
    other = small("other", **{"hedge.leverage": 2, "hedge.ratio": 0.5})
    out["other"] = write_run(root / "other", other, summary(other))
    levs = [2.0, 4.0, 8.0]
    sweep = xr.concat(
        [small("sweep", **{"hedge.leverage": x}) for x in levs],
        dim=xr.DataArray(levs, dims="hedge.leverage"),
    )
    out["sweep"] = write_run(root / "sweep", sweep, summary(sweep))
    ratios = [0.5, 1.0]
    grid = xr.concat(
        [
            xr.concat(
                [small("grid", **{"hedge.leverage": x, "hedge.ratio": r}) for r in ratios],
                dim=xr.DataArray(ratios, dims="hedge.ratio"),
            )
            for x in levs[:2]
        ],
        dim=xr.DataArray(levs[:2], dims="hedge.leverage"),
    )
    out["grid"] = write_run(root / "grid", grid, summary(grid))
    return out


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parse(page: str) -> list[tuple[str, dict[str, str | None]]]:
    p = Tags()
    p.feed(page)
    return p.tags


def images(page: str) -> list[bytes]:
    out = []
    for tag, attrs in parse(page):
        if tag == "img":
            src = attrs["src"] or ""
            assert src.startswith("data:image/png;base64,"), src[:40]
            out.append(base64.b64decode(src.split(",", 1)[1]))
    return out


def assert_self_contained(page: str) -> None:
    tags = parse(page)
    assert not any(tag in ("script", "link", "iframe", "object", "embed") for tag, _ in tags)
    for _, attrs in tags:
        for key, value in attrs.items():
            assert not (key.startswith("on")), key
            assert key not in ("href",) or (value or "").startswith("#")
    assert "http://" not in page and "https://" not in page
    for png in images(page):
        assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_plain_run_report(stores: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = runner.invoke(cli.app, ["report", str(stores["plain"]), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "VaR 99 %" in result.stdout and f"report: {out}" in result.stderr
    page = out.read_text()
    assert_self_contained(page)
    assert len(images(page)) == 5  # distribution, fan, survival, drawdown, attribution
    for heading in (
        "Scenario and provenance",
        "Headline",
        "P&amp;L distribution",
        "Portfolio value over time",
        "Liquidation: survival of the hedge",
        "Maximum drawdown",
        "P&amp;L attribution",
    ):
        assert f"<h2>{heading}" in page, heading
    ds = load_run(stores["plain"])
    m = risk_metrics(ds)
    # headline numbers as the metrics give them
    assert f"<b>{money(m['tail']['0.99']['es'])}</b> ({pct(m['tail']['0.99']['es_fraction'])})" in (
        page
    )
    assert f"<b>{pct(m['liquidation']['probability'])}</b>" in page
    assert f"{ds.attrs['seed']}" in page and "800" in page
    assert "steps of 4 h" in page  # fee figures quoted with the step size
    assert "Key findings." in page
    assert f"{money(m['tail']['0.99']['var'])} (VaR 99 %" in page


def test_default_output_beside_the_run(stores: dict[str, Path], tmp_path: Path) -> None:
    run_dir = tmp_path / "copy"
    ds = load_run(stores["plain"])
    write_run(run_dir, ds, summary(ds))
    result = runner.invoke(cli.app, ["report", str(run_dir), "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and result.stderr == ""
    assert (run_dir / "report.html").is_file()


def test_scenario_text_is_escaped(stores: dict[str, Path]) -> None:
    page = build_report([(str(stores["evil"]), load_run(stores["evil"]))])
    assert EVIL not in page
    assert "<script" not in page.lower()
    assert "<img src=x" not in page
    assert esc(EVIL) in page  # shown, as text
    assert "&lt;img src=x onerror=alert(2)&gt; &amp; &#x27;quotes&#x27;" in page
    assert_self_contained(page)
    # a label (run directory) is user text too
    page = build_report([(EVIL, load_run(stores["plain"]))])
    assert EVIL not in page and esc(EVIL) in page


def test_sweep_report(stores: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "sweep.html"
    result = runner.invoke(cli.app, ["report", str(stores["sweep"]), "-o", str(out)])
    assert result.exit_code == 0, result.output
    header, *rows = [line for line in result.stdout.splitlines() if line.strip()]
    assert header.split()[:3] == ["hedge.leverage", "mean", "P&L"] and "P(liquidation)" in header
    assert len([r for r in rows if not r.startswith("output")]) == 3  # one row per sweep point
    page = out.read_text()
    assert_self_contained(page)
    assert "Across the swept settings" in page and "hedge.leverage" in page
    assert "sweep over hedge.leverage" in page
    # sweep chart + distribution + 3 fans + survival + drawdown + attribution
    assert len(images(page)) == 8
    ds = load_run(stores["sweep"])
    for lev in (2.0, 4.0, 8.0):
        m = risk_metrics(ds.sel({"hedge.leverage": lev}))
        assert f"<td>{money(m['tail']['0.99']['var'])}</td>" in page
        assert f"[hedge.leverage={lev}]" in page


def test_two_dimensional_sweep_report(stores: dict[str, Path]) -> None:
    page = build_report([("grid", load_run(stores["grid"]))])
    assert_self_contained(page)
    assert "Heatmaps" in page
    assert page.count("<td>0.5</td>") == 2 and page.count("<td>1.0</td>") == 2


def test_comparison_report(stores: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "compare.html"
    args = ["report", str(stores["plain"]), str(stores["other"]), str(stores["sweep"])]
    result = runner.invoke(cli.app, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert_self_contained(page)
    assert "lphedge comparison: small vs other vs sweep" in page
    header = re.search(r"<table class='headline'><thead><tr>(.*?)</tr>", page)
    assert header is not None
    columns = re.findall(r"<th>(.*?)</th>", header.group(1))
    assert columns[:3] == ["metric", esc(str(stores["plain"])), esc(str(stores["other"]))]
    assert len(columns) == 1 + 2 + 3  # two runs and the sweep's three points
    assert page.count("<h2>Scenario and provenance") == 3
    plain = risk_metrics(load_run(stores["plain"]))
    other = risk_metrics(load_run(stores["other"]))
    for m in (plain, other):
        assert f"<b>{money(m['tail']['0.95']['var'])}</b>" in page


def test_compare_default_name(stores: dict[str, Path], tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli.app, ["report", str(stores["plain"]), str(stores["other"]), "-q"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "compare.html").is_file()


def _one_line_error(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0]
    assert "Traceback" not in result.output


def test_refuses_incomplete_and_foreign_stores(stores: dict[str, Path], tmp_path: Path) -> None:
    # incomplete: the writer never marked it complete
    ds = load_run(stores["plain"])
    broken = write_run(tmp_path / "broken", ds, summary(ds))
    zarr.open_group(broken / "results.zarr", mode="r+").attrs[store.COMPLETE_ATTR] = False
    # foreign: a zarr store lphedge did not write
    foreign = tmp_path / "foreign.zarr"
    group = zarr.open_group(foreign, mode="w")
    group.create_array("pnl", data=np.zeros(3))
    # not a store at all
    (tmp_path / "file.txt").write_text("hello")

    cases = {
        str(broken): "incomplete store",
        str(foreign): "did not write",
        str(tmp_path / "file.txt"): "not a run directory",
        str(tmp_path / "missing"): "no such file",
    }
    for path, needle in cases.items():
        out = tmp_path / "never.html"
        result = runner.invoke(cli.app, ["report", path, "-o", str(out)])
        _one_line_error(result, needle)
        assert not out.exists()
    # one bad run spoils a comparison, with nothing written
    result = runner.invoke(
        cli.app, ["report", str(stores["plain"]), str(broken), "-o", str(tmp_path / "c.html")]
    )
    _one_line_error(result, "incomplete store")
    assert not (tmp_path / "c.html").exists()


def test_store_missing_variables_refused(stores: dict[str, Path], tmp_path: Path) -> None:
    ds = load_run(stores["plain"]).drop_vars(["liquidation_time"])
    bad = write_run(tmp_path / "old", ds, {})
    result = runner.invoke(cli.app, ["report", str(bad)])
    _one_line_error(result, "lacks liquidation_time")


def test_bad_output_path(stores: dict[str, Path], tmp_path: Path) -> None:
    result = runner.invoke(
        cli.app, ["report", str(stores["plain"]), "-o", str(tmp_path / "no" / "such" / "r.html")]
    )
    _one_line_error(result, "--output", "is not a directory")
    result = runner.invoke(cli.app, ["report", str(stores["plain"]), "-o", str(tmp_path)])
    _one_line_error(result, "--output", "is a directory")


def test_run_with_report(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["run", "--paths", "300", "--set", "horizon_days=3", "--out", "r", "--report"]
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    page = (tmp_path / "r" / "report.html").read_text()
    assert_self_contained(page)
    assert "lphedge risk report: default" in page
    assert "report: " in result.stderr
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == [
        "report.html",
        "results.zarr",
        "summary.json",
    ]


def test_terminal_table_does_not_read_markup(
    stores: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import rich.console

    monkeypatch.setattr(rich.console.Console, "is_terminal", property(lambda self: True))
    s = summary(load_run(stores["plain"]))
    s["scenario"] = "[/]" + EVIL + "[bold]x"
    cli.print_summary(s)
    assert "[/]" + EVIL + "[bold]x" in capsys.readouterr().out
