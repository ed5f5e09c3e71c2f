"""Result checks made before (and alongside) the timings: a fast kernel that computes the wrong
thing is not a speed-up. Each check returns a `Check`; `require` raises `CheckFailed` on a failed
one, which aborts the benchmark with the check's message.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from engine.risk import ATTRIBUTION

# |pnl - sum of its parts| allowed, as a fraction of the capital K: round-off (observed ~3e-15).
IDENTITY_TOLERANCE = 1e-9
# The mean of P_T (or of ln P_T) must lie within this many standard errors of the model's value.
DRIFT_SIGMAS = 4.0


class Check(NamedTuple):
    """One result check. `applies` False: the check does not apply to the case (e.g. the lane
    kernel's checks on a case the general kernel runs); it is listed as n/a, with the reason in
    `detail`, and counts as no failure."""

    name: str
    case: str
    passed: bool
    detail: str
    applies: bool = True

    def as_dict(self) -> dict[str, Any]:
        return self._asdict()


class CheckFailed(RuntimeError):
    """A result check failed: the numbers the benchmark would time are wrong."""


def not_applicable(name: str, case: str, reason: str) -> Check:
    """A check that does not apply to the case, with the reason."""
    return Check(name, case, True, f"n/a: {reason}", applies=False)


def require(check: Check, log: list[Check] | None = None) -> Check:
    if log is not None:
        log.append(check)
    if not check.passed:
        raise CheckFailed(f"check '{check.name}' failed for case '{check.case}': {check.detail}")
    return check


def hodl_pnl(
    outputs: Mapping[str, np.ndarray], x0: float, y0: float, lp_value0: float
) -> np.ndarray:
    """x0 P_T + y0 - V0: the P&L of holding the opening tokens (the derived output `hodl_pnl`)."""
    return x0 * np.asarray(outputs["final_price"]) + y0 - lp_value0


def accounting_identity(
    outputs: Mapping[str, np.ndarray],
    lp_value0: float,
    capital: float,
    case: str,
    tokens: tuple[float, float] | None = None,
) -> Check:
    """Per path: pnl == the sum of the P&L parts of `engine.risk.ATTRIBUTION` (sign x variable,
    every part, those of features that are off included: they are zero), to within 1e-9 K
    (MODEL.md §7). The part `hodl_pnl` is a derived output: taken from `outputs` when there (a
    Dataset's), else x0 P_T + y0 - V0 from `tokens` = (x0, y0); without either (a bare
    `run_block` result and no tokens) it is V_LP,T - V0 - il + (topped_up - swept) + swap_costs +
    pool_exploit_loss, from the definition of `il` (engine/outputs.py), and the detail says so."""
    values = dict(outputs)
    derived = ""
    if "hodl_pnl" not in values:
        if tokens is not None:
            values["hodl_pnl"] = hodl_pnl(values, tokens[0], tokens[1], lp_value0)
        else:
            values["hodl_pnl"] = (
                values["lp_value"]
                - lp_value0
                - values["il"]
                + (values["topped_up"] - values["swept"])
                + values["swap_costs"]
                + values["pool_exploit_loss"]
            )
            derived = "; hodl_pnl + il taken as the LP side's definition"
    missing = [p.variable for p in ATTRIBUTION if p.variable not in values]
    if missing:
        return Check(
            "accounting_identity",
            case,
            False,
            "outputs lack the attribution parts " + ", ".join(missing),
        )
    parts = sum(p.sign * np.asarray(values[p.variable], dtype=np.float64) for p in ATTRIBUTION)
    error = np.abs(np.asarray(values["pnl"]) - parts)
    worst = float(np.max(error, initial=0.0))
    limit = IDENTITY_TOLERANCE * capital
    passed = bool(np.all(np.isfinite(parts)) and worst <= limit)
    active = [p.name for p in ATTRIBUTION if np.any(np.asarray(values[p.variable]) != 0.0)]
    return Check(
        "accounting_identity",
        case,
        passed,
        f"max |pnl - sum of {len(ATTRIBUTION)} ATTRIBUTION parts ({len(active)} non-zero)| = "
        f"{worst:.3g} over {error.size} paths (limit {limit:.3g} = {IDENTITY_TOLERANCE:g} K)"
        + derived,
    )


def finite_outputs(outputs: Mapping[str, np.ndarray], case: str) -> Check:
    """Every output is finite, except liquidation_time (NaN when not liquidated)."""
    bad = [
        name
        for name, values in outputs.items()
        if name != "liquidation_time"
        and np.issubdtype(np.asarray(values).dtype, np.floating)
        and not np.all(np.isfinite(values))
    ]
    detail = "all finite" if not bad else "non-finite values in " + ", ".join(bad)
    return Check("finite_outputs", case, not bad, detail)


class PriceLaw(NamedTuple):
    """What the price model promises about P_T. statistic: "P_T" (its mean), "ln P_T" (the mean of
    its log) or "P_T exact" (every path's P_T, a deterministic path); expected: that value;
    basis: where it comes from (MODEL.md, docs/model-notes.md)."""

    statistic: str
    expected: float
    basis: str


def _generator(price: Any) -> tuple[list[str], np.ndarray]:
    """The regime chain's generator Q (per year), regimes in alphabetical order of their names."""
    names = sorted(price.regime.states)
    q = np.zeros((len(names), len(names)))
    for i, name in enumerate(names):
        for target, rate in price.regime.states[name].transitions.items():
            q[i, names.index(target)] = rate
        q[i, i] = -q[i].sum()
    return names, q


def _regime_growth(price: Any, n_steps: int, dt: float) -> float:
    """E[prod_k exp(mu_{s_k} dt)] over the chain's regimes s_0 .. s_{n-1}: pi0' D (M D)^(n-1) 1,
    D = diag(exp(mu_s dt)), M = exp(Q dt) the exact grid transition matrix, pi0 the stationary
    law (pi0 Q = 0) or the named initial regime."""
    from scipy.linalg import expm

    names, q = _generator(price)
    m = expm(q * dt)
    growth = np.array(
        [math.exp(price.regime_value(price.regime.states[s], "drift") * dt) for s in names]
    )
    if price.regime.initial == "stationary":
        system = np.vstack([q.T, np.ones(len(names))])
        rhs = np.zeros(len(names) + 1)
        rhs[-1] = 1.0
        pi0 = np.linalg.lstsq(system, rhs, rcond=None)[0]
    else:
        pi0 = np.zeros(len(names))
        pi0[names.index(price.regime.initial)] = 1.0
    w = growth.copy()
    for _ in range(n_steps - 1):
        w = growth * (m @ w)
    return float(pi0 @ w)


def _bootstrap_growth(log_return: np.ndarray, restart: float, n_steps: int) -> float:
    """E[exp(sum_k r_{I_k})] for the stationary (circular) block bootstrap of the returns r: I_0
    uniform, then I_k = I_k-1 + 1 (mod n) with probability 1 - p, a uniform index with probability
    p. Backward over the steps: w_k(i) = e^{r_i} ((1 - p) w_k+1(i + 1) + p mean(w_k+1))."""
    growth = np.exp(np.asarray(log_return, dtype=np.float64))
    w = growth.copy()
    for _ in range(n_steps - 1):
        w = growth * ((1.0 - restart) * np.roll(w, -1) + restart * w.mean())
    return float(w.mean())


def final_price_law(scn: Any, inputs: Any) -> PriceLaw:
    """What the scenario's price model promises about P_T, computed from the scenario (and, for
    the historical models, from the engine's aligned returns `inputs.market.history`), not from the
    kernel. Price shocks multiply every path's P_T by exp(sum of their log moves) (common random
    numbers); volatility shocks leave E[P_T] unchanged (their Ito term) under GBM, Merton and
    regimes, and lower E[ln P_T] by (M^2 - 1) h_k / 2 per shocked step under GARCH."""
    price = scn.market.price
    p0 = scn.market.spot
    n = scn.n_steps
    dt = scn.dt_years
    moves = float(np.sum(inputs.shocks.log_move))
    shocked = " x the price shocks' moves" if moves != 0.0 else ""
    if price.model in ("gbm", "merton"):
        what = "Merton's drift is jump-compensated" if price.model == "merton" else "GBM"
        return PriceLaw(
            "P_T", p0 * math.exp(price.drift * n * dt + moves), f"P0 exp(mu T){shocked} ({what})"
        )
    if price.model == "garch":
        g = price.garch
        ratio0 = 1.0 if g.initial_vol is None else (g.initial_vol / price.vol) ** 2
        hbar = price.vol**2 * dt
        mean_ratio = 1.0 + (ratio0 - 1.0) * (g.alpha + g.beta) ** np.arange(n)  # E[h_k] / hbar
        if g.dof is None and inputs.shocks.vol_multiplier.size == 0:
            return PriceLaw(
                "P_T",
                p0 * math.exp(price.drift * n * dt + moves),
                f"P0 exp(mu T){shocked} (GARCH, normal innovations: the -h_k/2 term compensates)",
            )
        multiplier = inputs.shocks.vol_multiplier
        ito = (
            0.5 * hbar * float(np.sum((multiplier**2 - 1.0) * mean_ratio))
            if multiplier.size
            else 0.0
        )
        expected = (
            math.log(p0)
            + n * (price.drift - 0.5 * price.vol**2) * dt
            - 0.5 * hbar * float(np.sum(mean_ratio - 1.0))
            + moves
            - ito
        )
        return PriceLaw(
            "ln P_T",
            expected,
            "ln P0 + (mu - vol^2/2) T - hbar/2 sum_k (E v_k - 1), E v_k = 1 + (v_0 - 1)"
            f"(alpha + beta)^k{shocked} (GARCH: exact for any unit-variance innovation; E[P_T] "
            "is not finite with Student-t innovations)",
        )
    if price.model == "regime":
        return PriceLaw(
            "P_T",
            p0 * math.exp(moves) * _regime_growth(price, n, dt),
            f"P0 pi0' D (exp(Q dt) D)^(n-1) 1, D = diag(e^(mu_s dt)){shocked} (each regime's drift "
            "jump-compensated; the chain's exact grid law)",
        )
    history = inputs.market.history
    if price.model == "bootstrap":
        growth = _bootstrap_growth(history.log_return, history.restart, n)
        return PriceLaw(
            "P_T",
            p0 * math.exp(moves) * growth,
            f"P0 E[exp(sum of the resampled returns)]{shocked}, by the stationary bootstrap's "
            f"index chain over the {history.log_return.size} historical steps "
            f"(p = {history.restart:.4g})",
        )
    if price.model == "replay":
        return PriceLaw(
            "P_T exact",
            p0 * math.exp(float(np.sum(history.log_return[:n])) + moves),
            f"P0 exp(sum of the first {n} historical returns){shocked}, the same on every path",
        )
    raise ValueError(f"no law of P_T known for price model {price.model!r}")


# Relative tolerance of a deterministic P_T (replay): round-off of n additions in log space and one
# exp (~1e-12 seen); a single historical hourly return is ~1e-3.
EXACT_PRICE_TOLERANCE = 1e-9


def mean_final_price(final_price: np.ndarray, law: PriceLaw, case: str) -> Check:
    """The model's promise about P_T (`final_price_law`): the mean of P_T or of ln P_T within 4
    standard errors (s.e. = sample sd / sqrt(n)); or, for a deterministic path, every P_T within
    1e-9 relative of the expected price."""
    prices = np.asarray(final_price, dtype=np.float64)
    n = prices.size
    if law.statistic == "P_T exact":
        error = float(np.max(np.abs(prices / law.expected - 1.0), initial=0.0))
        passed = bool(n > 0 and np.all(np.isfinite(prices)) and error <= EXACT_PRICE_TOLERANCE)
        return Check(
            "final_price_exact",
            case,
            passed,
            f"max |P_T / expected - 1| = {error:.3g} over {n} paths (limit "
            f"{EXACT_PRICE_TOLERANCE:g}); expected {law.expected:.6g} = {law.basis}",
        )
    values = prices if law.statistic == "P_T" else np.log(prices)
    mean = float(np.mean(values))
    se = float(np.std(values, ddof=1)) / math.sqrt(n) if n > 1 else math.inf
    z = (mean - law.expected) / se if se > 0 else math.inf
    passed = bool(math.isfinite(z) and abs(z) <= DRIFT_SIGMAS)
    return Check(
        "mean_final_price",
        case,
        passed,
        f"mean {law.statistic} = {mean:.6g}, expected {law.expected:.6g}, s.e. {se:.3g} "
        f"({z:+.2f} s.e., limit {DRIFT_SIGMAS:g}) over {n} paths; expected = {law.basis}",
    )


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if np.issubdtype(a.dtype, np.floating):
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))


def identical_outputs(
    first: Mapping[str, np.ndarray],
    second: Mapping[str, np.ndarray],
    name: str,
    what: str,
    case: str,
) -> Check:
    """Bit-identical per-path outputs (MODEL.md §9), on the fields both sides have."""
    fields = [f for f in first if f in second]
    differ = [f for f in fields if not _same(first[f], second[f])]
    detail = (
        f"{what}: {len(fields)} outputs bit-identical"
        if not differ
        else f"{what}: outputs differ in " + ", ".join(differ)
    )
    return Check(name, case, not differ, detail)


def engine_draw_sums(
    inputs: Any, seed: int, n_paths: int, adl_counts: np.ndarray | None = None
) -> np.ndarray:
    """Per path, the sum of every number the general kernel draws over the horizon, replayed with
    the engine's own draw functions: `engine.kernels.draws.draw_steps` (gbm, merton) or
    `draw_model_steps` (garch, regime, bootstrap, replay) chunk by chunk, the regime model's initial uniform (drawn
    in `_simulate_path` before the first step), and the venue side stream's
    `engine.kernels.venue.draw_venue` plus one uniform per ADL cascade (adl_counts[i])."""
    from engine.kernels.draws import DRAW_CHUNK, DRAW_WIDTH, draw_model_steps, draw_steps
    from engine.kernels.market import MERTON
    from engine.kernels.regime import REGIME
    from engine.kernels.rng import seed_stream, uniform
    from engine.kernels.venue import N_VENUE_DRAWS, draw_venue

    market = inputs.market
    n_steps = inputs.grid.n_steps
    funding_jumps = bool(inputs.funding.jumps)
    sums = np.zeros(n_paths)
    for path in range(n_paths):
        state = np.empty(4, np.uint64)
        seed_stream(state, np.uint64(seed), np.int64(path))
        total = 0.0
        if market.model == REGIME and market.regime.draw_initial:
            total += float(uniform(state))
        draws = np.zeros((DRAW_CHUNK, DRAW_WIDTH))
        for k in range(0, n_steps, DRAW_CHUNK):
            n = min(DRAW_CHUNK, n_steps - k)
            draws[:] = 0.0
            if market.model > MERTON:
                draw_model_steps(state, draws, n, market, funding_jumps)
            else:
                draw_steps(state, draws, n, market.model == MERTON, funding_jumps)
            total += float(draws[:n].sum())
        if inputs.venue.active:
            side = np.empty(4, np.uint64)
            venue = np.ones(N_VENUE_DRAWS)
            draw_venue(side, np.uint64(seed), np.int64(path), venue)
            total += float(venue.sum())
            for _ in range(0 if adl_counts is None else int(adl_counts[path])):
                total += float(uniform(side))
        sums[path] = total
    return sums


def floor_draws_match(
    inputs: Any,
    seed: int,
    floor_sums: np.ndarray,
    case: str,
    adl_counts: np.ndarray | None = None,
) -> Check:
    """The floor kernel makes the engine's draws: for the first paths (0 ..), the sum of what the
    engine's draw functions draw over the horizon (`engine_draw_sums`) equals the floor's per-path
    sum. If those functions cannot be replayed (their signature or layout changed), the check
    fails: the floor then needs a look."""
    n_check = floor_sums.size
    try:
        engine_sums = engine_draw_sums(inputs, seed, n_check, adl_counts)
    except Exception as exc:  # the engine's draw functions changed their signature or layout
        return Check(
            "floor_draws_match",
            case,
            False,
            f"could not replay the engine's draws ({type(exc).__name__}: {exc})",
        )
    n_steps = inputs.grid.n_steps
    mismatches = [
        f"path {path}: engine {engine_sums[path]!r} vs floor {floor_sums[path]!r}"
        for path in range(n_check)
        if not math.isclose(
            engine_sums[path], floor_sums[path], rel_tol=1e-9, abs_tol=1e-9 * n_steps
        )
    ]
    extra = ""
    if adl_counts is not None and inputs.venue.active:
        extra = f" (venue side stream included, {int(np.sum(adl_counts[:n_check]))} ADL draws)"
    detail = (
        f"sum of draws over {n_steps} steps equal on {n_check} paths{extra}"
        if not mismatches
        else "; ".join(mismatches)
    )
    return Check("floor_draws_match", case, not mismatches, detail)
