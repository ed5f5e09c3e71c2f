"""Calibration of the engine's market models to historical data, with standard errors.

Floors, lowest first: `estimates` (estimates, numerical derivatives, return checks); one module
per fitted model (`gbm`, `merton`, `garch`, `regime`, `funding`); `calibration` (data files ->
fits) and `scenario_text` (fits -> a ready-to-run scenario) on top.
"""

from engine.calibrate.calibration import PRICE_MODELS, Calibration, calibrate, fit_price
from engine.calibrate.estimates import Estimate, PriceFit
from engine.calibrate.funding import FundingFit, fit_funding, fit_ou, funding_stats
from engine.calibrate.garch import fit_garch
from engine.calibrate.gbm import fit_gbm
from engine.calibrate.merton import fit_merton
from engine.calibrate.regime import fit_regime
from engine.calibrate.scenario_text import calibrated_scenario, scenario_yaml

__all__ = [
    "PRICE_MODELS",
    "Calibration",
    "Estimate",
    "FundingFit",
    "PriceFit",
    "calibrate",
    "calibrated_scenario",
    "fit_funding",
    "fit_garch",
    "fit_gbm",
    "fit_merton",
    "fit_ou",
    "fit_price",
    "fit_regime",
    "funding_stats",
    "scenario_yaml",
]
