"""From a validated `Scenario` to the plain numbers and arrays the kernels take.

This is where the capital split of MODEL.md §2 is solved and where every per-step constant is
precomputed once per run (log drift, exact OU transition loads, Poisson CDF of jump counts, the
funding, rebalancing and observation clocks), so that the inner loop recomputes nothing.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from engine.dispatch import supports
from engine.kernels.funding import (
    FUNDING_CONSTANT,
    FUNDING_NONE,
    FUNDING_OU,
    FUNDING_PREMIUM,
    FundingParams,
)
from engine.kernels.garch import GARCH, GarchParams
from engine.kernels.history import BOOTSTRAP, REPLAY, HistoryParams
from engine.kernels.layout import GridParams
from engine.kernels.lp import FEES_APR, FEES_ARBITRAGE, FEES_NONE, PoolParams
from engine.kernels.management import (
    AFTER_LIQUIDATION_REHEDGE,
    AFTER_LIQUIDATION_UNHEDGED,
    ManagementParams,
)
from engine.kernels.market import GBM, MERTON, MarketParams
from engine.kernels.options import ROLL_AT_EXPIRY, ROLL_NONE, OptionParams
from engine.kernels.perp import POLICY_BAND, POLICY_NONE, POLICY_PERIODIC, HedgeParams
from engine.kernels.regime import REGIME, RegimeParams
from engine.kernels.shocks import ShockParams
from engine.kernels.venue import VenueParams
from engine.scenario import FundingShock, PriceShock, PriceSpec, Scenario, VolShock

_PRICE_MODELS = {
    "gbm": GBM,
    "merton": MERTON,
    "garch": GARCH,
    "regime": REGIME,
    "bootstrap": BOOTSTRAP,
    "replay": REPLAY,
}
_FEE_MODELS = {"none": FEES_NONE, "apr": FEES_APR, "arbitrage": FEES_ARBITRAGE}
_POLICIES = {"none": POLICY_NONE, "periodic": POLICY_PERIODIC, "band": POLICY_BAND}
_FUNDING_MODELS = {
    "ou": FUNDING_OU,
    "premium": FUNDING_PREMIUM,
    "constant": FUNDING_CONSTANT,
    "none": FUNDING_NONE,
    "historical": FUNDING_OU,  # the state is the rate, set from the data at each step
}
_ROLLS = {"none": ROLL_NONE, "at_expiry": ROLL_AT_EXPIRY}
_JUMP_TAIL = 1e-17


class KernelInputs(NamedTuple):
    market: MarketParams
    pool: PoolParams
    hedge: HedgeParams
    grid: GridParams
    manage: ManagementParams  # [issue6-lp]
    funding: FundingParams
    shocks: ShockParams
    options: OptionParams
    venue: VenueParams
    # issue 7: whether the lane (SIMD) kernel supports the scenario (engine.dispatch.supports)
    lanes: bool = False


class CapitalSplit(NamedTuple):
    """MODEL.md §2: K = V0 + C0, C0 = h delta_LP(P0) P0 / leverage. Quote units."""

    lp_value: float
    collateral: float
    x0: float
    y0: float
    liquidity: float


def range_sqrt_bounds(scenario: Scenario) -> tuple[float, float]:
    """(sqrt(Pa), sqrt(Pb)); (0, inf) for a v2 pool."""
    if scenario.pool.type == "v2":
        return 0.0, math.inf
    spot = scenario.market.spot
    rng = scenario.pool.range
    return math.sqrt(spot * (1.0 + rng.lower)), math.sqrt(spot * (1.0 + rng.upper))


def split_capital(scenario: Scenario) -> CapitalSplit:
    """Solve V0 (LP) and C0 (perp collateral) from the capital K."""
    spot = scenario.market.spot
    sqrt_lower, sqrt_upper = range_sqrt_bounds(scenario)
    s = min(max(math.sqrt(spot), sqrt_lower), sqrt_upper)
    x_per_l = 1.0 / s - 1.0 / sqrt_upper
    y_per_l = s - sqrt_lower
    value_per_l = x_per_l * spot + y_per_l
    risky_share = x_per_l * spot / value_per_l
    h, lev = scenario.hedge.ratio, scenario.hedge.leverage
    lp_value = scenario.capital / (1.0 + h * risky_share / lev)
    liquidity = lp_value / value_per_l
    return CapitalSplit(
        lp_value=lp_value,
        collateral=scenario.capital - lp_value,
        x0=liquidity * x_per_l,
        y0=liquidity * y_per_l,
        liquidity=liquidity,
    )


def _jump_count_cdf(intensity_dt: float) -> np.ndarray:
    """CDF of Poisson(intensity_dt) at 0, 1, ..., up to where the tail is below 1e-17."""
    if intensity_dt <= 0.0:
        return np.ones(1)
    pmf = [math.exp(-intensity_dt)]
    while 1.0 - sum(pmf) > _JUMP_TAIL and len(pmf) < 200:
        pmf.append(pmf[-1] * intensity_dt / len(pmf))
    cdf = np.cumsum(pmf)
    cdf[-1] = 1.0
    return cdf


def _ou_loads(reversion: float, vol: float, corr: float, dt: float) -> tuple[float, float, float]:
    """Exact OU transition over dt: decay e^{-kappa dt}, and the shock's loads on the price shock
    z_price (= dW / sqrt(dt)) and on an independent normal, from the joint Gaussian law of
    (W_dt, int_0^dt e^{-kappa (dt - s)} dB_s) with corr(dB, dW) = corr."""
    if reversion > 0.0:
        decay = math.exp(-reversion * dt)
        variance = vol * vol * -math.expm1(-2.0 * reversion * dt) / (2.0 * reversion)
        covariance = corr * vol * -math.expm1(-reversion * dt) / reversion
    else:
        decay = 1.0
        variance = vol * vol * dt
        covariance = corr * vol * dt
    load_price = covariance / math.sqrt(dt)
    load_own = math.sqrt(max(variance - load_price * load_price, 0.0))
    return decay, load_price, load_own


def _diffusion_constants(
    drift: float, vol: float, intensity: float, jump_mean: float, jump_vol: float, dt: float
) -> tuple[float, float, float]:
    """(log drift, diffusive sd, bridge scale) of one step: (mu - sigma^2/2 - lambda kbar) dt,
    sigma sqrt(dt), 2 / (sigma^2 dt) (0 without diffusion); kbar = e^{m + v^2/2} - 1."""
    mean_jump_factor = math.expm1(jump_mean + 0.5 * jump_vol**2)
    log_drift = (drift - 0.5 * vol**2 - intensity * mean_jump_factor) * dt
    bridge_scale = 2.0 / (vol**2 * dt) if vol > 0.0 else 0.0
    return log_drift, vol * math.sqrt(dt), bridge_scale


# --------------------------------------------------------------------------------------------
# [issue5-models] GARCH, regime-switching and historical price models


def garch_params(scenario: Scenario) -> GarchParams:
    """GARCH(1,1) constants on the variance ratio v = h / hbar, hbar = vol^2 dt (inert values for
    the other models: v stays 1)."""
    price = scenario.market.price
    spec = price.garch
    active = price.model == "garch"
    dof = float(spec.dof) if active and spec.dof is not None else 0.0
    initial = 1.0
    if active and spec.initial_vol is not None:
        initial = (spec.initial_vol / price.vol) ** 2
    return GarchParams(
        alpha=float(spec.alpha) if active else 0.0,
        beta=float(spec.beta) if active else 0.0,
        intercept=1.0 - spec.alpha - spec.beta if active else 1.0,
        dof=dof,
        gamma_shape=0.5 * dof,
        t_scale=0.5 * (dof - 2.0) if dof else 0.0,
        initial_ratio=initial,
        half_variance=0.5 * price.vol**2 * scenario.dt_years,
    )


def generator_matrix(price: PriceSpec) -> np.ndarray:
    """The chain's generator Q (per year): Q[i, j] the intensity of a switch i -> j, rows summing
    to 0; regimes in index order (`PriceSpec.regime_names`, alphabetical)."""
    names = price.regime_names
    q = np.zeros((len(names), len(names)))
    for i, name in enumerate(names):
        for target, rate in price.regime.states[name].transitions.items():
            q[i, names.index(target)] = rate
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
    from scipy.linalg import expm

    p = expm(q * dt)
    p = np.clip(p, 0.0, None)
    return p / p.sum(axis=1, keepdims=True)


def _cumulative(law: np.ndarray) -> np.ndarray:
    cdf = np.cumsum(law, axis=-1)
    cdf[..., -1] = 1.0
    return cdf


def regime_params(scenario: Scenario) -> RegimeParams:
    """Per-regime step constants (one inert regime, the market's own, for the other models)."""
    price, funding = scenario.market.price, scenario.market.funding
    dt = scenario.dt_years
    if price.model != "regime":
        one = np.ones(1)
        return RegimeParams(
            log_drift=np.zeros(1),
            diffusion=np.zeros(1),
            bridge_scale=np.zeros(1),
            jump_cdf=np.ones((1, 1)),
            jump_mean=np.zeros(1),
            jump_vol=np.zeros(1),
            funding_mean=np.zeros(1),
            stressed=np.zeros(1),
            transition_cdf=np.ones((1, 1)),
            initial_cdf=one,
            jumps=False,
            switching=False,
            draw_initial=False,
        )
    names = price.regime_names
    states = [price.regime.states[name] for name in names]
    constants = []
    cdfs = []
    for state in states:
        value = {
            key: price.regime_value(state, key)
            for key in ("drift", "vol", "jump_intensity", "jump_mean", "jump_vol")
        }
        constants.append(
            _diffusion_constants(
                value["drift"],
                value["vol"],
                value["jump_intensity"],
                value["jump_mean"],
                value["jump_vol"],
                dt,
            )
        )
        cdfs.append(_jump_count_cdf(value["jump_intensity"] * dt))
    width = max(len(c) for c in cdfs)
    jump_cdf = np.ones((len(states), width))
    for i, cdf in enumerate(cdfs):
        jump_cdf[i, : len(cdf)] = cdf
    q = generator_matrix(price)
    if price.regime.initial == "stationary":
        law = stationary_law(q)
        assert law is not None  # validated in PriceSpec
    else:
        law = np.zeros(len(states))
        law[names.index(price.regime.initial)] = 1.0
    mean = funding.mean if funding.model in ("ou", "premium") else 0.0
    return RegimeParams(
        log_drift=np.array([c[0] for c in constants]),
        diffusion=np.array([c[1] for c in constants]),
        bridge_scale=np.array([c[2] for c in constants]),
        jump_cdf=jump_cdf,
        jump_mean=np.array([price.regime_value(s, "jump_mean") for s in states]),
        jump_vol=np.array([price.regime_value(s, "jump_vol") for s in states]),
        funding_mean=np.array(
            [mean if s.funding_mean is None else float(s.funding_mean) for s in states]
        ),
        stressed=np.array([1.0 if s.stressed else 0.0 for s in states]),
        transition_cdf=_cumulative(transition_matrix(q, dt)),
        initial_cdf=_cumulative(law),
        jumps=bool(any(price.regime_value(s, "jump_intensity") > 0.0 for s in states)),
        switching=len(states) > 1,
        draw_initial=price.regime.initial == "stationary" and len(states) > 1,
    )


def history_params(scenario: Scenario) -> HistoryParams:
    """The aligned historical steps (engine.history) for bootstrap and replay; inert otherwise."""
    price = scenario.market.price
    if price.model not in ("bootstrap", "replay"):
        return HistoryParams(np.zeros(1), np.zeros(1), np.zeros(1), 0.0, False)
    from engine.history import load_history

    history = load_history(scenario)
    return HistoryParams(
        log_return=history.log_return,
        log_high=history.log_high,
        funding=history.funding,
        restart=scenario.step_hours / price.history.mean_block_hours,
        from_data=scenario.market.funding.model == "historical",
    )


def market_params(scenario: Scenario) -> MarketParams:
    price, funding = scenario.market.price, scenario.market.funding
    dt = scenario.dt_years
    intensity = price.jump_intensity if price.model == "merton" else 0.0
    log_drift, diffusion, bridge_scale = _diffusion_constants(
        price.drift, price.vol, intensity, price.jump_mean, price.jump_vol, dt
    )
    if funding.model in ("ou", "premium"):  # premium: the OU process is the premium's
        initial, mean = funding.initial_rate, funding.mean
        decay, load_price, load_own = _ou_loads(
            funding.reversion, funding.vol, funding.corr_with_price, dt
        )
    elif funding.model == "constant":
        initial = mean = funding.initial_rate
        decay, load_price, load_own = 1.0, 0.0, 0.0
    else:
        initial = mean = 0.0
        decay, load_price, load_own = 1.0, 0.0, 0.0
    return MarketParams(
        spot=float(scenario.market.spot),
        model=_PRICE_MODELS[price.model],
        log_drift=log_drift,
        diffusion=diffusion,
        bridge_scale=bridge_scale,
        jump_cdf=_jump_count_cdf(intensity * dt),
        jump_mean=float(price.jump_mean),
        jump_vol=float(price.jump_vol),
        funding_initial=float(initial),
        funding_mean=float(mean),
        funding_decay=decay,
        funding_load_price=load_price,
        funding_load_own=load_own,
        funding_cap=math.inf if funding.cap is None else float(funding.cap),
        garch=garch_params(scenario),
        regime=regime_params(scenario),
        history=history_params(scenario),
    )


def pool_params(scenario: Scenario, split: CapitalSplit) -> PoolParams:
    fees = scenario.pool.fees
    sqrt_lower, sqrt_upper = range_sqrt_bounds(scenario)
    step_days = scenario.step_hours / 24.0
    return PoolParams(
        liquidity=split.liquidity,
        sqrt_lower=sqrt_lower,
        sqrt_upper=sqrt_upper,
        x0=split.x0,
        y0=split.y0,
        value0=split.lp_value,
        fee_model=_FEE_MODELS[fees.model],
        fee_apr_dt=fees.apr * scenario.dt_years,
        fee_tier=float(fees.fee_tier),
        noise_fee_dt=fees.fee_tier * fees.noise_volume_to_tvl_per_day * step_days,
    )


def maintenance_tiers(scenario: Scenario) -> np.ndarray:
    """The (n_brackets, 3) table (notional cap, maintenance rate, maintenance amount) the kernel
    reads (`engine.kernels.perp`); the flat maintenance_margin m is the one bracket (inf, m, 0)."""
    hedge = scenario.hedge
    if not hedge.tiers:
        return np.array([[math.inf, float(hedge.maintenance_margin), 0.0]])
    return np.array(
        [[t.notional_cap, t.maintenance_rate, t.maintenance_amount] for t in hedge.tiers],
        dtype=np.float64,
    )


def hedge_params(scenario: Scenario) -> HedgeParams:
    hedge = scenario.hedge
    tiers = maintenance_tiers(scenario)
    return HedgeParams(
        ratio=float(hedge.ratio),
        maintenance=float(tiers[0, 1]),
        penalty=float(hedge.liquidation_penalty),
        cost_rate=hedge.trade_cost_rate,
        policy=_POLICIES[hedge.rebalance.policy],
        band=float(hedge.rebalance.band),
        tiers=tiers,
    )


def option_params(scenario: Scenario) -> OptionParams:
    """The options strip's constants: legs, strikes (fractions of spot), each leg's implied
    volatility at purchase (sticky strike), size, tenor in years and in steps, roll rule."""
    opts = scenario.hedge.options
    has_put, has_call = opts.legs
    dt = scenario.dt_years
    tenor_steps = round(opts.tenor_days * 24.0 / scenario.step_hours) if opts.kind != "none" else 0

    def vol(on: bool, strike: float) -> float:
        return scenario.implied_vol(strike) if on and strike > 0.0 else 0.0

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


def venue_params(scenario: Scenario) -> VenueParams:
    """Hazards, loss fractions and cover of the pool and the perp venue; premium rates per step."""
    venue = scenario.venue
    dt = scenario.dt_years

    def cover(spec: Any) -> tuple[int, float, float, float]:
        if spec.cover is None:
            return 0, 0.0, 0.0, 0.0
        c = spec.cover
        return 1, c.premium_rate * dt, float(c.payout_fraction), float(c.approval_probability)

    pool_cover, pool_premium_dt, pool_payout, pool_approval = cover(venue.pool)
    perp_cover, perp_premium_dt, perp_payout, perp_approval = cover(venue.perp)
    return VenueParams(
        active=int(venue.active),
        pool_hazard=float(venue.pool.hazard_per_year),
        pool_loss=float(venue.pool.loss_fraction),
        pool_cover=pool_cover,
        pool_premium_dt=pool_premium_dt,
        pool_payout=pool_payout,
        pool_approval=pool_approval,
        perp_hazard=float(venue.perp.hazard_per_year),
        perp_loss=float(venue.perp.loss_fraction),
        perp_cover=perp_cover,
        perp_premium_dt=perp_premium_dt,
        perp_payout=perp_payout,
        perp_approval=perp_approval,
        step_years=dt,
        n_steps=scenario.n_steps,
        adl_probability=float(venue.adl.probability),
        adl_cascade=float(venue.adl.cascade_log_return),
    )


def _settlements_per_step(n_steps: int, step_hours: float, interval_hours: float) -> np.ndarray:
    """Number of funding times j * interval in (t_k, t_k+1] for each step k."""
    ends = np.arange(n_steps + 1) * step_hours / interval_hours
    counts = np.floor(ends + 1e-9)
    return np.diff(counts).astype(np.int64)


def observation_steps(scenario: Scenario) -> int:
    return round(scenario.output.observe_every_hours / scenario.step_hours)


def observation_days(scenario: Scenario) -> np.ndarray:
    """Times (days) of the observation grid: t = 0, then every observe_every_hours."""
    every = observation_steps(scenario)
    n_obs = scenario.n_steps // every + 1
    return np.arange(n_obs) * every * scenario.step_hours / 24.0


def grid_params(scenario: Scenario, split: CapitalSplit) -> GridParams:
    n = scenario.n_steps
    steps_done = np.arange(1, n + 1)
    every_rebalance = round(scenario.hedge.rebalance.every_hours / scenario.step_hours)
    every_observe = observation_steps(scenario)
    observe = np.where(steps_done % every_observe == 0, steps_done // every_observe, -1)
    funding = scenario.market.funding
    settlements = (
        np.zeros(n, np.int64)
        if funding.model == "none"
        else _settlements_per_step(n, scenario.step_hours, funding.interval_hours)
    )
    return GridParams(
        n_steps=n,
        step_days=scenario.step_hours / 24.0,
        capital=float(scenario.capital),
        collateral=split.collateral,
        funding_events=settlements,
        rebalance_clock=(steps_done % every_rebalance == 0),
        observe_index=observe.astype(np.int64),
    )


def management_params(scenario: Scenario) -> ManagementParams:
    """[issue6-lp] The pool <-> perp moves, re-ranging and gas as kernel constants."""
    margin, hedge, rerange = scenario.margin, scenario.hedge, scenario.pool.rerange
    if rerange.trigger == "none":
        rerange_steps = 0
    elif rerange.trigger == "exit":
        rerange_steps = 1
    else:
        rerange_steps = round(rerange.out_for_hours / scenario.step_hours)
    if rerange.width is None:
        lower, upper = scenario.pool.range.lower, scenario.pool.range.upper
        sqrt_lower, sqrt_upper = math.sqrt(1.0 + lower), math.sqrt(1.0 + upper)
    else:
        sqrt_lower, sqrt_upper = math.exp(-rerange.width / 4.0), math.exp(rerange.width / 4.0)
    after = (
        AFTER_LIQUIDATION_REHEDGE
        if hedge.after_liquidation == "rehedge"
        else AFTER_LIQUIDATION_UNHEDGED
    )
    return ManagementParams(
        topup_below=-math.inf if margin.topup_below is None else float(margin.topup_below),
        topup_to=math.nan if margin.topup_to is None else float(margin.topup_to),
        sweep_above=math.inf if margin.sweep_above is None else float(margin.sweep_above),
        after_liquidation=after,
        rehedge_steps=round(hedge.rehedge_cooldown_hours / scenario.step_hours),
        collateral_rate=1.0 / hedge.leverage,
        rerange_steps=rerange_steps,
        rerange_sqrt_lower=sqrt_lower,
        rerange_sqrt_upper=sqrt_upper,
        swap_cost=scenario.pool.swap_cost_rate,
        gas_lp=float(scenario.gas.lp_operation),
        gas_perp=float(scenario.gas.perp_transaction),
    )


def funding_params(scenario: Scenario) -> FundingParams:
    """The funding model's kind, the Poisson CDF of the OU state's jumps per step, and the
    premium model's interest and clamp (rates per interval)."""
    funding = scenario.market.funding
    intensity = funding.jump_intensity
    return FundingParams(
        kind=_FUNDING_MODELS[funding.model],
        jumps=intensity > 0.0,
        jump_cdf=_jump_count_cdf(intensity * scenario.dt_years),
        jump_mean=float(funding.jump_mean),
        jump_vol=float(funding.jump_vol),
        interest=float(funding.interest),
        clamp=float(funding.clamp),
    )


def shock_window(scenario: Scenario, day: float, hours: float) -> range:
    """Steps k whose start t_k lies in [day, day + hours / 24): validation makes both ends grid
    points inside the horizon."""
    first = round(day * 24.0 / scenario.step_hours)
    return range(first, first + round(hours / scenario.step_hours))


def shock_params(scenario: Scenario) -> ShockParams:
    """Per-step arrays of the scenario's shocks (length 0 when it has none). Overlapping windows
    compose: log moves add, volatility multipliers multiply (forced-funding windows cannot
    overlap)."""
    n = scenario.n_steps if scenario.shocks else 0
    log_move = np.zeros(n)
    vol_multiplier = np.ones(n)
    forced = np.full(n, np.nan)
    for shock in scenario.shocks:
        steps = shock_window(scenario, shock.day, shock.hours)
        if isinstance(shock, PriceShock):
            log_move[steps.start : steps.stop] += math.log1p(shock.move) / len(steps)
        elif isinstance(shock, VolShock):
            vol_multiplier[steps.start : steps.stop] *= shock.multiplier
        elif isinstance(shock, FundingShock):
            forced[steps.start : steps.stop] = shock.rate
    return ShockParams(log_move=log_move, vol_multiplier=vol_multiplier, forced_funding=forced)


def kernel_inputs(scenario: Scenario) -> KernelInputs:
    split = split_capital(scenario)
    return KernelInputs(
        market=market_params(scenario),
        pool=pool_params(scenario, split),
        hedge=hedge_params(scenario),
        grid=grid_params(scenario, split),
        manage=management_params(scenario),
        funding=funding_params(scenario),
        shocks=shock_params(scenario),
        options=option_params(scenario),
        venue=venue_params(scenario),
        lanes=supports(scenario),
    )
