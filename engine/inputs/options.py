"""Kernel constants of the options strip."""

from __future__ import annotations

import math

from engine.kernels.options import ROLL_AT_EXPIRY, ROLL_NONE, OptionParams
from engine.scenario.root import Scenario

_ROLLS = {"none": ROLL_NONE, "at_expiry": ROLL_AT_EXPIRY}


def option_params(scenario: Scenario) -> OptionParams:
    """The options strip's constants: legs, strikes (fractions of spot), each leg's implied
    volatility at purchase (sticky strike), size, tenor in years and in steps, roll rule."""
    opts = scenario.hedge.options
    has_put, has_call = opts.legs
    dt = scenario.dt_years
    tenor_steps = round(opts.tenor_days * 24.0 / scenario.step_hours) if opts.kind != "none" else 0

    def vol(on: bool, strike: float) -> float:
        return scenario.implied_vol(strike) if on and strike > 0.0 else 0.0

    return OptionParams(
        active=int(opts.kind != "none" and opts.size > 0.0),
        has_put=int(has_put),
        has_call=int(has_call),
        put_strike=float(opts.put_strike),
        call_strike=float(opts.call_strike),
        put_vol=vol(has_put, opts.put_strike),
        call_vol=vol(has_call, opts.call_strike),
        size=float(opts.size),
        tenor=tenor_steps * dt,
        tenor_steps=tenor_steps,
        roll=_ROLLS[opts.roll],
        step_years=dt,
        time_value_bound=(vol(has_put, opts.put_strike) + vol(has_call, opts.call_strike))
        / math.sqrt(2.0 * math.pi),
    )
