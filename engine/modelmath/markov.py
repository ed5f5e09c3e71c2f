"""Laws of the regime model's continuous-time Markov chain: its generator from the switching
intensities, its stationary law and its exact transition matrix over a step."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def generator(names: Sequence[str], transitions: Mapping[str, Mapping[str, float]]) -> np.ndarray:
    """The chain's generator Q (per year) over the regimes `names` (in index order):
    Q[i, j] = transitions[names[i]][names[j]], the intensity of a switch i -> j (absent: 0), and
    rows summing to 0."""
    q = np.zeros((len(names), len(names)))
    for i, name in enumerate(names):
        for target, rate in transitions[name].items():
            q[i, list(names).index(target)] = rate
        q[i, i] = -q[i].sum()
    return q


def stationary_law(q: np.ndarray) -> np.ndarray | None:
    """The stationary law pi (pi Q = 0, sum 1) of the chain, or None when it is not unique."""
    n = q.shape[0]
    if n == 1:
        return np.ones(1)
    if np.linalg.matrix_rank(q, tol=1e-12 * max(1.0, float(np.abs(q).max()))) != n - 1:
        return None
    system = np.vstack([q.T, np.ones(n)])
    rhs = np.zeros(n + 1)
    rhs[-1] = 1.0
    pi, *_ = np.linalg.lstsq(system, rhs, rcond=None)
    pi = np.clip(pi, 0.0, None)
    return pi / pi.sum()


def transition_matrix(q: np.ndarray, dt: float) -> np.ndarray:
    """The exact transition matrix of the chain over dt years, exp(Q dt)."""
    from scipy.linalg import expm  # deferred: a heavy import that only the regime model needs

    p = expm(q * dt)
    p = np.clip(p, 0.0, None)
    return p / p.sum(axis=1, keepdims=True)


def cumulative(law: np.ndarray) -> np.ndarray:
    """Cumulative sums along the last axis, the last entry set to exactly 1 (inverse-CDF draws)."""
    cdf = np.cumsum(law, axis=-1)
    cdf[..., -1] = 1.0
    return cdf
