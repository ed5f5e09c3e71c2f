"""The one table printer of the benchmark's report, and its `median [min, max]` figures."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns two spaces apart, indented by two: the first left-aligned, the others
    right-aligned, a rule of dashes under the headers."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    lines = [line(headers), "  ".join("-" * w for w in widths), *(line(row) for row in rows)]
    return "\n".join("  " + text for text in lines)


def spread(s: dict[str, Any], fmt: str, scale: float = 1.0) -> str:
    """A summary (`benchmarks.timing.summary`) as `median [min, max]`, each times `scale`."""
    return f"{s['median'] * scale:{fmt}} [{s['min'] * scale:{fmt}}, {s['max'] * scale:{fmt}}]"
