"""Scenario files: defaults, shipped files, overrides, and rejection of bad input."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

import engine
from engine.errors import InputError
from engine.inputs import split_capital
from engine.scenario import Scenario, load_scenario, shipped_scenarios

ROOT = Path(__file__).resolve().parent.parent


def test_default_file_spells_out_the_schema_defaults():
    from_file = load_scenario(ROOT / "scenarios" / "default.yaml")
    assert from_file == Scenario()
    assert load_scenario() == Scenario()


def test_default_scenario_is_the_one_the_issue_asks_for():
    s = Scenario()
    assert (s.pool.type, s.hedge.ratio, s.hedge.leverage) == ("v2", 1.0, 3.0)
    assert (s.horizon_days, s.step_hours, s.n_steps) == (90.0, 1.0, 2160)
    assert s.paths >= 100_000


def test_shipped_scenarios_load_and_cover_the_required_cases():
    shipped = shipped_scenarios()
    assert {"default", "v3-range", "unhedged", "high-leverage"} <= set(shipped)
    loaded = {name: load_scenario(name) for name in shipped}
    assert loaded["v3-range"].pool.type == "v3"
    assert loaded["unhedged"].hedge.ratio == 0.0
    assert loaded["high-leverage"].hedge.leverage > loaded["default"].hedge.leverage
    for name, scenario in loaded.items():
        # a scenario in a subfolder (the stress library, stress/2022-11-ftx) is named with a dash
        assert scenario.name == name.replace("/", "-")


def test_overrides_as_mapping_and_as_strings_agree():
    a = load_scenario(overrides={"hedge.leverage": 5, "pool.type": "v3"})
    b = load_scenario(overrides=["hedge.leverage=5", "pool.type=v3"])
    assert a == b
    assert a.hedge.leverage == 5.0 and a.pool.type == "v3"


def test_scenario_is_frozen():
    s = Scenario()
    with pytest.raises(ValidationError, match="frozen"):
        s.paths = 5  # type: ignore[misc]


def test_capital_split_satisfies_model_section_2():
    for name in shipped_scenarios():
        s = load_scenario(name)
        split = split_capital(s)
        assert math.isclose(split.lp_value + split.collateral, s.capital, rel_tol=1e-12)
        notional = s.hedge.ratio * split.x0 * s.market.spot
        assert math.isclose(
            split.collateral, notional / s.hedge.leverage, rel_tol=1e-12, abs_tol=1e-9
        )
        assert math.isclose(split.x0 * s.market.spot + split.y0, split.lp_value, rel_tol=1e-12)


def test_unhedged_puts_all_capital_in_the_pool():
    split = split_capital(load_scenario("unhedged"))
    assert split.collateral == 0.0 and split.lp_value == 100_000.0


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"hedge.foo": 1}, "hedge.foo", "unknown key"),
        ({"market.price.vol": -0.2}, "market.price.vol", "greater than or equal to 0"),
        ({"hedge.leverage": 0}, "hedge.leverage", "greater than 0"),
        ({"hedge.leverage": -3}, "hedge.leverage", "greater than 0"),
        ({"hedge.leverage": 500}, "hedge.leverage", "liquidated at once"),
        (
            {"pool.type": "v3", "pool.range.lower": 0.3, "pool.range.upper": 0.1},
            "pool.range.lower",
            "below upper",
        ),
        ({"pool.type": "v3", "pool.range.lower": -1.5}, "pool.range.lower", "greater than -1"),
        ({"market.price.vol": float("nan")}, "market.price.vol", "finite"),
        ({"paths": "many"}, "paths", "valid integer"),
        ({"paths": 0}, "paths", "greater than or equal to 1"),
        ({"market.price.model": "heston"}, "market.price.model", "gbm"),
        ({"step_hours": 7}, "step_hours", "whole number of steps"),
        ({"hedge.rebalance.every_hours": 1.5}, "hedge.rebalance.every_hours", "multiple"),
        ({"market.price.jump_intensity": 3.0}, "market.price.jump_intensity", "merton"),
        ({"pool.range.lower": -0.1}, "pool.range", "v3"),
        ({"market.funding.corr_with_price": 1.5}, "market.funding.corr_with_price", "less than"),
        ({"market": 5}, "market", "valid dictionary"),
    ],
)
def test_bad_input_names_the_field_and_the_value(overrides, field, fragment):
    with pytest.raises(InputError) as info:
        load_scenario(overrides=overrides)
    message = str(info.value)
    assert info.value.field == field
    assert message.startswith(field)
    assert fragment in message
    assert "\n" not in message


def test_bad_files(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_scenario(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("market: {spot: [1, 2\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_scenario(bad)
    listing = tmp_path / "list.yaml"
    listing.write_text("- 1\n- 2\n")
    with pytest.raises(InputError, match="mapping"):
        load_scenario(listing)


def test_bad_override_syntax():
    with pytest.raises(InputError, match="KEY=VALUE"):
        load_scenario(overrides=["hedge.leverage"])
    with pytest.raises(InputError, match="not a section"):
        load_scenario({"capital": 5}, overrides={"capital.x": 1})
    with pytest.raises(InputError, match=r"^capital = "):
        load_scenario(overrides={"capital.x": 1})


def test_resolved_scenario_round_trips_through_yaml(tmp_path):
    s = load_scenario("v3-range", overrides={"hedge.leverage": 4})
    path = tmp_path / "resolved.yaml"
    path.write_text(yaml.safe_dump(s.to_dict()))
    assert load_scenario(path) == s


def test_simulate_rejects_bad_paths_before_running():
    with pytest.raises(InputError):
        engine.simulate(paths=-5)


def test_resolved_scenarios_validate_again():
    """Regression: a resolved v2 scenario carries the default range and must load again."""
    for name in shipped_scenarios():
        s = load_scenario(name)
        assert load_scenario(s.to_dict()) == s
        assert load_scenario(s, overrides={"paths": 10}).paths == 10
    ds = engine.simulate(load_scenario(), paths=3, seed=1)
    assert engine.simulate(load_scenario(), paths=3, seed=1).pnl.equals(ds.pnl)


def test_overrides_keep_dates_and_leave_the_input_alone() -> None:
    """A data path resolved after `--set market.price.history.start=2022-03-01` (YAML reads a
    date) used to fail in a JSON deep copy."""
    import datetime

    from engine.scenario import apply_overrides

    start = datetime.date(2022, 3, 1)
    data = {"market": {"price": {"history": {"start": start, "prices": "a.csv"}}}}
    out = apply_overrides(data, {"market.price.history.prices": "/data/a.csv"})
    assert out["market"]["price"]["history"] == {"start": start, "prices": "/data/a.csv"}
    assert data["market"]["price"]["history"]["prices"] == "a.csv"
