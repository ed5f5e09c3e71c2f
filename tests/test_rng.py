"""The random streams: known answers, the documented draw order, and the laws of the draws.

The engine's streams are xoshiro256++ per path, seeded by splitmix64 of (seed, path), with a
256-layer ziggurat for normals and uniforms in (0, 1] (engine/kernels/rng.py). The draws of a run
are made by `draw_steps`, per step in the documented order z_price, z_funding, [u_jump, z_jump if
Merton], u_bridge (docs/model-notes.md, "Randomness"). Statistical checks use a fixed seed and
|estimate - theory| <= 4 s.e. with the s.e. computed from the same sample.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from rng_twin import GOLDEN, ZIG_V, PyStream, py_splitmix64
from scipy import stats

from engine.kernels.draws import D_BRIDGE, D_FUNDING, D_JUMP_U, D_JUMP_Z, D_PRICE, draw_steps
from engine.kernels.rng import ZIG_F, ZIG_R, ZIG_X, next_u64, seed_stream, splitmix64


def stream_state(seed: int, path: int) -> np.ndarray:
    state = np.empty(4, np.uint64)
    seed_stream(state, np.uint64(seed), np.int64(path))
    return state


def draws(seed: int, path: int, n_steps: int, merton: bool) -> np.ndarray:
    """The engine's draws of the first n_steps steps of a path: shape (n_steps, 5)."""
    out = np.full((n_steps, 5), np.nan)
    draw_steps(stream_state(seed, path), out, n_steps, merton)
    return out


# --------------------------------------------------------------------------------------------
# A plain-Python twin of the stream (xoshiro256++ reference algorithm, Marsaglia-Tsang ziggurat)


# --------------------------------------------------------------------------------------------
# Known answers and the documented stream


def test_splitmix64_known_answers() -> None:
    """splitmix64 (Vigna's splitmix64.c) from state 0 and 1234567: published first outputs."""
    assert int(splitmix64(np.uint64(0))) == 0xE220A8397B1DCDAF
    assert int(splitmix64(np.uint64(1234567))) == 6457827717110365317
    assert int(splitmix64(np.uint64(1234567 + GOLDEN))) == 3203168211198807973
    assert py_splitmix64(1234567) == 6457827717110365317


def test_xoshiro256pp_known_answers() -> None:
    """xoshiro256++ from state (1, 2, 3, 4): the reference implementation's first ten outputs."""
    expected = [
        41943041,
        58720359,
        3588806011781223,
        3591011842654386,
        9228616714210784205,
        9973669472204895162,
        14011001112246962877,
        12406186145184390807,
        15849039046786891736,
        10450023813501588000,
    ]
    state = np.array([1, 2, 3, 4], dtype=np.uint64)
    assert [int(next_u64(state)) for _ in expected] == expected


def test_ziggurat_tables() -> None:
    """The engine's tables are the 256-layer Marsaglia-Tsang ziggurat for (r, v): rebuilt here
    from the recursion, and the top layer closes at f(0) = 1 (area v within round-off)."""
    x, f = PyStream._tables()
    np.testing.assert_allclose(ZIG_X, x, rtol=1e-12, atol=0)
    np.testing.assert_allclose(ZIG_F, f, rtol=1e-12, atol=0)
    assert ZIG_R == 3.6541528853610088
    assert abs(x[255] * (1.0 - f[255]) - ZIG_V) < 1e-9


@pytest.mark.parametrize("merton", [False, True], ids=["gbm", "merton"])
def test_draw_steps_is_the_documented_stream(merton: bool) -> None:
    """draw_steps yields, per step, z_price, z_funding, [u_jump, z_jump], u_bridge from the
    xoshiro256++ stream of (seed, path), exactly as the plain-Python twin draws them (ziggurat wedge
    and tail branches included). Uniforms must be equal; normals too, up to one or two ulps
    (a libm log or exp may differ in its last bit between builds; any other difference would
    desynchronise the stream and show at once)."""
    n = 4_000
    slow = {"wedge": 0, "tail": 0}
    for seed, path in ((20261121, 0), (20261121, 12345), (7, 2**40 + 3)):
        engine_draws = draws(seed, path, n, merton)
        twin = PyStream(seed, path)
        steps = [twin.step(merton) for _ in range(n)]
        columns = {"z_price": D_PRICE, "z_funding": D_FUNDING, "u_bridge": D_BRIDGE}
        if merton:
            columns |= {"u_jump": D_JUMP_U, "z_jump": D_JUMP_Z}
        for name, col in columns.items():
            expected = np.array([step[name] for step in steps])
            if name.startswith("u_"):
                np.testing.assert_array_equal(engine_draws[:, col], expected, err_msg=name)
            else:
                np.testing.assert_allclose(
                    engine_draws[:, col], expected, rtol=5e-16, atol=0, err_msg=name
                )
        for key in slow:
            slow[key] += twin.slow[key]
    assert slow["wedge"] > 10 and slow["tail"] >= 1, slow


def test_streams_depend_only_on_seed_and_path() -> None:
    """Same (seed, path): the same stream; another path or another seed: another stream."""
    a = draws(99, 5, 1_000, True)
    np.testing.assert_array_equal(a, draws(99, 5, 1_000, True))
    for other in (draws(99, 6, 1_000, True), draws(100, 5, 1_000, True)):
        assert not np.isin(other[:, D_PRICE], a[:, D_PRICE]).any()
        assert not np.isin(other[:, D_BRIDGE], a[:, D_BRIDGE]).any()


# --------------------------------------------------------------------------------------------
# Laws of the draws

N_STEPS = 1_000_000  # Merton layout: 3e6 normals and 2e6 uniforms


@pytest.fixture(scope="module")
def sample() -> dict[str, np.ndarray]:
    d = draws(20261121, 3, N_STEPS, True)
    return {
        "normal": d[:, [D_PRICE, D_FUNDING, D_JUMP_Z]].ravel(),  # stream order
        "uniform": d[:, [D_JUMP_U, D_BRIDGE]].ravel(),
        "normal_other_path": draws(20261121, 4, N_STEPS // 4, False)[:, D_PRICE],
    }


def moment_check(figures: Any, name: str, values: np.ndarray, theory: float) -> None:
    """The sample mean of g(X) vs E[g(X)], s.e. sd(g(X)) / sqrt(n)."""
    figures.close(name, values.mean(), theory, values.std(ddof=1) / math.sqrt(values.size))


def test_normal_moments(sample: dict[str, np.ndarray], figures: Any) -> None:
    """Z ~ N(0, 1): E Z = 0, E Z^2 = 1, E Z^3 = 0 (skew), E Z^4 = 3 (kurtosis), each as the sample
    mean of Z^k with s.e. sd(Z^k) / sqrt(n)."""
    z = sample["normal"]
    for k, theory in ((1, 0.0), (2, 1.0), (3, 0.0), (4, 3.0)):
        moment_check(figures, f"normal E[Z^{k}]", z**k, theory)


def test_uniform_moments(sample: dict[str, np.ndarray], figures: Any) -> None:
    """U ~ U(0, 1]: E U = 1/2 and the central moments E (U - 1/2)^k = 1/12, 0, 1/80 for
    k = 2, 3, 4; sample means of the powers with s.e. sd / sqrt(n)."""
    u = sample["uniform"]
    moment_check(figures, "uniform E[U]", u, 0.5)
    for k, theory in ((2, 1.0 / 12.0), (3, 0.0), (4, 1.0 / 80.0)):
        moment_check(figures, f"uniform E[(U-1/2)^{k}]", (u - 0.5) ** k, theory)


def test_kolmogorov_smirnov(sample: dict[str, np.ndarray], figures: Any) -> None:
    """Kolmogorov-Smirnov against N(0, 1) (3e6 normals) and U(0, 1) (2e6 uniforms): p > 1e-3."""
    for name, dist in (("normal", "norm"), ("uniform", "uniform")):
        res = stats.kstest(sample[name], dist)
        figures.note(f"KS {name}", statistic=res.statistic, pvalue=res.pvalue)
        assert res.pvalue > 1e-3, (name, res)


def test_uniforms_lie_in_the_half_open_unit_interval(sample: dict[str, np.ndarray]) -> None:
    """Uniforms are k 2^-53 with k = 1 .. 2^53: never 0, at most 1, on the 2^-53 grid."""
    u = sample["uniform"]
    assert u.min() > 0.0 and u.max() <= 1.0
    k = u * 2.0**53
    assert np.array_equal(k, np.round(k))


@pytest.fixture(scope="module")
def tail_sample() -> tuple[np.ndarray, int]:
    """|Z| beyond r among 2e7 normals (10 paths x 1e6 GBM steps x 2 normals), and the count."""
    tails, total = [], 0
    for path in range(10):
        d = draws(777, path, 1_000_000, False)[:, [D_PRICE, D_FUNDING]]
        z = np.abs(d.ravel())
        tails.append(z[z > ZIG_R])
        total += z.size
    return np.concatenate(tails), total


def test_normal_tail_beyond_the_ziggurat_base(
    tail_sample: tuple[np.ndarray, int], figures: Any
) -> None:
    """The tail branch (layer 0 beyond r = 3.6541528853610088) on 2e7 normals.
    P(|Z| > r) = 2 Phi(-r) (binomial s.e.). The excess X = |Z| - r given |Z| > r, with the Mills
    ratio M = phi(r) / Phi(-r): E[X] = M - r, and from E[Z^2 | Z > r] = 1 + r M,
    E[X^2] = 1 + r^2 - r M (s.e. of the sample means); P(X > 0.3) = Phi(-(r + 0.3)) / Phi(-r)
    (binomial s.e.). Power: a tail drawn without the rejection step (an exponential excess of
    rate r, mean 1/r) must be more than 4 s.e. from the engine's mean excess."""
    z, n = tail_sample
    r = ZIG_R
    p = z.size / n
    figures.close("normal P(|Z| > r)", p, 2.0 * stats.norm.sf(r), math.sqrt(p * (1 - p) / n))
    excess = z - r
    mills = stats.norm.pdf(r) / stats.norm.sf(r)
    moment_check(figures, "normal E[|Z| - r | |Z| > r]", excess, mills - r)
    figures.apart(
        "normal E[|Z| - r | |Z| > r] vs exponential excess 1/r",
        excess.mean(),
        1.0 / r,
        excess.std(ddof=1) / math.sqrt(excess.size),
    )
    moment_check(figures, "normal E[(|Z| - r)^2 | |Z| > r]", excess**2, 1.0 + r * r - r * mills)
    beyond = excess > 0.3
    q = beyond.mean()
    figures.close(
        "normal P(|Z| > r + 0.3 | |Z| > r)",
        q,
        stats.norm.sf(r + 0.3) / stats.norm.sf(r),
        math.sqrt(q * (1 - q) / beyond.size),
    )


def test_draws_are_uncorrelated(sample: dict[str, np.ndarray], figures: Any) -> None:
    """Independent N(0, 1) draws: the lag-1 product mean E[Z_i Z_i+1] = 0 along the stream, and
    E[Z Z'] = 0 across two paths' streams at the same steps; s.e. sd(product) / sqrt(n)."""
    z = sample["normal"]
    moment_check(figures, "normal lag-1 E[Z_i Z_i+1]", z[:-1] * z[1:], 0.0)
    other = sample["normal_other_path"]
    same_steps = z[0 : 3 * other.size : 3]  # path 3's z_price at the same steps
    moment_check(figures, "normal cross-path E[Z Z']", same_steps * other, 0.0)
