"""The options hedge (`hedge.options`): long European puts and calls on the risky asset, bought
at t = 0 and rolled at expiry, premia paid in cash, payoffs received at expiry, options alive at
the horizon marked with Black-76. Its section, its checks, its kernel parameters
(`OptionParams`), its outputs, its P&L parts and its overlay."""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from engine.declarations import OutputSpec, Overlay, Part
from engine.kernels.options import ROLL_AT_EXPIRY, ROLL_NONE, OptionParams
from engine.modelmath.grid import is_whole_multiple
from engine.scenario.base import Spec
from engine.scenario.instruments.base import Instrument
from engine.scenario.price_models.registry import HISTORICAL_MODELS


class ImpliedVolSpec(Spec):
    """Implied volatility of an option bought with strike K at forward F (= spot):
    `vol x multiplier + skew x ln(K / F)`, per sqrt(year). Each option keeps it until expiry."""

    vol: float | None = Field(None, gt=0.0)
    """Base volatility per sqrt(year); null: the market's `market.price.vol`."""
    multiplier: float = Field(1.0, gt=0.0)
    """Implied over realised: 1.0 prices options at the simulated volatility."""
    skew: float = 0.0
    """Slope per unit log-moneyness ln(K/F); negative makes out-of-the-money puts dearer."""


class OptionsSpec(Spec):
    """Long European options on the risky asset, Black-76 priced (zero rate, forward = spot).

    `put`: a put leg; `call`: a call leg; `strangle`: both legs at their strikes; `straddle`: both
    legs at one strike (put_strike = call_strike). Each leg holds `size` x the LP's risky holding
    (units of the risky asset) at purchase. Bought at t = 0 and, with `roll: at_expiry`, again at
    every expiry before the horizon at strikes relative to the spot then. Premium paid in cash,
    payoff received at expiry; options alive at the horizon are marked with Black-76."""

    kind: Literal["none", "put", "call", "strangle", "straddle"] = "none"
    put_strike: float = Field(0.9, ge=0.0)
    """Put strike as a fraction of the spot at purchase (0.9: 10 % out of the money)."""
    call_strike: float = Field(1.1, gt=0.0)
    """Call strike as a fraction of the spot at purchase."""
    size: float = Field(1.0, ge=0.0)
    """Options per leg per unit of the LP's risky holding at purchase (1: cover every unit)."""
    tenor_days: float = Field(30.0, gt=0.0)
    """Days from purchase to expiry; a whole number of steps."""
    roll: Literal["at_expiry", "none"] = "at_expiry"
    iv: ImpliedVolSpec = ImpliedVolSpec()

    @model_validator(mode="after")
    def _straddle_has_one_strike(self) -> OptionsSpec:
        if self.kind == "straddle" and self.put_strike != self.call_strike:
            raise ValueError(
                f"call_strike = {self.call_strike!r}: a straddle has one strike; set put_strike "
                f"and call_strike equal (put_strike is {self.put_strike!r}), or use a strangle"
            )
        return self

    @property
    def legs(self) -> tuple[bool, bool]:
        """(has a put leg, has a call leg)."""
        return self.kind in ("put", "strangle", "straddle"), self.kind in (
            "call",
            "strangle",
            "straddle",
        )


def implied_vol(options: OptionsSpec, market_vol: float, strike_fraction: float) -> float:
    """Implied volatility (per sqrt(year)) of an option struck at strike_fraction x forward;
    `market_vol` is `market.price.vol`, the base when `iv.vol` is null."""
    iv = options.iv
    base = market_vol if iv.vol is None else iv.vol
    return base * iv.multiplier + iv.skew * math.log(strike_fraction)


def check(scenario: Any) -> None:
    """An implied vol where the price comes from history, a tenor of whole steps, and no leg
    priced at a negative implied vol."""
    opts: OptionsSpec = scenario.hedge.options
    if opts.kind == "none":
        return
    model = scenario.market.price.model
    if opts.iv.vol is None and model in HISTORICAL_MODELS:
        raise ValueError(
            f"hedge.options.iv.vol = None: with market.price.model {model} the price comes from "
            "history and market.price.vol drives nothing; set the options' implied vol"
        )
    if not is_whole_multiple(opts.tenor_days * 24.0, scenario.step_hours):
        raise ValueError(
            f"hedge.options.tenor_days = {opts.tenor_days!r}: must be a whole number of "
            f"steps of step_hours {scenario.step_hours!r}"
        )
    has_put, has_call = opts.legs
    vol = scenario.market.price.vol
    for leg, on, strike in (
        ("put", has_put, opts.put_strike),
        ("call", has_call, opts.call_strike),
    ):
        if on and strike > 0.0 and implied_vol(opts, vol, strike) < 0.0:
            raise ValueError(
                f"hedge.options.iv.skew = {opts.iv.skew!r}: the {leg} leg's implied "
                f"volatility at strike {strike!r} x spot is {implied_vol(opts, vol, strike)!r}, "
                "negative"
            )


_ROLLS = {"none": ROLL_NONE, "at_expiry": ROLL_AT_EXPIRY}


def kernel_params(scenario: Any) -> OptionParams:
    """The options strip's constants: legs, strikes (fractions of spot), each leg's implied
    volatility at purchase (sticky strike), size, tenor in years and in steps, roll rule."""
    opts: OptionsSpec = scenario.hedge.options
    has_put, has_call = opts.legs
    dt = scenario.dt_years
    tenor_steps = round(opts.tenor_days * 24.0 / scenario.step_hours) if opts.kind != "none" else 0

    def vol(on: bool, strike: float) -> float:
        return implied_vol(opts, scenario.market.price.vol, strike) if on and strike > 0.0 else 0.0

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


OUTPUTS = {
    "option_premium": OutputSpec(
        "quote", "premia paid for the options hedge (every purchase and roll)", np.float64
    ),
    "option_payoff": OutputSpec("quote", "option payoffs received at expiries", np.float64),
    "option_value": OutputSpec(
        "quote", "Black-76 mark of the options still alive at the horizon", np.float64
    ),
}

PARTS = (
    Part("option_premium", "option premia", "option_premium", -1.0, True),
    Part("option_payoff", "option payoffs", "option_payoff", 1.0, True),
    Part("option_value", "options marked at the horizon", "option_value", 1.0, True),
)

OVERLAY = Overlay(
    key="options",
    label="options hedge",
    parts=("option_premium", "option_payoff", "option_value"),
    heading="options",
    paid=("premia",),
    received=("payoffs",),
    marked=("the Black-76 mark of options alive at the horizon",),
)

INSTRUMENT = Instrument(
    name="options",
    kernel_field="options",
    build=kernel_params,
    check=check,
    outputs=OUTPUTS,
    parts=PARTS,
    overlay=OVERLAY,
)
