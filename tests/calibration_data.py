"""What the calibration tests share: the historical data files (and a skip mark when they are
absent) and whole hourly paths simulated by the engine to fit."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"  # the shared data sits next to the repository
ETH_1H = DATA / "eth_usdt_1h_binance_spot.csv"
ETH_FUNDING = DATA / "eth_usdt_perp_funding_8h_binance.csv"
needs_data = pytest.mark.skipif(
    not ETH_1H.is_file() or not ETH_FUNDING.is_file(),
    reason=f"historical data not found in {DATA} (clone the repository next to shared/)",
)

HOUR = 1.0 / 8760.0


def simulated_paths(overrides: dict, paths: int, days: float, seed: int = 7):
    """Whole hourly paths (price, funding rate) simulated by the engine: shape (paths, hours+1)."""
    scenario = {
        "horizon_days": days,
        "step_hours": 1.0,
        "hedge": {"ratio": 0.0},
        "output": {"sample_paths": paths, "observe_every_hours": 1.0},
        **overrides,
    }
    ds = engine.simulate(scenario, paths=paths, seed=seed)
    return ds["sample_price"].values, ds["sample_funding_rate"].values
