"""Scenario files: the schema, its defaults, loading, dotted-key overrides and sweeps.

A scenario is a YAML mapping validated into a frozen `Scenario`. Every key has a default, and the
defaults *are* the built-in default scenario (`scenarios/default.yaml` spells them out). Units follow
MODEL.md: prices and money in quote units (USD), annualised rates per 365-day year, funding rates per
funding interval as a fraction.

Validation errors are raised as `InputError` with the dotted field name and the offending value.
The schema (one module per section, `root.Scenario` on top) reads no files; `load` does.
"""

from engine.scenario.base import HOURS_PER_YEAR, Spec
from engine.scenario.funding import FundingSpec
from engine.scenario.hedge import TIER_AMOUNT_TOLERANCE, HedgeSpec, RebalanceSpec, TierSpec
from engine.scenario.history import load_history
from engine.scenario.instruments.management import GasSpec, MarginSpec, RerangeSpec
from engine.scenario.instruments.options import ImpliedVolSpec, OptionsSpec
from engine.scenario.instruments.registry import INSTRUMENTS
from engine.scenario.instruments.venue import AdlSpec, CoverSpec, VenueRiskSpec, VenueSpec
from engine.scenario.load import (
    DATA_PATH_KEYS,
    load_scenario,
    read_scenario_file,
    resolve_data_paths,
    resolve_scenario_path,
    shipped_scenarios,
    shipped_scenarios_dir,
    validate_scenario,
)
from engine.scenario.market import MarketSpec
from engine.scenario.output import OutputSpec
from engine.scenario.overrides import apply_overrides, parse_override
from engine.scenario.pool import FeesSpec, PoolSpec, RangeSpec
from engine.scenario.price import PriceSpec
from engine.scenario.price_models.garch import GarchSpec
from engine.scenario.price_models.historical import HistorySpec
from engine.scenario.price_models.regime import RegimeSpec, RegimeStateSpec
from engine.scenario.price_models.registry import HISTORICAL_MODELS, PRICE_MODELS
from engine.scenario.root import Scenario
from engine.scenario.shocks import FundingShock, PriceShock, Shock, VolShock
from engine.scenario.sweep import SWEEP_FORBIDDEN, parse_grid, point_key, sweep_points
from engine.scenario.validate import validate_point

__all__ = [
    "DATA_PATH_KEYS",
    "HISTORICAL_MODELS",
    "HOURS_PER_YEAR",
    "INSTRUMENTS",
    "PRICE_MODELS",
    "SWEEP_FORBIDDEN",
    "TIER_AMOUNT_TOLERANCE",
    "AdlSpec",
    "CoverSpec",
    "FeesSpec",
    "FundingShock",
    "FundingSpec",
    "GarchSpec",
    "GasSpec",
    "HedgeSpec",
    "HistorySpec",
    "ImpliedVolSpec",
    "MarginSpec",
    "MarketSpec",
    "OptionsSpec",
    "OutputSpec",
    "PoolSpec",
    "PriceShock",
    "PriceSpec",
    "RangeSpec",
    "RebalanceSpec",
    "RegimeSpec",
    "RegimeStateSpec",
    "RerangeSpec",
    "Scenario",
    "Shock",
    "Spec",
    "TierSpec",
    "VenueRiskSpec",
    "VenueSpec",
    "VolShock",
    "apply_overrides",
    "load_history",
    "load_scenario",
    "parse_grid",
    "parse_override",
    "point_key",
    "read_scenario_file",
    "resolve_data_paths",
    "resolve_scenario_path",
    "shipped_scenarios",
    "shipped_scenarios_dir",
    "sweep_points",
    "validate_point",
    "validate_scenario",
]
