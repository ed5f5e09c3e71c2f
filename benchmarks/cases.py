"""The benchmark's cases: the scenarios whose results are checked and whose kernel throughput is
measured, and the historical data the data-driven ones need.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

import engine
from benchmarks.machine import REPO_ROOT
from benchmarks.progress import log


class Case(NamedTuple):
    """A scenario whose kernel throughput is measured against its own random-number floor."""

    name: str
    source: str | None  # shipped scenario name; None = the built-in default
    description: str
    overrides: dict[str, Any] | None = None
    needs_data: bool = False  # reads the historical CSVs of ${LPHEDGE_DATA}

    def scenario(self, **more: Any) -> Any:
        return engine.load_scenario(self.source, overrides={**(self.overrides or {}), **more})


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

CASES = (
    Case("default", None, "GBM + OU funding, v2 LP (APR fees), band-rebalanced 3x short"),
    Case("v3-arbitrage", "v3-range", "v3 range -20%/+25%, arbitrage fee model"),
    Case("merton", "merton-jumps", "Merton jump-diffusion, v2 LP"),
    Case(
        "every-feature",
        None,
        "the lane kernel's features at once: Merton + OU funding + v3 range with arbitrage fees "
        "and noise volume + band policy",
        EVERY_FEATURE,
    ),
    Case(
        "all-features",
        "managed-v3-insured",
        "every feature at once: regimes with jumps, premium funding with jumps, shocks, v3 "
        "re-ranged, tiers, top-ups/sweeps, re-hedging, gas, strangle strip, insured venue "
        "hazards, ADL",
        ALL_FEATURES,
    ),
    Case("garch", "garch-eth", "GARCH(1,1) with Student-t (4 dof) innovations, v2 LP"),
    Case("regime", "regime-eth", "two-regime Markov-switching price (calm/stressed), v2 LP"),
    Case(
        "bootstrap",
        "bootstrap-eth",
        "stationary block bootstrap of hourly ETH returns and funding 2020-2024, v2 LP",
        needs_data=True,
    ),
    Case(
        "replay",
        "replay-2022",
        "replay of 2022's hourly ETH prices and funding (90 days from 2022-01-01), v2 LP",
        {"horizon_days": 90, "output.sample_paths": 0},
        needs_data=True,
    ),
)

# The historical CSVs the data-driven cases read (benchmarks/README.md)
DATA_FILES = ("eth_usdt_1h_binance_spot.csv", "eth_usdt_perp_funding_8h_binance.csv")


def data_folder() -> tuple[Path | None, str]:
    """The folder of the historical data, as the shipped scenarios find it: ${LPHEDGE_DATA}, else
    ../shared/data beside the repository (then LPHEDGE_DATA is set to it for this process).
    (None, the reason) when a file is missing."""
    given = os.environ.get("LPHEDGE_DATA")
    folder = Path(given) if given else REPO_ROOT.parent / "shared" / "data"
    where = f"LPHEDGE_DATA={given}" if given else f"{folder} (LPHEDGE_DATA unset)"
    missing = [name for name in DATA_FILES if not (folder / name).is_file()]
    if missing:
        return None, f"historical data not found: {', '.join(missing)} missing in {where}"
    if not given:
        os.environ["LPHEDGE_DATA"] = str(folder)
    return folder, where


def select_cases() -> tuple[list[Case], list[dict[str, str]]]:
    """The cases that can run here, and the skipped ones with the reason (printed, recorded)."""
    folder, where = data_folder()
    cases: list[Case] = []
    skipped: list[dict[str, str]] = []
    for case in CASES:
        if case.needs_data and folder is None:
            skipped.append({"case": case.name, "reason": where})
            log(f"SKIPPED case {case.name}: {where}")
        else:
            cases.append(case)
    return cases, skipped
