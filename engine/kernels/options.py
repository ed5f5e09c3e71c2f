"""Options hedge: a strip of long European puts and/or calls on the risky asset, Black-76 priced.

A strip is one put leg and/or one call leg of `units` options each, struck at fixed fractions of
the spot at the time it is bought (`put_strike`, `call_strike`). It is bought at t = 0 and, with the
`at_expiry` roll, again at every expiry before the horizon, at strikes relative to the spot then and
sized `size` x the LP's risky holding then. The premium is paid in cash, the payoff received in cash
at expiry; an option still alive at the horizon is marked with Black-76 at its remaining time, so
that the portfolio value W_T is fair.

Pricing (Black 1976) with a zero interest rate (MODEL.md §1: no interest, no discounting), so the
forward is the spot F = P and the discount factor is 1:

    call = F N(d1) - K N(d2),   put = K N(-d2) - F N(-d1),
    d1 = (ln(F/K) + v^2 T / 2) / (v sqrt(T)),   d2 = d1 - v sqrt(T),

T in years, v the implied volatility per sqrt(year). Each leg keeps the implied volatility it was
bought at until it expires ("sticky strike"); that volatility, `vol x multiplier + skew x ln(K/F)`
at purchase, is a constant of the leg precomputed in `engine/scenario/instruments/options.py` (K/F
is the strike fraction). Prices are in quote units per option on one unit of the risky asset.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

ROLL_NONE = 0
ROLL_AT_EXPIRY = 1

_SQRT_HALF = math.sqrt(0.5)


class OptionParams(NamedTuple):
    """active: 1 when a strip is held. has_put / has_call: 1 when the leg is part of the strip.
    put_strike / call_strike: strike as a fraction of the spot at purchase. put_vol / call_vol: the
    legs' implied volatilities (per sqrt(year)). size: options per leg per unit of the LP's risky
    holding at purchase. tenor: years to expiry at purchase; tenor_steps: the same in grid steps.
    roll: ROLL_*. step_years: dt. time_value_bound: the sum over the legs of vol / sqrt(2 pi): a
    strip's time value is at most F x time_value_bound x sqrt(T) (each leg's Black-76 time value
    is largest at the money, F (2 N(v sqrt(T) / 2) - 1) <= F v sqrt(T) / sqrt(2 pi))."""

    active: int
    has_put: int
    has_call: int
    put_strike: float
    call_strike: float
    put_vol: float
    call_vol: float
    size: float
    tenor: float
    tenor_steps: int
    roll: int
    step_years: float
    time_value_bound: float


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def normal_cdf(x):  # pragma: no cover - compiled
    """Standard normal CDF, N(x) = erfc(-x / sqrt(2)) / 2 (accurate in the lower tail)."""
    return 0.5 * math.erfc(-x * _SQRT_HALF)


@njit(nogil=True, cache=True, error_model="numpy")
def black76(forward, strike, vol, tenor, is_call):  # pragma: no cover - compiled
    """Black-76 price of a European call (is_call True) or put, zero rate: quote units per option.

    Limits: a strike <= 0 gives put 0 and call F; no time or no volatility gives the intrinsic
    value (F - K)^+ or (K - F)^+."""
    if strike <= 0.0:
        return forward if is_call else 0.0
    spread = vol * np.sqrt(tenor) if tenor > 0.0 and vol > 0.0 else 0.0
    if spread == 0.0:
        return max(forward - strike, 0.0) if is_call else max(strike - forward, 0.0)
    d1 = np.log(forward / strike) / spread + 0.5 * spread
    d2 = d1 - spread
    if is_call:
        return forward * normal_cdf(d1) - strike * normal_cdf(d2)
    return strike * normal_cdf(-d2) - forward * normal_cdf(-d1)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def strip_value(price, put_k, call_k, tenor, opt):  # pragma: no cover - compiled
    """Value of one option of each leg held (quote units), `tenor` years before expiry."""
    value = 0.0
    if opt.has_put:
        value += black76(price, put_k, opt.put_vol, tenor, False)
    if opt.has_call:
        value += black76(price, call_k, opt.call_vol, tenor, True)
    return value


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def strip_payoff(price, put_k, call_k, opt):  # pragma: no cover - compiled
    """Payoff at expiry of one option of each leg held (quote units)."""
    payoff = 0.0
    if opt.has_put:
        payoff += max(put_k - price, 0.0)
    if opt.has_call:
        payoff += max(price - call_k, 0.0)
    return payoff


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def mark_bounds(
    price, root, units, put_k, call_k, anchor_mark, anchor_price, anchor_root, opt
):  # pragma: no cover - compiled
    """(low, high): bounds on the value of `units` strips at `price` with sqrt(time left) = root,
    from its last exact mark `anchor_mark` at anchor_price with sqrt(time left) anchor_root.

    With b = time_value_bound (the sum over the legs of v / sqrt(2 pi)), per strip:
    - intrinsic <= value <= intrinsic + F b sqrt(T) (a leg's time value is largest at the money);
    - the strip's delta lies in [-1, 1] (a put's in [-1, 0], a call's in [0, 1]), so the value
      moves by at most |F - F_a| with the price;
    - the value rises with the time left, by at most F v / (2 sqrt(2 pi T)) per year of it for each
      leg, so between T and T_a it falls by at most F b (sqrt(T_a) - sqrt(T)).
    """
    intrinsic = units * strip_payoff(price, put_k, call_k, opt)
    move = units * abs(price - anchor_price)
    spread = units * price * opt.time_value_bound
    low = max(intrinsic, anchor_mark - move - spread * (anchor_root - root))
    high = min(intrinsic + spread * root, anchor_mark + move)
    return low, high


# The strip as path state, and its hooks in the general kernel's step (engine.kernels.driver).


class OptionState(NamedTuple):
    """The strip held: `units` options per leg (0: none), its strikes (quote/risky), the grid step
    count at which it expires, the premia paid and payoffs received so far (quote), its mark in W
    at the last step (quote), and its last exact mark: value, price, sqrt of the time left (years)."""

    units: float
    put_k: float
    call_k: float
    expiry_step: int
    premium: float
    payoff: float
    mark: float
    anchor_mark: float
    anchor_price: float
    anchor_root: float


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def start_options(x, price, opt):  # pragma: no cover - compiled
    """At t = 0: the strip bought on the LP's risky holding x at `price` (none when off)."""
    units = 0.0
    put_k = 0.0
    call_k = 0.0
    expiry_step = -1
    mark = 0.0
    if opt.active == 1:
        units = opt.size * x
        put_k = opt.put_strike * price
        call_k = opt.call_strike * price
        mark = units * strip_value(price, put_k, call_k, opt.tenor, opt)
        expiry_step = opt.tenor_steps
    return OptionState(
        units, put_k, call_k, expiry_step, mark, 0.0, mark, mark, price, np.sqrt(opt.tenor)
    )


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def expire_options(st, k, price, x, n_steps, opt):  # pragma: no cover - compiled
    """After step k's trading, when the strip expires at its end: the payoff in cash, and with the
    roll (before the horizon) the purchase of a new strip on the LP's risky holding x."""
    payoff = st.payoff + st.units * strip_payoff(price, st.put_k, st.call_k, opt)
    if opt.roll == ROLL_AT_EXPIRY and k + 1 < n_steps:
        units = opt.size * x
        put_k = opt.put_strike * price
        call_k = opt.call_strike * price
        anchor_mark = units * strip_value(price, put_k, call_k, opt.tenor, opt)
        return OptionState(
            units,
            put_k,
            call_k,
            st.expiry_step + opt.tenor_steps,
            st.premium + anchor_mark,
            payoff,
            st.mark,
            anchor_mark,
            price,
            np.sqrt(opt.tenor),
        )
    return OptionState(
        0.0,
        st.put_k,
        st.call_k,
        st.expiry_step,
        st.premium,
        payoff,
        st.mark,
        st.anchor_mark,
        st.anchor_price,
        st.anchor_root,
    )


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def mark_options(
    st, k, price, wealth, peak, dd_peak, dd_drop, must_mark, opt
):  # pragma: no cover - compiled
    """The Black-76 mark of the live strip after step k, added to W = `wealth` (quote) -- computed
    (about one model step per leg) only when W can matter: when `must_mark` (the horizon, or an
    observation of a kept path), or when bounds on the mark (`mark_bounds`) allow a new peak or a
    new maximum drawdown (dd_drop / dd_peak) against the running `peak`. Returns (the state, W,
    whether W is known exactly)."""
    if not st.units > 0.0:
        return (
            OptionState(
                st.units,
                st.put_k,
                st.call_k,
                st.expiry_step,
                st.premium,
                st.payoff,
                0.0,
                st.anchor_mark,
                st.anchor_price,
                st.anchor_root,
            ),
            wealth,
            True,
        )
    left = (st.expiry_step - k - 1) * opt.step_years
    root = np.sqrt(left)
    known = must_mark
    if not known:
        low, high = mark_bounds(
            price,
            root,
            st.units,
            st.put_k,
            st.call_k,
            st.anchor_mark,
            st.anchor_price,
            st.anchor_root,
            opt,
        )
        slack = 1e-9 * abs(peak)
        known = (
            wealth + high + slack > peak
            or (peak - (wealth + low - slack)) * dd_peak > dd_drop * peak
        )
    mark = 0.0
    anchor_mark = st.anchor_mark
    anchor_price = st.anchor_price
    anchor_root = st.anchor_root
    if known:
        mark = st.units * strip_value(price, st.put_k, st.call_k, left, opt)
        anchor_mark = mark
        anchor_price = price
        anchor_root = root
        wealth += mark
    state = OptionState(
        st.units,
        st.put_k,
        st.call_k,
        st.expiry_step,
        st.premium,
        st.payoff,
        mark,
        anchor_mark,
        anchor_price,
        anchor_root,
    )
    return state, wealth, known


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def write_option_outputs(out, i, st):  # pragma: no cover - compiled
    """Path i's option outputs (quote): premia paid, payoffs received, the mark at the horizon."""
    out.option_premium[i] = st.premium
    out.option_payoff[i] = st.payoff
    out.option_value[i] = st.mark
