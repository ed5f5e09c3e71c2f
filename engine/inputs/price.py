"""Kernel constants of the price process (`MarketParams`): the registered model's kernel code
and parameters (inert parameters for the fields of the other models), the common step's
diffusion and jumps, and the funding OU process's exact transition loads."""

from __future__ import annotations

import math
from typing import Any

from engine.kernels.market import MarketParams
from engine.modelmath.steps import diffusion_constants, jump_count_cdf, ou_loads
from engine.scenario.history import load_history
from engine.scenario.price import PriceSpec
from engine.scenario.price_models.base import StepContext
from engine.scenario.price_models.registry import PRICE_MODELS, price_model
from engine.scenario.root import Scenario


def step_context(scenario: Scenario) -> StepContext:
    """What the price model's builder reads besides `market.price`; the historical data are
    loaded here (once per process and file: `engine.history` caches them)."""
    funding = scenario.market.funding
    historical = price_model(scenario.market.price.model).historical
    return StepContext(
        dt_years=scenario.dt_years,
        step_hours=scenario.step_hours,
        funding_model=funding.model,
        funding_mean=funding.mean,
        history=load_history(scenario) if historical else None,
    )


def model_params(price: PriceSpec, step: StepContext) -> dict[str, Any]:
    """The `MarketParams` fields the registered models fill: the running model's parameters,
    and inert ones for the fields of the other models."""
    fields: dict[str, Any] = {}
    for model in PRICE_MODELS.values():
        if model.kernel_field is not None and model.inert is not None:
            fields.setdefault(model.kernel_field, model.inert(price, step))
    running = price_model(price.model)
    if running.kernel_field is not None and running.build is not None:
        section = price.section_of(running.name)
        fields[running.kernel_field] = running.build(price, section, step)
    return fields


def market_params(scenario: Scenario) -> MarketParams:
    """The price model's kernel code and step constants, and the funding OU process's exact
    transition loads (rates per funding interval)."""
    price, funding = scenario.market.price, scenario.market.funding
    dt = scenario.dt_years
    model = price_model(price.model)
    intensity = price.jump_intensity if model.step_jumps else 0.0
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
        model=model.kernel_code,
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
        **model_params(price, step_context(scenario)),
    )
