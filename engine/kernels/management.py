"""Moves between the pool and the perp: margin top-ups and sweeps, re-hedging after a liquidation,
re-ranging a v3 position, and the gas they cost.

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

The functions are pure (numbers in, numbers out). The general kernel (`engine.kernels.driver`)
holds the path state, the moves' totals in a `ManagementState`, and calls the hooks at the end of
this module at their points of the step.
"""

from __future__ import annotations

from typing import NamedTuple

from numba import njit

from engine.kernels.lp import position_at, risky_share, value_per_liquidity
from engine.kernels.perp import maintenance_margin

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


# The moves' totals as path state, and their hooks in the general kernel's step.


class ManagementState(NamedTuple):
    """Totals so far (quote): gas paid by the hedged position and by the unhedged benchmark, swap
    costs, quote moved into the margin (top-ups, re-hedge collateral) and swept back; counts of
    top-ups, sweeps, re-ranges and re-hedges; consecutive steps the price has been out of range."""

    gas: float
    gas_unhedged: float
    swap_costs: float
    topped_up: float
    swept: float
    n_topups: int
    n_sweeps: int
    n_reranges: int
    n_rehedges: int
    out_steps: int


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def start_management(q, manage):  # pragma: no cover - compiled
    """At t = 0: the opening mint pays gas, and so does the opening trade of a short of q > 0."""
    gas = manage.gas_lp + (manage.gas_perp if q > 0.0 else 0.0)
    return ManagementState(gas, manage.gas_lp, 0.0, 0.0, 0.0, 0, 0, 0, 0, 0)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def pay_gas(st, gas):  # pragma: no cover - compiled
    """The totals after a perp transaction of the hedged position paying `gas` (quote)."""
    return ManagementState(
        st.gas + gas,
        st.gas_unhedged,
        st.swap_costs,
        st.topped_up,
        st.swept,
        st.n_topups,
        st.n_sweeps,
        st.n_reranges,
        st.n_rehedges,
        st.out_steps,
    )


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def rerange_step(
    st, pos, unhedged, moves_liquidity, sqrt_p, price, manage
):  # pragma: no cover - compiled
    """After the step's fees and revaluation: re-range the position (`lp.Position`) once the price
    has been out of its range for rerange_steps steps (withdraw, swap to the new range's
    composition, mint); the unhedged benchmark re-ranges with it. Returns (st, pos, unhedged,
    whether it re-ranged)."""
    out_steps = st.out_steps + 1 if (sqrt_p < pos.sqrt_lower or sqrt_p > pos.sqrt_upper) else 0
    if out_steps >= manage.rerange_steps and pos.liquidity > 0.0:
        sqrt_lower, sqrt_upper, liquidity, cost = rerange_position(
            pos.value_lp, pos.x * price, sqrt_p, manage
        )
        pos = position_at(liquidity, sqrt_lower, sqrt_upper, sqrt_p, price)
        if moves_liquidity:
            _, _, liquidity_u, _ = rerange_position(
                unhedged.value_lp, unhedged.x * price, sqrt_p, manage
            )
            unhedged = position_at(liquidity_u, sqrt_lower, sqrt_upper, sqrt_p, price)
        st = ManagementState(
            st.gas + manage.gas_lp,
            st.gas_unhedged + manage.gas_lp,
            st.swap_costs + cost,
            st.topped_up,
            st.swept,
            st.n_topups,
            st.n_sweeps,
            st.n_reranges + 1,
            st.n_rehedges,
            0,
        )
        return st, pos, unhedged, True
    st = ManagementState(
        st.gas,
        st.gas_unhedged,
        st.swap_costs,
        st.topped_up,
        st.swept,
        st.n_topups,
        st.n_sweeps,
        st.n_reranges,
        st.n_rehedges,
        out_steps,
    )
    return st, pos, unhedged, False


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def move_margin(st, pos, account, q, sqrt_p, price, manage):  # pragma: no cover - compiled
    """After the rebalancing: top the margin of a short of q > 0 up from the pool, or sweep its
    excess back (`margin_move`; an empty pool funds nothing). Returns (st, pos, account, whether
    anything moved)."""
    notional = q * price
    move = margin_move(account - notional, notional, manage)
    if not (move < 0.0 or (move > 0.0 and pos.liquidity > 0.0)):
        return st, pos, account, False
    liquidity, into_margin, cost = transfer_margin(
        move, pos.value_lp, pos.liquidity, sqrt_p, pos.sqrt_lower, pos.sqrt_upper, manage.swap_cost
    )
    pos = position_at(liquidity, pos.sqrt_lower, pos.sqrt_upper, sqrt_p, price)
    account += into_margin
    topped_up = st.topped_up
    swept = st.swept
    n_topups = st.n_topups
    n_sweeps = st.n_sweeps
    if into_margin > 0.0:
        topped_up += into_margin
        n_topups += 1
    else:
        swept -= into_margin
        n_sweeps += 1
    st = ManagementState(
        st.gas + (manage.gas_lp + manage.gas_perp),
        st.gas_unhedged,
        st.swap_costs + cost,
        topped_up,
        swept,
        n_topups,
        n_sweeps,
        st.n_reranges,
        st.n_rehedges,
        st.out_steps,
    )
    return st, pos, account, True


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def can_rehedge(x, price, hedge, manage):  # pragma: no cover - compiled
    """Whether a short of h x units can be re-opened at `price`: a venue refuses an order that
    would open at or below maintenance (possible with tiers, at a notional in a higher bracket
    than the opening one); the re-hedge is then tried again at the next step."""
    return x > 0.0 and hedge.ratio * x * price * (
        manage.collateral_rate - hedge.cost_rate
    ) > maintenance_margin(hedge.ratio * x, price, hedge.tiers)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def rehedge(st, pos, account, sqrt_p, price, hedge, manage):  # pragma: no cover - compiled
    """Re-open the short after a liquidation, with new collateral withdrawn from the pool
    (`rehedge_withdrawal`) when the account's cash is short of it. Returns (st, pos, account, the
    new size q, its trading cost)."""
    swap_cost = manage.swap_cost
    share = risky_share(sqrt_p, pos.sqrt_lower, pos.sqrt_upper)
    collateral = hedge.ratio * pos.x * price * manage.collateral_rate
    gross = rehedge_withdrawal(collateral, account, pos.value_lp, share, swap_cost)
    gas = st.gas
    topped_up = st.topped_up
    swap_costs = st.swap_costs
    if gross > 0.0:
        cost = swap_cost * share * gross
        liquidity = pos.liquidity * ((pos.value_lp - gross) / pos.value_lp)
        pos = position_at(liquidity, pos.sqrt_lower, pos.sqrt_upper, sqrt_p, price)
        account += gross - cost
        topped_up += gross - cost
        swap_costs += cost
        gas += manage.gas_lp
    q = hedge.ratio * pos.x
    cost = hedge.cost_rate * q * price
    account += q * price - cost
    gas += manage.gas_perp
    st = ManagementState(
        gas,
        st.gas_unhedged,
        swap_costs,
        topped_up,
        st.swept,
        st.n_topups,
        st.n_sweeps,
        st.n_reranges,
        st.n_rehedges + 1,
        st.out_steps,
    )
    return st, pos, account, q, cost


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def write_management_outputs(out, i, st):  # pragma: no cover - compiled
    """Path i's pool <-> perp outputs: gas, swap costs, quote moved (quote), counts."""
    out.gas[i] = st.gas
    out.swap_costs[i] = st.swap_costs
    out.topped_up[i] = st.topped_up
    out.swept[i] = st.swept
    out.n_topups[i] = st.n_topups
    out.n_sweeps[i] = st.n_sweeps
    out.n_reranges[i] = st.n_reranges
    out.n_rehedges[i] = st.n_rehedges
