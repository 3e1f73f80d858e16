"""Parse the dates authors write into aware UTC datetimes.

python-dateutil is always called with a fixed default, so "March 2024" is
March 1st, never today's day of March; a date with no year at all is refused
(it is parsed with two defaults and refused when the years disagree). Zone
abbreviations are limited to UTC, GMT and the US ones, whose offsets are
fixed; any other abbreviation is an error instead of being dropped silently.
A time without a zone is in the site's TIMEZONE.
"""

from __future__ import annotations

import re
import warnings
from datetime import UTC, date, datetime, tzinfo
from email.utils import parsedate_to_datetime

from dateutil import parser as dateutil_parser

_TZNAME = re.compile(r"tzname (\S+) identified")
_HOUR = 3600
TZINFOS = {
    "UTC": 0, "GMT": 0, "Z": 0, "UT": 0,
    "EST": -5 * _HOUR, "EDT": -4 * _HOUR, "CST": -6 * _HOUR, "CDT": -5 * _HOUR,
    "MST": -7 * _HOUR, "MDT": -6 * _HOUR, "PST": -8 * _HOUR, "PDT": -7 * _HOUR,
}  # fmt: skip
_DEFAULTS = (datetime(2000, 1, 1), datetime(2001, 2, 2))
MIN_YEAR, MAX_YEAR = 1900, 9998
MAX_LENGTH = 80


class DateError(ValueError):
    """A date value cannot be understood; the message says why."""


def _aware(value: datetime, zone: tzinfo) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def _parse_text(text: str, zone: tzinfo) -> datetime:
    try:
        return _aware(datetime.fromisoformat(text), zone)
    except ValueError:
        pass
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        parsed = None
    # A word last that email's parser drops (a zone it does not know, PM) is dateutil's.
    if parsed is not None and not (parsed.tzinfo is None and text.rsplit(None, 1)[-1].isalpha()):
        # RFC 2822's -0000 is UTC with no local offset known, never the site's zone.
        return _aware(parsed, UTC if text.endswith("-0000") else zone)
    results = []
    for default in _DEFAULTS:
        with warnings.catch_warnings():
            warnings.simplefilter("error", dateutil_parser.UnknownTimezoneWarning)
            try:
                results.append(dateutil_parser.parse(text, default=default, tzinfos=TZINFOS))
            except dateutil_parser.UnknownTimezoneWarning as e:
                name = _TZNAME.search(str(e))
                raise _unknown_zone(repr(name.group(1)) if name else "name", text) from None
            except (ValueError, OverflowError) as e:
                raise DateError(f"cannot read date {text!r}: {e}") from None
    if results[0].year != results[1].year:
        raise DateError(f"date {text!r} has no year")
    return _aware(results[0], zone)


def _unknown_zone(name: str, text: str) -> DateError:
    return DateError(
        f"unknown time zone {name} in {text!r}: write an offset such as +01:00 "
        "(only UTC, GMT and the US zone abbreviations are understood)"
    )


def parse_date(value: object, zone: tzinfo) -> datetime:
    """Return VALUE (text, date or datetime) as an aware UTC datetime; naive is in ZONE."""
    if isinstance(value, datetime):
        result = _aware(value, zone)
    elif isinstance(value, date):
        result = _aware(datetime(value.year, value.month, value.day), zone)
    elif isinstance(value, str | int | float) and not isinstance(value, bool):
        text = " ".join(str(value).split())
        if not text:
            raise DateError("date is empty")
        if len(text) > MAX_LENGTH:
            raise DateError(f"date is over {MAX_LENGTH} characters long")
        try:
            result = _parse_text(text, zone)
        except OverflowError:
            raise DateError(f"date {text!r} is out of range") from None
    else:
        raise DateError(f"a date must be text, got {type(value).__name__}")
    if not MIN_YEAR <= result.year <= MAX_YEAR:
        raise DateError(f"year {result.year} is out of range ({MIN_YEAR} to {MAX_YEAR})")
    return result


_NAMED = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")


def split_name(name: str) -> tuple[date, str] | None:
    """Return the date a Jekyll-style file NAME starts with, and the rest of the name.

    ``2024-03-05-harbour-news`` gives 2024-03-05 and ``harbour-news``; a name
    without a valid date followed by ``-`` and something gives None.
    """
    match = _NAMED.match(name)
    if match is None:
        return None
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
    return (day, match[4]) if MIN_YEAR <= day.year <= MAX_YEAR else None


def name_date(path: str, zone: tzinfo) -> datetime | None:
    """Return the date PATH's file name starts with, at midnight in ZONE, else None."""
    name = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    split = split_name(name)
    if split is None:
        return None
    day = split[0]
    return _aware(datetime(day.year, day.month, day.day), zone)
