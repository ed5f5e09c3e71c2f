"""`market.funding`: the perpetual's funding-rate process."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from engine.scenario.base import Spec


class FundingSpec(Spec):
    """Perpetual funding rate, per funding interval, as a fraction (0.0001 = 0.01 %).

    Every rate-valued key (`initial`, `mean`, `jump_mean`, `jump_vol`, `interest`, `clamp`, `cap`)
    is per funding interval of `interval_hours`; `vol` is in those rate units per sqrt(year). So a
    rate means the same cash per settlement whatever the interval: changing `interval_hours` from
    8 to 1 with the same keys pays 8 times as much per day. For the same daily carry divide the
    rate-valued keys by 8 (Binance scales the 0.01 % interest and the clamp the same way).

    `ou`: Ornstein-Uhlenbeck `df = reversion (mean - f) dt + vol dB + dJ`,
    corr(dB, dW) = corr_with_price, J compound Poisson (`jump_*`; none by default);
    `premium`: the exchange formula `f = p + clamp(interest - p, -clamp, +clamp)` on a premium p
    that follows that OU process (its `initial`, `mean`, `reversion`, `vol`, `corr_with_price` and
    `jump_*`); `constant`: the rate stays at `initial` (which defaults to `mean`); `none`: no
    funding; `historical`: the rate drawn with each historical return (price models bootstrap and
    replay, with `market.price.history.funding`). The paid rate is then clamped to [-cap, +cap] in
    every model.
    """

    model: Literal["ou", "constant", "none", "premium", "historical"] = "ou"
    interval_hours: float = Field(8.0, gt=0.0)
    """Hours between settlements (8: most exchanges; 1: e.g. hourly-funded contracts)."""
    initial: float | None = None
    """Rate at t = 0 (`premium`: the premium at t = 0); defaults to `mean`."""
    mean: float = 0.0001
    """Long-run rate theta per interval (0.01 % per 8 h, the usual exchange baseline);
    `premium`: the long-run premium."""
    reversion: float = Field(50.0, ge=0.0)
    """Mean-reversion speed kappa per year (50/yr: a half-life of about 5 days)."""
    vol: float = Field(0.003, ge=0.0)
    """OU volatility eta, rate units per sqrt(year); stationary sd = vol / sqrt(2 reversion)."""
    corr_with_price: float = Field(0.3, ge=-1.0, le=1.0)
    cap: float | None = Field(0.004, gt=0.0)
    """Each paid rate is clamped to [-cap, +cap]; null for no cap."""
    jump_intensity: float = Field(0.0, ge=0.0)
    """`ou` / `premium`: expected number of jumps of the OU state per year (0: no jumps)."""
    jump_mean: float = 0.0
    """`ou` / `premium`: mean jump of the OU state, rate units per interval."""
    jump_vol: float = Field(0.0, ge=0.0)
    """`ou` / `premium`: standard deviation of one jump, rate units per interval."""
    interest: float = 0.0001
    """`premium`: the interest component, per interval (Binance: 0.01 % per 8 h)."""
    clamp: float = Field(0.0005, ge=0.0)
    """`premium`: half-width c of the clamp on interest - premium, per interval (0.05 %)."""

    @model_validator(mode="after")
    def _keys_need_their_model(self) -> FundingSpec:
        if self.jump_intensity > 0.0 and self.model not in ("ou", "premium"):
            raise ValueError(
                f"jump_intensity = {self.jump_intensity!r}: funding jumps need "
                "market.funding.model: ou or premium"
            )
        if self.model != "premium":
            for key in ("interest", "clamp"):
                value = getattr(self, key)
                if value != FundingSpec.model_fields[key].default:
                    raise ValueError(
                        f"{key} = {value!r}: used only by market.funding.model: premium"
                    )
        return self

    @property
    def initial_rate(self) -> float:
        return self.mean if self.initial is None else self.initial
