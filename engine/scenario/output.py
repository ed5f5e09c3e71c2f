"""`output`: what is kept besides the per-path summaries."""

from __future__ import annotations

from pydantic import Field

from engine.scenario.base import Spec


class OutputSpec(Spec):
    """What is kept besides the per-path summaries: a sample of whole paths on a coarse grid."""

    sample_paths: int = Field(200, ge=0)
    observe_every_hours: float = Field(24.0, gt=0.0)
