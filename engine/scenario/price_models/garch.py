"""`garch`: GARCH(1,1) on the per-step log-return with Student-t innovations; `market.price.vol`
is the long-run vol (docs/model-notes.md, price models). Its section is `market.price.garch`."""

from __future__ import annotations

from pydantic import Field, model_validator

from engine.kernels.garch import GARCH, GarchParams
from engine.scenario.base import Spec
from engine.scenario.price_models.base import CommonPriceSpec, PriceModel, StepContext


class GarchSpec(Spec):
    """GARCH(1,1) on the per-step log-return (model `garch`; docs/model-notes.md, price models).

    The step's variance is h_k = vol^2 dt x v_k with v_{k+1} = (1 - alpha - beta) + alpha v_k e_k^2
    + beta v_k, e_k the step's unit-variance innovation: `market.price.vol` is the long-run
    (unconditional) annualised vol. alpha and beta are per simulation step (per `step_hours`): a
    fit at another frequency does not carry over unchanged.
    """

    alpha: float = Field(0.05, ge=0.0)
    """Weight of the last squared innovation (per step, dimensionless)."""
    beta: float = Field(0.90, ge=0.0)
    """Weight of the last variance (per step, dimensionless); alpha + beta < 1."""
    dof: float | None = Field(None, gt=2.0)
    """Student-t degrees of freedom nu of the innovations, scaled to unit variance; null: normal."""
    initial_vol: float | None = Field(None, gt=0.0)
    """Annualised vol of the first step, sqrt(h_0 / dt); null: the long-run `vol`."""

    @model_validator(mode="after")
    def _stationary(self) -> GarchSpec:
        if self.alpha + self.beta >= 1.0:
            raise ValueError(
                f"alpha = {self.alpha!r}: alpha + beta = {self.alpha + self.beta!r} must be below "
                "1 (a finite long-run variance)"
            )
        return self


def check(price: CommonPriceSpec, spec: GarchSpec) -> None:
    """The long-run vol scales every step's variance: it must be positive."""
    if price.vol <= 0.0:
        raise ValueError(f"vol = {price.vol!r}: garch needs a positive long-run vol")


def kernel_params(price: CommonPriceSpec, spec: GarchSpec, step: StepContext) -> GarchParams:
    """GARCH(1,1) constants on the variance ratio v = h / hbar, hbar = vol^2 dt."""
    dof = float(spec.dof) if spec.dof is not None else 0.0
    initial = 1.0
    if spec.initial_vol is not None:
        initial = (spec.initial_vol / price.vol) ** 2
    return GarchParams(
        alpha=float(spec.alpha),
        beta=float(spec.beta),
        intercept=1.0 - spec.alpha - spec.beta,
        dof=dof,
        gamma_shape=0.5 * dof,
        t_scale=0.5 * (dof - 2.0) if dof else 0.0,
        initial_ratio=initial,
        half_variance=0.5 * price.vol**2 * step.dt_years,
    )


def inert_params(price: CommonPriceSpec, step: StepContext) -> GarchParams:
    """For the other models: the variance ratio v stays 1."""
    return GarchParams(
        alpha=0.0,
        beta=0.0,
        intercept=1.0,
        dof=0.0,
        gamma_shape=0.0,
        t_scale=0.0,
        initial_ratio=1.0,
        half_variance=0.5 * price.vol**2 * step.dt_years,
    )


MODEL = PriceModel(
    name="garch",
    kernel_code=GARCH,
    section="garch",
    check=check,
    kernel_field="garch",
    build=kernel_params,
    inert=inert_params,
)
