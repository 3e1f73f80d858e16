"""Feed dates are shown in the blog's own time zone, as its engine shows them (issue 13).

Rules: jekyll-feed writes each date with `date_to_xmlschema`, in `_config.yml`'s
`timezone` (Jekyll: Configuration options, timezone); Hugo's embedded RSS template
formats `.PublishDate` with its offset (`-0700`), in the site's `timeZone`
(Configuration: timeZone); Pelican localises every date to `TIMEZONE` and its
feeds write it with that offset (Settings: TIMEZONE). The instant is unchanged.
ENGINE=none keeps UTC (tests/test_engine_none.py: the feeds as before).
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import lxml.etree
import pytest
from engine_sites import ATOM, SITES

from feedsvc import create_app

BLOG = "https://harbour.example.org/"


def _client(tmp_path: Path, engine: str):  # type: ignore[no-untyped-def]
    shutil.copytree(SITES / engine, tmp_path / engine)
    config = {"ARTICLES": str(tmp_path / engine), "STATE": str(tmp_path / "s.sqlite3")}
    return create_app({**config, "BASE_URL": BLOG}).test_client()


def _offsets_agree(when: datetime, zone: ZoneInfo) -> bool:
    return when.utcoffset() == when.astimezone(zone).utcoffset()


@pytest.mark.parametrize(
    ("engine", "zone"),
    [
        ("jekyll", "Europe/Paris"),  # jekyll-feed: date_to_xmlschema in `timezone`
        ("hugo", "America/New_York"),  # Hugo: dates in `timeZone`, RSS with -0700
        ("pelican", "Europe/Lisbon"),  # Pelican: dates localised to TIMEZONE
    ],
)
def test_feed_dates_carry_the_sites_offset(tmp_path: Path, engine: str, zone: str) -> None:
    client = _client(tmp_path, engine)
    where = ZoneInfo(zone)
    atom = lxml.etree.fromstring(client.get("/feed.atom").data)
    shown = [atom.findtext(f"{ATOM}updated")]
    for entry in atom.iter(f"{ATOM}entry"):
        shown += [entry.findtext(f"{ATOM}published"), entry.findtext(f"{ATOM}updated")]
    dates = [datetime.fromisoformat(text) for text in shown if text]
    assert len(dates) >= 3 and all(_offsets_agree(d, where) for d in dates), shown
    assert any(d.utcoffset() for d in dates)  # not UTC: each zone has an offset then
    rss = lxml.etree.fromstring(client.get("/feed.rss").data)
    stamps = [parsedate_to_datetime(e.text or "") for e in rss.iter("pubDate", "lastBuildDate")]
    assert stamps and all(_offsets_agree(d, where) for d in stamps)
    items = json.loads(client.get("/feed.json").data)["items"]
    for item in items:
        for key in ("date_published", "date_modified"):
            assert _offsets_agree(datetime.fromisoformat(item[key]), where), item[key]
