"""RFC 6721 tombstones: a deleted article is announced in the Atom feed for TOMBSTONE_DAYS.

The W3C Feed Validation Service's code (never committed) checks the feed when
FEEDSVC_FEEDVALIDATOR names its src folder, or when it can be extracted from
the local mirror, as bench/validate_w3c.py does; otherwise that test skips.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import lxml.etree
import pytest
from conftest import app_config, settle_deletions, start_server, stop_server
from w3c import feedvalidator

from feedsvc import create_app
from feedsvc.catalog.catalog import Catalog
from feedsvc.catalog.snapshot import Tombstone
from feedsvc.reading.normalise import Defaults
from feedsvc.store.db import StateStore

AT = "{http://purl.org/atompub/tombstones/1.0}"
ATOM = "{http://www.w3.org/2005/Atom}"
GONE = "library-night-hours"


def tombstones(body: bytes) -> list[tuple[str, str]]:
    root = lxml.etree.fromstring(body)
    return [(e.get("ref"), e.get("when")) for e in root.iter(AT + "deleted-entry")]


def atom_when(client, count: int) -> bytes:
    """Return /feed.atom once it holds COUNT tombstones (rescans are RESCAN_INTERVAL apart)."""
    for _ in range(100):
        body = client.get("/feed.atom").data
        if len(tombstones(body)) == count:
            break
        time.sleep(0.02)
    return body


def test_deleted_article_leaves_a_tombstone_with_its_old_id(articles: Path):
    client = create_app(app_config(articles)).test_client()
    before = feedparser.parse(client.get("/feed.atom").data)
    old_id = next(e.id for e in before.entries if e.link.endswith(GONE))
    (articles / f"{GONE}.txt").unlink()
    deleted_at = datetime.now(UTC)
    body = atom_when(client, 1)
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0
    assert old_id not in [e.id for e in parsed.entries]
    [(ref, when)] = tombstones(body)
    assert ref == old_id
    moment = datetime.fromisoformat(when)
    assert abs((moment - deleted_at).total_seconds()) < 5
    updated = lxml.etree.fromstring(body).findtext(ATOM + "updated")
    assert datetime.fromisoformat(updated) == moment, "a deletion changes the feed"
    rss, jsonfeed = client.get("/feed.rss").data, client.get("/feed.json").data
    assert old_id.encode() not in rss and old_id.encode() not in jsonfeed
    assert feedparser.parse(rss).bozo == 0 and json.loads(jsonfeed)["items"]
    assert not tombstones(client.get("/tags/city/feed.atom").data)


def test_tombstone_survives_a_restart_and_goes_when_the_article_comes_back(articles: Path):
    config = app_config(articles)
    client = create_app(config).test_client()
    text = (articles / f"{GONE}.txt").read_text()
    (articles / f"{GONE}.txt").unlink()
    assert len(tombstones(atom_when(client, 1))) == 1
    restarted = create_app(config).test_client()
    assert len(tombstones(restarted.get("/feed.atom").data)) == 1
    (articles / f"{GONE}.txt").write_text(text)
    os.utime(articles / f"{GONE}.txt", (0, 0))
    assert tombstones(create_app(config).test_client().get("/feed.atom").data) == []


def test_tombstones_last_tombstone_days_then_go(articles: Path, tmp_path: Path):
    now = datetime(2026, 12, 1, tzinfo=UTC)
    store = StateStore(str(tmp_path / "s.sqlite3"), now)
    catalog = Catalog(
        str(articles), Defaults("A", "en", UTC), store, "example.org", 10**6, 0.0, False, 2
    )
    catalog.scan(now)
    (articles / f"{GONE}.txt").unlink()
    gone_at = now + timedelta(hours=1)
    snap = catalog.scan(gone_at)
    assert [t.when for t in snap.tombstones] == [gone_at]
    assert isinstance(snap.tombstones[0], Tombstone)
    assert snap.next_due == gone_at + timedelta(days=2), "the snapshot changes when it expires"
    later = catalog.scan(gone_at + timedelta(days=2, seconds=-1))
    assert len(later.tombstones) == 1
    expired = catalog.scan(gone_at + timedelta(days=2))
    assert expired.tombstones == () and expired.version != later.version
    store.close()


def test_tombstone_days_zero_turns_them_off(articles: Path):
    client = create_app(app_config(articles, TOMBSTONE_DAYS=0)).test_client()
    (articles / f"{GONE}.txt").unlink()
    settle_deletions(client)
    body = client.get("/feed.atom").data
    assert client.get(f"/articles/{GONE}").status_code == 410
    assert GONE.encode() not in body and tombstones(body) == []


@pytest.mark.server
def test_w3c_validator_reports_no_error_for_the_feed_with_a_tombstone(articles: Path):
    with feedvalidator() as w3c:
        validate = w3c.validate
        # A FEED_ID of its own: since the PostgreSQL store, the default feed id is BASE_URL
        # without its slash, which the validator calls NonCanonicalURI on a bare host.
        feed_id = {"FEEDSVC_FEED_ID": "tag:feeds.example.org,2026:feed"}
        server = start_server(articles, workers=1, env=feed_id)
        try:
            (articles / f"{GONE}.txt").unlink()
            for _ in range(100):
                _, _, body = server.get("feed.atom")
                if tombstones(body):
                    break
                time.sleep(0.1)
            assert tombstones(body)
            errors, warnings, forbidden = validate(server.url + "feed.atom")
            print("W3C feedvalidator on feed.atom with a tombstone:", errors, warnings)
            assert errors == [] and forbidden == [], (errors, forbidden)
        finally:
            stop_server(server)


def _server_tombstones(server, count: int) -> bytes:
    """Return the served /feed.atom once it holds COUNT tombstones (bounded: 10 s)."""
    deadline = time.monotonic() + 10
    for _ in range(100):
        status, _, body = server.get("feed.atom")
        if status == 200 and len(tombstones(body)) == count or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    return body


@pytest.mark.server
def test_a_real_server_serves_the_tombstone_and_keeps_it_across_a_clean_restart(articles: Path):
    days = {"FEEDSVC_TOMBSTONE_DAYS": "3"}
    server = start_server(articles, env=days)
    try:
        before = feedparser.parse(server.url + "feed.atom")
        old_id = next(e.id for e in before.entries if e.link.endswith(GONE))
        (articles / f"{GONE}.txt").unlink()
        [(ref, when)] = tombstones(_server_tombstones(server, 1))
        assert ref == old_id
    finally:
        stop_server(server)
    assert server.process.returncode == 0, "a clean stop"

    server = start_server(articles, env=days)
    try:
        assert server.get(f"articles/{GONE}")[0] == 410  # the loaded worker, not the warm start
        for _ in range(2):  # twice: either worker may answer
            parsed = feedparser.parse(server.url + "feed.atom")
            assert parsed.bozo == 0 and old_id not in [e.id for e in parsed.entries]
            assert tombstones(server.get("feed.atom")[2]) == [(old_id, when)]
    finally:
        stop_server(server)

    # TOMBSTONE_DAYS later: the deletion as the store would date it then, 3 days and a minute ago.
    aged = (datetime.fromisoformat(when) - timedelta(days=3, minutes=1)).isoformat()
    with sqlite3.connect(articles.parent / "state.sqlite3") as db:
        db.execute("UPDATE article SET gone = ? WHERE slug = ?", (aged, GONE))
    db.close()
    server = start_server(articles, env=days)
    try:
        assert server.get(f"articles/{GONE}")[0] == 410, "the permalink stays gone"
        body = _server_tombstones(server, 0)
        assert tombstones(body) == [] and feedparser.parse(body).bozo == 0
    finally:
        stop_server(server)
