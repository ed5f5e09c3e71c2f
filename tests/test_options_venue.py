"""Issue 6 (venue part): tiered maintenance margin, the options hedge, venue failure and insurance.

Each feature against theory: the Black-76 pricer against put-call parity and an independent
implementation (scipy), the simulated expected payoff against the price; a hazard's event
frequency against 1 - exp(-lambda T); claims against payout x loss and the approval probability;
the tiered liquidation price against a bisection of the venue's own formula; the accounting
identity with every feature on; and the limits that must reproduce the features-off results.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.stats import norm
from typer.testing import CliRunner

import engine
from engine import cli, risk
from engine.inputs import split_capital
from engine.inputs.hedge import maintenance_tiers
from engine.kernels.options import black76
from engine.kernels.perp import liquidation_price, maintenance_margin
from engine.scenario import apply_overrides, load_scenario

# illustrative brackets (shaped like a venue's published table): caps in quote units
TIERS = [
    {"notional_cap": 20000.0, "maintenance_rate": 0.01},
    {"notional_cap": 47000.0, "maintenance_rate": 0.02, "maintenance_amount": 200.0},
    {"notional_cap": 1e6, "maintenance_rate": 0.05, "maintenance_amount": 1610.0},
]

SHORT = {"horizon_days": 30, "step_hours": 24, "output.sample_paths": 0}


def per_path(ds: Any) -> dict[str, np.ndarray]:
    return {v: ds[v].values for v in ds.data_vars if ds[v].dims == ("path",)}


# --------------------------------------------------------------------------------------------
# Black-76 pricer


GRID = [
    (f, k, v, t)
    for f in (1500.0, 3000.0)
    for k in (0.5, 0.9, 1.0, 1.1, 2.0)
    for v in (0.05, 0.8, 2.0)
    for t in (1.0 / 365.0, 30.0 / 365.0, 1.0)
]


def test_put_call_parity() -> None:
    for f, k, v, t in GRID:
        strike = k * f
        call = black76(f, strike, v, t, True)
        put = black76(f, strike, v, t, False)
        assert abs((call - put) - (f - strike)) <= 1e-12 * f, (f, k, v, t)


def test_black76_against_scipy() -> None:
    for f, k, v, t in GRID:
        strike = k * f
        s = v * math.sqrt(t)
        d1 = (math.log(f / strike) + 0.5 * s * s) / s
        d2 = d1 - s
        call = f * norm.cdf(d1) - strike * norm.cdf(d2)
        put = strike * norm.cdf(-d2) - f * norm.cdf(-d1)
        assert black76(f, strike, v, t, True) == pytest.approx(call, rel=1e-10, abs=1e-10 * f)
        assert black76(f, strike, v, t, False) == pytest.approx(put, rel=1e-10, abs=1e-10 * f)


def test_time_value_bound() -> None:
    """The driver's bound on a leg's time value: at most F v sqrt(T) / sqrt(2 pi) (the at-the-money
    value F (2 N(v sqrt(T) / 2) - 1)), which it uses to skip marks that cannot move the drawdown."""
    for f, k, v, t in GRID:
        strike = k * f
        bound = f * v * math.sqrt(t) / math.sqrt(2.0 * math.pi)
        assert black76(f, strike, v, t, False) - max(strike - f, 0.0) <= bound
        assert black76(f, strike, v, t, True) - max(f - strike, 0.0) <= bound
    atm = black76(3000.0, 3000.0, 0.8, 0.1, True)
    assert atm == pytest.approx(3000.0 * (2.0 * norm.cdf(0.4 * math.sqrt(0.1)) - 1.0), rel=1e-12)


LAZY_CASES = {
    "strangle": {"hedge.options.kind": "strangle", "hedge.leverage": 6.0},
    "put-merton-skew": {
        "hedge.options.kind": "put",
        "hedge.options.put_strike": 1.0,
        "hedge.options.iv.skew": -0.5,
        "hedge.options.iv.multiplier": 1.3,
        "market.price.model": "merton",
        "market.price.jump_intensity": 30.0,
        "market.price.jump_mean": -0.05,
    },
}


@pytest.mark.parametrize("case", list(LAZY_CASES))
def test_lazy_marks_give_the_drawdown_of_every_step(run: Any, case: str) -> None:
    """Live options are marked only when bounds on the mark let W set a new peak or drawdown;
    marking them at every step (every step on the observation grid of every path) gives the same
    drawdown and P&L."""
    over = {**SHORT, "step_hours": 4, "hedge.options.tenor_days": 20, **LAZY_CASES[case]}
    lazy = run(over, paths=500)
    every = run({**over, "output.sample_paths": 500, "output.observe_every_hours": 4}, paths=500)
    for name in ("max_drawdown", "pnl", "option_value", "option_payoff"):
        np.testing.assert_array_equal(lazy[name].values, every[name].values, err_msg=name)
    # and that drawdown is the one of the recorded W at every step
    w = every["sample_value"].values
    peak = np.maximum.accumulate(np.maximum(w, 1e5), axis=1)
    np.testing.assert_allclose(
        ((peak - w) / peak).max(axis=1), lazy.max_drawdown.values, rtol=1e-12, atol=1e-15
    )


def test_black76_limits() -> None:
    assert black76(3000.0, 0.0, 0.8, 0.1, False) == 0.0
    assert black76(3000.0, 0.0, 0.8, 0.1, True) == 3000.0
    assert black76(3000.0, 2700.0, 0.8, 0.0, False) == 0.0
    assert black76(2500.0, 2700.0, 0.8, 0.0, False) == 200.0
    assert black76(3500.0, 2700.0, 0.0, 0.5, True) == 800.0


# --------------------------------------------------------------------------------------------
# Options in the simulation


def test_put_struck_at_zero_costs_and_pays_nothing(run: Any) -> None:
    base = run(SHORT, paths=300)
    zero = run({**SHORT, "hedge.options.kind": "put", "hedge.options.put_strike": 0.0}, paths=300)
    assert not np.any(zero.option_premium.values)
    assert not np.any(zero.option_payoff.values)
    assert not np.any(zero.option_value.values)
    a, b = per_path(base), per_path(zero)
    for name, values in a.items():
        np.testing.assert_array_equal(b[name], values, err_msg=name)


@pytest.mark.parametrize("kind", ["put", "call"])
def test_expected_payoff_is_the_black76_price(run: Any, figures: Any, kind: str) -> None:
    """Held to expiry under GBM with zero drift and IV = the simulated vol, the mean payoff per
    option equals the Black-76 price (the pricer and the simulation agree); a 20 % dearer IV is
    told apart (power)."""
    tenor = 30.0 / 365.0
    over = {
        **SHORT,
        "hedge.ratio": 0.0,
        "market.price.drift": 0.0,
        "hedge.options.kind": kind,
        "hedge.options.roll": "none",
        "hedge.options.tenor_days": 30,
    }
    ds = run(over, paths=20_000, seed=7)
    units = ds.attrs["x0"]  # size 1: one option per unit of the LP's risky holding at t = 0
    per_option = ds.option_payoff.values / units
    spot, strike = 3000.0, (0.9 if kind == "put" else 1.1) * 3000.0
    price = black76(spot, strike, 0.8, tenor, kind == "call")
    np.testing.assert_allclose(ds.option_premium.values / units, price, rtol=1e-12)
    se = per_option.std(ddof=1) / math.sqrt(per_option.size)
    figures.close(f"{kind} mean payoff vs Black-76", per_option.mean(), price, se)
    figures.apart(
        f"{kind} mean payoff vs Black-76 at 1.2 x vol",
        per_option.mean(),
        black76(spot, strike, 0.96, tenor, kind == "call"),
        se,
    )


def test_live_options_are_marked_fairly(run: Any, figures: Any) -> None:
    """An option alive at the horizon is marked with Black-76 at the remaining time: with zero
    drift the mark is a martingale, so its mean equals the premium paid."""
    over = {
        **SHORT,
        "hedge.ratio": 0.0,
        "hedge.options.kind": "straddle",
        "hedge.options.put_strike": 1.0,
        "hedge.options.call_strike": 1.0,
        "hedge.options.tenor_days": 60,
    }
    ds = run(over, paths=20_000, seed=8)
    assert not np.any(ds.option_payoff.values)
    mark = ds.option_value.values
    premium = float(ds.option_premium.values[0])
    se = mark.std(ddof=1) / math.sqrt(mark.size)
    figures.close("straddle mark at T vs premium", mark.mean(), premium, se)


def test_rolled_fair_strip_has_zero_expected_pnl(run: Any, figures: Any) -> None:
    """Rolled every 10 days for 30 days, resized to the LP's holding at each roll, a strip priced
    at the simulated vol is a fair game: E[payoffs - premia] = 0. Three purchases per path."""
    over = {
        **SHORT,
        "hedge.ratio": 0.0,
        "hedge.options.kind": "strangle",
        "hedge.options.tenor_days": 10,
    }
    ds = run(over, paths=20_000, seed=9)
    net = ds.option_payoff.values - ds.option_premium.values
    assert not np.any(ds.option_value.values)  # the last expiry is the horizon
    first = ds.attrs["x0"] * (
        black76(3000.0, 2700.0, 0.8, 10 / 365, False) + black76(3000.0, 3300.0, 0.8, 10 / 365, True)
    )
    # three purchases: v2 holds x = L / sqrt(P), strikes scale with P, so each premium is the
    # first x sqrt(P_roll / P0); the mean of three is near 3 x the first
    assert 2.7 * first < ds.option_premium.values.mean() < 3.1 * first
    figures.close(
        "rolled strip mean net payoff", net.mean(), 0.0, net.std(ddof=1) / math.sqrt(net.size)
    )


def test_skew_and_multiplier_set_the_implied_vol() -> None:
    over = {
        **SHORT,
        "hedge.options.kind": "put",
        "hedge.options.roll": "none",
        "hedge.options.iv.multiplier": 1.25,
        "hedge.options.iv.skew": -0.4,
    }
    scn = load_scenario(overrides=over)
    iv = 0.8 * 1.25 - 0.4 * math.log(0.9)
    assert scn.implied_vol(0.9) == pytest.approx(iv, rel=1e-15)
    ds = engine.simulate(apply_overrides({}, over), paths=10, seed=1)
    expected = ds.attrs["x0"] * black76(3000.0, 2700.0, iv, 30 / 365, False)
    np.testing.assert_allclose(ds.option_premium.values, expected, rtol=1e-12)


# --------------------------------------------------------------------------------------------
# Venue failure and insurance

VENUE = {
    **SHORT,
    "venue.pool.hazard_per_year": 3.0,
    "venue.pool.loss_fraction": 0.4,
    "venue.pool.cover": {"premium_rate": 0.02, "payout_fraction": 0.8, "approval_probability": 0.7},
    "venue.perp.hazard_per_year": 2.0,
    "venue.perp.loss_fraction": 0.6,
    "venue.perp.cover": {"premium_rate": 0.03, "payout_fraction": 0.5, "approval_probability": 0.4},
}


@pytest.fixture(scope="module")
def venue_runs() -> tuple[Any, Any]:
    from conftest import _run

    return _run(SHORT, paths=8_000, seed=21), _run(VENUE, paths=8_000, seed=21)


def test_hazard_frequency(venue_runs: tuple[Any, Any], figures: Any) -> None:
    _, ds = venue_runs
    t = 30.0 / 365.0
    for flag, rate in (("pool_exploited", 3.0), ("perp_venue_failed", 2.0)):
        hits = ds[flag].values
        p = 1.0 - math.exp(-rate * t)
        se = math.sqrt(p * (1.0 - p) / hits.size)
        figures.close(f"{flag} frequency", hits.mean(), p, se)
    # a failure on a path with a loss-making event: the loss is loss_fraction of the exposure
    assert np.all(ds.pool_exploit_loss.values[ds.pool_exploited.values] > 0.0)
    assert not np.any(ds.pool_exploit_loss.values[~ds.pool_exploited.values])
    assert np.all(ds.final_hedge.values[ds.perp_venue_failed.values] == 0.0)


def test_hazards_change_no_price_draw(venue_runs: tuple[Any, Any]) -> None:
    """The venue draws come from a side stream: prices are bit-identical with hazards on and
    off, and so is every output of the paths on which no venue failed (no cover on them: the
    premia are the only difference)."""
    base, ds = venue_runs
    np.testing.assert_array_equal(ds.final_price.values, base.final_price.values)
    quiet = ~(ds.pool_exploited.values | ds.perp_venue_failed.values)
    assert 0.5 < quiet.mean() < 0.95
    a, b = per_path(base), per_path(ds)
    for name in ("lp_value", "fees", "funding", "perp_pnl", "trading_costs", "liquidated"):
        np.testing.assert_array_equal(b[name][quiet], a[name][quiet], err_msg=name)
    np.testing.assert_allclose(
        b["pnl"][quiet] + b["insurance_premium"][quiet], a["pnl"][quiet], rtol=0, atol=1e-9 * 1e5
    )


def test_claims_pay_the_fraction_of_approved_losses(venue_runs: tuple[Any, Any], figures: Any):
    """Each venue's claim, isolated by running it alone: payout = payout_fraction x loss when
    approved, 0 otherwise; approvals at the approval probability."""
    from conftest import _run

    for venue, fraction, approval in (("pool", 0.8, 0.7), ("perp", 0.5, 0.4)):
        other = "perp" if venue == "pool" else "pool"
        ds = _run(
            {**VENUE, f"venue.{other}.hazard_per_year": 0.0, f"venue.{other}.cover": None},
            paths=8_000,
            seed=21,
        )
        loss = (ds.pool_exploit_loss if venue == "pool" else ds.perp_venue_loss).values
        payout = ds.insurance_payout.values
        hit = loss > 0.0
        approved = payout > 0.0
        assert not np.any(approved & ~hit)
        np.testing.assert_allclose(payout[approved], fraction * loss[approved], rtol=1e-14)
        share = approved[hit].mean()
        figures.close(
            f"{venue} claim approval rate",
            share,
            approval,
            math.sqrt(approval * (1 - approval) / hit.sum()),
        )


def test_cover_premium_on_a_constant_position() -> None:
    """No volatility, no drift, no hedge: the LP value stays V0, so the pool cover costs
    premium_rate x T x V0 (paid per step on the value at the step's start)."""
    ds = engine.simulate(
        apply_overrides(
            {},
            {
                **SHORT,
                "market.price.vol": 0.0,
                "hedge.ratio": 0.0,
                "venue.pool.cover": {"premium_rate": 0.05},
            },
        ),
        paths=5,
        seed=1,
    )
    np.testing.assert_allclose(ds.insurance_premium.values, 0.05 * 30 / 365 * 1e5, rtol=1e-12)


def test_accounting_identity_with_every_feature_on(figures: Any) -> None:
    from conftest import _run

    over = {
        **VENUE,
        "step_hours": 4,
        "market.price.model": "merton",
        "market.price.jump_intensity": 10.0,
        "hedge.leverage": 8.0,
        "hedge.tiers": TIERS,
        "hedge.options.kind": "strangle",
        "hedge.options.tenor_days": 20,  # one live strip marked at the horizon
    }
    ds = _run(over, paths=3_000, seed=5)
    parts = risk.attribution_parts(ds)
    assert "unexplained" not in parts
    for name in (
        "option_premium",
        "option_payoff",
        "option_value",
        "pool_exploit",
        "perp_venue_failure",
        "insurance_premium",
        "insurance_payout",
    ):
        assert name in parts, name
    total = sum(p.values for p in parts.values())
    np.testing.assert_allclose(total, ds.pnl.values, rtol=0, atol=1e-9 * 1e5)
    assert ds.liquidated.values.mean() > 0.05


# --------------------------------------------------------------------------------------------
# Tiered maintenance margin


def test_single_tier_reproduces_flat_maintenance_bit_for_bit(run: Any) -> None:
    over = {**SHORT, "step_hours": 4, "hedge.leverage": 10.0, "market.price.vol": 1.2}
    flat = run({**over, "hedge.maintenance_margin": 0.03}, paths=1_000)
    tier = run(
        {**over, "hedge.tiers": [{"notional_cap": 1e9, "maintenance_rate": 0.03}]}, paths=1_000
    )
    assert flat.liquidated.values.mean() > 0.1
    a, b = per_path(flat), per_path(tier)
    for name, values in a.items():
        np.testing.assert_array_equal(b[name], values, err_msg=name)


def _venue_liquidation_price(account: float, q: float, scn: Any) -> float:
    """Bisection of equity = MM on the venue's own formula (HedgeSpec.maintenance_at)."""
    lo, hi = 0.0, account / q
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if account - q * mid > scn.hedge.maintenance_at(q * mid):
            lo = mid
        else:
            hi = mid
    return hi


def test_tiered_liquidation_price_solves_the_venue_formula() -> None:
    scn = load_scenario(overrides={"hedge.tiers": TIERS})
    tiers = maintenance_tiers(scn)
    q = 15.0
    for account in np.linspace(1000.0, 900_000.0, 997):
        p_liq = liquidation_price(account, q, tiers)
        assert p_liq == pytest.approx(_venue_liquidation_price(account, q, scn), rel=1e-12)
        # at P_liq the equity is the maintenance margin of the bracket in force there
        mm = maintenance_margin(q, p_liq, tiers)
        assert mm == pytest.approx(scn.hedge.maintenance_at(q * p_liq), rel=1e-12)
        assert account - q * p_liq == pytest.approx(mm, rel=1e-9, abs=1e-9 * account)


def test_liquidation_price_changes_slope_at_the_bracket_boundaries() -> None:
    """dP_liq / d(account) = 1 / (q (1 + rate)) with the rate of the bracket in force at the
    liquidation notional: it jumps where that notional crosses a cap, as MM = n rate - amount
    says."""
    scn = load_scenario(overrides={"hedge.tiers": TIERS})
    tiers = maintenance_tiers(scn)
    q, h = 15.0, 1e-3
    for i, tier in enumerate(TIERS[:-1]):
        cap = tier["notional_cap"]
        # the account whose liquidation notional is exactly the cap: A = cap (1 + rate) - amount
        at_cap = cap * (1.0 + tier["maintenance_rate"]) - tier.get("maintenance_amount", 0.0)
        below, above = at_cap - 10.0, at_cap + 10.0
        assert q * liquidation_price(below, q, tiers) < cap < q * liquidation_price(above, q, tiers)
        for account, rate in (
            (below, tier["maintenance_rate"]),
            (above, TIERS[i + 1]["maintenance_rate"]),
        ):
            slope = (
                liquidation_price(account + h, q, tiers) - liquidation_price(account - h, q, tiers)
            ) / (2 * h)
            assert slope == pytest.approx(1.0 / (q * (1.0 + rate)), rel=1e-6)


def test_tiers_move_liquidations_as_the_brackets_say(run: Any, figures: Any) -> None:
    """On the same paths, brackets whose rate at the position's size is above the flat rate
    liquidate more often (never less: the barrier is lower on every path)."""
    over = {**SHORT, "step_hours": 4, "hedge.leverage": 10.0, "market.price.vol": 1.0}
    flat = run(over, paths=4_000)
    tiered = run({**over, "hedge.tiers": TIERS}, paths=4_000)
    assert np.all(tiered.liquidated.values >= flat.liquidated.values)
    assert tiered.liquidated.values.mean() > flat.liquidated.values.mean() + 0.02


# --------------------------------------------------------------------------------------------
# Bad input

runner = CliRunner()

BAD = {
    "caps not increasing": (
        [
            {"notional_cap": 5e4, "maintenance_rate": 0.004},
            {"notional_cap": 4e4, "maintenance_rate": 0.005, "maintenance_amount": 50.0},
        ],
        "hedge.tiers.1.notional_cap",
    ),
    "rates decreasing": (
        [
            {"notional_cap": 5e4, "maintenance_rate": 0.005},
            {"notional_cap": 6e5, "maintenance_rate": 0.004, "maintenance_amount": 0.0},
        ],
        "hedge.tiers.1.maintenance_rate",
    ),
    "amount inconsistent": (
        [
            {"notional_cap": 5e4, "maintenance_rate": 0.004},
            {"notional_cap": 6e5, "maintenance_rate": 0.005, "maintenance_amount": 40.0},
        ],
        "hedge.tiers.1.maintenance_amount",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_tiers_exit_2_naming_the_field(case: str, tmp_path: Path) -> None:
    import yaml

    tiers, field = BAD[case]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"hedge": {"tiers": tiers}}))
    result = runner.invoke(cli.app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and field in result.stderr, result.stderr


@pytest.mark.parametrize(
    "args, field",
    [
        (["hedge.options.kind=straddle"], "hedge.options.call_strike"),
        (["hedge.options.kind=put", "hedge.options.tenor_days=0.01"], "hedge.options.tenor_days"),
        (["hedge.options.kind=put", "hedge.options.iv.skew=9"], "hedge.options.iv.skew"),
        (["hedge.options.kind=collar"], "hedge.options.kind"),
        (["venue.pool.loss_fraction=1.5"], "venue.pool.loss_fraction"),
        (["venue.perp.cover.approval_probability=2"], "venue.perp.cover.approval_probability"),
        (["venue.perp.hazard_per_year=-1"], "venue.perp.hazard_per_year"),
        (
            [
                "hedge.leverage=20",
                "hedge.tiers=[{notional_cap: 1000000.0, maintenance_rate: 0.06}]",
            ],
            "hedge.leverage",
        ),
        (
            [
                "capital=100000000",
                "hedge.tiers=[{notional_cap: 1000000.0, maintenance_rate: 0.01}]",
            ],
            "hedge.tiers",
        ),
        (
            [
                "hedge.maintenance_margin=0.01",
                "hedge.tiers=[{notional_cap: 1000000.0, maintenance_rate: 0.01}]",
            ],
            "hedge.maintenance_margin",
        ),
    ],
)
def test_bad_options_and_venue_exit_2(args: list[str], field: str) -> None:
    sets = [x for a in args for x in ("--set", a)]
    result = runner.invoke(cli.app, ["validate", "default", *sets])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: ") and field in result.stderr, result.stderr


def test_shipped_scenarios_of_the_issue() -> None:
    strip = load_scenario("put-strip")
    assert strip.hedge.options.kind == "put" and strip.hedge.options.put_strike == 0.9
    cover = load_scenario("venue-insurance")
    assert cover.venue.perp.cover is not None and cover.venue.perp.hazard_per_year > 0.0
    assert split_capital(cover).collateral > 0.0


def test_overlay_tail_without_is_the_run_without(run: Any) -> None:
    """The report's "without" tail of an overlay is the P&L of the same paths run without it:
    options and cover change nothing else on a path."""
    over = {**SHORT, "hedge.leverage": 5.0}
    base = run(over, paths=2_000)
    both = {
        **over,
        "hedge.options.kind": "put",
        "hedge.options.tenor_days": 20,
        "venue.perp.cover": {"premium_rate": 0.05},
    }
    ds = run(both, paths=2_000)
    np.testing.assert_array_equal(ds.liquidated.values, base.liquidated.values)
    effects = risk.overlay_effects(ds)
    assert set(effects) == {"options", "insurance"}
    opt = effects["options"]
    np.testing.assert_allclose(opt["paid"], ds.option_premium.values.mean(), rtol=1e-12)
    np.testing.assert_allclose(
        opt["received"], (ds.option_payoff + ds.option_value).values.mean(), rtol=1e-12
    )
    # without both overlays = the base run; without one = base plus the other's net
    cover_net = ds.insurance_payout.values - ds.insurance_premium.values
    option_net = (ds.option_payoff + ds.option_value - ds.option_premium).values
    np.testing.assert_allclose(
        ds.pnl.values - option_net - cover_net, base.pnl.values, rtol=0, atol=1e-9 * 1e5
    )
    for key, t in opt["tail"].items():
        es_base_plus_cover = risk.expected_shortfall(-(base.pnl.values + cover_net), float(key))
        assert t["es_without"] == pytest.approx(es_base_plus_cover, rel=1e-9)


# --------------------------------------------------------------------------------------------
# Auto-deleveraging

ADL = {
    "horizon_days": 60,
    "step_hours": 4,
    "output.sample_paths": 0,
    "market.price.model": "merton",
    "market.price.jump_intensity": 20.0,
    "market.price.jump_mean": -0.08,
    "market.price.jump_vol": 0.04,
    "venue.adl.probability": 0.3,
    "venue.adl.cascade_log_return": -0.05,
}


def test_adl_closes_the_short_at_its_probability_per_cascade(run: Any, figures: Any) -> None:
    """Per eligible cascade step the short is closed with the ADL probability (binomial s.e.);
    prices are untouched (side stream); the identity holds without a new part."""
    ds = run(ADL, paths=3_000, seed=3)
    base = run({**ADL, "venue.adl.probability": 0.0}, paths=3_000, seed=3)
    np.testing.assert_array_equal(ds.final_price.values, base.final_price.values)
    cascades = int(ds.adl_cascades.values.sum())
    events = int(ds.adl_events.values.sum())
    assert cascades > 500
    figures.close(
        "ADL closes per eligible cascade",
        events / cascades,
        0.3,
        math.sqrt(0.3 * 0.7 / cascades),
    )
    assert not np.any(base.adl_events.values) and not np.any(base.adl_cascades.values)
    # paths with no ADL are bit-identical to the run without ADL
    untouched = ds.adl_events.values == 0
    np.testing.assert_array_equal(ds.pnl.values[untouched], base.pnl.values[untouched])
    # the band policy re-opens the short at its next check (unless liquidated later, or the
    # ADL fell in the very last step)
    hit = ~untouched & ~ds.liquidated.values
    assert hit.sum() > 100
    assert np.mean(ds.final_hedge.values[hit] > 0.0) > 0.95
    parts = risk.attribution_parts(ds)
    assert "unexplained" not in parts
    total = sum(p.values for p in parts.values())
    np.testing.assert_allclose(total, ds.pnl.values, rtol=0, atol=1e-9 * 1e5)


def test_adl_with_policy_none_leaves_the_lp_unhedged(run: Any) -> None:
    ds = run({**ADL, "venue.adl.probability": 1.0, "hedge.rebalance.policy": "none"}, paths=1_000)
    hit = ds.adl_events.values > 0
    assert hit.mean() > 0.2
    assert np.all(ds.adl_events.values <= 1)  # closed once, never re-opened
    assert np.all(ds.adl_events.values == ds.adl_cascades.values)  # p = 1: every cascade
    assert np.all(ds.final_hedge.values[hit] == 0.0)
    assert not np.any(ds.liquidated.values[hit])  # no short left to liquidate


def test_identity_with_both_halves_of_issue_6() -> None:
    """Pool <-> perp moves, re-ranging and gas (issue6-lp) with tiers, options, venue failures,
    cover and ADL (issue6-venue): the attribution still adds up to the P&L on every path."""
    from conftest import _run

    over = {
        **VENUE,
        "step_hours": 4,
        "market.price.model": "merton",
        "market.price.jump_intensity": 20.0,
        "market.price.jump_mean": -0.03,
        "pool.type": "v3",
        "pool.rerange.trigger": "out_for_hours",
        "pool.rerange.out_for_hours": 8,
        "hedge.leverage": 6.0,
        "hedge.tiers": TIERS,
        "hedge.after_liquidation": "rehedge",
        "hedge.rehedge_cooldown_hours": 8,
        "hedge.options.kind": "strangle",
        "hedge.options.tenor_days": 20,
        "margin.topup_below": 0.08,
        "margin.topup_to": 0.15,
        "margin.sweep_above": 0.4,
        "gas.lp_operation": 10.0,
        "gas.perp_transaction": 1.0,
        "venue.adl.probability": 0.5,
    }
    ds = _run(over, paths=2_000, seed=6)
    for name in ("n_topups", "n_reranges", "pool_exploited", "perp_venue_failed", "adl_events"):
        assert ds[name].values.sum() > 0, name
    parts = risk.attribution_parts(ds)
    assert "unexplained" not in parts
    total = sum(p.values for p in parts.values())
    np.testing.assert_allclose(total, ds.pnl.values, rtol=0, atol=1e-9 * 1e5)
    # no re-hedge after the perp venue failed: the short stays closed
    assert np.all(ds.final_hedge.values[ds.perp_venue_failed.values] == 0.0)


def test_options_on_historical_prices_need_their_implied_vol(tmp_path: Path) -> None:
    """Under bootstrap/replay market.price.vol drives nothing: the options' vol must be given."""
    from conftest import DATA_DIR

    from engine.errors import InputError
    from engine.scenario import load_scenario

    over = {
        "market.price.model": "replay",
        "market.price.history": {
            "prices": str(DATA_DIR / "eth_usdt_1h_binance_spot.csv"),
            "start": "2022-06-18",
        },
        "market.funding.corr_with_price": 0.0,
        "hedge.options.kind": "put",
    }
    with pytest.raises(InputError, match=r"^hedge\.options\.iv\.vol = None"):
        load_scenario(None, overrides=over)
    load_scenario(None, overrides={**over, "hedge.options.iv.vol": 0.7})
