"""The whole calibration: read the data files, fit the price model and OU funding.

Price models (annualised, 365-day year; `dt` = the data's interval in years): `gbm`
(`engine.calibrate.gbm`), `merton` (`.merton`), `garch` (`.garch`) at the data's interval, and
`regime` (`.regime`) on returns over `regime_hours`. Funding: OU (`.funding`). The scenario they
make is written by `engine.calibrate.scenario_text`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from engine.calibrate.estimates import PriceFit
from engine.calibrate.funding import FundingFit, fit_funding, funding_stats
from engine.calibrate.garch import fit_garch
from engine.calibrate.gbm import fit_gbm
from engine.calibrate.merton import fit_merton
from engine.calibrate.regime import DEFAULT_HOURS, fit_regime
from engine.data import Series, read_funding, read_prices
from engine.errors import InputError

PRICE_MODELS = ("gbm", "merton", "garch", "regime")


@dataclass(frozen=True)
class Calibration:
    prices: Series
    price: PriceFit
    funding: Series | None = None
    funding_fit: FundingFit | None = None
    funding_stats: dict[str, float] | None = None

    @property
    def spot(self) -> float:
        """The last price of the data."""
        return float(self.prices.values[-1])


def fit_price(returns: np.ndarray, dt_years: float, model: str = "gbm") -> PriceFit:
    """Fit `model` (gbm, merton or garch) to log returns at interval dt_years (years)."""
    if model == "gbm":
        return fit_gbm(returns, dt_years)
    if model == "merton":
        return fit_merton(returns, dt_years)
    if model == "garch":
        return fit_garch(returns, dt_years)
    raise InputError("--model", model, "expected " + ", ".join(PRICE_MODELS))


def calibrate(
    prices_path: str | Path,
    funding_path: str | Path | None = None,
    model: str = "gbm",
    start: str | datetime | None = None,
    end: str | datetime | None = None,
    regime_hours: float | None = None,
) -> Calibration:
    """Read the files (rows in [start, end)), fit the price model and, with a funding file, OU
    funding (and, for `regime`, each regime's funding mean). `regime_hours`: the return interval
    of the regime fit (default 24 h; `engine.calibrate.regime`). Raises InputError on bad input."""
    if model not in PRICE_MODELS:
        raise InputError("--model", model, "expected " + ", ".join(PRICE_MODELS))
    if regime_hours is not None and model != "regime":
        raise InputError("--regime-hours", regime_hours, "is used only by --model regime")
    prices = read_prices(prices_path, start, end)
    funding = None if funding_path is None else read_funding(funding_path, start, end)
    if model == "regime":
        hours = DEFAULT_HOURS if regime_hours is None else float(regime_hours)
        if not hours > 0.0:
            raise InputError("--regime-hours", regime_hours, "must be positive")
        fit = fit_regime(prices, hours, funding)
    else:
        fit = fit_price(prices.log_returns(), prices.dt_years, model)
    if funding is None:
        return Calibration(prices, fit)
    return Calibration(prices, fit, funding, fit_funding(funding, prices), funding_stats(funding))
