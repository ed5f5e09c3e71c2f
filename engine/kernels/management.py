"""Moves between the pool and the perp: margin top-ups and sweeps, re-hedging after a liquidation,
re-ranging a v3 position, and the gas they cost (issue 6).

Conventions (quote units throughout; P the price, L the liquidity):
- the margin ratio of a short of q > 0 units is `equity / (q P)`;
- a withdrawal from the pool is pro rata (x and y in proportion, so L falls by the same fraction
  as the value, and so does the delta); the withdrawn risky tokens are sold on the pool for quote,
  paying `swap_cost` (pool fee tier + swap slippage) on the amount sold;
- a deposit into the pool is pro rata too: part of the quote is first swapped into the risky token
  so that the deposit has the position's own composition, paying `swap_cost` on the amount swapped;
- a re-range withdraws everything, swaps to the composition of the new range (paying `swap_cost`
  on the amount swapped) and mints the new range with what is left.
A swap's cost is charged on its input, in quote value: selling s of value costs `swap_cost * s`.

The functions are pure (numbers in, numbers out); the driver holds the path state and calls them.
"""

from __future__ import annotations

from typing import NamedTuple

from numba import njit

from engine.kernels.lp import risky_share, value_per_liquidity

AFTER_LIQUIDATION_UNHEDGED = 0
AFTER_LIQUIDATION_REHEDGE = 1


class ManagementParams(NamedTuple):
    """Per-run constants of the pool <-> perp moves (all off: the defaults of `off()`).

    topup_below: margin ratio below which margin is added from the pool (-inf: never).
    topup_to: the margin ratio a top-up restores, and a sweep returns to.
    sweep_above: margin ratio above which the excess is swept back to the pool (inf: never).
    after_liquidation: AFTER_LIQUIDATION_*. rehedge_steps: the cooldown, in steps.
    collateral_rate: 1 / leverage, the new short's collateral per unit of notional.
    rerange_steps: re-range once the price has been out of range at this many consecutive grid
    points (0: never). rerange_sqrt_lower/upper: the new range's sqrt bounds per sqrt(P).
    swap_cost: pool fee tier + swap slippage, fraction of the amount swapped.
    gas_lp: gas per LP operation; gas_perp: gas per perp transaction (quote units).
    """

    topup_below: float
    topup_to: float
    sweep_above: float
    after_liquidation: int
    rehedge_steps: int
    collateral_rate: float
    rerange_steps: int
    rerange_sqrt_lower: float
    rerange_sqrt_upper: float
    swap_cost: float
    gas_lp: float
    gas_perp: float


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def margin_move(equity, notional, manage):  # pragma: no cover - compiled
    """Quote to add to the margin account (> 0: top-up), to take out of it (< 0: sweep), or 0.
    A top-up brings the margin ratio equity / notional up to `topup_to` when it is below
    `topup_below`; a sweep brings it down to `topup_to` when it is above `sweep_above`."""
    ratio = equity / notional
    if ratio < manage.topup_below or ratio > manage.sweep_above:
        return manage.topup_to * notional - equity
    return 0.0


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def withdraw_for_quote(needed, value_lp, share, swap_cost):  # pragma: no cover - compiled
    """Withdraw pro rata the gross value G such that, once the risky part (share a of G) is sold,
    `needed` quote arrives: G = needed / (1 - c a). When the pool holds less, all of it is
    withdrawn. Returns (gross withdrawn, quote received, swap cost), gross = received + cost."""
    gross = needed / (1.0 - swap_cost * share)
    if gross > value_lp:
        gross = value_lp
    cost = swap_cost * share * gross
    return gross, gross - cost, cost


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def deposit_quote(amount, share, swap_cost):  # pragma: no cover - compiled
    """Deposit `amount` quote pro rata into a position whose value is a share a in the risky
    token: swap s = a S / (1 - c + a c) of quote into the risky token (receiving s (1 - c) of
    value), so that the deposit has the position's composition. Returns (value deposited, cost)."""
    swapped = share * amount / (1.0 - swap_cost + share * swap_cost)
    cost = swap_cost * swapped
    return amount - cost, cost


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def rerange_cost(value, risky_value, target_share, swap_cost):  # pragma: no cover - compiled
    """Swap cost of turning a position of `value` (of which `risky_value` in the risky token) into
    one whose risky share of the value left after the cost is `target_share`:
    selling s of risky: x P - s = a (V - c s), s = (x P - a V) / (1 - a c);
    buying s of risky:  x P + s (1 - c) = a (V - c s), s = (a V - x P) / (1 - c + a c)."""
    excess = risky_value - target_share * value
    if excess > 0.0:
        swapped = excess / (1.0 - target_share * swap_cost)
    else:
        swapped = -excess / (1.0 - swap_cost + target_share * swap_cost)
    return swap_cost * swapped


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def rehedge_withdrawal(collateral, cash, value_lp, share, swap_cost):  # pragma: no cover
    """Gross value to withdraw from the pool to re-open the short with `collateral` (the collateral
    of the target short at the current delta) when the account holds `cash`. The withdrawal
    lowers the delta and so the target and its collateral in proportion: with b the collateral
    before the withdrawal, V the pool value and a its risky share, the gross G solves
    b (1 - G/V) = cash + G (1 - c a), so G = (b - cash) / (1 - c a + b / V) < V; 0 when the cash
    suffices."""
    if collateral <= cash or value_lp <= 0.0:
        return 0.0
    return (collateral - cash) / (1.0 - swap_cost * share + collateral / value_lp)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def rerange_position(value, risky_value, sqrt_p, manage):  # pragma: no cover - compiled
    """Re-centre a position of `value` (`risky_value` of it in the risky token) on sqrt(P):
    returns the new range's (sqrt_lower, sqrt_upper), the liquidity minted with what the swap
    leaves, and the swap cost."""
    sqrt_lower = sqrt_p * manage.rerange_sqrt_lower
    sqrt_upper = sqrt_p * manage.rerange_sqrt_upper
    share = risky_share(sqrt_p, sqrt_lower, sqrt_upper)
    cost = rerange_cost(value, risky_value, share, manage.swap_cost)
    liquidity = (value - cost) / value_per_liquidity(sqrt_p, sqrt_lower, sqrt_upper)
    return sqrt_lower, sqrt_upper, liquidity, cost


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def transfer_margin(
    move, value_lp, liquidity, sqrt_p, sqrt_lower, sqrt_upper, swap_cost
):  # pragma: no cover - compiled
    """Carry out a `margin_move`: a top-up (move > 0) withdraws from the pool, a sweep (move < 0)
    deposits into it. Returns (the pool's new liquidity, quote into the margin account (< 0: out
    of it), swap cost)."""
    share = risky_share(sqrt_p, sqrt_lower, sqrt_upper)
    if move > 0.0:
        gross, received, cost = withdraw_for_quote(move, value_lp, share, swap_cost)
        return liquidity * ((value_lp - gross) / value_lp), received, cost
    deposited, cost = deposit_quote(-move, share, swap_cost)
    return liquidity + deposited / value_per_liquidity(sqrt_p, sqrt_lower, sqrt_upper), move, cost
