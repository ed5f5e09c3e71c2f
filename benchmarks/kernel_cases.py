"""The case table: every scenario the kernels are checked and measured on, one record each, and
the uses each feeds. One registry drives the lane/general bit-identity tests and the golden
`lanes/` digests (`tests/test_lanes.py`, `tests/golden_outputs.py`), the plain-Python twin's tests
(`tests/test_reference.py`) and the timed cases of `python -m benchmarks` (`benchmarks/cases.py`).

Here, under benchmarks/, because both sides import it (the tests already import the benchmark's
floor; no test imports another test module), and in a module of its own beside
`benchmarks/cases.py`, which keeps the benchmark's own concern (its selection of the `timed`
cases, the historical data folder, skipping the cases that need missing data). The table is data
only: a case's scenario is loaded when it runs. Names are unique across the table; a record
serves several uses where the same scenario does (`default`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from benchmarks.machine import REPO_ROOT
from engine.scenario import Scenario, load_scenario

IDENTITY_HORIZON_DAYS = 20.0
"""The horizon the lane and general kernels are compared over, and the golden `lanes/` digests
taken at (days)."""

DATA_DIR = REPO_ROOT.parent / "shared" / "data"
"""The historical ETH data (../shared/data beside the repository; never copied into it)."""


class Case(NamedTuple):
    """A scenario of the case table (a shipped scenario or the default, with dotted-key overrides)
    and the uses it feeds: the benchmark's timing (`timed`), the bit-identity of the two kernels
    (`identity_horizon_days`), the plain-Python twin (`twin_branches`)."""

    name: str
    source: str | None  # shipped scenario name; None = the built-in default
    description: str
    overrides: dict[str, Any] | None = None
    needs_data: bool = False  # reads the historical CSVs (of ${LPHEDGE_DATA} or DATA_DIR)
    timed: bool = False  # a throughput case of `python -m benchmarks`, in the table's order
    identity_horizon_days: float | None = None
    """Run over this horizon (days), the lane kernel's outputs must be the general kernel's, bit
    for bit; its golden digests are `lanes/<name>/<kernel>`. None: not an identity case."""
    twin_branches: frozenset[str] | None = None
    """The twin's case (overrides of the default scenario, at the horizon they give): the
    liquidation branches and management moves its selected paths must go through. None: not a
    twin case."""

    def scenario(self, **more: Any) -> Scenario:
        """The case's scenario, with more dotted-key overrides on top."""
        return load_scenario(self.source, overrides={**(self.overrides or {}), **more})

    def identity_scenario(self) -> Scenario:
        """The scenario the kernels are compared on: the case over its identity horizon."""
        return load_scenario(
            self.source,
            overrides={"horizon_days": self.identity_horizon_days, **(self.overrides or {})},
        )


# "every feature on", as far as the lane kernel goes: Merton jumps, OU funding with a cap, a v3
# range with the arbitrage fee model and noise volume, the band policy.
EVERY_FEATURE = {
    "market.price.model": "merton",
    "market.price.jump_intensity": 10.0,
    "pool.type": "v3",
    "pool.fees.model": "arbitrage",
    "pool.fees.noise_volume_to_tvl_per_day": 0.5,
    "hedge.rebalance.policy": "band",
}

# every feature of the engine at once, on top of the shipped
# managed-v3-insured scenario (v3 range -20 %/+25 % with arbitrage fees and noise volume,
# re-ranged after 12 h out of range, 5 bps swap slippage; a 5x band-rebalanced short, re-hedged 24 h
# after a liquidation; margin topped up from the pool below 10 % and swept above 40 %; gas on every
# move; a rolled 30-day option strip; an insured perp venue): a two-regime price (calm/stressed,
# the regime-eth fit, with drifts of their own and Merton jumps in the stressed regime),
# exchange-style premium funding with jumps (shock-example's), shock-example's scripted crash and
# squeeze (price, vol and forced-funding shocks), tiered maintenance margin, a strangle instead of
# the put, pool and perp venue hazards both insured, and auto-deleveraging. Only one price model
# can be on at a time: GARCH and the historical models have their own cases below.
ALL_FEATURES_TIERS = [
    {"notional_cap": 50_000.0, "maintenance_rate": 0.004},
    {"notional_cap": 250_000.0, "maintenance_rate": 0.005, "maintenance_amount": 50.0},
    {"notional_cap": 1_000_000.0, "maintenance_rate": 0.01, "maintenance_amount": 1_300.0},
]
ALL_FEATURES_COVER = {"premium_rate": 0.025, "payout_fraction": 0.9, "approval_probability": 0.8}
ALL_FEATURES = {
    "market.price.model": "regime",
    "market.price.regime": {
        "initial": "stationary",
        "states": {
            "calm": {
                "drift": 0.10,
                "vol": 0.52,
                "funding_mean": 0.000133,
                "transitions": {"stressed": 25.4},
            },
            "stressed": {
                "drift": -0.30,
                "vol": 1.40,
                "jump_intensity": 20.0,
                "jump_mean": -0.03,
                "jump_vol": 0.05,
                "funding_mean": 0.000227,
                "stressed": True,
                "transitions": {"calm": 66.2},
            },
        },
    },
    "market.funding": {
        "model": "premium",
        "initial": 0.0001,
        "mean": 0.0002,
        "reversion": 50.0,
        "vol": 0.009,
        "corr_with_price": 0.3,
        "interest": 0.0001,
        "clamp": 0.0005,
        "cap": 0.004,
        "jump_intensity": 4.0,
        "jump_mean": 0.0005,
        "jump_vol": 0.001,
    },
    "shocks": [
        {"kind": "vol", "day": 29, "hours": 48, "multiplier": 3.0},
        {"kind": "price", "day": 30, "hours": 12, "move": -0.30},
        {"kind": "funding", "day": 30.5, "hours": 24, "rate": -0.001},
        {"kind": "price", "day": 60, "hours": 24, "move": 0.25},
        {"kind": "funding", "day": 60, "hours": 48, "rate": 0.003},
    ],
    "hedge.tiers": ALL_FEATURES_TIERS,
    "hedge.options.kind": "strangle",
    "venue.pool.hazard_per_year": 0.5,
    "venue.pool.loss_fraction": 0.5,
    "venue.pool.cover": ALL_FEATURES_COVER,
    "venue.perp.hazard_per_year": 0.5,
    "venue.perp.cover": ALL_FEATURES_COVER,
    "venue.adl.probability": 0.5,
}

# block bootstrap of 2021's hourly returns with the funding in force, a 6x short
BOOTSTRAP_2021: dict[str, Any] = {
    "market.price.model": "bootstrap",
    "market.price.history": {
        "prices": str(DATA_DIR / "eth_usdt_1h_binance_spot.csv"),
        "funding": str(DATA_DIR / "eth_usdt_perp_funding_8h_binance.csv"),
        "start": "2021-01-01",
        "end": "2022-01-01",
        "mean_block_hours": 48,
    },
    "market.funding.model": "historical",
    "hedge.leverage": 6.0,
}

KERNEL_CASES: tuple[Case, ...] = (
    # the benchmark's timed cases, in the order it runs them
    Case(
        "default",
        None,
        "GBM + OU funding, v2 LP (APR fees), band-rebalanced 3x short",
        timed=True,
        identity_horizon_days=IDENTITY_HORIZON_DAYS,
    ),
    Case("v3-arbitrage", "v3-range", "v3 range -20%/+25%, arbitrage fee model", timed=True),
    Case("merton", "merton-jumps", "Merton jump-diffusion, v2 LP", timed=True),
    Case(
        "every-feature",
        None,
        "the lane kernel's features at once: Merton + OU funding + v3 range with arbitrage fees "
        "and noise volume + band policy",
        EVERY_FEATURE,
        timed=True,
    ),
    Case(
        "all-features",
        "managed-v3-insured",
        "every feature at once: regimes with jumps, premium funding with jumps, shocks, v3 "
        "re-ranged, tiers, top-ups/sweeps, re-hedging, gas, strangle strip, insured venue "
        "hazards, ADL",
        ALL_FEATURES,
        timed=True,
    ),
    Case("garch", "garch-eth", "GARCH(1,1) with Student-t (4 dof) innovations, v2 LP", timed=True),
    Case(
        "regime",
        "regime-eth",
        "two-regime Markov-switching price (calm/stressed), v2 LP",
        timed=True,
    ),
    Case(
        "bootstrap",
        "bootstrap-eth",
        "stationary block bootstrap of hourly ETH returns and funding 2020-2024, v2 LP",
        needs_data=True,
        timed=True,
    ),
    Case(
        "replay",
        "replay-2022",
        "replay of 2022's hourly ETH prices and funding (90 days from 2022-01-01), v2 LP",
        {"horizon_days": 90, "output.sample_paths": 0},
        needs_data=True,
        timed=True,
    ),
    # every feature value the lane kernel supports, and the rare events its scalar fix-ups handle
    # (liquidations by bridge, jump and funding; band and periodic trades; v3 out of range; the
    # ziggurat's slow paths, ~3 % of steps)
    Case(
        "v3-apr",
        "v3-range",
        "the shipped v3 range -20 %/+25 % (arbitrage fees, noise volume)",
        identity_horizon_days=IDENTITY_HORIZON_DAYS,
    ),
    Case(
        "v3-arbitrage-noise",
        "v3-range",
        "the shipped v3 range with noise volume 0.4/day",
        {"pool.fees.model": "arbitrage", "pool.fees.noise_volume_to_tvl_per_day": 0.4},
        identity_horizon_days=IDENTITY_HORIZON_DAYS,
    ),
    Case(
        "v2-arbitrage-periodic",
        None,
        "a v2 LP with the arbitrage fee model, periodic rebalancing",
        {"pool.fees.model": "arbitrage", "hedge.rebalance.policy": "periodic"},
        identity_horizon_days=IDENTITY_HORIZON_DAYS,
    ),
    Case(
        "merton-jumps",
        "merton-jumps",
        "the shipped Merton jump-diffusion",
        identity_horizon_days=IDENTITY_HORIZON_DAYS,
    ),
    Case(
        "merton-many-jumps-band",
        None,
        "400 Merton jumps/yr of mean +2 % and a 2 % band: liquidations by jump, band trades",
        {
            "market.price.model": "merton",
            "market.price.jump_intensity": 400.0,
            "market.price.jump_mean": 0.02,
            "hedge.rebalance.band": 0.02,
        },
        identity_horizon_days=IDENTITY_HORIZON_DAYS,
    ),
    Case(
        "high-leverage",
        "high-leverage",
        "the shipped 10x short: liquidations by the bridge",
        identity_horizon_days=IDENTITY_HORIZON_DAYS,
    ),
    Case(
        "unhedged",
        "unhedged",
        "the shipped unhedged LP",
        identity_horizon_days=IDENTITY_HORIZON_DAYS,
    ),
    Case(
        "constant-funding-periodic",
        None,
        "constant funding, periodic rebalancing",
        {"market.funding.model": "constant", "hedge.rebalance.policy": "periodic"},
        identity_horizon_days=IDENTITY_HORIZON_DAYS,
    ),
    Case(
        "funding-liquidations",
        None,
        "hourly OU funding of vol 0.2 without a cap against a static 8x short: liquidations by funding",
        {
            "market.funding.vol": 0.2,
            "market.funding.cap": None,
            "market.funding.interval_hours": 1.0,
            "hedge.leverage": 8.0,
            "hedge.rebalance.policy": "none",
        },
        identity_horizon_days=IDENTITY_HORIZON_DAYS,
    ),
    Case(
        "no-funding-no-fees-static",
        None,
        "no funding, no fees, no rebalancing",
        {
            "market.funding.model": "none",
            "pool.fees.model": "none",
            "hedge.rebalance.policy": "none",
        },
        identity_horizon_days=IDENTITY_HORIZON_DAYS,
    ),
    Case(
        "zero-vol",
        None,
        "zero vol with drift 0.5: the price path is deterministic",
        {"market.price.vol": 0.0, "market.price.drift": 0.5},
        identity_horizon_days=IDENTITY_HORIZON_DAYS,
    ),
    Case(
        "four-hour-steps",
        None,
        "4-hour steps, rebalanced every 24 h",
        {"step_hours": 4.0, "hedge.rebalance.every_hours": 24.0},
        identity_horizon_days=IDENTITY_HORIZON_DAYS,
    ),
    # the plain-Python twin's cases (tests/reference.py): overrides of the default scenario
    Case(
        "default-10d",
        None,
        "the default scenario over 10 days",
        {"horizon_days": 10},
        twin_branches=frozenset(),
    ),
    Case(
        "v3-narrow-arbitrage",
        None,
        "v3 range -10 %/+10 % with arbitrage fees (0.3 % tier) and noise volume",
        {
            "horizon_days": 20,
            "pool.type": "v3",
            "pool.range.lower": -0.1,
            "pool.range.upper": 0.1,
            "pool.fees.model": "arbitrage",
            "pool.fees.fee_tier": 0.003,
            "pool.fees.noise_volume_to_tvl_per_day": 0.5,
        },
        twin_branches=frozenset(),
    ),
    Case(
        "volatile-10x",
        None,
        "vol 1.0 against a 10x short: liquidations at the step's end and inside it",
        {"horizon_days": 20, "market.price.vol": 1.0, "hedge.leverage": 10.0},
        twin_branches=frozenset({"endpoint", "bridge"}),
    ),
    Case(
        "merton-jump-liquidations",
        None,
        "Merton jumps (30/yr of mean +8 %) against an 8x short, a 3 % liquidation penalty",
        {
            "horizon_days": 20,
            "market.price.model": "merton",
            "market.price.jump_intensity": 30.0,
            "market.price.jump_mean": 0.08,
            "market.price.jump_vol": 0.05,
            "hedge.leverage": 8.0,
            "hedge.liquidation_penalty": 0.03,
        },
        twin_branches=frozenset({"jump"}),
    ),
    Case(
        "periodic",
        None,
        "2-hour steps, a 5x short rebalanced every 8 h, constant funding",
        {
            "horizon_days": 20,
            "step_hours": 2,
            "hedge.leverage": 5.0,
            "hedge.rebalance.policy": "periodic",
            "hedge.rebalance.every_hours": 8,
            "market.funding.model": "constant",
            "market.funding.mean": 0.0002,
        },
        twin_branches=frozenset(),
    ),
    Case(
        "daily-funding-drain",
        None,
        "daily steps, constant funding of -0.3 % a day against a 10x short",
        {
            "horizon_days": 30,
            "step_hours": 24,
            "market.funding.model": "constant",
            "market.funding.mean": -0.003,
            "hedge.leverage": 10.0,
        },
        twin_branches=frozenset({"funding"}),
    ),
    Case(
        "managed",
        None,
        "every pool <-> perp move (top-ups, sweeps, re-hedging), re-ranging and gas, on a -10 %/+10 % v3 range under Merton jumps",
        {
            "horizon_days": 20,
            "market.price.model": "merton",
            "market.price.jump_intensity": 30.0,
            "market.price.jump_mean": 0.08,
            "market.price.jump_vol": 0.05,
            "pool.type": "v3",
            "pool.range.lower": -0.1,
            "pool.range.upper": 0.1,
            "pool.fees.model": "arbitrage",
            "pool.fees.noise_volume_to_tvl_per_day": 0.5,
            "pool.rerange.trigger": "out_for_hours",
            "pool.rerange.out_for_hours": 3,
            "pool.swap_slippage_bps": 5.0,
            "hedge.leverage": 8.0,
            "hedge.after_liquidation": "rehedge",
            "hedge.rehedge_cooldown_hours": 5,
            "margin.topup_below": 0.05,
            "margin.topup_to": 0.12,
            "margin.sweep_above": 0.3,
            "gas.lp_operation": 7.5,
            "gas.perp_transaction": 0.8,
        },
        twin_branches=frozenset({"topup", "sweep", "rerange", "rehedge"}),
    ),
    Case(
        "managed-v3-width-apr",
        None,
        "a v3 range (APR fees) re-ranged on exit to a 20 % width, top-ups and re-hedging of a periodically rebalanced 10x short",
        {
            "horizon_days": 20,
            "step_hours": 2,
            "pool.type": "v3",
            "pool.range.lower": -0.15,
            "pool.range.upper": 0.05,
            "pool.rerange.trigger": "exit",
            "pool.rerange.width": 0.2,
            "hedge.leverage": 10.0,
            "hedge.rebalance.policy": "periodic",
            "hedge.rebalance.every_hours": 8,
            "hedge.after_liquidation": "rehedge",
            "hedge.rehedge_cooldown_hours": 0,
            "margin.topup_below": 0.04,
            "margin.topup_to": 0.06,
            "gas.perp_transaction": 2.0,
        },
        twin_branches=frozenset({"topup", "rerange"}),
    ),
    Case(
        "premium-jumps-shocks",
        None,
        "premium funding with jumps of the premium, and every kind of shock",
        {
            "horizon_days": 12,
            "hedge.leverage": 5.0,
            "market.funding.model": "premium",
            "market.funding.mean": -0.0001,
            "market.funding.vol": 0.006,
            "market.funding.jump_intensity": 40.0,
            "market.funding.jump_mean": 0.0004,
            "market.funding.jump_vol": 0.0006,
            "market.funding.cap": 0.0015,
            "shocks": [
                {"kind": "price", "day": 2, "hours": 6, "move": 0.15},
                {"kind": "vol", "day": 4, "hours": 48, "multiplier": 2.5},
                {"kind": "funding", "day": 7, "hours": 24, "rate": -0.0012},
                {"kind": "price", "day": 9, "hours": 24, "move": -0.25},
            ],
        },
        twin_branches=frozenset({"endpoint", "bridge"}),
    ),
    Case(
        "merton-ou-jumps-hourly-funding",
        None,
        "Merton price jumps, OU funding with jumps paid hourly, shocks",
        {
            "horizon_days": 12,
            "step_hours": 2,
            "market.price.model": "merton",
            "market.price.jump_intensity": 30.0,
            "market.price.jump_mean": 0.08,
            "market.price.jump_vol": 0.05,
            "hedge.leverage": 8.0,
            "hedge.rebalance.policy": "periodic",
            "hedge.rebalance.every_hours": 8,
            "market.funding.interval_hours": 1,
            "market.funding.jump_intensity": 60.0,
            "market.funding.jump_mean": -0.0003,
            "market.funding.jump_vol": 0.0002,
            "shocks": [
                {"kind": "vol", "day": 1, "hours": 24, "multiplier": 0.5},
                {"kind": "price", "day": 3, "hours": 4, "move": 0.12},
                {"kind": "funding", "day": 5, "hours": 10, "rate": 0.002},
            ],
        },
        twin_branches=frozenset({"jump"}),
    ),
    Case(
        "managed-shocks",
        None,
        "shocks with top-ups and re-hedging in the same path",
        {
            "horizon_days": 12,
            "hedge.leverage": 6.0,
            "hedge.after_liquidation": "rehedge",
            "hedge.rehedge_cooldown_hours": 5,
            "margin.topup_below": 0.06,
            "margin.topup_to": 0.15,
            "market.funding.model": "premium",
            "shocks": [
                {"kind": "price", "day": 3, "hours": 6, "move": 0.3},
                {"kind": "vol", "day": 5, "hours": 24, "multiplier": 3.0},
                {"kind": "funding", "day": 6, "hours": 24, "rate": -0.003},
            ],
        },
        twin_branches=frozenset({"topup"}),
    ),
    Case(
        "garch-t",
        None,
        "GARCH(1,1) with Student-t (4.5 dof) innovations, 4-hour steps, an 8x short",
        {
            "horizon_days": 20,
            "step_hours": 4,
            "market.price.model": "garch",
            "market.price.garch": {"alpha": 0.1, "beta": 0.85, "dof": 4.5, "initial_vol": 1.2},
            "hedge.leverage": 8.0,
        },
        twin_branches=frozenset({"endpoint", "bridge"}),
    ),
    Case(
        "regime-10x-jumps",
        None,
        "two regimes, the stressed one with jumps and a funding mean of its own, a 10x short",
        {
            "horizon_days": 20,
            "market.price.model": "regime",
            "market.price.regime": {
                "states": {
                    "calm": {"vol": 1.0, "transitions": {"stressed": 30.0}},
                    "stressed": {
                        "vol": 0.2,
                        "drift": 0.5,
                        "jump_intensity": 60.0,
                        "jump_mean": 0.12,
                        "jump_vol": 0.04,
                        "funding_mean": -0.001,
                        "stressed": True,
                        "transitions": {"calm": 50.0},
                    },
                }
            },
            "hedge.leverage": 10.0,
            "hedge.liquidation_penalty": 0.03,
        },
        twin_branches=frozenset({"endpoint", "bridge", "jump"}),
    ),
    Case(
        "bootstrap-2021",
        None,
        "block bootstrap of 2021's hourly returns with the funding in force, a 6x short",
        {
            "horizon_days": 20,
            **BOOTSTRAP_2021,
        },
        needs_data=True,
        twin_branches=frozenset({"endpoint", "intrabar"}),
    ),
    Case(
        "replay-2022-06",
        None,
        "replay of 60 days of hourly prices and funding from 2022-06-18, no rebalancing",
        {
            "horizon_days": 60,
            "market.price.model": "replay",
            "market.price.history": {
                "prices": str(DATA_DIR / "eth_usdt_1h_binance_spot.csv"),
                "funding": str(DATA_DIR / "eth_usdt_perp_funding_8h_binance.csv"),
                "start": "2022-06-18",
            },
            "market.funding.model": "historical",
            "hedge.rebalance.policy": "none",
        },
        needs_data=True,
        twin_branches=frozenset(),
    ),
    Case(
        "garch-t-chunk-boundary",
        None,
        "GARCH over 1032 hourly steps, across the general kernel's market chunk of 1024 steps, with a shock window over the boundary",
        {
            "horizon_days": 43,
            "market.price.model": "garch",
            "market.price.garch": {"alpha": 0.1, "beta": 0.85, "dof": 4.5, "initial_vol": 1.2},
            "hedge.leverage": 8.0,
            "market.funding.jump_intensity": 40.0,
            "market.funding.jump_mean": 0.0004,
            "market.funding.jump_vol": 0.0006,
            "shocks": [{"kind": "vol", "day": 42.5, "hours": 10, "multiplier": 2.0}],
        },
        twin_branches=frozenset(),
    ),
    Case(
        "regime-chunk-boundary",
        None,
        "the regime model across the market chunk boundary, with a shock window over it",
        {
            "horizon_days": 43,
            "market.price.model": "regime",
            "market.price.regime": {
                "states": {
                    "calm": {"vol": 0.8, "transitions": {"stressed": 30.0}},
                    "stressed": {
                        "vol": 0.3,
                        "jump_intensity": 60.0,
                        "jump_mean": 0.05,
                        "jump_vol": 0.04,
                        "stressed": True,
                        "transitions": {"calm": 50.0},
                    },
                }
            },
            "shocks": [{"kind": "price", "day": 42.5, "hours": 10, "move": 0.1}],
        },
        twin_branches=frozenset(),
    ),
    Case(
        "garch-premium-jumps-shocks",
        None,
        "shocks and premium funding with jumps under GARCH",
        {
            "horizon_days": 20,
            "step_hours": 4,
            "market.price.model": "garch",
            "market.price.garch": {"alpha": 0.1, "beta": 0.85, "dof": 4.5, "initial_vol": 1.2},
            "hedge.leverage": 8.0,
            "market.funding.model": "premium",
            "market.funding.vol": 0.006,
            "market.funding.jump_intensity": 40.0,
            "market.funding.jump_mean": 0.0004,
            "market.funding.jump_vol": 0.0006,
            "shocks": [
                {"kind": "price", "day": 3, "hours": 8, "move": 0.2},
                {"kind": "vol", "day": 6, "hours": 48, "multiplier": 2.0},
                {"kind": "funding", "day": 10, "hours": 24, "rate": -0.002},
            ],
        },
        twin_branches=frozenset({"endpoint", "bridge"}),
    ),
    Case(
        "regime-ou-jumps-shocks",
        None,
        "shocks and OU funding with jumps under the regime model",
        {
            "horizon_days": 20,
            "market.price.model": "regime",
            "market.price.regime": {
                "states": {
                    "calm": {"vol": 0.8, "transitions": {"stressed": 30.0}},
                    "stressed": {
                        "vol": 0.3,
                        "drift": 0.5,
                        "jump_intensity": 60.0,
                        "jump_mean": 0.1,
                        "jump_vol": 0.04,
                        "funding_mean": -0.001,
                        "stressed": True,
                        "transitions": {"calm": 50.0},
                    },
                }
            },
            "hedge.leverage": 10.0,
            "market.funding.jump_intensity": 50.0,
            "market.funding.jump_mean": 0.0005,
            "market.funding.jump_vol": 0.0003,
            "shocks": [
                {"kind": "vol", "day": 2, "hours": 24, "multiplier": 1.5},
                {"kind": "price", "day": 5, "hours": 12, "move": 0.15},
                {"kind": "funding", "day": 8, "hours": 16, "rate": 0.003},
            ],
        },
        twin_branches=frozenset({"endpoint", "bridge", "jump"}),
    ),
    Case(
        "regime-premium",
        None,
        "a regime without a funding mean of its own takes market.funding.mean, under premium funding too",
        {
            "horizon_days": 20,
            "market.price.model": "regime",
            "market.price.regime": {
                "states": {
                    "calm": {"vol": 0.8, "transitions": {"stressed": 30.0}},
                    "stressed": {
                        "vol": 1.6,
                        "stressed": True,
                        "transitions": {"calm": 50.0},
                    },
                }
            },
            "market.funding.model": "premium",
            "market.funding.mean": 0.0008,
            "hedge.leverage": 8.0,
        },
        twin_branches=frozenset({"endpoint"}),
    ),
    Case(
        "bootstrap-shocks",
        None,
        "shocks on the 2021 block bootstrap",
        {
            "horizon_days": 20,
            **BOOTSTRAP_2021,
            "shocks": [
                {"kind": "price", "day": 4, "hours": 6, "move": 0.2},
                {"kind": "funding", "day": 7, "hours": 24, "rate": -0.003},
            ],
        },
        needs_data=True,
        twin_branches=frozenset({"endpoint"}),
    ),
    Case(
        "tiered-margin",
        None,
        "liquidations in the third maintenance bracket, whose amount shifts the barrier",
        {
            "horizon_days": 20,
            "market.price.vol": 1.0,
            "hedge.leverage": 10.0,
            "hedge.tiers": [
                {"notional_cap": 20000.0, "maintenance_rate": 0.01},
                {"notional_cap": 47000.0, "maintenance_rate": 0.02, "maintenance_amount": 200.0},
                {"notional_cap": 1e6, "maintenance_rate": 0.05, "maintenance_amount": 1610.0},
            ],
        },
        twin_branches=frozenset({"endpoint", "bridge"}),
    ),
)


def _unique_names(cases: tuple[Case, ...]) -> None:
    seen: set[str] = set()
    for case in cases:
        if case.name in seen:
            raise ValueError(f"two cases named {case.name!r} in the case table")
        seen.add(case.name)


_unique_names(KERNEL_CASES)


def timed_cases() -> tuple[Case, ...]:
    """The benchmark's throughput cases, in the table's order."""
    return tuple(case for case in KERNEL_CASES if case.timed)


def identity_cases() -> tuple[Case, ...]:
    """The cases the lane and general kernels must agree on bit for bit (and golden `lanes/`)."""
    return tuple(case for case in KERNEL_CASES if case.identity_horizon_days is not None)


def twin_cases() -> tuple[Case, ...]:
    """The cases the plain-Python twin recomputes path by path."""
    return tuple(case for case in KERNEL_CASES if case.twin_branches is not None)
