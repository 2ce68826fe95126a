"""The demo's calendar and the small vectorised helpers every generator shares.

Days are ``numpy.datetime64[D]``; instants are int64 milliseconds since the Unix epoch (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
DayArray = npt.NDArray[np.datetime64]

MS_PER_DAY = 86_400_000
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after (or before) the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def default_end_month(today: date | None = None) -> date:
    """The last complete month before `today` (default: the current date)."""
    return add_months(today or date.today(), -1)


@dataclass(frozen=True)
class Timeline:
    """The observed window: `months` whole calendar months ending with `end_month`."""

    end_month: date
    months: int

    @cached_property
    def start(self) -> date:
        """First day of the window."""
        return add_months(self.end_month, -(self.months - 1))

    @cached_property
    def month_starts(self) -> DayArray:
        """First day of each month of the window, plus the first day after it."""
        first = np.datetime64(self.start, "M")
        return (first + np.arange(self.months + 1)).astype("datetime64[D]")

    @property
    def start_day(self) -> np.datetime64:
        """First day of the window as a datetime64."""
        return np.datetime64(self.start, "D")

    @property
    def end_day(self) -> np.datetime64:
        """Last day of the window as a datetime64."""
        return np.datetime64(add_months(self.end_month, 1), "D") - np.timedelta64(1, "D")

    @property
    def end_ms(self) -> int:
        """The first millisecond after the window."""
        return int(self.month_starts[-1].astype(np.int64)) * MS_PER_DAY

    def month_of(self, days: DayArray) -> IntArray:
        """Month index (0 = first month of the window; may fall outside 0..months-1)."""
        months = days.astype("datetime64[M]").astype(np.int64)
        first = np.datetime64(self.start, "M").astype(np.int64)
        return (months - first).astype(np.int64)

    def calendar_months(self) -> IntArray:
        """Calendar month (1-12) of each window month."""
        return (self.month_starts[:-1].astype("datetime64[M]").astype(np.int64) % 12 + 1).astype(
            np.int64
        )


def day_to_ms(days: DayArray) -> IntArray:
    """Midnight UTC of each day, in epoch milliseconds."""
    return days.astype("datetime64[D]").astype(np.int64) * MS_PER_DAY


def ms_to_day(ms: IntArray) -> DayArray:
    """The UTC day of each epoch-millisecond instant."""
    return (ms // MS_PER_DAY).astype("datetime64[D]")


def iso_ms(ms: IntArray) -> list[str]:
    """RFC 3339 UTC timestamps with milliseconds, e.g. ``2025-02-03T10:40:00.123Z``."""
    text = np.datetime_as_string(ms.astype("datetime64[ms]"), unit="ms", timezone="UTC")
    return list(text.tolist())


def uuid4_strings(rng: np.random.Generator, n: int) -> list[str]:
    """`n` random version-4 UUIDs drawn from `rng` (so a seed gives the same ids)."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexed = np.empty((n, 36), dtype=np.uint8)
    digits = np.empty((n, 32), dtype=np.uint8)
    digits[:, 0::2] = _HEX[raw >> 4]
    digits[:, 1::2] = _HEX[raw & 0x0F]
    hexed[:, 0:8] = digits[:, 0:8]
    hexed[:, 9:13] = digits[:, 8:12]
    hexed[:, 14:18] = digits[:, 12:16]
    hexed[:, 19:23] = digits[:, 16:20]
    hexed[:, 24:36] = digits[:, 20:32]
    hexed[:, [8, 13, 18, 23]] = ord("-")
    return hexed.view("S36").ravel().astype(str).tolist()


def format_ids(prefix: str, numbers: IntArray, width: int) -> list[str]:
    """``prefix`` + zero-padded numbers, e.g. ``P000042``."""
    return [f"{prefix}{n:0{width}d}" for n in numbers.tolist()]


def id_width(count: int, minimum: int = 6) -> int:
    """Digits needed to number `count` things, at least `minimum`."""
    return max(minimum, len(str(max(count, 1))))


def stream(seed: int, *path: int) -> np.random.Generator:
    """A random generator for one named stream of a seeded build.

    Each generator stage draws from its own stream, so changing how much one stage draws
    never shifts another stage's numbers.
    """
    return np.random.default_rng([seed, *path])


def business_days(start: DayArray, offsets: IntArray) -> DayArray:
    """`start` moved forward by `offsets` business days (weekends skipped)."""
    return np.busday_offset(start.astype("datetime64[D]"), offsets, roll="forward")
