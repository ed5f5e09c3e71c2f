"""Historical (log-return, funding) pairs for the `bootstrap` and `replay` price models.

The price CSV is read with `engine.data.read_prices` (its `high` column too when the scenario's
`history.intrabar` is `high`), the funding CSV with `engine.data.read_funding`. Conventions
(docs/model-notes.md, historical price models):

- A price row stamped T is the bar [T, T + interval); its close is the price at T + interval.
- A return runs between the prices of two rows exactly one interval apart (across a gap there is
  no return). Its `log_high` is ln(high / close) of the bar that ends it: the price's maximum over
  the step, relative to the step's end price.
- A return over (a, b] is paired with the funding rate in force over it: the first settlement s at
  or after b, provided s - funding interval <= a (settlements pay for the interval that ends at
  their timestamp). Returns with no rate in force are dropped when a funding file is used.
- `start` / `end` keep the returns with a >= start and b <= end.

Every problem is an `InputError` naming the scenario key and its value. Loaded data are cached per
(file, size, modification time, window), so sweeps and dask tasks read each file once per process.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from engine.data import Series, iso, parse_time, read_column, read_funding, read_prices
from engine.errors import InputError

PRICES_KEY = "market.price.history.prices"
FUNDING_KEY = "market.price.history.funding"


@dataclass(frozen=True)
class History:
    """Aligned historical steps, in time order.

    log_return[i]: ln(P_b / P_a) over the step (a, b]; log_high[i]: ln(high / P_b) >= 0 (0 when the
    intrabar maximum is not used); funding[i]: the rate in force over the step, per funding interval
    (0 without a funding file); starts[i], ends[i]: a and b, epoch seconds; first_price: the price
    at starts[0]. interval_hours: the price data's step; funding_interval_hours: the funding file's
    interval (0 without one).
    """

    log_return: np.ndarray
    log_high: np.ndarray
    funding: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    first_price: float
    interval_hours: float
    funding_interval_hours: float

    def __len__(self) -> int:
        return len(self.log_return)

    @property
    def follows(self) -> np.ndarray:
        """Mask over steps 1..n-1: True where step i starts where step i - 1 ended."""
        return self.starts[1:] == self.ends[:-1]


def _stamp(path: str) -> tuple[int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return (-1, -1)
    return (st.st_size, st.st_mtime_ns)


def _reraised(key: str, path: str, exc: InputError) -> InputError:
    """The reader's error under the scenario key (its own field when that is not just the file)."""
    if exc.field in ("prices", "funding", "high") and exc.value == path:
        return InputError(key, path, exc.reason)
    return InputError(key, path, str(exc))


@functools.lru_cache(maxsize=16)
def _aligned(
    prices: str,
    funding: str | None,
    start: str | None,
    end: str | None,
    intrabar_high: bool,
    _stamps: tuple[tuple[int, int], ...],
) -> History:
    try:
        close = read_prices(prices)
        high = read_column(prices, "high", "prices", positive=True) if intrabar_high else None
    except InputError as exc:
        raise _reraised(PRICES_KEY, prices, exc) from None
    step = close.interval_seconds
    price_time = close.times + step
    keep = close.consecutive
    a, b = price_time[:-1][keep], price_time[1:][keep]
    log_close = np.log(close.values)
    log_return = np.diff(log_close)[keep]
    first_close = close.values[:-1][keep]
    if high is not None:
        if np.any(high.values < close.values):
            bad = int(np.argmax(high.values < close.values))
            raise InputError(
                PRICES_KEY,
                prices,
                f"high {high.values[bad]!r} below close {close.values[bad]!r} in the row stamped "
                f"{iso(datetime.fromtimestamp(int(close.times[bad]), UTC))}",
            )
        log_high = np.log(high.values / close.values)[1:][keep]
    else:
        log_high = np.zeros(len(log_return))
    window = np.ones(len(log_return), dtype=bool)
    if start is not None:
        window &= a >= int(parse_time(start).timestamp())
    if end is not None:
        window &= b <= int(parse_time(end).timestamp())
    rate = np.zeros(len(log_return))
    funding_hours = 0.0
    if funding is not None:
        try:
            series: Series = read_funding(funding)
        except InputError as exc:
            raise _reraised(FUNDING_KEY, funding, exc) from None
        funding_hours = series.interval_hours
        idx = np.searchsorted(series.times, b, side="left")
        inside = idx < len(series.times)
        idx_c = np.minimum(idx, len(series.times) - 1)
        inside &= series.times[idx_c] - series.interval_seconds <= a
        window &= inside
        rate = series.values[idx_c]
    if np.count_nonzero(window) < 2:
        where = f"{start or 'the start'} to {end or 'the end'}"
        raise InputError(
            PRICES_KEY,
            prices,
            f"fewer than 2 returns{' with a funding rate in force' if funding else ''} "
            f"in {where} (the prices cover {close.describe_range()})",
        )
    return History(
        log_return=log_return[window],
        log_high=log_high[window],
        funding=rate[window],
        starts=a[window],
        ends=b[window],
        first_price=float(first_close[window][0]),
        interval_hours=close.interval_hours,
        funding_interval_hours=funding_hours,
    )


def read_history(
    prices: str, funding: str | None, start: str | None, end: str | None, intrabar_high: bool
) -> History:
    """The aligned historical steps of a price CSV (its `high` column too with `intrabar_high`)
    and an optional funding CSV, restricted to [start, end] (ISO dates or date-times, UTC).
    Cached per (file, size, modification time, window). Raises `InputError` under the scenario
    keys `market.price.history.prices` / `.funding`."""
    paths = [prices] + ([funding] if funding is not None else [])
    return _aligned(prices, funding, start, end, intrabar_high, tuple(_stamp(p) for p in paths))
