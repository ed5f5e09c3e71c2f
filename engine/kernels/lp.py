"""Concentrated-liquidity position (Uniswap v3 range [Pa, Pb]; v2 is Pa = 0, Pb = infinity).

With s = sqrt(P) clipped to [sqrt(Pa), sqrt(Pb)]:
    x = L (1/s - 1/sqrt(Pb))       risky tokens (the LP's delta)
    y = L (s - sqrt(Pa))           quote tokens
    V = x P + y                    value in quote units
For v2 (sqrt(Pa) = 0, 1/sqrt(Pb) = 0): x = L/sqrt(P), y = L sqrt(P), V = 2 L sqrt(P).

Fee models, per step of `dt` years (`dt_days` days), accrued as cash:
    APR:       fee_apr * V(P_k) * dt while P_k is in range (non-anticipating: the position held
               over the step earns);
    ARBITRAGE: fee_tier * |y(P_k+1) - y(P_k)| (the quote volume arbitrageurs trade through the
               position) + fee_tier * noise_volume_to_tvl_per_day * V(P_k) * dt_days in range.
"""

from __future__ import annotations

from typing import NamedTuple

from numba import njit

FEES_NONE = 0
FEES_APR = 1
FEES_ARBITRAGE = 2


class PoolParams(NamedTuple):
    """liquidity: L (sqrt(quote x risky) units). sqrt_lower/sqrt_upper: sqrt of the range bounds
    (0 and inf for v2). x0, y0: tokens at t = 0 (the HODL benchmark). value0: V0 in quote units.
    fee_apr_dt: fee_apr * dt. noise_fee_dt: fee_tier * noise_volume_to_tvl_per_day * dt_days."""

    liquidity: float
    sqrt_lower: float
    sqrt_upper: float
    x0: float
    y0: float
    value0: float
    fee_model: int
    fee_apr_dt: float
    fee_tier: float
    noise_fee_dt: float


# Position state passed explicitly: liquidity L and the range's sqrt bounds. They are constants of a
# plain run (`PoolParams`) and path state when liquidity moves or the range is re-centred
# (engine/kernels/management.py; the general kernel holds them in a `Position`).


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def amounts(sqrt_p, liquidity, sqrt_lower, sqrt_upper):  # pragma: no cover - compiled
    """(x, y): risky units (the delta) and quote units held by liquidity L on [Pa, Pb] at sqrt(P)."""
    s = min(max(sqrt_p, sqrt_lower), sqrt_upper)
    return liquidity * (1.0 / s - 1.0 / sqrt_upper), liquidity * (s - sqrt_lower)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def position_value(sqrt_p, price, liquidity, sqrt_lower, sqrt_upper):  # pragma: no cover
    """V = x P + y (quote units) of liquidity L on [Pa, Pb] at sqrt(P) = sqrt_p, P = price = sqrt_p^2,
    with no division that depends on the price: x P = L (sqrt(P) - P / sqrt(Pb)) in the range (x P =
    L (1/sqrt(P) - 1/sqrt(Pb)) P with P / sqrt(P) = sqrt(P)), L (1/sqrt(Pa) - 1/sqrt(Pb)) P below it
    and 0 above it. The divisions by the bounds do not depend on the price: with a fixed range the
    compiler hoists them out of the path loop. v2 (Pa = 0, Pb = inf, 1/sqrt(Pa) = inf unused): V =
    L sqrt(P) + L sqrt(P). Every kernel values the position with this function (the lane kernel's
    v2 loop writes out those same floats, `L s + L s`), so they agree to the bit."""
    inverse_upper = 1.0 / sqrt_upper
    below = liquidity * (1.0 / sqrt_lower - inverse_upper) * price
    inside = liquidity * (sqrt_p - price * inverse_upper)
    risky_value = 0.0 if sqrt_p > sqrt_upper else (below if sqrt_p < sqrt_lower else inside)
    s = min(max(sqrt_p, sqrt_lower), sqrt_upper)
    return risky_value + liquidity * (s - sqrt_lower)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def risky_times_sqrt_price(sqrt_p, liquidity, sqrt_lower, sqrt_upper):  # pragma: no cover
    """x s with s = sqrt(P) clipped to [sqrt(Pa), sqrt(Pb)], with no division that depends on the
    price: L (1 - s / sqrt(Pb)) in or below the range, 0 above it. The band rebalancing test is
    written with it (`engine.kernels.perp.band_exceeded`)."""
    inverse_upper = 1.0 / sqrt_upper
    s = min(max(sqrt_p, sqrt_lower), sqrt_upper)
    risky_times_s = liquidity * (1.0 - s * inverse_upper)
    return 0.0 if sqrt_p > sqrt_upper else risky_times_s


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def value_per_liquidity(sqrt_p, sqrt_lower, sqrt_upper):  # pragma: no cover - compiled
    """V / L at sqrt(P): the quote value of one unit of liquidity on [Pa, Pb]."""
    x, y = amounts(sqrt_p, 1.0, sqrt_lower, sqrt_upper)
    return x * sqrt_p * sqrt_p + y


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def risky_share(sqrt_p, sqrt_lower, sqrt_upper):  # pragma: no cover - compiled
    """x P / V at sqrt(P): the fraction of the position's value held in the risky token (it does
    not depend on L, so a pro-rata withdrawal or deposit keeps it)."""
    x, y = amounts(sqrt_p, 1.0, sqrt_lower, sqrt_upper)
    risky = x * sqrt_p * sqrt_p
    return risky / (risky + y)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def apr_fees(sqrt_before, value_before, sqrt_lower, sqrt_upper, pool):  # pragma: no cover
    """The APR fee model's income over one step, quote units: the step's share of the APR on the
    value at the step's start, earned if the price was in the range [Pa, Pb]."""
    return pool.fee_apr_dt * value_before if sqrt_lower <= sqrt_before <= sqrt_upper else 0.0


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def range_fees(
    sqrt_before, sqrt_after, value_before, liquidity, sqrt_lower, sqrt_upper, pool
):  # pragma: no cover - compiled
    """Fee income over one step from P_before to P_after of liquidity L on [Pa, Pb], quote units
    (the fee model and rates from `pool`)."""
    if pool.fee_model == FEES_NONE:
        return 0.0
    if pool.fee_model == FEES_APR:
        return apr_fees(sqrt_before, value_before, sqrt_lower, sqrt_upper, pool)
    earning = sqrt_lower <= sqrt_before <= sqrt_upper
    y_after = amounts(sqrt_after, liquidity, sqrt_lower, sqrt_upper)[1]
    y_before = amounts(sqrt_before, liquidity, sqrt_lower, sqrt_upper)[1]
    volume = abs(y_after - y_before)
    noise = pool.noise_fee_dt * value_before if earning else 0.0
    return pool.fee_tier * volume + noise


# The same with the position of `PoolParams` (its constant L and range).


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def clipped_sqrt_price(sqrt_p, pool):  # pragma: no cover - compiled
    return min(max(sqrt_p, pool.sqrt_lower), pool.sqrt_upper)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def risky_amount(sqrt_p, pool):  # pragma: no cover - compiled
    """x: units of the risky asset held by the position (= its delta)."""
    s = clipped_sqrt_price(sqrt_p, pool)
    return pool.liquidity * (1.0 / s - 1.0 / pool.sqrt_upper)


class Position(NamedTuple):
    """An LP position as path state: liquidity L, the range's sqrt bounds, and at the current price
    its risky amount x (the delta, risky units) and value V (quote units)."""

    liquidity: float
    sqrt_lower: float
    sqrt_upper: float
    x: float
    value_lp: float


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def position_at(liquidity, sqrt_lower, sqrt_upper, sqrt_p, price):  # pragma: no cover - compiled
    """The `Position` of liquidity L on [Pa, Pb] at sqrt(P) = sqrt_p, P = price: x from `amounts`,
    V from `position_value`."""
    x = amounts(sqrt_p, liquidity, sqrt_lower, sqrt_upper)[0]
    value_lp = position_value(sqrt_p, price, liquidity, sqrt_lower, sqrt_upper)
    return Position(liquidity, sqrt_lower, sqrt_upper, x, value_lp)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def accrue_and_revalue(
    pos, fees, sqrt_before, sqrt_after, price_after, pool
):  # pragma: no cover - compiled
    """A step of the position `pos` from sqrt(P_before) to sqrt(P_after), P_after = price_after:
    the fees accrued over it added to `fees` (`range_fees`), then the position at the new price.
    Returns (the position, the fees; quote units)."""
    fees += range_fees(
        sqrt_before,
        sqrt_after,
        pos.value_lp,
        pos.liquidity,
        pos.sqrt_lower,
        pos.sqrt_upper,
        pool,
    )
    pos = position_at(pos.liquidity, pos.sqrt_lower, pos.sqrt_upper, sqrt_after, price_after)
    return pos, fees
