"""Result checks made before (and alongside) the timings: a fast kernel that computes the wrong
thing is not a speed-up. Each check returns a `Check`; `require` raises `CheckFailed` on a failed
one, which aborts the benchmark with the check's message.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

# |pnl - sum of its parts| allowed, as a fraction of the capital K: round-off (observed ~3e-15).
IDENTITY_TOLERANCE = 1e-9
# E[P_T] must lie within this many standard errors of P0 exp(mu T).
DRIFT_SIGMAS = 4.0


class Check(NamedTuple):
    name: str
    case: str
    passed: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return self._asdict()


class CheckFailed(RuntimeError):
    """A result check failed: the numbers the benchmark would time are wrong."""


def require(check: Check, log: list[Check] | None = None) -> Check:
    if log is not None:
        log.append(check)
    if not check.passed:
        raise CheckFailed(f"check '{check.name}' failed for case '{check.case}': {check.detail}")
    return check


def accounting_identity(
    outputs: Mapping[str, np.ndarray], lp_value0: float, capital: float, case: str
) -> Check:
    """Per path: pnl == (lp_value - V0) + fees + funding + perp_pnl - trading_costs
    - liquidation_loss, to round-off (MODEL.md §7)."""
    parts = (
        (outputs["lp_value"] - lp_value0)
        + outputs["fees"]
        + outputs["funding"]
        + outputs["perp_pnl"]
        - outputs["trading_costs"]
        - outputs["liquidation_loss"]
    )
    error = np.abs(np.asarray(outputs["pnl"]) - parts)
    worst = float(np.max(error, initial=0.0))
    limit = IDENTITY_TOLERANCE * capital
    passed = bool(np.all(np.isfinite(parts)) and worst <= limit)
    return Check(
        "accounting_identity",
        case,
        passed,
        f"max |pnl - parts| = {worst:.3g} over {error.size} paths (limit {limit:.3g} = "
        f"{IDENTITY_TOLERANCE:g} K)",
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


def mean_final_price(
    final_price: np.ndarray, spot: float, drift: float, horizon_years: float, case: str
) -> Check:
    """E[P_T] = P0 exp(mu T) (GBM, and Merton with its compensated drift), within 4 s.e."""
    n = final_price.size
    expected = spot * math.exp(drift * horizon_years)
    mean = float(np.mean(final_price))
    se = float(np.std(final_price, ddof=1)) / math.sqrt(n) if n > 1 else math.inf
    z = (mean - expected) / se if se > 0 else math.inf
    passed = bool(math.isfinite(z) and abs(z) <= DRIFT_SIGMAS)
    return Check(
        "mean_final_price",
        case,
        passed,
        f"mean P_T = {mean:.2f}, P0 exp(mu T) = {expected:.2f}, s.e. {se:.2f} "
        f"({z:+.2f} s.e., limit {DRIFT_SIGMAS:g}) over {n} paths",
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


def floor_draws_match(
    seed: int, n_steps: int, merton: bool, floor_sums: np.ndarray, case: str
) -> Check:
    """The floor kernel makes the engine's draws: for the first paths, the sum of what
    engine.kernels.driver.draw_steps draws over the horizon equals the floor's per-path sum."""
    from engine.kernels.driver import DRAW_CHUNK, draw_steps
    from engine.kernels.rng import seed_stream

    n_check = min(3, floor_sums.size)
    try:
        mismatches = []
        for path in range(n_check):
            state = np.empty(4, np.uint64)
            seed_stream(state, np.uint64(seed), np.int64(path))
            draws = np.zeros((DRAW_CHUNK, 8))
            total = 0.0
            for k in range(0, n_steps, DRAW_CHUNK):
                n = min(DRAW_CHUNK, n_steps - k)
                draws[:] = 0.0
                draw_steps(state, draws, n, merton)
                total += float(draws[:n].sum())
            if not math.isclose(total, floor_sums[path], rel_tol=1e-9, abs_tol=1e-9 * n_steps):
                mismatches.append(f"path {path}: engine {total!r} vs floor {floor_sums[path]!r}")
    except Exception as exc:  # the engine's draw_steps changed its signature or layout
        return Check(
            "floor_draws_match",
            case,
            True,
            f"skipped: could not replay engine draw_steps ({type(exc).__name__}: {exc})",
        )
    detail = (
        f"sum of draws over {n_steps} steps equal on {n_check} paths"
        if not mismatches
        else "; ".join(mismatches)
    )
    return Check("floor_draws_match", case, not mismatches, detail)
