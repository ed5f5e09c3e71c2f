"""A plain-Python twin of one simulated path, written from MODEL.md (and the choices recorded in
docs/model-notes.md), not from the kernels. No numba, no arrays: one float at a time.

It consumes the very random numbers the engine draws for the path: the stream of (seed, path) made
by `seed_stream`, read with `draw_steps`, whose per-step order is z_price, z_funding,
[u_jump, z_jump if Merton], [u_fjump, z_fjump if the funding state jumps], u_bridge
(tests/test_rng.py checks that order against a plain-Python xoshiro256++). Everything else is
recomputed here from the scenario:

- capital (§2): K = V0 + C0, C0 = h delta_LP(P0) P0 / leverage, the opening trade's cost paid
  from the margin;
- market (§3): exact GBM log step; Merton jumps by inverting the Poisson(lambda dt) CDF at u_jump,
  n jumps summing to N(n m, n v^2) = n m + sqrt(n) v z_jump, drift compensated; OU funding stepped
  with its exact transition, the Gaussian shock split into a load on z_price (from the covariance
  with the price's Brownian increment) and one on z_funding (Cholesky); jumps of the OU state at
  the step's end (Poisson count by inversion at u_fjump, n m + sqrt(n) v z_fjump); the premium
  model's rate p + clamp(interest - p, -c, c);
- shocks: a price shock's window adds ln(1 + move) / n to each of its n steps' log drift; a
  volatility multiplier M scales the step's sd (and the bridge variance) and adds the Ito term
  -(M^2 - 1) s^2 dt / 2; a forced rate replaces the rate (and the OU state, except for constant
  funding) at the end of each step of its window;
- LP (§4): v2 x = L / sqrt(P), y = L sqrt(P); v3 with clipping; apr and arbitrage fees at the
  left point of the step;
- perp (§5): margin cash and entry price; equity E = cash + q (entry - P); MM = m q P, or with
  tiered brackets the venue's formula rate_i q P - amount_i (`HedgeSpec.maintenance_at`); the
  liquidation price is the root of E(P) = MM(P), found by bisection (flat: (cash + q entry) /
  (q (1 + m))); Brownian-bridge crossing of the diffusive leg,
  executes at P_liq; a jump through executes at the post-jump price; recovered
  max(E_exec - penalty q P_exec, 0);
- order of a step (§6), statistics and outputs (§7);
- issue 6 (docs/model-notes.md, "Moves between the pool and the perp"): margin top-ups and sweeps,
  re-hedging after a cooldown, v3 re-ranging and gas, written with token amounts (the withdrawn
  fraction of the position, the swap found by bisection), not with the kernel's closed forms.
- the newer price models (issue 5; draws read with `draw_model_steps`): GARCH(1,1) on the step's
  variance h (h' = hbar (1 - alpha - beta) + alpha h e^2 + beta h, drift mu dt - h/2); regimes
  switched with exp(Q dt) computed by uniformization and a stationary law from the eigenvectors
  of Q^T; bootstrap and replay steps read from the CSVs with the csv module, the liquidation
  tested against the bar's high.
"""

from __future__ import annotations

import itertools
import math
from datetime import UTC
from typing import Any

import numpy as np

from engine.inputs.price import market_params
from engine.kernels.draws import (
    D_BLOCK,
    D_BRIDGE,
    D_FJUMP_U,
    D_FJUMP_Z,
    D_FUNDING,
    D_JUMP_U,
    D_JUMP_Z,
    D_PRICE,
    D_REGIME,
    D_START,
    D_T_SCALE,
    DRAW_WIDTH,
    draw_model_steps,
    draw_steps,
)
from engine.kernels.rng import seed_stream, uniform
from engine.scenario import FundingShock, PriceShock, Scenario, VolShock

HOURS_PER_YEAR = 8760.0


def path_draws(
    seed: int, path: int, n_steps: int, merton: bool, funding_jumps: bool = False
) -> list[dict[str, float]]:
    """The random numbers of each step of path `path` under run seed `seed`, by name."""
    state = np.empty(4, np.uint64)
    seed_stream(state, np.uint64(seed), np.int64(path))
    raw = np.empty((n_steps, DRAW_WIDTH))
    draw_steps(state, raw, n_steps, merton, funding_jumps)
    steps = []
    for row in raw:
        step = {
            "z_price": float(row[D_PRICE]),
            "z_funding": float(row[D_FUNDING]),
            "u_bridge": float(row[D_BRIDGE]),
        }
        if merton:
            step["u_jump"] = float(row[D_JUMP_U])
            step["z_jump"] = float(row[D_JUMP_Z])
        if funding_jumps:
            step["u_fjump"] = float(row[D_FJUMP_U])
            step["z_fjump"] = float(row[D_FJUMP_Z])
        steps.append(step)
    return steps


class Pool:
    """The LP position: v2 full range, or v3 on [Pa, Pb]; L solved from V0 at P0."""

    def __init__(self, scn: Scenario, value0: float | None = None) -> None:
        self.v3 = scn.pool.type == "v3"
        p0 = scn.market.spot
        if self.v3:
            self.pa = p0 * (1.0 + scn.pool.range.lower)
            self.pb = p0 * (1.0 + scn.pool.range.upper)
        else:
            self.pa, self.pb = 0.0, math.inf
        self.liquidity = 1.0
        if value0 is not None:
            self.liquidity = value0 / self.value(p0)

    def amounts(self, p: float) -> tuple[float, float]:
        """(x, y): risky tokens and quote tokens held at price p."""
        L = self.liquidity
        if not self.v3:
            return L / math.sqrt(p), L * math.sqrt(p)
        sa, sb = math.sqrt(self.pa), math.sqrt(self.pb)
        if p <= self.pa:  # below the range: all in the risky token
            return L * (1.0 / sa - 1.0 / sb), 0.0
        if p >= self.pb:  # above: all in quote
            return 0.0, L * (sb - sa)
        s = math.sqrt(p)
        return L * (1.0 / s - 1.0 / sb), L * (s - sa)

    def value(self, p: float) -> float:
        x, y = self.amounts(p)
        return x * p + y

    def in_range(self, p: float) -> bool:
        return self.pa <= p <= self.pb

    def unit_amounts(self, p: float) -> tuple[float, float]:
        """(x, y) per unit of liquidity at p."""
        saved, self.liquidity = self.liquidity, 1.0
        try:
            return self.amounts(p)
        finally:
            self.liquidity = saved


def bisect(g: Any, lo: float, hi: float) -> float:
    """A root of the increasing-or-decreasing g on [lo, hi] (g(lo), g(hi) of opposite signs)."""
    glo = g(lo)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if (g(mid) > 0.0) == (glo > 0.0):
            lo, glo = mid, g(mid)
        else:
            hi = mid
    return 0.5 * (lo + hi)


def rerange(pool: Pool, p: float, pa: float, pb: float, c: float) -> float:
    """Withdraw the whole position at p, swap to the composition of [pa, pb] paying c on the input,
    mint [pa, pb] with the rest. Returns the swap cost (quote)."""
    x, y = pool.amounts(p)
    pool.pa, pool.pb = pa, pb
    ux, uy = pool.unit_amounts(p)
    share = ux * p / (ux * p + uy)

    def gap(risky: float, quote: float) -> float:  # risky value above the new share of the total
        return risky - share * (risky + quote)

    if gap(x * p, y) > 0.0:  # sell s of risky value for s (1 - c) quote
        s = bisect(lambda s: gap(x * p - s, y + s * (1.0 - c)), 0.0, x * p)
        risky, quote = x * p - s, y + s * (1.0 - c)
    else:  # buy: s quote for s (1 - c) of risky value
        s = bisect(lambda s: gap(x * p + s * (1.0 - c), y - s), 0.0, y)
        risky, quote = x * p + s * (1.0 - c), y - s
    pool.liquidity = (risky + quote) / (ux * p + uy)
    return c * s


def capital_split(scn: Scenario) -> tuple[float, float]:
    """(V0, C0): K = V0 + h x0 P0 / leverage, with x0 P0 = a V0, a the risky share at spot."""
    unit = Pool(scn)  # L = 1
    p0 = scn.market.spot
    share = unit.amounts(p0)[0] * p0 / unit.value(p0)
    v0 = scn.capital / (1.0 + scn.hedge.ratio * share / scn.hedge.leverage)
    return v0, scn.capital - v0


def poisson_count(u: float, mean: float) -> int:
    """The smallest n with u <= P(N <= n), N ~ Poisson(mean) (inversion; u in (0, 1])."""
    if mean <= 0.0:
        return 0
    n, pmf = 0, math.exp(-mean)
    cdf = pmf
    while u > cdf and n < 200:
        n += 1
        pmf *= mean / n
        cdf += pmf
    return n


def ou_loads(kappa: float, eta: float, rho: float, dt: float) -> tuple[float, float, float]:
    """Exact OU step f' = theta + (f - theta) d + a z_price + b z_funding: the shock
    eps = eta int_0^dt e^{-kappa (dt - u)} dB_u has Var = eta^2 (1 - e^{-2 kappa dt}) / (2 kappa)
    and Cov(eps, W_dt) = rho eta (1 - e^{-kappa dt}) / kappa, with W_dt = sqrt(dt) z_price; so
    a = Cov / sqrt(dt) and b = sqrt(Var - a^2)."""
    if kappa > 0.0:
        d = math.exp(-kappa * dt)
        var = eta * eta * (1.0 - math.exp(-2.0 * kappa * dt)) / (2.0 * kappa)
        cov = rho * eta * (1.0 - d) / kappa
    else:
        d, var, cov = 1.0, eta * eta * dt, rho * eta * dt
    a = cov / math.sqrt(dt)
    return d, a, math.sqrt(max(var - a * a, 0.0))


def step_fees(scn: Scenario, lp: Pool, p0: float, p1: float, value_before: float) -> float:
    """LP fees over a step from p0 to p1 (left point; apr or arbitrage + noise volume)."""
    spec = scn.pool.fees
    dt = scn.step_hours / HOURS_PER_YEAR
    earned = 0.0
    if spec.model == "apr":
        if lp.in_range(p0):
            earned += spec.apr * value_before * dt
    elif spec.model == "arbitrage":
        earned += spec.fee_tier * abs(lp.amounts(p1)[1] - lp.amounts(p0)[1])
        if lp.in_range(p0):
            days = scn.step_hours / 24.0
            earned += spec.fee_tier * spec.noise_volume_to_tvl_per_day * value_before * days
    return earned


def liquidation_price(scn: Scenario, cash: float, entry: float, q: float) -> float:
    """The price at which the short's equity cash + q (entry - P) equals the venue's maintenance
    margin MM(q P): closed form for a flat rate, bisection on the (decreasing) equity minus MM
    with tiered brackets."""
    hedge = scn.hedge
    if not hedge.tiers:
        return (cash + q * entry) / (q * (1.0 + hedge.maintenance_margin))

    def surplus(p: float) -> float:
        return cash + q * (entry - p) - hedge.maintenance_at(q * p)

    lo, hi = 0.0, (cash + q * entry) / q  # surplus(lo) > 0 >= surplus(hi)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if surplus(mid) > 0.0:
            lo = mid
        else:
            hi = mid
    return hi


def step_shocks(scn: Scenario) -> list[tuple[float, float, float | None]]:
    """(log move, volatility multiplier, forced rate or None) of each step k, the step covering
    hours (k s, (k + 1) s]: a shock over [day, day + hours/24) covers the steps starting in it."""
    s = scn.step_hours
    per_step: list[tuple[float, float, float | None]] = []
    for k in range(scn.n_steps):
        move, mult, forced = 0.0, 1.0, None
        start = k * s
        for shock in scn.shocks:
            begin = shock.day * 24.0
            if not begin - 1e-9 <= start < begin + shock.hours - 1e-9:
                continue
            if isinstance(shock, PriceShock):
                move += math.log(1.0 + shock.move) * s / shock.hours
            elif isinstance(shock, VolShock):
                mult *= shock.multiplier
            elif isinstance(shock, FundingShock):
                forced = shock.rate
        per_step.append((move, mult, forced))
    return per_step


# --------------------------------------------------------------------------------------------
# The newer price models (issue 5): garch, regime, bootstrap, replay


def model_draws(scn: Scenario, seed: int, path: int) -> tuple[float | None, list[dict[str, float]]]:
    """(the initial-regime uniform or None, the per-step draws by name) of the newer price models,
    read from the path's stream by the engine's draw_model_steps in its documented order."""
    price = scn.market.price
    state = np.empty(4, np.uint64)
    seed_stream(state, np.uint64(seed), np.int64(path))
    u_initial = None
    if price.model == "regime" and price.regime.initial == "stationary":
        if len(price.regime.states) > 1:
            u_initial = float(uniform(state))
    raw = np.zeros((scn.n_steps, DRAW_WIDTH))
    fjumps = scn.market.funding.jump_intensity > 0.0
    draw_model_steps(state, raw, scn.n_steps, market_params(scn), fjumps)
    names = {
        "garch": {"z_price": D_PRICE, "z_funding": D_FUNDING, "t_scale": D_T_SCALE},
        "regime": {
            "z_price": D_PRICE,
            "z_funding": D_FUNDING,
            "u_jump": D_JUMP_U,
            "z_jump": D_JUMP_Z,
            "u_regime": D_REGIME,
        },
        "bootstrap": {"z_funding": D_FUNDING, "u_block": D_BLOCK, "u_start": D_START},
        "replay": {"z_funding": D_FUNDING},
    }[price.model]
    steps = []
    for row in raw:
        step = {name: float(row[col]) for name, col in names.items()}
        step["u_bridge"] = float(row[D_BRIDGE])
        if fjumps:
            step["u_fjump"] = float(row[D_FJUMP_U])
            step["z_fjump"] = float(row[D_FJUMP_Z])
        step.setdefault("z_price", 0.0)
        steps.append(step)
    return u_initial, steps


def uniformized_transitions(q: np.ndarray, t: float) -> np.ndarray:
    """exp(Q t) by uniformization: sum_n Pois(n; lam t) (I + Q/lam)^n, lam >= max exit rate."""
    lam = max(float(-np.diag(q).min()), 1e-300)
    step = np.eye(len(q)) + q / lam
    term, total = np.eye(len(q)), np.zeros_like(q)
    weight = math.exp(-lam * t)
    n = 0
    while n < 10 * (lam * t + 10):
        total += weight * term
        n += 1
        term = term @ step
        weight *= lam * t / n
    return total


def chain_generator(scn: Scenario) -> tuple[list[str], np.ndarray]:
    states = scn.market.price.regime.states
    names = list(states)
    q = np.zeros((len(names), len(names)))
    for i, name in enumerate(names):
        for target, rate in states[name].transitions.items():
            q[i, names.index(target)] += rate
            q[i, i] -= rate
    return names, q


def stationary(q: np.ndarray) -> np.ndarray:
    """pi with pi Q = 0: the eigenvector of Q^T for the eigenvalue closest to 0."""
    values, vectors = np.linalg.eig(q.T)
    v = np.real(vectors[:, np.argmin(np.abs(values))])
    return v / v.sum()


def inverse_cdf(u: float, probabilities: np.ndarray | list[float]) -> int:
    """The smallest j with u <= p_0 + ... + p_j (the last index at worst)."""
    total = 0.0
    for j, p in enumerate(probabilities):
        total += p
        if u <= total:
            return j
    return len(probabilities) - 1


_HISTORY_CACHE: dict[str, list[tuple[float, float, float]]] = {}


def historical_steps(scn: Scenario) -> list[tuple[float, float, float]]:
    key = scn.market.price.history.model_dump_json()
    if key not in _HISTORY_CACHE:
        _HISTORY_CACHE[key] = _read_historical_steps(scn)
    return _HISTORY_CACHE[key]


def _read_historical_steps(scn: Scenario) -> list[tuple[float, float, float]]:
    """(log-return, ln(high / close), funding rate in force) of each historical step in the
    window, read from the CSVs with the csv module: a row stamped T closes at T + 1 interval;
    a return joins two rows one interval apart; its funding rate is that of the first settlement
    s >= its end with s - interval <= its start."""
    import csv
    from datetime import datetime

    def stamp(text: str) -> int:
        moment = datetime.fromisoformat(text.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp())

    spec = scn.market.price.history
    with open(spec.prices, newline="", encoding="utf-8") as fh:
        rows = [{k.strip().lower(): v for k, v in row.items()} for row in csv.DictReader(fh)]
    times = [stamp(r["timestamp"]) for r in rows]
    spacings = [b - a for a, b in itertools.pairwise(times)]
    interval = max(set(spacings), key=spacings.count)  # the most common spacing
    settlements: list[tuple[int, float]] = []
    funding_interval = 0
    if spec.funding is not None:
        with open(spec.funding, newline="", encoding="utf-8") as fh:
            settlements = [
                (stamp(r["timestamp"]), float(r["funding_rate"])) for r in csv.DictReader(fh)
            ]
        funding_interval = settlements[1][0] - settlements[0][0]
    lo = stamp(spec.start) if spec.start else -(2**62)
    hi = stamp(spec.end) if spec.end else 2**62
    out = []
    j = 0
    for (r0, r1), (t0, t1) in zip(itertools.pairwise(rows), itertools.pairwise(times), strict=True):
        if t1 - t0 != interval:
            continue
        a, b = t1, t1 + interval  # price times of the two closes
        if a < lo or b > hi:
            continue
        close0, close1 = float(r0["close"]), float(r1["close"])
        high = math.log(float(r1["high"]) / close1) if spec.intrabar == "high" else 0.0
        rate = 0.0
        if settlements:
            while j < len(settlements) and settlements[j][0] < b:
                j += 1
            if j == len(settlements) or settlements[j][0] - funding_interval > a:
                continue
            rate = settlements[j][1]
        out.append((math.log(close1 / close0), high, rate))
    return out


class NewerPriceModel:
    """The step of a garch / regime / bootstrap / replay path, from the scenario alone."""

    def __init__(self, scn: Scenario, u_initial: float | None) -> None:
        self.scn = scn
        price = scn.market.price
        self.kind = price.model
        self.dt = dt = scn.step_hours / HOURS_PER_YEAR
        self.funding_mean = scn.market.funding.mean
        if self.kind == "garch":
            g = price.garch
            self.alpha, self.beta = g.alpha, g.beta
            self.hbar = price.vol**2 * dt
            iv = price.vol if g.initial_vol is None else g.initial_vol
            self.h = iv * iv * dt
            self.mu = price.drift
        elif self.kind == "regime":
            self.names, q = chain_generator(scn)
            self.p = uniformized_transitions(q, dt)
            spec = price.regime
            if spec.initial == "stationary":
                law = stationary(q)
                self.regime = 0 if u_initial is None else inverse_cdf(u_initial, law)
            else:
                self.regime = self.names.index(spec.initial)
            self.states = [spec.states[n] for n in self.names]
        else:
            self.data = historical_steps(scn)
            self.index = 0
            self.restart = scn.step_hours / price.history.mean_block_hours
        self.stressed_steps = 0

    def value(self, state: Any, key: str) -> float:
        v = getattr(state, key)
        return getattr(self.scn.market.price, key) if v is None else v

    def step(self, k: int, z: dict[str, float]) -> dict[str, float]:
        """drift, sd, shock, jump, high, theta (OU mean), rate (historical funding or None)."""
        dt = self.dt
        out = {"jump": 0.0, "high": 0.0, "theta": self.funding_mean, "rate": math.nan}
        if self.kind == "garch":
            e = z["t_scale"] * z["z_price"]
            out.update(drift=self.mu * dt - 0.5 * self.h, sd=math.sqrt(self.h), shock=e)
            self.h = (
                self.hbar * (1.0 - self.alpha - self.beta)
                + self.alpha * self.h * e * e
                + self.beta * self.h
            )
        elif self.kind == "regime":
            s = self.states[self.regime]
            mu, sigma = self.value(s, "drift"), self.value(s, "vol")
            lam, jm, jv = (self.value(s, x) for x in ("jump_intensity", "jump_mean", "jump_vol"))
            kbar = math.exp(jm + 0.5 * jv * jv) - 1.0
            out.update(
                drift=(mu - 0.5 * sigma * sigma - lam * kbar) * dt,
                sd=sigma * math.sqrt(dt),
                shock=z["z_price"],
            )
            if lam > 0.0:
                n = poisson_count(z["u_jump"], lam * dt)
                out["jump"] = n * jm + math.sqrt(n) * jv * z["z_jump"]
            if s.funding_mean is not None:
                out["theta"] = s.funding_mean
            self.stressed_steps += s.stressed
            if len(self.states) > 1:
                self.regime = inverse_cdf(z["u_regime"], self.p[self.regime])
        else:
            n = len(self.data)
            if self.kind == "replay":
                self.index = k
            elif k == 0 or z["u_block"] <= self.restart:
                self.index = math.ceil(z["u_start"] * n) - 1
            else:
                self.index = (self.index + 1) % n
            r, high, rate = self.data[self.index]
            out.update(drift=r, sd=0.0, shock=0.0, high=high)
            if self.scn.market.funding.model == "historical":
                out["rate"] = rate
        return out


def simulate_path(scn: Scenario, seed: int, path: int) -> dict[str, Any]:
    """One path of `scn` under run seed `seed`: the per-path outputs of MODEL §7 (and `events`,
    the liquidation branches taken, for coverage checks)."""
    price_spec, funding_spec = scn.market.price, scn.market.funding
    hedge = scn.hedge
    dt = scn.step_hours / HOURS_PER_YEAR
    n_steps = scn.n_steps
    merton = price_spec.model == "merton"
    fjumps = funding_spec.jump_intensity > 0.0
    shocks = step_shocks(scn)
    newer: NewerPriceModel | None = None
    if price_spec.model in ("garch", "regime", "bootstrap", "replay"):
        u_initial, draws = model_draws(scn, seed, path)
        newer = NewerPriceModel(scn, u_initial)
    else:
        draws = path_draws(seed, path, n_steps, merton, fjumps)

    # market constants
    mu, sigma = price_spec.drift, price_spec.vol
    lam = price_spec.jump_intensity if merton else 0.0
    jm, jv = price_spec.jump_mean, price_spec.jump_vol
    kbar = math.exp(jm + 0.5 * jv * jv) - 1.0
    drift_step = (mu - 0.5 * sigma * sigma - lam * kbar) * dt
    sd_step = sigma * math.sqrt(dt)
    premium = funding_spec.model == "premium"
    if funding_spec.model in ("ou", "premium"):  # premium: f is the premium p
        theta = funding_spec.mean
        f = funding_spec.initial_rate
        decay, load_p, load_f = ou_loads(
            funding_spec.reversion, funding_spec.vol, funding_spec.corr_with_price, dt
        )
    elif funding_spec.model == "constant":
        theta = f = funding_spec.initial_rate
        decay, load_p, load_f = 1.0, 0.0, 0.0
    else:
        theta = f = 0.0
        decay, load_p, load_f = 1.0, 0.0, 0.0
    cap = math.inf if funding_spec.cap is None else funding_spec.cap
    pays_funding = funding_spec.model != "none"
    interest, clamp = funding_spec.interest, funding_spec.clamp

    def rate_of(state: float) -> float:
        return state + min(max(interest - state, -clamp), clamp) if premium else state

    # capital, LP, opening trade
    p0 = scn.market.spot
    v0, c0 = capital_split(scn)
    pool = Pool(scn, v0)
    x0, y0 = pool.amounts(p0)
    penalty = hedge.liquidation_penalty
    cost_rate = hedge.taker_fee + hedge.slippage_bps * 1e-4
    q = hedge.ratio * x0
    costs = cost_rate * q * p0
    cash, entry = c0 - costs, p0

    def equity(p: float) -> float:
        return cash + q * (entry - p)

    # issue 6: moves between the pool and the perp, re-ranging, gas
    below = -math.inf if scn.margin.topup_below is None else scn.margin.topup_below
    above = math.inf if scn.margin.sweep_above is None else scn.margin.sweep_above
    restore = scn.margin.topup_to
    c_swap = scn.pool.fees.fee_tier + scn.pool.swap_slippage_bps * 1e-4
    g_lp, g_perp = scn.gas.lp_operation, scn.gas.perp_transaction
    rr = scn.pool.rerange
    rerange_after = {
        "none": 0,
        "exit": 1,
        "out_for_hours": round(rr.out_for_hours / scn.step_hours),
    }[rr.trigger]
    rehedge = hedge.after_liquidation == "rehedge"
    cooldown_steps = round(hedge.rehedge_cooldown_hours / scn.step_hours)
    gas = g_lp + (g_perp if q > 0.0 else 0.0)
    gas_u = g_lp
    swap_costs = topped_up = swept = 0.0
    n_topups = n_sweeps = n_reranges = n_rehedges = n_liquidations = 0
    hedged, rehedge_at, out_steps = True, 0, 0
    shadow = Pool(scn, v0)  # the unhedged benchmark's own position (no margin moves)
    fees_u = 0.0

    every_rebalance = round(hedge.rebalance.every_hours / scn.step_hours)

    price, log_p = p0, math.log(p0)
    value_lp = v0
    fees = funding = perp_pnl = liquidation_loss = 0.0
    liquidated, liquidation_time, n_rebalances = False, math.nan, 0
    events: list[str] = []

    wealth = value_lp + equity(price) - gas
    peak = max(scn.capital, wealth)
    max_dd = (peak - wealth) / peak

    for k, z in enumerate(draws):
        move, mult, forced = shocks[k]
        drift_k = drift_step - 0.5 * (mult * mult - 1.0) * sd_step * sd_step + move
        sd_k = mult * sd_step
        # 2. price move; liquidation over the step with the hedge as it was
        high = 0.0
        if newer is not None:
            step = newer.step(k, z)
            drift_step, sd_step, high = step["drift"], step["sd"], step["high"]
            shock_z, jump = step["shock"], step["jump"]
        else:
            shock_z, jump = z["z_price"], 0.0
        drift_k = drift_step - 0.5 * (mult * mult - 1.0) * sd_step * sd_step + move
        sd_k = mult * sd_step
        log_diffused = log_p + drift_k + sd_k * shock_z
        log_new = log_diffused + jump
        if merton:
            n_jumps = poisson_count(z["u_jump"], lam * dt)
            log_new += n_jumps * jm + math.sqrt(n_jumps) * jv * z["z_jump"]
        price_new = math.exp(log_new)
        exec_price = None
        if q > 0.0:
            h_log = math.log(liquidation_price(scn, cash, entry, q))
            if log_diffused >= h_log:
                exec_price, why = math.exp(h_log), "endpoint"
            elif log_diffused + high >= h_log:
                exec_price, why = math.exp(h_log), "intrabar"
            elif sd_k > 0.0 and z["u_bridge"] < math.exp(
                -2.0 * (h_log - log_p) * (h_log - log_diffused) / (sd_k * sd_k)
            ):
                exec_price, why = math.exp(h_log), "bridge"
            elif log_new >= h_log:
                exec_price, why = price_new, "jump"

        # 3. mark to market (to the execution price if liquidated), funding, margin
        if exec_price is not None:
            perp_pnl += q * (price - exec_price)
        else:
            perp_pnl += q * (price - price_new)
        if newer is not None and not math.isnan(step["rate"]):
            f = step["rate"]
        else:
            if newer is not None and funding_spec.model in ("ou", "premium"):
                theta = step["theta"]
            f = theta + (f - theta) * decay + load_p * z["z_price"] + load_f * z["z_funding"]
        if fjumps:
            n_fj = poisson_count(z["u_fjump"], funding_spec.jump_intensity * dt)
            f += (
                n_fj * funding_spec.jump_mean
                + math.sqrt(n_fj) * funding_spec.jump_vol * z["z_fjump"]
            )
        rate = rate_of(f)
        if forced is not None:
            rate = forced
            if funding_spec.model != "constant":
                f = forced
        hours_before, hours_after = k * scn.step_hours, (k + 1) * scn.step_hours
        settlements = math.floor(hours_after / funding_spec.interval_hours + 1e-9) - math.floor(
            hours_before / funding_spec.interval_hours + 1e-9
        )
        if pays_funding and settlements > 0 and q > 0.0 and exec_price is None:
            payment = settlements * q * price_new * min(max(rate, -cap), cap)
            cash += payment
            funding += payment
            if equity(price_new) <= hedge.maintenance_at(q * price_new):
                exec_price, why = price_new, "funding"

        # 4. LP fees over the step (left point), then revalue
        fees += step_fees(scn, pool, price, price_new, value_lp)
        fees_u += step_fees(scn, shadow, price, price_new, shadow.value(price))
        value_lp = pool.value(price_new)

        # 4b. re-range once out of range long enough (both positions: the bounds are shared)
        reranged = False
        if rerange_after:
            out_steps = 0 if pool.in_range(price_new) else out_steps + 1
            if out_steps >= rerange_after and pool.liquidity > 0.0:
                if rr.width is None:
                    pa = price_new * (1.0 + scn.pool.range.lower)
                    pb = price_new * (1.0 + scn.pool.range.upper)
                else:
                    pa, pb = price_new * math.exp(-rr.width / 2), price_new * math.exp(rr.width / 2)
                swap_costs += rerange(pool, price_new, pa, pb, c_swap)
                rerange(shadow, price_new, pa, pb, c_swap)
                value_lp = pool.value(price_new)
                gas += g_lp
                gas_u += g_lp
                n_reranges += 1
                out_steps = 0
                reranged = True
                events.append("rerange")

        # 5. rebalancing policy (not while unhedged after a liquidation); after a re-range the
        # hedge follows the new delta whatever the policy
        recheck = False
        if hedged and exec_price is None and (hedge.rebalance.policy != "none" or reranged):
            target = hedge.ratio * pool.amounts(price_new)[0]
            if reranged:
                due = target != q
            elif hedge.rebalance.policy == "periodic":
                due = (k + 1) % every_rebalance == 0 and target != q
            else:
                due = abs(q - target) > hedge.rebalance.band * target
            if due:
                cost = cost_rate * abs(target - q) * price_new
                cash += q * (entry - price_new) - cost  # realise the P&L, pay the cost
                entry, q = price_new, target
                costs += cost
                n_rebalances += 1
                gas += g_perp
                recheck = True

        # 5b. margin top-up from the pool, or sweep back to it
        if q > 0.0 and exec_price is None and restore is not None:
            notional = q * price_new
            ratio = equity(price_new) / notional
            x, y = pool.amounts(price_new)
            if ratio < below and pool.liquidity > 0.0:
                # withdraw the fraction phi of the tokens, sell its risky part for quote
                needed = restore * notional - equity(price_new)
                phi = min(needed / (y + x * price_new * (1.0 - c_swap)), 1.0)
                received = phi * (y + x * price_new * (1.0 - c_swap))
                swap_costs += phi * x * price_new * c_swap
                pool.liquidity *= 1.0 - phi
                cash += received
                topped_up += received
                n_topups += 1
                gas += g_lp + g_perp
                recheck = True
                events.append("topup")
            elif ratio > above:
                amount = equity(price_new) - restore * notional
                ux, uy = pool.unit_amounts(price_new)
                # buy s of risky with quote so that the deposit (dx, dy) has the tokens' ratio
                s = amount * ux * price_new / ((1.0 - c_swap) * uy + ux * price_new)
                dx, dy = s * (1.0 - c_swap) / price_new, amount - s
                pool.liquidity += dy / uy if uy > 0.0 else dx / ux
                swap_costs += c_swap * s
                cash -= amount
                swept += amount
                n_sweeps += 1
                gas += g_lp + g_perp
                recheck = True
                events.append("sweep")
            value_lp = pool.value(price_new)
        if recheck and q > 0.0 and equity(price_new) <= hedge.maintenance_at(q * price_new):
            exec_price, why = price_new, "rebalance"

        if exec_price is not None:
            e_exec = equity(exec_price)
            recovered = max(e_exec - penalty * q * exec_price, 0.0)
            liquidation_loss += e_exec - recovered
            cash, entry, q = recovered, 0.0, 0.0
            if not liquidated:
                liquidation_time = (k + 1) * scn.step_hours / 24.0
            liquidated, hedged = True, False
            n_liquidations += 1
            rehedge_at = k + cooldown_steps
            events.append(why)

        # 5c. re-hedge after the cooldown: collateral notional / leverage, from the pool
        # ... unless the target short, opened at 1 / leverage, would already be at or below the
        # maintenance margin of its bracket (the venue refuses the order; retried next step)
        x_now = pool.amounts(price_new)[0]
        opens = hedge.ratio * x_now * price_new * (
            1.0 / hedge.leverage - cost_rate
        ) > hedge.maintenance_at(hedge.ratio * x_now * price_new)
        if rehedge and not hedged and k >= rehedge_at and x_now > 0.0 and opens:
            x, y = pool.amounts(price_new)
            b = hedge.ratio * x * price_new / hedge.leverage
            if b > cash:
                # the fraction phi withdrawn funds the collateral of the target it leaves
                phi = (b - cash) / (b + y + x * price_new * (1.0 - c_swap))
                received = phi * (y + x * price_new * (1.0 - c_swap))
                swap_costs += phi * x * price_new * c_swap
                pool.liquidity *= 1.0 - phi
                cash += received
                topped_up += received
                gas += g_lp
                value_lp = pool.value(price_new)
            q, entry = hedge.ratio * pool.amounts(price_new)[0], price_new
            cost = cost_rate * q * price_new
            cash -= cost
            costs += cost
            gas += g_perp
            n_rehedges += 1
            hedged = True
            events.append("rehedge")

        # 6. running statistics
        log_p, price = log_new, price_new
        wealth = value_lp + fees + equity(price) - gas
        peak = max(peak, wealth)
        max_dd = max(max_dd, (peak - wealth) / peak)

    return {
        "pnl": wealth - scn.capital,
        "final_value": wealth,
        "lp_value": value_lp,
        "il": value_lp - (x0 * price + y0) + topped_up - swept + swap_costs,
        "fees": fees,
        "funding": funding,
        "trading_costs": costs,
        "perp_pnl": perp_pnl,
        "liquidation_loss": liquidation_loss,
        "liquidated": liquidated,
        "liquidation_time": liquidation_time,
        "max_drawdown": max_dd,
        "n_rebalances": n_rebalances,
        "final_price": price,
        "final_hedge": q,
        "unhedged_pnl": scn.capital / v0 * (shadow.value(price) - v0 + fees_u) - gas_u,
        "gas": gas,
        "swap_costs": swap_costs,
        "topped_up": topped_up,
        "swept": swept,
        "n_topups": n_topups,
        "n_sweeps": n_sweeps,
        "n_reranges": n_reranges,
        "n_rehedges": n_rehedges,
        "n_liquidations": n_liquidations,
        "stressed_share": 0.0 if newer is None else newer.stressed_steps / n_steps,
        "events": events,
    }
