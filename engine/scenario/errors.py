"""Validation errors of the schema (pydantic's `ValidationError`) as one `InputError` that names
each offending field by its dotted key and value: `field = value: reason; ...`."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from engine.errors import InputError

# Lists of tagged unions: pydantic names a member's tag after its index (shocks.0.price.move);
# errors drop it (shocks.0.move).
_TAGGED_LISTS = {"shocks"}


def _error_location(err: Any) -> tuple[list[str], Any]:
    """The dotted location of one pydantic error, and the offending value."""
    raw, value = list(err["loc"]), err["input"]
    loc = [
        str(p)
        for i, p in enumerate(raw)
        if not (i >= 2 and isinstance(raw[i - 1], int) and raw[i - 2] in _TAGGED_LISTS)
    ]
    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
        key = str(err["ctx"]["discriminator"]).strip("'")
        loc.append(key)
        value = value.get(key) if isinstance(value, dict) else value
    elif err["type"] == "missing":
        value = None
    return loc, value


def input_error(exc: ValidationError) -> InputError:
    """The `InputError` of a failed validation: every error, the first one's field and value."""
    messages = []
    first_field, first_value = "", None
    for err in exc.errors():
        loc, value = _error_location(err)
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
            # model-level checks name their own field first: "field = value: reason"
            head, _, rest = msg.partition(" = ")
            if rest and " " not in head:
                loc.append(head)
                messages.append(f"{'.'.join(loc)} = {rest}")
                first_field = first_field or ".".join(loc)
                continue
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        field = ".".join(loc)
        messages.append(f"{field} = {value!r}: {msg}")
        if not first_field:
            first_field, first_value = field, value
    return InputError(first_field, first_value, "invalid scenario", message="; ".join(messages))
