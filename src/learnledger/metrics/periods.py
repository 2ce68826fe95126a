"""Reporting periods: day, ISO week, month, quarter and year, with a fiscal year start month.

A period is a half-open date interval [start, end). Quarters and years follow the fiscal year
(the `fiscal_year_start_month` setting; 1 = calendar year). A fiscal year that does not start in
January is labelled by both calendar years it spans (``FY2025/26``); quarters are numbered from
the fiscal year's start (``FY2025/26-Q1``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

GRAINS = ("day", "week", "month", "quarter", "year")


@dataclass(frozen=True, order=True)
class Period:
    """A half-open interval of dates [start, end) with its label."""

    start: dt.date
    end: dt.date
    label: str

    @property
    def last_day(self) -> dt.date:
        """The last date inside the period."""
        return self.end - dt.timedelta(days=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _fiscal_label(start_year: int, fiscal_start: int) -> str:
    if fiscal_start == 1:
        return str(start_year)
    return f"FY{start_year}/{(start_year + 1) % 100:02d}"


def period_of(day: dt.date, grain: str, fiscal_start: int = 1) -> Period:
    """The period of `grain` that contains `day`."""
    if not 1 <= fiscal_start <= 12:
        raise ValueError(f"fiscal year start month must be 1..12, not {fiscal_start}")
    if grain == "day":
        return Period(day, day + dt.timedelta(days=1), day.isoformat())
    if grain == "week":
        start = day - dt.timedelta(days=day.weekday())
        year, week, _ = start.isocalendar()
        return Period(start, start + dt.timedelta(days=7), f"{year}-W{week:02d}")
    if grain == "month":
        start = day.replace(day=1)
        return Period(start, _add_months(start, 1), f"{start:%Y-%m}")
    # Months since the fiscal year began.
    offset = (day.month - fiscal_start) % 12
    fy_start = _add_months(day.replace(day=1), -offset)
    fy_label = _fiscal_label(fy_start.year, fiscal_start)
    if grain == "quarter":
        quarter = offset // 3
        start = _add_months(fy_start, quarter * 3)
        return Period(start, _add_months(start, 3), f"{fy_label}-Q{quarter + 1}")
    if grain == "year":
        return Period(fy_start, _add_months(fy_start, 12), fy_label)
    raise ValueError(f"unknown period {grain!r}; known: {', '.join(GRAINS)}")


def periods_between(
    first: dt.date, last: dt.date, grain: str, fiscal_start: int = 1
) -> list[Period]:
    """The periods of `grain` from the one holding `first` to the one holding `last`."""
    periods = [period_of(first, grain, fiscal_start)]
    while periods[-1].end <= last:
        periods.append(period_of(periods[-1].end, grain, fiscal_start))
    return periods


def previous_period(period: Period, grain: str, fiscal_start: int = 1) -> Period:
    """The period of `grain` just before `period`."""
    return period_of(period.start - dt.timedelta(days=1), grain, fiscal_start)


def window(first: dt.date, last: dt.date) -> Period:
    """One period covering `first` to `last` inclusive, labelled ``first..last``."""
    if last < first:
        raise ValueError(f"the window ends ({last}) before it starts ({first})")
    return Period(first, last + dt.timedelta(days=1), f"{first.isoformat()}..{last.isoformat()}")


def previous_window(period: Period) -> Period:
    """The window of the same length just before `period`."""
    length = period.end - period.start
    start = period.start - length
    return window(start, period.start - dt.timedelta(days=1))


def reporting_periods(
    first: dt.date, last: dt.date, grain: str | None, fiscal_start: int = 1
) -> list[Period]:
    """The periods a run reports for data from `first` to `last`: one window without a
    `grain`, else the periods of `grain`, the first and last cut to the data."""
    if grain is None:
        return [window(first, last)]
    periods = periods_between(first, last, grain, fiscal_start)
    end = last + dt.timedelta(days=1)
    return [Period(max(p.start, first), min(p.end, end), p.label) for p in periods]


def previous_periods(
    reporting: list[Period], grain: str | None, fiscal_start: int = 1
) -> list[Period]:
    """The period each of `reporting` is compared with by ``compare: previous``, in order.

    The first reporting period may be cut short by the data (starting mid-month): it is
    compared with the whole period before the one it lies in, never with itself.
    """
    if grain is None:
        return [previous_window(reporting[0])]
    whole = period_of(reporting[0].start, grain, fiscal_start)
    return [previous_period(whole, grain, fiscal_start), *reporting[:-1]]
