"""Dates: fixed defaults, US zone abbreviations, naive times in TIMEZONE, always aware UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedsvc.reading.dates import DateError, name_date, parse_date, split_name

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "zone", "expected"),
    [
        # ISO 8601
        ("2024-03-01T10:00:00Z", UTC, utc(2024, 3, 1, 10)),
        ("2024-03-01T10:00:00+05:30", UTC, utc(2024, 3, 1, 4, 30)),
        ("2024-03-01 10:00", UTC, utc(2024, 3, 1, 10)),
        ("2024-03-01", UTC, utc(2024, 3, 1)),
        ("20240301T100000", UTC, utc(2024, 3, 1, 10)),
        # naive times are in TIMEZONE, with its summer time
        ("2024-03-01 10:00", PARIS, utc(2024, 3, 1, 9)),
        ("2024-07-01 10:00", PARIS, utc(2024, 7, 1, 8)),
        ("2024-07-01", NEW_YORK, utc(2024, 7, 1, 4)),
        ("2024-03-01T10:00:00+00:00", PARIS, utc(2024, 3, 1, 10)),
        # RFC 2822
        ("Fri, 01 Mar 2024 10:00:00 +0100", UTC, utc(2024, 3, 1, 9)),
        ("Fri, 01 Mar 2024 10:00:00 GMT", PARIS, utc(2024, 3, 1, 10)),
        ("Fri, 01 Mar 2024 10:00:00 -0000", PARIS, utc(2024, 3, 1, 10)),
        ("Fri, 01 Mar 2024 10:00:00 EST", UTC, utc(2024, 3, 1, 15)),
        ("01 Mar 2024 10:00 PM", UTC, utc(2024, 3, 1, 22)),  # a word last, not a zone
        # human forms, with the US abbreviations at fixed offsets
        ("April 1st, 2015 at 10:00 AM EST", UTC, utc(2015, 4, 1, 15)),
        ("April 1st, 2015 at 10:00 AM EDT", UTC, utc(2015, 4, 1, 14)),
        ("1 April 2015 10:00 CST", UTC, utc(2015, 4, 1, 16)),
        ("1 April 2015 10:00 CDT", UTC, utc(2015, 4, 1, 15)),
        ("1 April 2015 10:00 MST", UTC, utc(2015, 4, 1, 17)),
        ("1 April 2015 10:00 MDT", UTC, utc(2015, 4, 1, 16)),
        ("1 April 2015 10:00 PST", UTC, utc(2015, 4, 1, 18)),
        ("1 April 2015 10:00 PDT", UTC, utc(2015, 4, 1, 17)),
        ("1 April 2015 10:00 UTC", PARIS, utc(2015, 4, 1, 10)),
        ("1 April 2015 10:00 GMT", PARIS, utc(2015, 4, 1, 10)),
        ("October 20, 2026 at 6:00 PM EST", UTC, utc(2026, 10, 20, 23)),
        ("Tuesday, 5 March 2024, 14:30", PARIS, utc(2024, 3, 5, 13, 30)),
        # partial dates take the fixed default (1st, midnight), never today's values
        ("March 2024", UTC, utc(2024, 3, 1)),
        ("2024", UTC, utc(2024, 1, 1)),
        ("March 2024", PARIS, utc(2024, 2, 29, 23)),
        # YAML's own types
        (date(2024, 3, 1), UTC, utc(2024, 3, 1)),
        (datetime(2024, 3, 1, 10), PARIS, utc(2024, 3, 1, 9)),
        (
            datetime(2024, 3, 1, 10, tzinfo=timezone(timedelta(hours=-5))),
            PARIS,
            utc(2024, 3, 1, 15),
        ),
        (2024, UTC, utc(2024, 1, 1)),
    ],
)
def test_parse_date(value: object, zone: object, expected: datetime) -> None:
    result = parse_date(value, zone)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("the day after the storm", "cannot read date"),
        ("March 31", "has no year"),
        ("10:00", "has no year"),
        ("2024-06-01 12:00 CET", "unknown time zone 'CET'"),
        ("2024-06-01 12:00 BST", "unknown time zone 'BST'"),
        # RFC 2822's form too: its parser drops a zone it does not know (read in TIMEZONE)
        ("Sat, 01 Jun 2024 12:00:00 CET", "unknown time zone 'CET'"),
        ("1 Jun 2024 12:00 JST", "unknown time zone 'JST'"),
        ("", "empty"),
        ("   ", "empty"),
        ("2024-03-01 " + "x" * 100, "over 80 characters"),
        ("0001-01-01", "out of range"),
        ([2024, 3, 1], "must be text"),
        ({"year": 2024}, "must be text"),
        (True, "must be text"),
        (None, "must be text"),
    ],
)
def test_unparseable_dates_raise_date_error(value: object, message: str) -> None:
    with pytest.raises(DateError, match=message):
        parse_date(value, UTC)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=90))
def test_any_text_parses_to_aware_utc_or_raises_date_error(text: str) -> None:
    try:
        result = parse_date(text, PARIS)
    except DateError:
        return
    assert result.tzinfo is UTC
    assert 1900 <= result.year <= 9998


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(1900, 1, 2),
        max_value=datetime(9998, 12, 30),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
        ),
    )
)
def test_iso_round_trip(value: datetime) -> None:
    assert parse_date(value.isoformat(), PARIS) == value


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("2024-03-05-harbour-news", (date(2024, 3, 5), "harbour-news")),
        ("2024-02-29-leap", (date(2024, 2, 29), "leap")),
        ("2023-02-29-not-leap", None),
        ("2024-13-01-month", None),
        ("2024-03-05", None),  # a date and nothing else is the whole slug
        ("2024-03-05-", None),
        ("0999-01-01-too-early", None),
        ("24-03-05-short-year", None),
        ("news-2024-03-05", None),
    ],
)
def test_jekyll_style_names_split_into_date_and_rest(name: str, expected: object) -> None:
    assert split_name(name) == expected


def test_file_name_date_is_midnight_in_the_zone() -> None:
    paris = ZoneInfo("Europe/Paris")
    assert name_date("posts/2024-07-05-summer.md", paris) == datetime(2024, 7, 4, 22, tzinfo=UTC)
    assert name_date("posts/summer.md", paris) is None
