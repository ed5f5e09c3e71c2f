"""Error types shared by the API and the command line.

`InputError` is the one exception that means "the user's input is wrong": the command line turns it
into a single line on stderr and exit code 2. Anything else escaping the engine is an internal error
(exit code 1).
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input: a scenario field, a command-line value or a data file.

    The message names the field (dotted path) and the offending value.
    """

    def __init__(
        self, field: str, value: object, reason: str, *, message: str | None = None
    ) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        if message is None:
            message = f"{field} = {value!r}: {reason}" if field else reason
        super().__init__(message)


QUOTED_PREFIX = 60
"""Characters of a user's value quoted in an error message."""


def short(text: str) -> str:
    """At most `QUOTED_PREFIX` characters of `text`, marked when cut: what an error message
    quotes of a value that may be long (a file's line, a YAML value, an address)."""
    return text if len(text) <= QUOTED_PREFIX else text[:QUOTED_PREFIX] + "..."
