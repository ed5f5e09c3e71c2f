"""The stress library (scenarios/stress) and `lphedge stress`.

Layers: every shipped episode loads, merges with positions and documents its figures and sources;
the merge keeps the position and takes the episode's market (checked exactly on a deterministic
episode: no volatility, one price shock, so the final price is known); the command end to end on
small path counts, with its tables matching the stored runs; bad input writes nothing.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

import engine
from engine import cli
from engine.results.store import read_results
from engine.scenario import load_scenario, resolve_scenario_path, shipped_scenarios
from engine.stress import (
    STRESS_CSV,
    STRESS_JSON,
    STRESS_KEYS,
    plan_stress,
    run_stress,
    stress_library,
    stress_scenario,
)

runner = CliRunner()
EPISODES = {
    "2020-03-black-thursday",
    "2021-05-19-china-crash",
    "2022-05-terra",
    "2022-11-ftx",
    "2024-08-05-yen-carry",
    "2025-10-10-tariff-liquidations",
    "2021-q1-eth-squeeze",
    "2024-02-btc-etf-rally",
}


def test_the_library_holds_the_named_episodes_with_figures_and_sources():
    lib = stress_library()
    assert set(lib) == EPISODES
    for name, path in lib.items():
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        assert set(data) <= set(STRESS_KEYS), name
        assert data["name"] == f"stress-{name}"
        # grounded: the data file with dates, and named public sources
        assert "eth_usdt_1h_binance_spot.csv" in text and "Public sources" in text, name
        assert "eth_usdt_perp_funding_8h_binance.csv" in text, name
        assert any(kind["kind"] == "price" for kind in data["shocks"]), name
        load_scenario(path)  # valid on its own


def test_shipped_names_include_the_subfolder():
    shipped = shipped_scenarios()
    assert "default" in shipped and "stress/2022-11-ftx" in shipped
    assert list(shipped).index("default") < list(shipped).index("stress/2022-11-ftx")
    assert resolve_scenario_path("stress/2022-11-ftx") == stress_library()["2022-11-ftx"]
    result = runner.invoke(cli.app, ["scenarios"])
    assert result.exit_code == 0 and "stress/2025-10-10-tariff-liquidations" in result.stdout


def test_the_merge_keeps_the_position_and_takes_the_episode_market():
    position = load_scenario(
        None,
        {
            "market.spot": 2000.0,
            "capital": 50_000.0,
            "pool.type": "v3",
            "hedge.leverage": 2.0,
            "paths": 123,
            "market.price.vol": 0.3,
        },
    )
    episode = yaml.safe_load(stress_library()["2022-11-ftx"].read_text())
    merged = stress_scenario(position, episode, "2022-11-ftx")
    assert merged.capital == 50_000.0 and merged.pool == position.pool
    assert merged.hedge == position.hedge and merged.paths == 123
    assert merged.market.spot == 2000.0
    assert merged.market.price.vol == episode["market"]["price"]["vol"]
    assert merged.horizon_days == episode["horizon_days"] and len(merged.shocks) > 0
    with pytest.raises(engine.InputError, match="hedge"):
        stress_scenario(position, {**episode, "hedge": {"leverage": 9.0}}, "x")


def test_a_deterministic_episode_lands_exactly(tmp_path):
    # no volatility, no drift: the price after the episode is spot x (1 + move) exactly, whatever
    # the position's own market was
    episode = {
        "name": "stress-test",
        "horizon_days": 4,
        "market": {"price": {"vol": 0.0}, "funding": {"model": "none"}},
        "shocks": [{"kind": "price", "day": 1, "hours": 12, "move": -0.3}],
    }
    path = tmp_path / "drop.yaml"
    path.write_text(yaml.safe_dump(episode))
    plan = plan_stress(None, paths=3, library={"drop": path})
    result = run_stress(plan, tmp_path / "out")
    ds = read_results(tmp_path / "out" / "drop")
    spot = plan.position.market.spot
    assert np.allclose(ds["final_price"].values, spot * 0.7, rtol=1e-12)
    row = result["episodes"][0]
    assert row["episode"] == "drop" and row["liquidation_probability"] == 0.0
    # the short gains what the LP loses to the drop (less IL): every path has the same P&L
    pnl = ds["pnl"].values
    assert np.ptp(pnl) < 1e-6 * plan.position.capital
    assert row["pnl_mean"] == pytest.approx(float(pnl.mean()), rel=1e-12)


def test_stress_command_end_to_end(tmp_path):
    out = tmp_path / "stress"
    result = runner.invoke(
        cli.app, ["stress", "--paths", "40", "--out", str(out), "--workers", "1"]
    )
    assert result.exit_code == 0, result.stderr
    table = json.loads((out / STRESS_JSON).read_text())
    rows = {r["episode"]: r for r in table["episodes"]}
    assert set(rows) == EPISODES
    assert (out / "report.html").is_file() and (out / STRESS_CSV).is_file()
    csv_lines = (out / STRESS_CSV).read_text().splitlines()
    assert len(csv_lines) == 1 + len(EPISODES) and csv_lines[0].startswith("episode,")
    for name, row in rows.items():
        summary = json.loads((out / name / "summary.json").read_text())
        assert row["es99"] == summary["risk"]["tail"]["0.99"]["es"]
        assert row["liquidation_probability"] == summary["liquidation_probability"]
        low, high = row["liquidation_probability_ci_low"], row["liquidation_probability_ci_high"]
        assert low <= row["liquidation_probability"] <= high
        assert row["paths"] == 40 and math.isfinite(row["pnl_mean"])
    # the squeezes hurt the short hedge: liquidations on most paths
    assert rows["2021-q1-eth-squeeze"]["liquidation_probability"] > 0.5
    assert "2021-q1-eth-squeeze" in result.stdout
    # again into the same folder: refused, nothing changed
    before = (out / STRESS_JSON).read_text()
    again = runner.invoke(cli.app, ["stress", "--paths", "40", "--out", str(out)])
    assert again.exit_code == 2 and again.stderr.startswith("error: --out")
    assert (out / STRESS_JSON).read_text() == before


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--position", "no-such-position.yaml"], "no such file"),
        (["--paths", "0"], "paths"),
    ],
)
def test_stress_bad_input_writes_nothing(tmp_path, args, needle):
    out = tmp_path / "stress"
    result = runner.invoke(cli.app, ["stress", "--out", str(out), *args])
    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert needle in result.stderr
    assert not out.exists()


def test_stress_refuses_a_sweep_and_an_incompatible_position(tmp_path):
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(yaml.safe_dump({"sweep": {"hedge.leverage": [2, 3]}}))
    out = tmp_path / "o"
    result = runner.invoke(cli.app, ["stress", "--position", str(sweep), "--out", str(out)])
    assert result.exit_code == 2 and "sweep" in result.stderr and not out.exists()
    # a rebalancing clock of 1.5 h is not a whole number of the episodes' 1-hour steps
    odd = tmp_path / "odd.yaml"
    odd.write_text(
        yaml.safe_dump({"hedge": {"rebalance": {"every_hours": 1.5}}, "step_hours": 0.5})
    )
    result = runner.invoke(cli.app, ["stress", "--position", str(odd), "--out", str(out)])
    assert result.exit_code == 2 and "stress scenario" in result.stderr and not out.exists()


def test_position_file_supplies_the_position(tmp_path):
    position = tmp_path / "pos.yaml"
    position.write_text(yaml.safe_dump({"capital": 10_000.0, "hedge": {"leverage": 1.5}}))
    plan = plan_stress(Path(position), paths=7, seed=3)
    for scn in plan.episodes.values():
        assert scn.capital == 10_000.0 and scn.hedge.leverage == 1.5
        assert scn.paths == 7 and scn.seed == 3


REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"


@pytest.mark.skipif(not DATA.is_dir(), reason=f"historical data not found in {DATA}")
def test_the_library_is_reproduced_from_the_data(tmp_path):
    """Every figure in the stress files comes from tools/make_stress_library.py and the data."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_stress", REPO / "tools/make_stress_library.py"
    )
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    written = tool.generate(DATA, tmp_path)
    shipped = stress_library()
    assert {p.stem for p in written} == set(shipped)
    for path in written:
        assert path.read_text(encoding="utf-8") == shipped[path.stem].read_text(encoding="utf-8")
