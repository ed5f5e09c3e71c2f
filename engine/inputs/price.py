"""Kernel constants of the price models: GARCH(1,1), the regime chain, historical steps, and the
market's diffusion, jumps and funding OU constants (`MarketParams`)."""

from __future__ import annotations

import math

import numpy as np

from engine.kernels.garch import GARCH, GarchParams
from engine.kernels.history import BOOTSTRAP, REPLAY, HistoryParams
from engine.kernels.market import GBM, MERTON, MarketParams
from engine.kernels.regime import REGIME, RegimeParams
from engine.modelmath.markov import cumulative, stationary_law, transition_matrix
from engine.modelmath.steps import diffusion_constants, jump_count_cdf, ou_loads
from engine.scenario.history import load_history
from engine.scenario.price import HISTORICAL_MODELS, generator_matrix
from engine.scenario.root import Scenario

_PRICE_MODELS = {
    "gbm": GBM,
    "merton": MERTON,
    "garch": GARCH,
    "regime": REGIME,
    "bootstrap": BOOTSTRAP,
    "replay": REPLAY,
}


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
            diffusion_constants(
                value["drift"],
                value["vol"],
                value["jump_intensity"],
                value["jump_mean"],
                value["jump_vol"],
                dt,
            )
        )
        cdfs.append(jump_count_cdf(value["jump_intensity"] * dt))
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
        transition_cdf=cumulative(transition_matrix(q, dt)),
        initial_cdf=cumulative(law),
        jumps=bool(any(price.regime_value(s, "jump_intensity") > 0.0 for s in states)),
        switching=len(states) > 1,
        draw_initial=price.regime.initial == "stationary" and len(states) > 1,
    )


def history_params(scenario: Scenario) -> HistoryParams:
    """The aligned historical steps (`engine.scenario.history.load_history`) for bootstrap and
    replay; inert otherwise."""
    price = scenario.market.price
    if price.model not in HISTORICAL_MODELS:
        return HistoryParams(np.zeros(1), np.zeros(1), np.zeros(1), 0.0, False)
    history = load_history(scenario)
    return HistoryParams(
        log_return=history.log_return,
        log_high=history.log_high,
        funding=history.funding,
        restart=scenario.step_hours / price.history.mean_block_hours,
        from_data=scenario.market.funding.model == "historical",
    )


def market_params(scenario: Scenario) -> MarketParams:
    """The price model's kernel code and step constants, and the funding OU process's exact
    transition loads (rates per funding interval)."""
    price, funding = scenario.market.price, scenario.market.funding
    dt = scenario.dt_years
    intensity = price.jump_intensity if price.model == "merton" else 0.0
    log_drift, diffusion, bridge_scale = diffusion_constants(
        price.drift, price.vol, intensity, price.jump_mean, price.jump_vol, dt
    )
    if funding.model in ("ou", "premium"):  # premium: the OU process is the premium's
        initial, mean = funding.initial_rate, funding.mean
        decay, load_price, load_own = ou_loads(
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
        jump_cdf=jump_count_cdf(intensity * dt),
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
