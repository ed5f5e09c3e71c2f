"""Base of every scenario section, and the units shared by the sections."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

HOURS_PER_YEAR = 8760.0


class Spec(BaseModel):
    """Base of every scenario section: frozen, unknown keys rejected, no NaN or infinity, no
    silent coercion of strings into numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
