"""The command line: a real end-to-end run, the error contract, `scenarios`, `validate`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import engine
from engine import cli
from engine.cli import commands
from engine.results.store import read_results
from engine.scenario import shipped_scenarios

runner = CliRunner()

SUMMARY_KEYS = {
    "scenario",
    "paths",
    "seed",
    "capital",
    "horizon_days",
    "step_hours",
    "pnl_mean",
    "pnl_std",
    "pnl_mean_stderr",
    "var",
    "es",
    "var_fraction",
    "es_fraction",
    "liquidation_probability",
    "liquidation_probability_ci",
    "max_drawdown_quantiles",
    "fees_mean",
    "funding_mean",
    "il_mean",
    "trading_costs_mean",
    "hedge_effectiveness",
}


def lphedge_command() -> list[str]:
    script = Path(sys.executable).with_name("lphedge")
    if script.is_file():
        return [str(script)]
    found = shutil.which("lphedge")
    return [found] if found else [sys.executable, "-m", "engine.cli"]


def test_run_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "e2e"
    proc = subprocess.run(
        [*lphedge_command(), "run", "--paths", "1000", "--set", "horizon_days=5", "--out", out],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != cli.DEBUG_ENV},
    )
    assert proc.returncode == 0, proc.stderr
    assert "simulating 1,000 paths x 120 steps" in proc.stderr
    assert "done in" in proc.stderr
    for label in ("mean P&L", "VaR 95 %", "ES 99 %", "liquidation probability", "max drawdown"):
        assert label in proc.stdout
    assert str(out) in proc.stdout

    assert sorted(p.name for p in out.iterdir()) == ["results.zarr", "summary.json"]
    summary = json.loads((out / "summary.json").read_text())
    assert SUMMARY_KEYS <= set(summary)
    assert summary["paths"] == 1000
    assert summary["horizon_days"] == 5.0
    assert set(summary["var"]) == {"0.95", "0.99"}
    ds = read_results(out)
    assert ds.sizes["path"] == 1000
    assert ds.attrs["n_steps"] == 120


def test_run_default_out_and_quiet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["run", "unhedged", "--paths", "200", "--seed", "7", "--set", "horizon_days=2"]
    result = runner.invoke(cli.app, [*args, "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and result.stderr == ""
    summary = json.loads((tmp_path / "runs" / "unhedged" / "summary.json").read_text())
    assert (summary["scenario"], summary["paths"], summary["seed"]) == ("unhedged", 200, 7)
    assert summary["hedge_effectiveness"] == pytest.approx(0.0, abs=1e-12)

    again = runner.invoke(cli.app, args)
    assert again.exit_code == 2
    assert again.stderr.startswith("error: --out = 'runs/unhedged': already holds results.zarr")

    replaced = runner.invoke(cli.app, [*args, "--overwrite", "--paths", "100"])
    assert replaced.exit_code == 0, replaced.output
    assert "mean P&L" in replaced.stdout
    assert read_results(tmp_path / "runs" / "unhedged").sizes["path"] == 100


BAD_YAML = "name: [unclosed\nhedge:\n  leverage: 3\n"

BAD_INPUTS = {
    "unknown key": (["--set", "hedge.foo=1"], "hedge.foo", "1"),
    "negative vol": (["--set", "market.price.vol=-0.2"], "market.price.vol", "-0.2"),
    "zero leverage": (["--set", "hedge.leverage=0"], "hedge.leverage", "0"),
    "negative leverage": (["--set", "hedge.leverage=-2"], "hedge.leverage", "-2"),
    "v3 range": (
        ["--set", "pool.type=v3", "--set", "pool.range.lower=0.3", "--set", "pool.range.upper=0.1"],
        "pool.range.lower",
        "0.3",
    ),
    "nan": (["--set", "market.price.vol=.nan"], "market.price.vol", "nan"),
    "missing file": (["missing.yaml"], "scenario", "missing.yaml"),
    "malformed yaml": (["bad.yaml"], "scenario", "bad.yaml"),
    "set without =": (["--set", "hedge.leverage"], "--set", "hedge.leverage"),
    "zero paths": (["--paths", "0"], "paths", "0"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args, field, value = BAD_INPUTS[case]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text(BAD_YAML)
    for extra in ([], ["--out", "out"]):
        result = runner.invoke(cli.app, ["run", *args, *extra])
        assert result.exit_code == 2, result.output
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("error: ")
        assert field in lines[0] and value in lines[0]
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


@pytest.mark.parametrize("name", ["missing.yaml", "bad.yaml"])
def test_validate_bad_file(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text(BAD_YAML)
    result = runner.invoke(cli.app, ["validate", name])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"error: scenario = '{name}': ")


@pytest.mark.parametrize("case", ["unknown key", "v3 range", "nan", "set without ="])
def test_validate_bad_sets(case: str) -> None:
    args, field, value = BAD_INPUTS[case]
    result = runner.invoke(cli.app, ["validate", "default", *args])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: ") and field in result.stderr
    assert value in result.stderr


@pytest.mark.parametrize(
    "args", [["run", "--workers", "0"], ["run", "--bogus"], ["validate"], ["nonsense"]]
)
def test_usage_errors_exit_2(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_internal_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kernel exploded")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(commands, "run_to_store", broken)
    monkeypatch.delenv(cli.DEBUG_ENV, raising=False)
    result = runner.invoke(cli.app, ["run", "--paths", "10"])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[-2] == "internal error: RuntimeError: kernel exploded"
    assert cli.DEBUG_ENV in lines[-1]
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []

    monkeypatch.setenv(cli.DEBUG_ENV, "1")
    debug = runner.invoke(cli.app, ["run", "--paths", "10"])
    assert debug.exit_code == 1
    assert isinstance(debug.exception, RuntimeError)


def test_scenarios_lists_shipped() -> None:
    result = runner.invoke(cli.app, ["scenarios"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    shipped = shipped_scenarios()
    assert len(lines) == len(shipped)
    for name, line in zip(shipped, lines, strict=True):
        assert line.split()[0] == name
        assert engine.load_scenario(shipped[name]).description in line


def test_validate(tmp_path: Path) -> None:
    result = runner.invoke(cli.app, ["validate", "default"])
    assert result.exit_code == 0
    assert result.stdout == "ok: default (2160 steps of 1 h, 100000 paths)\n"

    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\nhorizon_days: 10\nstep_hours: 4\npaths: 500\n")
    result = runner.invoke(cli.app, ["validate", str(path), "--set", "step_hours=2"])
    assert result.exit_code == 0
    assert result.stdout == "ok: mine (120 steps of 2 h, 500 paths)\n"


def test_version() -> None:
    result = runner.invoke(cli.app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"lphedge {engine.__version__}"


def test_default_out_dir_is_safe() -> None:
    assert cli.default_out_dir("default") == Path("runs") / "default"
    assert cli.default_out_dir("../etc/x y") == Path("runs") / "_etc_x_y"
    assert cli.default_out_dir("..") == Path("runs") / "run"
