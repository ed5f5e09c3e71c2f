"""The accounting identity as README.md states it, on a scenario with pool <-> margin moves and
swap costs (managed-v3): pnl = (V_LP,T - V0) + fees + funding + perp_pnl - trading_costs -
liquidation_loss + topped_up - swept - gas, to round-off. The swaps' costs are inside V_LP,T:
subtracting `swap_costs` again is off by exactly that output, which the power check shows."""

from __future__ import annotations

import numpy as np

import engine


def test_the_readme_identity_holds_and_the_double_counted_one_does_not() -> None:
    ds = engine.simulate("managed-v3", paths=400, seed=3)
    capital = float(ds.attrs["capital"])
    readme = (
        ds.lp_value.values
        - float(ds.attrs["lp_value0"])
        + ds.fees.values
        + ds.funding.values
        + ds.perp_pnl.values
        - ds.trading_costs.values
        - ds.liquidation_loss.values
        + ds.topped_up.values
        - ds.swept.values
        - ds.gas.values
    )
    assert np.max(np.abs(ds.pnl.values - readme)) <= 1e-9 * capital
    swaps = ds.swap_costs.values
    assert np.max(swaps) > 1e-6 * capital  # the scenario swaps: the check below has power
    np.testing.assert_allclose(ds.pnl.values - (readme - swaps), swaps, atol=1e-9 * capital)
