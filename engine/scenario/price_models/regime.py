"""`regime`: a continuous-time Markov chain over named regimes, each with its own drift, vol,
Merton jumps and funding mean (docs/model-notes.md, price models). Its section is
`market.price.regime`; the per-step transition matrix is the exact exp(Q dt)."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field

from engine.kernels.regime import REGIME, RegimeParams
from engine.modelmath.markov import cumulative, generator, stationary_law, transition_matrix
from engine.modelmath.steps import diffusion_constants, jump_count_cdf
from engine.scenario.base import Spec
from engine.scenario.funding import FundingSpec
from engine.scenario.price_models.base import CommonPriceSpec, PriceModel, StepContext

_INHERITED = ("drift", "vol", "jump_intensity", "jump_mean", "jump_vol")


class RegimeStateSpec(Spec):
    """One regime of the `regime` model. A parameter left null takes the value of the same key in
    `market.price` (drift, vol, jumps) or `market.funding` (funding_mean)."""

    drift: float | None = None
    """Annualised drift mu in this regime (E[P] grows at mu while the regime lasts)."""
    vol: float | None = Field(None, ge=0.0)
    """Annualised diffusive vol in this regime."""
    jump_intensity: float | None = Field(None, ge=0.0)
    """Merton jumps per year in this regime."""
    jump_mean: float | None = None
    jump_vol: float | None = Field(None, ge=0.0)
    funding_mean: float | None = None
    """Long-run OU funding rate (per funding interval) while this regime lasts."""
    stressed: bool = False
    """Counted in the per-path output `stressed_share` (fraction of steps in stressed regimes)."""
    transitions: dict[str, Annotated[float, Field(ge=0.0)]] = Field(default_factory=dict)
    """Intensity per year of a switch to each named regime (an absent regime: 0)."""


class RegimeSpec(Spec):
    """Markov chain over named regimes (model `regime`). The per-step transition matrix is the
    exact exp(Q dt) of the generator Q built from the intensities."""

    initial: str = "stationary"
    """Regime at t = 0: a regime name, or `stationary` (drawn from the chain's stationary law)."""
    states: dict[str, RegimeStateSpec] = Field(default_factory=dict)
    """The regimes by name; their index (the `regime` field of sampled paths) is the
    alphabetical order of the names."""

    @property
    def names(self) -> list[str]:
        """The regimes in index order: alphabetical (a resolved scenario's JSON sorts its keys,
        so the order written in the file could not survive a round trip)."""
        return sorted(self.states)


def regime_generator(regime: RegimeSpec) -> np.ndarray:
    """The chain's generator Q (per year): Q[i, j] the intensity of a switch i -> j, rows
    summing to 0; regimes in index order (`RegimeSpec.names`, alphabetical)."""
    states = regime.states
    return generator(regime.names, {name: states[name].transitions for name in states})


def regime_value(price: CommonPriceSpec, state: RegimeStateSpec, key: str) -> float:
    """A regime's parameter, or the price's own when the regime leaves it null."""
    value = getattr(state, key)
    return float(getattr(price, key) if value is None else value)


def check(price: CommonPriceSpec, regime: RegimeSpec) -> None:
    """At least one regime, switches only to other named regimes, a valid initial regime, and a
    unique stationary law when the chain starts from it."""
    states = regime.states
    if not states:
        raise ValueError("regime.states = {}: the regime model needs at least one regime")
    if "stationary" in states:
        raise ValueError("regime.states.stationary = {...}: `stationary` is a reserved name")
    for name, state in states.items():
        for target in state.transitions:
            if target not in states:
                raise ValueError(
                    f"regime.states.{name}.transitions.{target} = "
                    f"{state.transitions[target]!r}: no regime named {target!r} "
                    f"(regimes: {', '.join(states)})"
                )
            if target == name:
                raise ValueError(
                    f"regime.states.{name}.transitions.{target} = "
                    f"{state.transitions[target]!r}: a regime cannot switch to itself"
                )
    initial = regime.initial
    if initial != "stationary" and initial not in states:
        raise ValueError(
            f"regime.initial = {initial!r}: no regime of that name "
            f"(regimes: {', '.join(states)}; or stationary)"
        )
    if initial == "stationary" and len(states) > 1:
        if stationary_law(regime_generator(regime)) is None:
            raise ValueError(
                "regime.initial = 'stationary': the chain has no unique stationary law (some "
                "regimes cannot be reached from the others); name the initial regime"
            )


def check_funding(price: CommonPriceSpec, regime: RegimeSpec, funding: FundingSpec) -> None:
    """A regime's own funding mean moves the mean of an OU process: it needs one."""
    if funding.model not in ("ou", "premium"):
        for name, state in regime.states.items():
            if state.funding_mean is not None:
                raise ValueError(
                    f"price.regime.states.{name}.funding_mean = {state.funding_mean!r}: "
                    f"a regime's funding mean needs funding model ou or premium (it is {funding.model})"
                )


def _jump_cdfs(price: CommonPriceSpec, states: list[RegimeStateSpec], dt: float) -> np.ndarray:
    """(n_regimes, width) CDFs of the jump count per step, padded with 1."""
    cdfs = [jump_count_cdf(regime_value(price, s, "jump_intensity") * dt) for s in states]
    width = max(len(c) for c in cdfs)
    jump_cdf = np.ones((len(states), width))
    for i, cdf in enumerate(cdfs):
        jump_cdf[i, : len(cdf)] = cdf
    return jump_cdf


def kernel_params(price: CommonPriceSpec, regime: RegimeSpec, step: StepContext) -> RegimeParams:
    """Per-regime step constants, the per-step transition CDFs and the initial law's CDF."""
    dt = step.dt_years
    names = regime.names
    states = [regime.states[name] for name in names]
    constants = []
    for state in states:
        value = {key: regime_value(price, state, key) for key in _INHERITED}
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
    q = regime_generator(regime)
    if regime.initial == "stationary":
        law = stationary_law(q)
        assert law is not None  # validated by `check`
    else:
        law = np.zeros(len(states))
        law[names.index(regime.initial)] = 1.0
    mean = step.funding_mean if step.funding_model in ("ou", "premium") else 0.0
    return RegimeParams(
        log_drift=np.array([c[0] for c in constants]),
        diffusion=np.array([c[1] for c in constants]),
        bridge_scale=np.array([c[2] for c in constants]),
        jump_cdf=_jump_cdfs(price, states, dt),
        jump_mean=np.array([regime_value(price, s, "jump_mean") for s in states]),
        jump_vol=np.array([regime_value(price, s, "jump_vol") for s in states]),
        funding_mean=np.array(
            [mean if s.funding_mean is None else float(s.funding_mean) for s in states]
        ),
        stressed=np.array([1.0 if s.stressed else 0.0 for s in states]),
        transition_cdf=cumulative(transition_matrix(q, dt)),
        initial_cdf=cumulative(law),
        jumps=bool(any(regime_value(price, s, "jump_intensity") > 0.0 for s in states)),
        switching=len(states) > 1,
        draw_initial=regime.initial == "stationary" and len(states) > 1,
    )


def inert_params(price: CommonPriceSpec, step: StepContext) -> RegimeParams:
    """For the other models: one inert regime (the market's own constants are used)."""
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
        initial_cdf=np.ones(1),
        jumps=False,
        switching=False,
        draw_initial=False,
    )


MODEL = PriceModel(
    name="regime",
    kernel_code=REGIME,
    section="regime",
    jumps=True,
    check=check,
    check_funding=check_funding,
    kernel_field="regime",
    build=kernel_params,
    inert=inert_params,
)
