"""Historical market data: readers for price and funding-rate CSV files, with validation.

A price file has a `timestamp` column and a `close` column (other columns, e.g. open/high/low/volume,
are ignored); a funding file has `timestamp` and `funding_rate` (per funding interval, a fraction).
Timestamps are ISO-8601 (`2020-01-01T00:00:00Z`; a value without a zone is read as UTC; a date alone
is midnight UTC).

Every problem is an `InputError` naming the file, the line and column, and the value: a missing or
empty file, a missing column, an unparsable timestamp or number, NaN or infinity, timestamps not in
strictly increasing order (unsorted or duplicate), a price that is not positive.

Gaps are not errors: the file's regular interval is the most common spacing of its timestamps, and
a pair of consecutive rows further apart (or closer) than that is a *gap*. Returns and AR(1) pairs are
built only from rows exactly one interval apart (`Series.consecutive`); the number of pairs dropped
is reported (`Series.gaps`). Rows are never filled or interpolated.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

from engine.errors import InputError

PRICE_COLUMN = "close"
FUNDING_COLUMN = "funding_rate"
TIME_COLUMN = "timestamp"
SECONDS_PER_HOUR = 3600
HOURS_PER_YEAR = 8760.0


@dataclass(frozen=True)
class Series:
    """A validated time series from one file, restricted to the requested date range.

    `times` are UTC epoch seconds (int64, strictly increasing); `values` the column's numbers.
    """

    path: Path
    column: str
    times: np.ndarray
    values: np.ndarray
    interval_seconds: int
    """The file's regular spacing: the most common difference of consecutive timestamps."""

    def __len__(self) -> int:
        return len(self.values)

    @property
    def interval_hours(self) -> float:
        return self.interval_seconds / SECONDS_PER_HOUR

    @property
    def dt_years(self) -> float:
        return self.interval_hours / HOURS_PER_YEAR

    @property
    def consecutive(self) -> np.ndarray:
        """Mask over the len - 1 pairs (i, i + 1): True where the rows are one interval apart."""
        return np.diff(self.times) == self.interval_seconds

    @property
    def gaps(self) -> int:
        """Pairs of consecutive rows that are not one interval apart (dropped from returns)."""
        return int(np.count_nonzero(~self.consecutive))

    @property
    def missing_intervals(self) -> int:
        """Intervals missing inside the gaps (rows absent between the first and last)."""
        d = np.diff(self.times)
        longer = d[d > self.interval_seconds]
        return int(np.sum(longer // self.interval_seconds - 1))

    @property
    def start(self) -> datetime:
        return datetime.fromtimestamp(int(self.times[0]), UTC)

    @property
    def end(self) -> datetime:
        return datetime.fromtimestamp(int(self.times[-1]), UTC)

    def log_returns(self) -> np.ndarray:
        """Log returns between rows exactly one interval apart (gaps dropped)."""
        r = np.diff(np.log(self.values))
        return r[self.consecutive]

    def describe_range(self) -> str:
        return f"{iso(self.start)} to {iso(self.end)}"


def iso(moment: datetime) -> str:
    """A UTC moment as `YYYY-MM-DDTHH:MMZ` (minutes) for messages."""
    return moment.strftime("%Y-%m-%dT%H:%MZ")


def parse_time(text: str) -> datetime:
    """ISO-8601 date or date-time; naive values are UTC. Raises ValueError."""
    text = text.strip()
    if not text:
        raise ValueError("empty")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_date_option(option: str, text: str | date | datetime | None) -> datetime | None:
    """A --start / --end value: an ISO date or date-time (UTC), or None."""
    if text is None:
        return None
    if isinstance(text, datetime):
        return text if text.tzinfo is not None else text.replace(tzinfo=UTC)
    if isinstance(text, date):
        return datetime(text.year, text.month, text.day, tzinfo=UTC)
    try:
        return parse_time(text)
    except ValueError:
        raise InputError(option, text, "not an ISO date (YYYY-MM-DD) or date-time") from None


def read_column(
    path: str | Path,
    column: str,
    kind: str,
    positive: bool = False,
    start: str | datetime | None = None,
    end: str | datetime | None = None,
) -> Series:
    """Read the `timestamp` column and `column` of a CSV, rows in [start, end) when given.
    `kind` names the file in errors (`prices`, `funding`); `positive`: values must be above 0."""
    path = Path(path)
    start_at = parse_date_option("--start", start)
    end_at = parse_date_option("--end", end)
    if start_at is not None and end_at is not None and start_at >= end_at:
        raise InputError("--end", iso(end_at), f"must be after --start ({iso(start_at)})")
    times, values = _read_rows(path, column, kind, positive)
    if not times:
        raise InputError(kind, str(path), "has no data rows")
    t = np.asarray(times, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    interval = _regular_interval(t, path, kind)
    keep = np.ones(len(t), dtype=bool)
    if start_at is not None:
        keep &= t >= int(start_at.timestamp())
    if end_at is not None:
        keep &= t < int(end_at.timestamp())
    if np.count_nonzero(keep) < 3:
        window = f"{iso(start_at) if start_at else 'start'} to {iso(end_at) if end_at else 'end'}"
        raise InputError(
            kind,
            str(path),
            f"fewer than 3 rows in the range {window} (the file covers "
            f"{iso(datetime.fromtimestamp(int(t[0]), UTC))} to "
            f"{iso(datetime.fromtimestamp(int(t[-1]), UTC))})",
        )
    return Series(path, column, t[keep], v[keep], interval)


def _read_rows(path: Path, column: str, kind: str, positive: bool) -> tuple[list[int], list[float]]:
    """The (epoch seconds, value) rows of the file, checked row by row."""
    if not path.exists():
        raise InputError(kind, str(path), "no such file")
    if not path.is_file():
        raise InputError(kind, str(path), "is not a file")
    try:
        fh = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(kind, str(path), f"cannot be read ({exc.strerror})") from None
    times: list[int] = []
    values: list[float] = []
    with fh:
        reader = csv.reader(fh)
        try:
            i_time, i_value = _column_indices(next(reader, None), path, column, kind)
            width = max(i_time, i_value) + 1
            for row in reader:
                if not row or all(not cell.strip() for cell in row):
                    continue
                where = f"{path} line {reader.line_num}"
                if len(row) < width:
                    raise InputError(
                        where, ",".join(row), f"has {len(row)} fields; expected at least {width}"
                    )
                stamp, value = _parse_row(row[i_time], row[i_value], where, column, positive)
                if times and stamp <= times[-1]:
                    problem = (
                        "duplicate timestamp"
                        if stamp == times[-1]
                        else "timestamps are not in increasing order"
                    )
                    raise InputError(f"{where} column {TIME_COLUMN}", row[i_time], problem)
                times.append(stamp)
                values.append(value)
        except csv.Error as exc:
            raise InputError(f"{path} line {reader.line_num}", "", f"bad CSV ({exc})") from None
        except UnicodeDecodeError:
            raise InputError(kind, str(path), "is not a UTF-8 text file") from None
    return times, values


def _column_indices(
    header: list[str] | None, path: Path, column: str, kind: str
) -> tuple[int, int]:
    """Positions of the timestamp column and of `column` in the header line."""
    if header is None:
        raise InputError(kind, str(path), "is empty (no header line)")
    names = [h.strip().lower() for h in header]
    for needed in (TIME_COLUMN, column):
        if needed not in names:
            raise InputError(
                kind,
                str(path),
                f"has no column '{needed}' (columns: {', '.join(names) or 'none'})",
            )
    return names.index(TIME_COLUMN), names.index(column)


def _parse_row(
    raw_time: str, raw_value: str, where: str, column: str, positive: bool
) -> tuple[int, float]:
    """One row's (epoch seconds, value)."""
    try:
        moment = parse_time(raw_time)
    except ValueError:
        raise InputError(
            f"{where} column {TIME_COLUMN}", raw_time, "not an ISO-8601 timestamp"
        ) from None
    try:
        value = float(raw_value)
    except ValueError:
        raise InputError(f"{where} column {column}", raw_value, "not a number") from None
    if not math.isfinite(value):
        raise InputError(f"{where} column {column}", raw_value, "not a finite number (NaN or inf)")
    if positive and value <= 0.0:
        raise InputError(f"{where} column {column}", raw_value, "must be positive")
    return int(moment.timestamp()), value


def _regular_interval(times: np.ndarray, path: Path, kind: str) -> int:
    if len(times) < 2:
        raise InputError(kind, str(path), "needs at least 2 rows to find its interval")
    diffs, counts = np.unique(np.diff(times), return_counts=True)
    return int(diffs[np.argmax(counts)])


def read_prices(
    path: str | Path, start: str | datetime | None = None, end: str | datetime | None = None
) -> Series:
    """Read a price CSV (`timestamp`, `close`); rows in [start, end) when given."""
    return read_column(path, PRICE_COLUMN, "prices", True, start, end)


def read_funding(
    path: str | Path, start: str | datetime | None = None, end: str | datetime | None = None
) -> Series:
    """Read a funding CSV (`timestamp`, `funding_rate` per interval); rows in [start, end)."""
    return read_column(path, FUNDING_COLUMN, "funding", False, start, end)


def returns_over(prices: Series, times: np.ndarray, bar_close: bool = True) -> np.ndarray:
    """Log returns of the price between consecutive entries of `times` (epoch seconds).

    A price file's timestamp is the bar's open time and its close is the price one price-interval
    later (`bar_close`), so the price at time t is the close of the bar stamped t - interval.
    The result has len(times) - 1 entries, NaN where either end has no price.
    """
    shift = prices.interval_seconds if bar_close else 0
    idx = np.searchsorted(prices.times, times - shift)
    idx_c = np.minimum(idx, len(prices.times) - 1)
    found = prices.times[idx_c] == times - shift
    logp = np.where(found, np.log(prices.values[idx_c]), np.nan)
    return np.diff(logp)
