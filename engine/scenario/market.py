"""`market`: the spot price, the price process and the funding rate, and their agreement."""

from __future__ import annotations

from pydantic import Field, model_validator

from engine.scenario.base import Spec
from engine.scenario.funding import FundingSpec
from engine.scenario.price import PriceSpec
from engine.scenario.price_models.registry import HISTORICAL_MODELS, price_model


class MarketSpec(Spec):
    """The market: the spot price at t = 0, the price process and the funding rate."""

    spot: float = Field(3000.0, gt=0.0)
    """Initial price P0, quote units per unit of the risky asset."""
    price: PriceSpec = PriceSpec()
    funding: FundingSpec = FundingSpec()

    @model_validator(mode="after")
    def _price_and_funding_agree(self) -> MarketSpec:
        price, funding = self.price, self.funding
        historical_price = price.model in HISTORICAL_MODELS
        if funding.model == "historical":
            if not historical_price:
                raise ValueError(
                    "funding.model = 'historical': needs market.price.model bootstrap or "
                    f"replay (the model is {price.model})"
                )
            if price.history.funding is None:
                raise ValueError(
                    "funding.model = 'historical': needs a funding CSV in "
                    "market.price.history.funding"
                )
        if price.history.funding is not None and funding.model != "historical":
            raise ValueError(
                f"price.history.funding = {price.history.funding!r}: used only by "
                f"market.funding.model: historical (the model is {funding.model})"
            )
        if (
            historical_price
            and funding.model in ("ou", "premium")
            and funding.corr_with_price != 0.0
        ):
            raise ValueError(
                f"funding.corr_with_price = {funding.corr_with_price!r}: {funding.model} funding "
                "(an OU process) cannot be "
                f"correlated with historical returns ({price.model}); use funding model "
                "historical, or corr_with_price: 0"
            )
        model = price_model(price.model)
        if model.check_funding is not None:
            model.check_funding(price, price.section_of(price.model), funding)
        return self
