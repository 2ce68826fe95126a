"""Timestamps and durations: the checks for xAPI 1.0.3 and 2.0, and their normal forms.

- xAPI 1.0.3 timestamps are ISO 8601 date-times, extended (``2015-11-18T12:17:00.5+01:00``)
  or basic (``20151118T121700Z``) format.
- xAPI 2.0 timestamps follow RFC 3339 (``2015-11-18T12:17:00.5+01:00``); the LRS converts
  non-UTC offsets to UTC (`normalise_timestamp`).
- In both, a negative zero offset (``-00:00``, ``-0000``, ``-00``: "offset unknown") is rejected
  and a timestamp without an offset is read as UTC.
- Durations are ISO 8601 durations (``PT1H30M5.25S``, ``P4W``); a 2.0 LRS truncates precision
  finer than 0.01 s instead of rejecting it (`truncate_duration`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from learnledger.core.xapi.checks import Invalid, wrong_type

_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:\d\d)?")
_ISO8601 = re.compile(
    r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?:[Zz]|[+-]\d\d(?::?\d\d)?)?"
    r"|\d{8}[Tt]\d{4}(?:\d\d(?:[.,]\d+)?)?(?:[Zz]|[+-]\d\d(?:\d\d)?)?"
)
_NEGATIVE_ZERO = ("-00:00", "-0000", "-00")

_NUM = r"(\d+(?:[.,]\d+)?)"
_DURATION = re.compile(
    rf"P(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}W)?(?:{_NUM}D)?(?:T(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?"
)
_WEEKS = re.compile(rf"P{_NUM}W")
_FINE_SECONDS = re.compile(r"([.,]\d\d)\d+S$")

_DAY = 86_400.0
#: Seconds per duration unit; years and months use their mean Gregorian length.
_UNIT_SECONDS = (365.2425 * _DAY, 365.2425 / 12 * _DAY, 7 * _DAY, _DAY, 3600.0, 60.0, 1.0)


def _parse(value: str) -> datetime:
    if "t" in value or value[-1] == "z":
        value = value.upper()
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed


def _check_timestamp(value: object, syntax: re.Pattern[str]) -> None:
    if type(value) is not str:
        raise wrong_type("a string", value)
    if syntax.fullmatch(value) is None:
        raise Invalid("must be an ISO 8601 timestamp, e.g. 2015-11-18T12:17:00.000Z")
    if value.endswith(_NEGATIVE_ZERO):
        raise Invalid("must not use a negative zero offset (-00:00)")
    try:
        _parse(value)
    except ValueError as exc:
        raise Invalid(f"is not a valid date and time ({exc})") from None


def check_timestamp_v1(value: object) -> None:
    """An xAPI 1.0.3 timestamp: ISO 8601 extended or basic format."""
    _check_timestamp(value, _ISO8601)


def check_timestamp_v2(value: object) -> None:
    """An xAPI 2.0 timestamp: RFC 3339 date-time (offset optional, read as UTC when absent)."""
    _check_timestamp(value, _RFC3339)


def parse_timestamp(value: str) -> datetime:
    """The instant a valid timestamp denotes, as an aware UTC datetime (microseconds kept)."""
    return _parse(value).astimezone(UTC)


def format_timestamp(moment: datetime) -> str:
    """``YYYY-MM-DDThh:mm:ss.fffZ`` in UTC (six fraction digits when sub-millisecond)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    spec = "milliseconds" if naive.microsecond % 1000 == 0 else "microseconds"
    return naive.isoformat(timespec=spec) + "Z"


def normalise_timestamp(value: str) -> str:
    """A valid timestamp rewritten in UTC (``...Z``); the instant is unchanged."""
    return format_timestamp(_parse(value))


def check_duration(value: object) -> None:
    """An ISO 8601 duration (``P3Y1M29DT4H35M59.14S``, ``PT16559.14S``, ``P4W``)."""
    if type(value) is not str:
        raise wrong_type("a string", value)
    if _DURATION.fullmatch(value) is None or value == "P" or value[-1] == "T":
        raise Invalid("must be an ISO 8601 duration, e.g. PT1H30M or PT45.5S")
    if "W" in value and _WEEKS.fullmatch(value) is None:
        raise Invalid("must be an ISO 8601 duration; weeks (P4W) cannot be combined")


def truncate_duration(value: str) -> str:
    """A valid duration with its seconds truncated to 0.01 s (``PT0.12567S`` -> ``PT0.12S``)."""
    if value[-1] != "S":
        return value
    separator = max(value.rfind("."), value.rfind(","))
    if separator == -1 or len(value) - separator - 2 <= 2:  # no more than two fraction digits
        return value
    return _FINE_SECONDS.sub(r"\1S", value)


def duration_seconds(value: str) -> float | None:
    """Length of a duration in seconds (years and months at their mean length); None if invalid."""
    match = _DURATION.fullmatch(value)
    if match is None:
        return None
    total = 0.0
    for part, unit in zip(match.groups(), _UNIT_SECONDS, strict=True):
        if part is not None:
            total += float(part.replace(",", ".")) * unit
    return total
