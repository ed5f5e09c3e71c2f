"""HTML pieces of the report: escaping, figures, key-value tables, intervals and probabilities.

Numbers are formatted by `engine.formatting` (the terminal's rules); these helpers only wrap them
in markup. Every piece of user text goes through `esc`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from engine.formatting import money_interval, num, pct, pct_interval


def esc(x: object) -> str:
    """HTML-escape any value (quotes too)."""
    return html.escape(str(x), quote=True)


def num_or_text(x: object) -> str:
    """A stored number in its shortest form (90.0 -> 90); anything else escaped."""
    return num(float(x)) if isinstance(x, int | float | np.number) else esc("?" if x is None else x)


def _ci(text: str) -> str:
    return f'<span class="ci">95 % CI {text}</span>'


def ci_money(low: float | None, high: float | None) -> str:
    """A money amount's 95 % interval, as a small grey note."""
    return _ci(money_interval(low, high))


def ci_pct(low: float | None, high: float | None) -> str:
    """A probability's 95 % interval, as a small grey note."""
    return _ci(pct_interval(low, high))


def prob(p: Mapping[str, Any]) -> str:
    """A probability (`engine.risk.proportion`) with its Wilson interval."""
    return f"{pct(p['p'])} {ci_pct(p['ci'][0], p['ci'][1])}"


def img(png: str, alt: str) -> str:
    """An embedded PNG (base64 text)."""
    return f"<img alt='{esc(alt)}' src='data:image/png;base64,{png}'>"


def kv_table(rows: Sequence[tuple[str, str]]) -> str:
    """A two-column table: escaped labels, value HTML as given."""
    body = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<table class='kv'>{body}</table>"
