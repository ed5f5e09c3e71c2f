"""Moves between the pool and the perp (issue 6): margin top-ups and sweeps, re-hedging after a
liquidation, v3 re-ranging and gas, against conservation laws, exact event rules and limits.

- the accounting identity per path with every feature on (the ATTRIBUTION parts add up to pnl);
- gas = gas per operation x the number of operations, exactly;
- a top-up restores exactly `topup_to`; after the step's moves the ratio is never below the trigger;
- top-ups never make liquidation more frequent on the same paths, and with the trigger well above
  maintenance the liquidation frequency vanishes as the step shrinks against the trigger's distance
  (while without top-ups it tends to the continuous-time probability);
- re-ranging: the new range is centred on the price, value before = value after + swap cost, a
  swap without costs conserves value; the kernel's swap formulas against a direct construction;
- a re-hedge waits exactly the cooldown and opens at the target (ratio x delta, 1/leverage margin);
- the unhedged benchmark does not see the margin moves;
- bad inputs exit 2 naming the field.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from engine import cli
from engine.kernels.lp import amounts, risky_share, value_per_liquidity
from engine.kernels.management import (
    deposit_quote,
    rehedge_withdrawal,
    rerange_cost,
    withdraw_for_quote,
)
from engine.risk import ATTRIBUTION

CAPITAL = 100_000.0
ALL_ON = {
    "horizon_days": 30,
    "market.price.model": "merton",
    "market.price.jump_intensity": 20.0,
    "pool.type": "v3",
    "pool.range.lower": -0.1,
    "pool.range.upper": 0.1,
    "pool.fees.model": "arbitrage",
    "pool.fees.noise_volume_to_tvl_per_day": 0.5,
    "pool.rerange.trigger": "out_for_hours",
    "pool.rerange.out_for_hours": 6,
    "pool.swap_slippage_bps": 5.0,
    "hedge.leverage": 5.0,
    "hedge.after_liquidation": "rehedge",
    "hedge.rehedge_cooldown_hours": 12,
    "margin.topup_below": 0.1,
    "margin.topup_to": 0.2,
    "margin.sweep_above": 0.4,
    # exactly representable, so that the gas sums are exact
    "gas.lp_operation": 5.0,
    "gas.perp_transaction": 1.25,
}


@pytest.fixture(scope="module")
def all_on(run):
    return run(ALL_ON, paths=1500, seed=3)


def test_accounting_identity_with_every_feature(all_on, figures) -> None:
    ds = all_on
    parts = sum(p.sign * ds[p.variable].values for p in ATTRIBUTION)
    residual = np.max(np.abs(parts - ds["pnl"].values))
    figures.note("max |sum of parts - pnl| / K", value=residual / CAPITAL)
    assert residual <= 1e-9 * CAPITAL
    # every feature was exercised on these paths
    for count in ("n_topups", "n_sweeps", "n_reranges", "n_rehedges", "n_rebalances"):
        assert ds[count].values.sum() > 0, count
    assert ds["swap_costs"].values.min() > 0.0
    # W = LP value + fees + perp equity - gas: the final value from the parts of the identity
    equity = ds["final_value"].values - ds["lp_value"].values - ds["fees"].values
    perp_side = (
        ds["funding"].values
        + ds["perp_pnl"].values
        - ds["trading_costs"].values
        - ds["liquidation_loss"].values
        + ds["topped_up"].values
        - ds["swept"].values
        - ds["gas"].values
    )
    collateral0 = float(ds.attrs["collateral0"])
    np.testing.assert_allclose(equity, collateral0 + perp_side, rtol=0, atol=1e-9 * CAPITAL)


def test_gas_is_per_operation_exactly(all_on) -> None:
    ds = all_on
    # every liquidation here recovers nothing (penalty > maintenance), so every re-hedge withdraws
    # its collateral from the pool: one LP operation and one perp transaction each
    lp_ops = 1 + ds["n_topups"] + ds["n_sweeps"] + ds["n_reranges"] + ds["n_rehedges"]
    perp_txs = 1 + ds["n_rebalances"] + ds["n_topups"] + ds["n_sweeps"] + ds["n_rehedges"]
    expected = 5.0 * lp_ops.values + 1.25 * perp_txs.values
    assert np.array_equal(ds["gas"].values, expected)


def test_gas_only_shifts_pnl(run) -> None:
    """Gas changes no decision: with and without gas the paths differ by the gas alone."""
    base = {**ALL_ON, "gas.lp_operation": 0.0, "gas.perp_transaction": 0.0}
    a = run(base, paths=300, seed=5)
    b = run(ALL_ON, paths=300, seed=5)
    assert np.array_equal(a["n_topups"].values, b["n_topups"].values)
    np.testing.assert_allclose(
        a["pnl"].values - b["gas"].values, b["pnl"].values, rtol=0, atol=1e-9 * CAPITAL
    )


def _ratios(ds):
    """Margin ratio equity / (q P) at every recorded grid point where the short is open."""
    q = ds["sample_hedge_size"].values
    equity = ds["sample_perp_equity"].values
    price = ds["sample_price"].values
    open_ = q > 0.0
    return equity[open_] / (q[open_] * price[open_])


def test_topup_restores_exactly_topup_to(run) -> None:
    over = {
        "horizon_days": 30,
        "hedge.leverage": 5.0,
        "margin.topup_below": 0.1,
        "margin.topup_to": 0.15,
        "margin.sweep_above": 0.3,
        "output.sample_paths": 200,
        "output.observe_every_hours": 1,
    }
    ds = run(over, paths=200, seed=11)
    ratios = _ratios(ds)
    moves = int(ds["n_topups"].sum() + ds["n_sweeps"].sum())
    assert ds["n_topups"].sum() > 50 and ds["n_sweeps"].sum() > 50
    at_target = np.abs(ratios - 0.15) <= 1e-12
    # after each step's moves the ratio lies in [topup_below, sweep_above]; it sits exactly at
    # topup_to after every move (and, but for a coincidence, nowhere else)
    assert ratios.min() >= 0.1 and ratios.max() <= 0.3
    assert at_target.sum() == moves


def test_pool_that_cannot_fund_a_topup(run) -> None:
    """A static 3x-delta short in a rally drains the pool: the top-up that empties it is the last
    one, the LP value stays 0, and only then may the ratio fall below the trigger."""
    over = {
        "horizon_days": 60,
        "hedge.ratio": 3.0,
        "hedge.leverage": 2.0,
        "hedge.rebalance.policy": "none",
        "market.price.vol": 1.2,
        "margin.topup_below": 0.3,
        "margin.topup_to": 0.5,
        "output.sample_paths": 100,
        "output.observe_every_hours": 1,
    }
    ds = run(over, paths=100, seed=3)
    lp = ds["sample_lp_value"].values
    emptied = lp == 0.0
    assert emptied[:, -1].sum() >= 5
    assert np.all(emptied[:, :-1] <= emptied[:, 1:])  # once empty, always empty
    q = ds["sample_hedge_size"].values
    open_ = q > 0.0
    ratio = np.ones_like(q)
    ratio[open_] = ds["sample_perp_equity"].values[open_] / (q * ds["sample_price"].values)[open_]
    assert np.all(emptied[ratio < 0.3])
    assert np.any(ratio[emptied] < 0.3)
    parts = sum(p.sign * ds[p.variable].values for p in ATTRIBUTION)
    assert np.max(np.abs(parts - ds["pnl"].values)) <= 1e-9 * CAPITAL


def test_liquidation_never_more_frequent_with_topups(run, figures) -> None:
    base = {"horizon_days": 60, "hedge.leverage": 5.0, "output.sample_paths": 0}
    topups = {"margin.topup_below": 0.1, "margin.topup_to": 0.2}
    for policy in ("none", "band"):
        off = run({**base, "hedge.rebalance.policy": policy}, paths=2000, seed=7)
        on = run({**base, "hedge.rebalance.policy": policy, **topups}, paths=2000, seed=7)
        a, b = off["liquidated"].values, on["liquidated"].values
        # same paths: every path liquidated with top-ups is liquidated without them
        assert np.all(a | ~b), policy
        p_off = a.mean()
        figures.apart(
            f"{policy}: P(liq) without vs with top-ups",
            p_off,
            b.mean(),
            math.sqrt(p_off * (1 - p_off) / a.size),
        )


def test_liquidation_vanishes_as_the_step_shrinks(run, figures) -> None:
    """Trigger 3 % margin, maintenance 0.5 %: a liquidation needs the price to cross the log-distance
    ln(1.03 / 1.005) = 2.5 % within one step. Its frequency falls to zero as sigma sqrt(dt) shrinks
    from 4 % (daily) to 0.6 % (30 min); without top-ups it does not."""
    base = {
        "horizon_days": 30,
        "hedge.leverage": 5.0,
        "market.funding.model": "none",
        "output.sample_paths": 0,
    }
    topups = {"margin.topup_below": 0.03, "margin.topup_to": 0.2}
    n = 4000
    previous = None
    for step in (24, 8, 2, 1, 0.5):
        on = run({**base, "step_hours": step, **topups}, paths=n, seed=9)
        p = float(on["liquidated"].mean())
        se = math.sqrt(max(p * (1 - p), 1.0 / n) / n)
        figures.note(f"step {step} h: P(liq) with top-ups", p=p, se=se)
        if previous is not None:
            assert p <= previous[0]
            if previous[0] * n >= 20:  # enough events to tell the two apart
                figures.apart(f"step {step} h below the coarser step", p, previous[0], previous[1])
        previous = (p, se)
    assert previous[0] <= 2.0 / n  # at most a couple of paths in 4000 at 30-minute steps
    off = run({**base, "step_hours": 0.5}, paths=n, seed=9)
    p_off = float(off["liquidated"].mean())
    figures.note(
        "step 0.5 h: P(liq) without top-ups", p=p_off, se=math.sqrt(p_off * (1 - p_off) / n)
    )
    assert p_off > 0.2  # without top-ups the same short is liquidated on many paths


# ---------------------------------------------------------------------------------------------
# The kernel's swap formulas


def _position(price, lower, upper, liquidity=7.0):
    sl, su = math.sqrt(price * lower), math.sqrt(price * upper)
    return sl, su, amounts(math.sqrt(price), liquidity, sl, su)


@pytest.mark.parametrize("cost", [0.0, 0.003 + 5e-4])
@pytest.mark.parametrize("price", [2000.0, 2900.0, 3500.0])
def test_rerange_conserves_value_up_to_the_swap_cost(price, cost) -> None:
    # a range [2400, 3300] the price may have left; the new one centred in log on the price
    sqrt_p = math.sqrt(price)
    x, y = amounts(sqrt_p, 3.0, math.sqrt(2400.0), math.sqrt(3300.0))
    value = x * price + y
    width = 0.3
    sl, su = sqrt_p * math.exp(-width / 4), sqrt_p * math.exp(width / 4)
    assert math.isclose(sl * su, price, rel_tol=1e-14)  # centred: sqrt(Pa Pb) = P
    share = risky_share(sqrt_p, sl, su)
    swap = rerange_cost(value, x * price, share, cost)
    new_l = (value - swap) / value_per_liquidity(sqrt_p, sl, su)
    nx, ny = amounts(sqrt_p, new_l, sl, su)
    # value before = value after + swap cost
    assert math.isclose(nx * price + ny + swap, value, rel_tol=1e-13)
    if cost == 0.0:
        assert swap == 0.0
    # the swap, done by hand, leaves exactly the tokens of the new position
    if x * price > share * value:  # sell s of risky for s (1 - c) of quote
        s = swap / cost if cost else x * price - share * (value - swap)
        tokens = (x * price - s, y + s * (1 - cost))
    else:  # buy: spend s quote for s (1 - c) of risky
        s = swap / cost if cost else share * value - x * price
        tokens = (x * price + s * (1 - cost), y - s)
    assert math.isclose(tokens[0], nx * price, rel_tol=1e-12, abs_tol=1e-9 * value)
    assert math.isclose(tokens[1], ny, rel_tol=1e-12, abs_tol=1e-9 * value)


def test_withdrawal_and_deposit_formulas() -> None:
    c, a, value = 0.0035, 0.4, 50_000.0
    gross, received, cost = withdraw_for_quote(1_000.0, value, a, c)
    assert math.isclose(received, 1_000.0, rel_tol=1e-15) and gross == received + cost
    assert math.isclose(cost, c * a * gross, rel_tol=1e-15)  # only the risky part is sold
    # a pool too small gives what it has
    gross, received, cost = withdraw_for_quote(1e6, value, a, c)
    assert gross == value and math.isclose(received, value * (1 - c * a), rel_tol=1e-15)
    # a deposit swaps just enough quote to keep the position's composition
    deposited, cost = deposit_quote(1_000.0, a, c)
    swapped = cost / c
    assert math.isclose(swapped * (1 - c) / deposited, a, rel_tol=1e-13)
    assert math.isclose(deposited + cost, 1_000.0, rel_tol=1e-15)
    # re-hedge: the withdrawal funds exactly the collateral of the smaller target it leaves
    b, cash = 4_000.0, 300.0
    g = rehedge_withdrawal(b, cash, value, a, c)
    assert math.isclose(b * (1 - g / value), cash + g * (1 - c * a), rel_tol=1e-13)
    assert rehedge_withdrawal(b, b + 1.0, value, a, c) == 0.0


def test_rerange_on_paths(run) -> None:
    """Re-ranging on the engine's paths: without costs and gas the P&L parts still add up, the
    re-range counts appear, and with costs the swap costs are charged on re-ranges only."""
    over = {
        "horizon_days": 30,
        "pool.type": "v3",
        "pool.range.lower": -0.1,
        "pool.range.upper": 0.1,
        "pool.rerange.trigger": "exit",
    }
    free = run({**over, "pool.fees.fee_tier": 0.0}, paths=300, seed=2)
    assert free["n_reranges"].values.sum() > 0
    assert np.all(free["swap_costs"].values == 0.0) and np.all(free["gas"].values == 0.0)
    costly = run(
        {**over, "pool.swap_slippage_bps": 10.0, "gas.lp_operation": 2.0}, paths=300, seed=2
    )
    assert np.array_equal(free["n_reranges"].values, costly["n_reranges"].values)
    assert np.all((costly["swap_costs"].values > 0) == (costly["n_reranges"].values > 0))
    np.testing.assert_array_equal(costly["gas"].values, 2.0 * (1 + costly["n_reranges"].values))
    for ds in (free, costly):
        parts = sum(p.sign * ds[p.variable].values for p in ATTRIBUTION)
        assert np.max(np.abs(parts - ds["pnl"].values)) <= 1e-9 * CAPITAL


# ---------------------------------------------------------------------------------------------
# Re-hedging


def test_rehedge_waits_the_cooldown_and_opens_at_target(run) -> None:
    cooldown = 12
    over = {
        "horizon_days": 30,
        "hedge.leverage": 10.0,
        "hedge.rebalance.policy": "none",
        "market.funding.model": "none",
        "hedge.after_liquidation": "rehedge",
        "hedge.rehedge_cooldown_hours": cooldown,
        "output.sample_paths": 300,
        "output.observe_every_hours": 1,
    }
    ds = run(over, paths=300, seed=4)
    q = ds["sample_hedge_size"].values
    price = ds["sample_price"].values
    lp = ds["sample_lp_value"].values
    equity = ds["sample_perp_equity"].values
    scn_cost = 0.0005 + 2e-4
    events = 0
    for i in range(q.shape[0]):
        slots = np.flatnonzero((q[i, :-1] > 0) & (q[i, 1:] == 0)) + 1  # liquidated in slot s
        for s in slots:
            reopen = s + cooldown
            if reopen >= q.shape[1]:
                assert np.all(q[i, s:] == 0)
                continue
            assert np.all(q[i, s:reopen] == 0) and q[i, reopen] > 0
            events += 1
            # v2: delta = V / (2 P); the short is ratio x delta with 1/leverage margin, less cost
            assert math.isclose(q[i, reopen], lp[i, reopen] / (2 * price[i, reopen]), rel_tol=1e-12)
            ratio = equity[i, reopen] / (q[i, reopen] * price[i, reopen])
            assert math.isclose(ratio, 1 / 10.0 - scn_cost, rel_tol=1e-9)
    assert events > 20
    assert events <= ds["n_rehedges"].values.sum()
    assert np.all(ds["n_liquidations"].values >= ds["n_rehedges"].values)
    assert np.all(ds["n_liquidations"].values <= ds["n_rehedges"].values + 1)


def test_unhedged_benchmark_ignores_margin_moves(run) -> None:
    """The unhedged LP keeps all of K in the pool: the margin moves of the hedged portfolio do not
    change it (the same paths give the same unhedged P&L to round-off)."""
    base = {
        "horizon_days": 30,
        "hedge.leverage": 5.0,
        "pool.type": "v3",
        "pool.range.lower": -0.15,
        "pool.range.upper": 0.15,
        "pool.rerange.trigger": "exit",
    }
    off = run(base, paths=300, seed=8)
    on = run(
        {
            **base,
            "margin.topup_below": 0.1,
            "margin.topup_to": 0.2,
            "hedge.after_liquidation": "rehedge",
        },
        paths=300,
        seed=8,
    )
    assert on["n_topups"].values.sum() > 0
    np.testing.assert_allclose(
        on["unhedged_pnl"].values, off["unhedged_pnl"].values, rtol=0, atol=1e-9 * CAPITAL
    )


# ---------------------------------------------------------------------------------------------
# Bad inputs

BAD = {
    "topup_to below trigger": (
        ["margin.topup_below=0.2", "margin.topup_to=0.1"],
        "margin.topup_to",
        "0.1",
    ),
    "trigger below maintenance": (
        ["margin.topup_below=0.004", "margin.topup_to=0.1"],
        "margin.topup_below",
        "0.004",
    ),
    "sweep below target": (
        ["margin.topup_below=0.1", "margin.topup_to=0.2", "margin.sweep_above=0.15"],
        "margin.sweep_above",
        "0.15",
    ),
    "no target": (["margin.topup_below=0.1"], "margin.topup_to", "None"),
    "target alone": (["margin.topup_to=0.1"], "margin.topup_to", "0.1"),
    "rerange on v2": (["pool.rerange.trigger=exit"], "pool.rerange", "exit"),
    "cooldown off grid": (
        ["hedge.after_liquidation=rehedge", "hedge.rehedge_cooldown_hours=1.5"],
        "hedge.rehedge_cooldown_hours",
        "1.5",
    ),
    "out_for off grid": (
        ["pool.type=v3", "pool.rerange.trigger=out_for_hours", "pool.rerange.out_for_hours=0.5"],
        "pool.rerange.out_for_hours",
        "0.5",
    ),
    "bad after_liquidation": (
        ["hedge.after_liquidation=reopen"],
        "hedge.after_liquidation",
        "reopen",
    ),
    "negative gas": (["gas.lp_operation=-1"], "gas.lp_operation", "-1"),
    "negative width": (["pool.type=v3", "pool.rerange.width=-0.2"], "pool.rerange.width", "-0.2"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_inputs_exit_2_naming_the_field(case, tmp_path: Path, monkeypatch) -> None:
    sets, field, value = BAD[case]
    monkeypatch.chdir(tmp_path)
    args = ["run", "--paths", "10"]
    for s in sets:
        args += ["--set", s]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert field in lines[0] and value in lines[0], lines[0]
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_topup_trigger_is_checked_against_the_tier_in_force() -> None:
    """With tiers, a trigger above the flat default (0.005) but below the opening bracket's rate
    (1 % for the shipped table at K = 2M) is refused; one above it is accepted."""
    import pytest

    from engine.errors import InputError
    from engine.scenario import load_scenario

    with pytest.raises(InputError, match=r"margin\.topup_below = 0\.008"):
        load_scenario(
            "tiered-margin", overrides={"margin.topup_below": 0.008, "margin.topup_to": 0.2}
        )
    load_scenario("tiered-margin", overrides={"margin.topup_below": 0.05, "margin.topup_to": 0.2})


def test_rehedge_never_opens_below_the_maintenance_of_its_tier() -> None:
    """With tiers, a re-hedge at a notional in a higher bracket than the opening one could open
    a short already at or below maintenance (its barrier below the price, the next step booking a
    liquidation at a price the path never reached). Such an order is refused: at every grid point
    of every path an open short's equity is above the venue's MM."""
    import engine
    from engine.scenario import load_scenario

    tiers = [
        {"notional_cap": 48_000.0, "maintenance_rate": 0.01, "maintenance_amount": 0.0},
        {"notional_cap": 1e12, "maintenance_rate": 0.9, "maintenance_amount": 42_720.0},
    ]
    scn = load_scenario(
        None,
        overrides={
            "paths": 300,
            "seed": 5,
            "hedge.leverage": 10.0,
            "hedge.liquidation_penalty": 0.0,
            "hedge.tiers": tiers,
            "hedge.after_liquidation": "rehedge",
            "hedge.rehedge_cooldown_hours": 480,
            "output.sample_paths": 300,
            "output.observe_every_hours": 1.0,
        },
    )
    ds = engine.simulate(scn)
    assert int(ds["n_rehedges"].sum()) > 0
    q = ds["sample_hedge_size"].values
    price = ds["sample_price"].values
    equity = ds["sample_perp_equity"].values
    open_short = q > 0.0
    notional = q[open_short] * price[open_short]
    mm = np.array([scn.hedge.maintenance_at(n) for n in notional])
    assert np.all(equity[open_short] > mm)


def test_a_swap_costing_its_whole_amount_is_refused() -> None:
    """fee tier + slippage >= 1 would turn the top-up and re-range swap formulas negative."""
    import pytest

    from engine.errors import InputError
    from engine.scenario import load_scenario

    with pytest.raises(InputError, match=r"^pool\.swap_slippage_bps = 2000\.0"):
        load_scenario(None, overrides={"pool.fees.fee_tier": 0.9, "pool.swap_slippage_bps": 2000})
