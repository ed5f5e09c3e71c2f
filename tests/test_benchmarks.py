"""The benchmark package runs end to end and writes a complete JSON record.

Only the machinery is tested: keys present, numbers positive and finite. No timing is asserted (the
VM's speed drifts by 2x). The result checks the benchmark relies on are tested to fail on bad input.
"""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import engine
from benchmarks import checks, numpy_model, numpy_notebook
from benchmarks.cases import CASES, data_folder, select_cases
from benchmarks.cli import parse_args
from benchmarks.floor import floor_draws, run_floor, run_model_floor
from engine.block import run_block
from engine.dispatch import supports
from engine.inputs import kernel_inputs
from engine.results.plan import default_block_paths
from engine.risk import ATTRIBUTION

REPO_ROOT = Path(__file__).resolve().parents[1]
SUMMARY_KEYS = {"median", "min", "max", "values"}


def _positive_summary(s: dict[str, Any], repeats: int) -> None:
    assert SUMMARY_KEYS <= set(s)
    assert len(s["values"]) == repeats
    for v in (*s["values"], s["median"], s["min"], s["max"]):
        assert isinstance(v, int | float) and math.isfinite(v) and v > 0.0
    assert s["min"] <= s["median"] <= s["max"]


@pytest.fixture(scope="module")
def quick_record(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    target = tmp_path_factory.mktemp("bench") / "quick.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json", str(target)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(target.read_text()), done.stdout


@pytest.mark.slow
def test_quick_run_writes_the_record(quick_record: tuple[dict[str, Any], str]) -> None:
    record, stdout = quick_record
    assert record["schema"] == "lphedge-benchmarks/1"
    assert {"date", "command", "settings", "machine", "git", "checks", "compile"} <= set(record)
    assert record["command"].startswith("python -m benchmarks --quick")
    assert record["settings"]["quick"] is True
    repeats = record["settings"]["repeats"]

    machine = record["machine"]
    assert machine["cpu"]["model"]
    assert machine["cpu"]["logical_cores"] >= 1
    assert machine["ram_bytes"] > 0
    for name in ("python", "numpy", "numba"):
        assert machine["versions"][name]
    assert record["git"]["commit"]

    assert record["checks"] and all(c["passed"] for c in record["checks"])

    comp = record["compile"]
    n_compile = record["settings"]["compile_repeats"]
    for kind in ("cold", "warm"):
        for key in ("import_s", "first_call_s", "second_call_s", "process_wall_s"):
            _positive_summary(comp[kind][key], n_compile)
    _positive_summary(comp["cold_over_warm_first_call"], n_compile)

    skipped = {skip["case"]: skip["reason"] for skip in record["skipped_cases"]}
    needs_data = {case.name for case in CASES if case.needs_data}
    assert set(skipped) <= needs_data and all(skipped.values())
    if data_folder()[0] is not None:  # the data is here (tests/conftest.py): nothing skipped
        assert not skipped
    ran = [case for case in CASES if case.name not in skipped]
    assert list(record["throughput"]) == [case.name for case in ran]
    lane_only = (
        "general_path_steps_per_s",
        "scalar_floor_path_steps_per_s",
        "general_over_scalar_floor",
        "speedup_over_general",
        "floor_speedup_over_scalar_floor",
    )
    for case in ran:
        entry = record["throughput"][case.name]
        assert entry["path_steps"] == entry["n_paths"] * entry["n_steps"] > 0
        keys = [
            "model_s",
            "floor_s",
            "model_path_steps_per_s",
            "floor_path_steps_per_s",
            "model_over_floor",
            "model_cpu_s",
            "floor_cpu_s",
            "model_over_floor_cpu",
        ]
        # the kernel engine.simulate picks: the lane kernel exactly when the dispatch supports it
        lanes = supports(case.scenario())
        assert entry["kernel"] == ("lanes" if lanes else "general")
        if lanes:
            keys += lane_only
        else:
            assert not set(lane_only) & set(entry)
            assert entry["floor"] == "benchmarks.floor.model_floor"
        for key in keys:
            _positive_summary(entry[key], repeats)
        for name in ("lanes_match_general", "lane_floor_matches"):
            (check,) = [c for c in record["checks"] if c["name"] == name and c["case"] == case.name]
            assert check["passed"] and check["applies"] == lanes
            assert lanes or check["detail"].startswith("n/a: general kernel")
        price_checks = [
            c
            for c in record["checks"]
            if c["case"] == case.name and c["name"] in ("mean_final_price", "final_price_exact")
        ]
        assert len(price_checks) == 1 and price_checks[0]["applies"]
    kernels = {name: entry["kernel"] for name, entry in record["throughput"].items()}
    assert {kernels[n] for n in ("default", "v3-arbitrage", "merton", "every-feature")} == {"lanes"}
    assert {kernels[n] for n in ("all-features", "garch", "regime")} == {"general"}
    tp = record["throughput"]
    assert tp["merton"]["draws_per_step"] == {"normals": 3, "uniforms": 2, "t_factors": 0}
    assert tp["default"]["draws_per_step"] == {"normals": 2, "uniforms": 1, "t_factors": 0}
    assert tp["garch"]["draws_per_step"] == {"normals": 2, "uniforms": 1, "t_factors": 1}
    assert tp["all-features"]["draws_per_step"] == {"normals": 4, "uniforms": 4, "t_factors": 0}
    assert tp["all-features"]["draw_plan"]["per_path"] == ["u_initial_regime"]
    assert tp["all-features"]["adl_draws"] > 0
    # every P&L part of engine.risk.ATTRIBUTION is exercised by the all-features case
    (identity,) = [
        c
        for c in record["checks"]
        if c["name"] == "accounting_identity" and c["case"] == "all-features"
    ]
    assert f"({len(ATTRIBUTION) - 1} non-zero)" in identity["detail"]  # all but option_value

    par = record["parallel"]
    assert par["n_blocks"] >= 2
    for key in ("workers_1_s", "workers_2_s", "speedup", "efficiency", "workers_2_process_cores"):
        _positive_summary(par[key], record["settings"]["parallel_repeats"])

    assert all(v >= 0.0 for v in par["workers_2_other_load_cores"]["values"])

    npy = record["numpy"]
    assert npy["scenario"] == "default" and npy["target_program"] == "notebook"
    programs = ("notebook", "tuned")
    assert set(npy["programs"]) == set(programs)
    assert npy["programs"]["notebook"]["implementation"].startswith("benchmarks/numpy_notebook.py")
    assert npy["programs"]["tuned"]["implementation"].startswith("benchmarks/numpy_model.py")
    numpy_repeats = record["settings"]["numpy_repeats"]
    assert npy["repeats"] == numpy_repeats > 0
    sizes = [tuple(size) for size in record["settings"]["numpy_sizes"]]
    assert len(sizes) >= 2 and len(npy["sizes"]) == len(sizes)
    for (n_paths, steps), size in zip(sizes, npy["sizes"], strict=True):
        assert size["n_paths"] == n_paths > 0
        assert size["n_steps"] == (steps or 2160) and size["whole_horizon"] == (steps == 0)
        assert size["path_steps"] == size["n_paths"] * size["n_steps"]
        for who in ("engine", *programs):
            for key in ("s", "cpu_s", "path_steps_per_s", "cpu_over_wall"):
                _positive_summary(size[f"{who}_{key}"], numpy_repeats)
            assert all(v >= 0.0 for v in size[f"{who}_other_load_cores"]["values"])
        for program in programs:
            _positive_summary(size[f"engine_over_{program}_speed"], numpy_repeats)
            _positive_summary(size[f"engine_over_{program}_speed_cpu"], numpy_repeats)
    check = npy["check"]
    assert check["n_paths"] == record["settings"]["numpy_check_paths"]
    for program in programs:
        rows = check[program]["rows"]
        assert [r["statistic"] for r in rows] == [s[0] for s in numpy_model.STATISTICS]
        assert all(r["passed"] and abs(r["z"]) < check["sigmas"] for r in rows)
        agree = [c for c in record["checks"] if c["name"] == f"numpy_{program}_stats_agree"]
        assert len(agree) == 1 and agree[0]["passed"]
    assert "engine / notebook (wall)" in stdout and "engine / tuned (wall)" in stdout

    memory = record["memory"]
    assert memory["paths"] == record["settings"]["memory_paths"] > 0
    assert 0.0 < memory["peak_rss_gib"] < 64.0

    for heading in (
        "Checks",
        "Compile time",
        "Single-core throughput",
        "Engine vs numpy",
        "Peak memory",
    ):
        assert heading in stdout
    assert "Parallel" in stdout


def test_quick_and_full_settings() -> None:
    quick, quick_json = parse_args(["--quick"])
    full, full_json = parse_args([])
    assert quick.paths < full.paths and quick.repeats <= full.repeats
    assert quick_json != full_json
    custom, path = parse_args(["--quick", "--paths", "100", "--json", "x.json", "--no-compile"])
    assert custom.paths == 100 and custom.block_paths == 12 and not custom.measure_compile
    assert custom.parallel_paths == 100
    # the full run times the parallel case on 8 tasks of the engine's default size for the
    # default scenario
    default = engine.load_scenario(None)
    assert full.block_paths == default_block_paths(default.paths, default.n_steps) == 12_288
    assert full.parallel_paths == 8 * full.block_paths
    assert custom.parallel_repeats == 2 * custom.repeats - 1
    assert path == Path("x.json")
    assert full.numpy and quick.numpy
    assert max(p for p, _ in quick.numpy_sizes) < max(p for p, _ in full.numpy_sizes)
    assert full.numpy_sizes[0] == (16384, 0) and full.numpy_sizes[-1][0] == 1048576
    assert quick.numpy_repeats <= full.numpy_repeats
    assert quick.numpy_check_paths < full.numpy_check_paths
    skip, _ = parse_args(
        ["--quick", "--no-numpy", "--numpy-sizes", "50,70x24", "--numpy-repeats", "3"]
    )
    assert not skip.numpy and skip.numpy_sizes == ((50, 0), (70, 24)) and skip.numpy_repeats == 3
    for bad in ("50x", "x24", "0x24", "50x0", "fifty"):
        with pytest.raises(SystemExit):
            parse_args(["--numpy-sizes", bad])


def _outputs(n: int = 5) -> dict[str, np.ndarray]:
    """Random per-path parts that add up: pnl = sum of the ATTRIBUTION parts; V0 = 100, x0 = 2,
    y0 = 40, P0 = 30, so that hodl_pnl = 2 P_T + 40 - 100."""
    rng = np.random.default_rng(1)
    out = {p.variable: rng.normal(size=n) for p in ATTRIBUTION if p.variable != "hodl_pnl"}
    out["final_price"] = 30.0 + rng.normal(size=n)
    for name in ("topped_up", "swept"):
        out[name] = rng.normal(size=n)
    hodl = 2.0 * out["final_price"] + 40.0 - 100.0
    out["pnl"] = hodl + sum(
        p.sign * out[p.variable] for p in ATTRIBUTION if p.name != "lp_price_move"
    )
    # the LP side as the kernel defines il: V_T - (x0 P_T + y0) + net transfers + swap costs
    # + exploit
    out["lp_value"] = (
        out["il"]
        + 2.0 * out["final_price"]
        + 40.0
        - (out["topped_up"] - out["swept"])
        - out["swap_costs"]
        - out["pool_exploit_loss"]
    )
    return out


def test_identity_check_uses_every_attribution_part() -> None:
    good = _outputs()
    assert checks.accounting_identity(good, 100.0, 1000.0, "t", (2.0, 40.0)).passed
    # without the tokens, hodl_pnl + il from the definition of il: the same identity
    derived = checks.accounting_identity(good, 100.0, 1000.0, "t")
    assert derived.passed and "definition" in derived.detail
    assert checks.accounting_identity(
        dict(good, hodl_pnl=2.0 * good["final_price"] - 60.0), 100.0, 1000.0, "t"
    ).passed
    for part in ATTRIBUTION:  # a part off by 1e-3 on one path (limit 1e-6) is caught
        if part.variable == "hodl_pnl":
            bad = dict(good, final_price=good["final_price"] + np.array([0, 0, 5e-4, 0, 0]))
        else:
            bad = dict(good, **{part.variable: good[part.variable] + np.array([0, 0, 1e-3, 0, 0])})
        result = checks.accounting_identity(bad, 100.0, 1000.0, "t", (2.0, 40.0))
        assert not result.passed, part.name
    with pytest.raises(checks.CheckFailed, match="accounting_identity"):
        checks.require(checks.accounting_identity(bad, 100.0, 1000.0, "t", (2.0, 40.0)))
    missing = {k: v for k, v in good.items() if k != "insurance_payout"}
    result = checks.accounting_identity(missing, 100.0, 1000.0, "t", (2.0, 40.0))
    assert not result.passed and "insurance_payout" in result.detail


def test_price_checks_catch_a_biased_mean() -> None:
    rng = np.random.default_rng(2)
    prices = 3000.0 * np.exp(
        rng.normal(-0.02, 0.2, size=10_000)
    )  # E[P] = 3000, E[ln P] = ln 3000 - 0.02
    law = checks.PriceLaw("P_T", 3000.0, "t")
    assert checks.mean_final_price(prices, law, "t").passed
    assert not checks.mean_final_price(prices * 1.05, law, "t").passed
    log_law = checks.PriceLaw("ln P_T", math.log(3000.0) - 0.02, "t")
    assert checks.mean_final_price(prices, log_law, "t").passed
    assert not checks.mean_final_price(prices * 1.02, log_law, "t").passed
    exact = checks.PriceLaw("P_T exact", 3000.0, "t")
    same = np.full(10, 3000.0 * (1.0 + 1e-13))
    result = checks.mean_final_price(same, exact, "t")
    assert result.passed and result.name == "final_price_exact"
    assert not checks.mean_final_price(same + np.eye(10)[3] * 3e-3, exact, "t").passed


def _enumerate_regimes(pi0: np.ndarray, m: np.ndarray, growth: np.ndarray, n: int) -> float:
    """E[prod_k g(s_k)] by summing over every regime sequence of n steps (small n)."""
    total = 0.0
    for seq in itertools.product(range(len(pi0)), repeat=n):
        p = pi0[seq[0]] * np.prod([m[a, b] for a, b in itertools.pairwise(seq)])
        total += p * np.prod(growth[list(seq)])
    return float(total)


def test_regime_law_by_enumeration() -> None:
    """The regime chain's E[P_T] recursion equals the sum over every regime path (5 steps of a
    day, 3 regimes with different drifts), and reduces to P0 e^{mu T} when the drifts agree."""
    from scipy.linalg import expm

    states = {
        "a": {"drift": 0.5, "vol": 0.5, "transitions": {"b": 30.0, "c": 10.0}},
        "b": {"drift": -1.0, "vol": 1.0, "transitions": {"a": 40.0}},
        "c": {"drift": 2.0, "vol": 0.8, "transitions": {"a": 20.0, "b": 5.0}},
    }
    over = {
        "market.price.model": "regime",
        "market.price.regime": {"initial": "stationary", "states": states},
        "step_hours": 24.0,
        "horizon_days": 5,
        "hedge.rebalance.every_hours": 24.0,
        "output.observe_every_hours": 24.0,
    }
    scn = engine.load_scenario(None, overrides=over)
    law = checks.final_price_law(scn, kernel_inputs(scn))
    dt = scn.dt_years
    q = np.array([[-40.0, 30.0, 10.0], [40.0, -40.0, 0.0], [20.0, 5.0, -25.0]])
    w, v = np.linalg.eig(q.T)
    pi0 = np.real(v[:, np.argmin(np.abs(w))])
    pi0 /= pi0.sum()
    growth = np.exp(np.array([0.5, -1.0, 2.0]) * dt)
    expected = scn.market.spot * _enumerate_regimes(pi0, expm(q * dt), growth, 5)
    assert law.statistic == "P_T" and law.expected == pytest.approx(expected, rel=1e-12)
    named = engine.load_scenario(None, overrides={**over, "market.price.regime.initial": "c"})
    start_c = np.array([0.0, 0.0, 1.0])
    assert checks.final_price_law(named, kernel_inputs(named)).expected == pytest.approx(
        scn.market.spot * _enumerate_regimes(start_c, expm(q * dt), growth, 5), rel=1e-12
    )
    for s in states.values():
        s["drift"] = 0.3
    flat = engine.load_scenario(None, overrides=over)
    assert checks.final_price_law(flat, kernel_inputs(flat)).expected == pytest.approx(
        scn.market.spot * math.exp(0.3 * 5 / 365), rel=1e-12
    )


def test_bootstrap_law_by_enumeration() -> None:
    """The stationary bootstrap's E[exp(sum of returns)] by its index chain equals the sum over
    every index sequence (3 historical steps, 4 steps, restart probability 0.3)."""
    r = np.array([0.1, -0.2, 0.05])
    p, n_hist, n = 0.3, 3, 4
    total = 0.0
    for seq in itertools.product(range(n_hist), repeat=n):
        prob = 1.0 / n_hist
        for a, b in itertools.pairwise(seq):
            prob *= p / n_hist + (1.0 - p) * (b == (a + 1) % n_hist)
        total += prob * math.exp(r[list(seq)].sum())
    assert checks._bootstrap_growth(r, p, n) == pytest.approx(total, rel=1e-13)
    # no restarts after the first step: a uniform start, then consecutive (circular) steps
    circular = np.mean([math.exp(r[[(i + k) % 3 for k in range(n)]].sum()) for i in range(3)])
    assert checks._bootstrap_growth(r, 0.0, n) == pytest.approx(circular, rel=1e-13)


def test_garch_law_is_the_log_mean() -> None:
    """GARCH with Student-t innovations: the check is on E[ln P_T] (E[P_T] is not finite);
    ln P0 + (mu - vol^2/2) T with the long-run start, lower by hbar/2 sum (E v_k - 1) above it."""
    scn = engine.load_scenario("garch-eth")
    law = checks.final_price_law(scn, kernel_inputs(scn))
    horizon = scn.n_steps * scn.dt_years
    price = scn.market.price
    assert law.statistic == "ln P_T"
    assert law.expected == pytest.approx(
        math.log(scn.market.spot) + (price.drift - 0.5 * price.vol**2) * horizon, rel=1e-14
    )
    hot = engine.load_scenario("garch-eth", overrides={"market.price.garch.initial_vol": 1.6})
    g = hot.market.price.garch
    extra = 0.5 * price.vol**2 * hot.dt_years * 3.0 * (1 - (g.alpha + g.beta) ** hot.n_steps)
    extra /= 1 - (g.alpha + g.beta)
    assert checks.final_price_law(hot, kernel_inputs(hot)).expected == pytest.approx(
        law.expected - extra, rel=1e-12
    )
    normal = engine.load_scenario("garch-eth", overrides={"market.price.garch.dof": None})
    assert checks.final_price_law(normal, kernel_inputs(normal)).statistic == "P_T"


def test_floor_makes_the_engine_draws() -> None:
    for merton in (False, True):
        scn = engine.load_scenario(
            "merton-jumps" if merton else None, overrides={"horizon_days": 12}
        )
        inputs = kernel_inputs(scn)
        sums = run_floor(7, 0, 3, scn.n_steps, merton)
        result = checks.floor_draws_match(inputs, 7, sums, "t")
        assert result.applies, result.detail  # the engine's draw functions were replayed
        assert result.passed, result.detail
        assert np.array_equal(run_model_floor(inputs, 7, 0, 3), sums)
        # a floor drawing the wrong kinds is caught
        wrong = run_floor(7, 0, 3, scn.n_steps, not merton)
        assert not checks.floor_draws_match(inputs, 7, wrong, "t").passed


@pytest.mark.parametrize("case", ["all-features", "garch", "regime"])
def test_model_floor_makes_the_engine_draws(case: str) -> None:
    """The general kernel's floor: the engine's draws replayed (driver.draw_model_steps, the
    regime's initial uniform, the venue side stream with one uniform per ADL cascade) have the
    floor's per-path sums; leaving out one kind of draw is caught."""
    (spec,) = [c for c in CASES if c.name == case]
    scn = spec.scenario() if case == "all-features" else spec.scenario(horizon_days=6)
    inputs = kernel_inputs(scn)
    n = 4
    adl = run_block(inputs, scn.seed, 0, n, 0).outputs["adl_cascades"].astype(np.int64)
    sums = run_model_floor(inputs, scn.seed, 0, n, adl)
    result = checks.floor_draws_match(inputs, scn.seed, sums, case, adl)
    assert result.applies and result.passed, result.detail
    draws = floor_draws(inputs)
    assert draws.venue == (case == "all-features")
    if case == "all-features":
        assert adl.sum() > 0  # the crash of day 30 makes cascades
        without = run_model_floor(inputs, scn.seed, 0, n)  # no ADL draws
        assert not checks.floor_draws_match(inputs, scn.seed, without, case, adl).passed
        no_jumps = inputs._replace(funding=inputs.funding._replace(jumps=False))
        short = run_model_floor(no_jumps, scn.seed, 0, n, adl)
        assert not checks.floor_draws_match(inputs, scn.seed, short, case, adl).passed
    if case == "garch":  # the t factor's gamma draws left out
        normal = inputs._replace(
            market=inputs.market._replace(garch=inputs.market.garch._replace(dof=0.0))
        )
        assert not checks.floor_draws_match(
            inputs, scn.seed, run_model_floor(normal, scn.seed, 0, n), case
        ).passed
    if case == "regime":  # the initial regime's uniform left out
        assert draws.regime_initial and draws.regime_switching and not draws.regime_jumps
        fixed = inputs._replace(
            market=inputs.market._replace(regime=inputs.market.regime._replace(draw_initial=False))
        )
        assert not floor_draws(fixed).regime_initial
        assert not checks.floor_draws_match(
            inputs, scn.seed, run_model_floor(fixed, scn.seed, 0, n), case
        ).passed


def test_data_cases_are_skipped_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LPHEDGE_DATA", str(tmp_path))
    cases, skipped = select_cases()
    assert {s["case"] for s in skipped} == {c.name for c in CASES if c.needs_data}
    assert all(str(tmp_path) in s["reason"] and "not found" in s["reason"] for s in skipped)
    assert [c.name for c in cases] == [c.name for c in CASES if not c.needs_data]


NUMPY_PROGRAMS = pytest.mark.parametrize(
    "program", [numpy_notebook, numpy_model], ids=["notebook", "tuned"]
)


@NUMPY_PROGRAMS
def test_numpy_model_refuses_what_it_does_not_implement(program: Any) -> None:
    for name in ("merton-jumps", "v3-range"):
        with pytest.raises(ValueError, match="numpy model"):
            program.simulate(engine.load_scenario(name), 10, 1)


@NUMPY_PROGRAMS
def test_numpy_model_unhedged_accounts(program: Any) -> None:
    """With no short and no funding the P&L is the LP's alone: V_T - V0 + fees, V_T = 2 L sqrt(P_T),
    and the APR fees are apr dt times the LP value at the left points."""
    scn = engine.load_scenario(
        None,
        overrides={"hedge.ratio": 0.0, "market.funding.model": "none", "horizon_days": 10},
    )
    out = program.simulate(scn, 300, 5)
    c = numpy_model.constants(scn)
    assert c.lp_value0 == scn.capital and c.q0 == 0.0
    np.testing.assert_allclose(out["pnl"], out["lp_value"] - scn.capital + out["fees"], atol=1e-8)
    np.testing.assert_allclose(
        out["lp_value"], 2.0 * c.liquidity * np.sqrt(out["final_price"]), rtol=1e-12
    )
    assert not out["liquidated"].any() and not out["n_rebalances"].any()
    assert np.all(out["funding"] == 0.0) and np.all(out["trading_costs"] == 0.0)
    # fees between apr dt n_steps x (min, max) of V over the path: here V0 within 60 %
    bound = scn.pool.fees.apr * scn.dt_years * scn.n_steps * scn.capital
    assert np.all(out["fees"] > 0.4 * bound) and np.all(out["fees"] < 1.6 * bound)
    assert np.all((out["max_drawdown"] >= 0.0) & (out["max_drawdown"] < 1.0))


@NUMPY_PROGRAMS
def test_numpy_model_matches_the_engine_with_many_liquidations(program: Any) -> None:
    """The high-leverage scenario liquidates most paths: the numpy model's bridge test, margin
    checks and liquidation accounting agree with the engine's statistics."""
    n = 4000
    scn = engine.load_scenario("high-leverage", overrides={"horizon_days": 30})
    engine_out = run_block(kernel_inputs(scn), scn.seed, 0, n, 0).outputs
    numpy_out = program.simulate(scn, n, 11)
    rows = numpy_model.compare_statistics(engine_out, numpy_out)
    assert all(r["passed"] for r in rows), rows
    assert 0.2 < numpy_out["liquidated"].mean() < 0.9


@NUMPY_PROGRAMS
@pytest.mark.parametrize("policy", ["band", "periodic", "none"])
def test_numpy_model_matches_the_engine_on_the_default_model(program: Any, policy: str) -> None:
    """The default scenario (30 days) with each rebalancing policy: the same statistics agree
    within 4 combined s.e."""
    n = 4000
    scn = engine.load_scenario(
        None, overrides={"horizon_days": 30, "hedge.rebalance.policy": policy}
    )
    engine_out = run_block(kernel_inputs(scn), scn.seed, 0, n, 0).outputs
    numpy_out = program.simulate(scn, n, 12)
    rows = numpy_model.compare_statistics(engine_out, numpy_out)
    assert all(r["passed"] for r in rows), rows
    # the trade count too, which the statistics above do not include
    counts = [out["n_rebalances"].astype(float) for out in (engine_out, numpy_out)]
    if policy == "none":
        assert not np.any(counts[1])
    else:
        se = math.hypot(*(c.std(ddof=1) / math.sqrt(n) for c in counts))
        assert counts[1].mean() > 0.5 and abs(counts[1].mean() - counts[0].mean()) < 4.0 * se


def test_statistics_comparison_catches_a_bias() -> None:
    rng = np.random.default_rng(3)
    base = {
        "pnl": rng.normal(100.0, 10.0, 5000),
        "liquidated": rng.random(5000) < 0.3,
        "fees": rng.normal(50.0, 1.0, 5000),
        "funding": rng.normal(5.0, 2.0, 5000),
        "trading_costs": rng.normal(3.0, 0.1, 5000),
        "max_drawdown": rng.uniform(0.0, 0.2, 5000),
    }
    same = {k: rng.permutation(v) for k, v in base.items()}
    assert all(r["passed"] for r in numpy_model.compare_statistics(base, same))
    shifted = dict(same, pnl=same["pnl"] + 1.0)  # 1 = 7 combined s.e.
    rows = {r["statistic"]: r for r in numpy_model.compare_statistics(base, shifted)}
    assert not rows["mean_pnl"]["passed"] and rows["sd_pnl"]["passed"]
    wider = dict(same, pnl=100.0 + 1.1 * (same["pnl"] - 100.0))
    rows = {r["statistic"]: r for r in numpy_model.compare_statistics(base, wider)}
    assert not rows["sd_pnl"]["passed"]


@pytest.mark.slow
def test_scale_benchmarks_write_their_records(tmp_path: Path) -> None:
    """`benchmarks.scale` end to end at tiny sizes: keys present, numbers positive."""
    eff_json, big_json = tmp_path / "eff.json", tmp_path / "big.json"
    eff_args = ["efficiency", "--paths", "256", "--days", "1", "--repeats", "1"]
    big_args = ["big", "--paths", "500", "--days", "2", "--block-paths", "100"]
    for args, target in ((eff_args, eff_json), (big_args, big_json)):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.scale",
                *args,
                "--overhead-tasks",
                "4",
                "--json",
                str(target),
            ]
            if args[0] == "efficiency"
            else [sys.executable, "-m", "benchmarks.scale", *args, "--json", str(target)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    eff = json.loads(eff_json.read_text())
    assert eff["schema"] == "lphedge-benchmarks-scale/1" and eff["machine"]["cpu"]["model"]
    r = eff["result"]
    for key in ("speedup", "efficiency", "empty_task_s"):
        _positive_summary(r[key], 1)
    _positive_summary(r["wall_s"]["1"], 1)
    _positive_summary(r["wall_s"]["2"], 1)
    big = json.loads(big_json.read_text())["result"]
    assert big["paths"] == 500 and big["n_steps"] == 48
    assert big["wall_s"] > 0 and big["peak_rss_bytes"] > 0


class _NoBridge:
    """numpy's generator with the bridge test's draw pinned so that the bridge never fires: a
    uniform just below 1 (notebook: u < exp(-c) fails for every c > 0), an exponential of 0
    (tuned: E > c fails for every c >= 0). Only the endpoint test is left."""

    def __init__(self, seed: int) -> None:
        self._rng = _DEFAULT_RNG(seed)

    def standard_normal(self, *args: Any, **kwargs: Any) -> Any:
        return self._rng.standard_normal(*args, **kwargs)

    def random(self, size: int) -> np.ndarray:
        self._rng.random(size)
        return np.full(size, np.nextafter(1.0, 0.0))

    def standard_exponential(self, size: Any = None, out: np.ndarray | None = None) -> Any:
        draws = self._rng.standard_exponential(size=size, out=out)
        draws[...] = 0.0
        return draws


_DEFAULT_RNG = np.random.default_rng


@NUMPY_PROGRAMS
def test_numpy_model_bridge_test_on_daily_steps(
    program: Any, figures: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On daily steps (sigma sqrt(dt) = 4 %, the barrier ~10 % away at 10x leverage) the
    Brownian-bridge crossings between grid points are a large share of the liquidations: the
    numpy program agrees with the engine, and the same program with the bridge switched off (its
    draw pinned, the endpoint test alone) is told apart on the liquidation probability."""
    n = 4000
    scn = engine.load_scenario("high-leverage", overrides={"step_hours": 24})
    engine_out = run_block(kernel_inputs(scn), scn.seed, 0, n, 0).outputs
    rows = numpy_model.compare_statistics(engine_out, program.simulate(scn, n, 11))
    assert all(r["passed"] for r in rows), rows
    monkeypatch.setattr(np.random, "default_rng", _NoBridge)
    rows = numpy_model.compare_statistics(engine_out, program.simulate(scn, n, 11))
    liq = next(r for r in rows if r["statistic"] == "liquidation_probability")
    figures.apart(
        "endpoint_only_liquidation_probability", liq["numpy"], liq["engine"], liq["combined_se"]
    )
    assert liq["numpy"] < liq["engine"]
