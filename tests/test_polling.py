"""What a feed reader that polls sees, over loopback from a real gunicorn server.

Conditional GET (RFC 9110 section 13), compression, regeneration after edits,
and two workers that agree. Requests go through http.client so that nothing
(redirects, Accept-Encoding) is added or followed behind the test's back.
"""

from __future__ import annotations

import gzip
import http.client
import os
import re
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
from conftest import (
    SAMPLES,
    Server,
    app_config,
    settle_deletions,
    start_server,
    stop_server,
    write_bulk,
)
from lxml import etree

from feedsvc import create_app
from feedsvc.cli import default_workers

pytestmark = pytest.mark.server
ATOM = "{http://www.w3.org/2005/Atom}"
SAMPLE = "night-market-guide.md"
FEED_PATHS = [
    "feed.atom",
    "feed.rss",
    "feed.json",
    "tags/city/feed.atom",
    "archive/2026-11.atom",
    "",
    "articles/night-market-guide",
    "tags/city/",
]


class Reply:
    """A response as the wire carried it."""

    def __init__(self, response: http.client.HTTPResponse):
        self.status = response.status
        self.headers = response.headers
        self.body = response.read()

    def __getitem__(self, name: str) -> str | None:
        return self.headers.get(name)


def fetch(
    server: Server, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> Reply:
    """Send one request on a new connection and return the reply."""
    url = urlsplit(server.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        connection.request(method, "/" + path, headers=headers or {})
        return Reply(connection.getresponse())
    finally:
        connection.close()


def wait_for(check, timeout: float) -> float:
    """Call CHECK until it returns true; return the seconds it took, fail after TIMEOUT."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        time.sleep(0.05)
    pytest.fail(f"not within {timeout} s")


def entries(reply: Reply) -> dict[str, feedparser.FeedParserDict]:
    parsed = feedparser.parse(reply.body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return {entry.link: entry for entry in parsed.entries}


def write_settled(path: Path, text: str) -> None:
    """Write TEXT to PATH the way an editor saves: a new file renamed over the old."""
    temporary = path.with_name("." + path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def start_ready(articles: Path, **options) -> Server:
    """Start a server and wait until every worker has read the articles and watches them."""
    server = start_server(articles, **options)
    workers = options.get("workers", 2)
    wait_for(lambda: server.log.read_text().count(" ready: ") >= workers, 20)
    return server


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server on unchanging articles, for the tests that only read."""
    articles = tmp_path_factory.mktemp("polling") / "articles"
    shutil.copytree(SAMPLES, articles)
    server = start_ready(articles)
    yield server
    stop_server(server)


@pytest.fixture
def server(articles: Path) -> Iterator[Server]:
    """A server of the test's own, on articles the test may change."""
    server = start_ready(articles)
    yield server
    stop_server(server)


def test_two_polls_without_change_are_identical(shared: Server) -> None:
    first, second = fetch(shared, "feed.atom"), fetch(shared, "feed.atom")
    assert first.status == second.status == 200
    assert first.body == second.body
    assert first["ETag"] == second["ETag"] and first["ETag"].startswith('"')
    assert first["Last-Modified"] == second["Last-Modified"]


def _conditional_cases() -> list[tuple[str, object, int]]:
    later = format_datetime(datetime(2100, 1, 1, tzinfo=UTC), usegmt=True)
    return [
        ("etag", lambda e, m: {"If-None-Match": e}, 304),
        ("weak etag", lambda e, m: {"If-None-Match": "W/" + e}, 304),
        ("star", lambda e, m: {"If-None-Match": "*"}, 304),
        ("etag in a list", lambda e, m: {"If-None-Match": f'"nope", {e}'}, 304),
        ("last-modified", lambda e, m: {"If-Modified-Since": m}, 304),
        ("later date", lambda e, m: {"If-Modified-Since": later}, 304),
        ("etag and date", lambda e, m: {"If-None-Match": e, "If-Modified-Since": m}, 304),
        (
            "wrong etag beats current date",
            lambda e, m: {"If-None-Match": '"nope"', "If-Modified-Since": m},
            200,
        ),
        ("wrong etag", lambda e, m: {"If-None-Match": '"nope"'}, 200),
        ("garbage date", lambda e, m: {"If-Modified-Since": "yesterday-ish"}, 200),
        ("earlier date", lambda e, m: {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}, 200),
        ("gzip etag without gzip", lambda e, m: {"If-None-Match": e[:-1] + '-gz"'}, 200),
    ]


@pytest.mark.parametrize("path", ["feed.atom", "feed.json", "tags/city/feed.rss", ""])
@pytest.mark.parametrize(
    ("case", "make", "status"), _conditional_cases(), ids=[c[0] for c in _conditional_cases()]
)
def test_conditional_get_follows_rfc_9110(
    shared: Server, path: str, case: str, make, status: int
) -> None:
    plain = fetch(shared, path)
    reply = fetch(shared, path, make(plain["ETag"], plain["Last-Modified"]))
    assert reply.status == status
    if status == 304:
        assert reply.body == b""
        assert reply["Content-Length"] in (None, "0")
    else:
        assert reply.body == plain.body


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_304_carries_etag_cache_control_vary_and_one_date(shared: Server, encoding: str) -> None:
    headers = {"Accept-Encoding": encoding}
    plain = fetch(shared, "feed.atom", headers)
    reply = fetch(shared, "feed.atom", {**headers, "If-None-Match": plain["ETag"]})
    assert reply.status == 304 and reply.body == b""
    assert reply["ETag"] == plain["ETag"]
    assert reply["Cache-Control"] == plain["Cache-Control"]
    # Feeds also vary on Accept: a browser gets them as application/xml for feed.xsl.
    assert reply["Vary"] == plain["Vary"] == "Accept-Encoding, Accept"
    for response in (plain, reply):
        dates = response.headers.get_all("Date")
        assert len(dates) == 1
        assert abs(parsedate_to_datetime(dates[0]) - datetime.now(UTC)) < timedelta(minutes=1)


@pytest.mark.parametrize("path", FEED_PATHS)
@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_head_sends_the_headers_of_get(shared: Server, path: str, encoding: str) -> None:
    got = fetch(shared, path, {"Accept-Encoding": encoding})
    head = fetch(shared, path, {"Accept-Encoding": encoding}, method="HEAD")
    assert got.status == head.status == 200
    assert head.body == b""
    # Header names are case-insensitive (granian sends them in lower case); the
    # Date may tick between the two requests.
    assert {k.lower(): v for k, v in head.headers.items() if k.lower() != "date"} == {
        k.lower(): v for k, v in got.headers.items() if k.lower() != "date"
    }


@pytest.mark.parametrize("path", FEED_PATHS)
def test_cache_headers_are_public_with_max_age_and_nothing_that_defeats_them(
    shared: Server, path: str
) -> None:
    reply = fetch(shared, path, {"Accept-Encoding": "gzip"})
    assert reply.status == 200
    assert reply["Cache-Control"] == "public, max-age=1800"
    assert reply["Expires"] is None
    assert reply["Set-Cookie"] is None and reply["Pragma"] is None
    assert reply["ETag"] and reply["Last-Modified"]
    assert parsedate_to_datetime(reply["Last-Modified"]).microsecond == 0


def test_last_modified_is_never_before_the_newest_updated_of_the_feed(shared: Server) -> None:
    reply = fetch(shared, "feed.atom")
    root = etree.fromstring(reply.body)
    newest = max(datetime.fromisoformat(e.text) for e in root.iter(f"{ATOM}updated"))
    modified = parsedate_to_datetime(reply["Last-Modified"])
    assert newest.replace(microsecond=0) <= modified <= datetime.now(UTC)


def test_a_client_sending_only_if_modified_since_never_keeps_a_changed_document(
    tmp_path: Path,
) -> None:
    """Last-Modified is when the site last changed, deletions and articles first seen
    with an older date included (docs/caching-and-scale.md), and never in the future
    (RFC 9110 8.8.2.1). As the newest ``updated`` of a document, it went back when a tag
    lost its newest article and stood still for a back-dated one: a client sending only
    If-Modified-Since got 304 for a document that had changed, or, for an ``updated`` in
    2031, 304 until then."""
    articles = tmp_path / "articles"
    articles.mkdir()
    post = "---\ntitle: {0}\ndate: {1}\ntags: [x]\n{2}---\n\nThe {0} body.\n"
    (articles / "a.md").write_text(post.format("A", "2024-01-02", "updated: 2031-05-05\n"))
    (articles / "b.md").write_text(post.format("B", "2024-02-02", ""))
    for path in articles.iterdir():
        os.utime(path, (time.time() - 60, time.time() - 60))
    client = create_app(app_config(articles)).test_client()
    paths = ["/feed.atom", "/tags/x/feed.atom", "/tags/x/", "/"]

    def polls_change(change) -> None:
        before = {p: client.get(p) for p in paths}
        time.sleep(1.05)  # Last-Modified counts whole seconds
        change()
        settle_deletions(client)
        for path, old in before.items():
            new = client.get(path)
            assert new.headers["ETag"] != old.headers["ETag"], path
            modified = parsedate_to_datetime(new.headers["Last-Modified"])
            assert modified <= datetime.now(UTC), path  # not 2031
            again = client.get(path, headers={"If-Modified-Since": old.headers["Last-Modified"]})
            assert again.status_code == 200, path
            assert (
                client.get(
                    path, headers={"If-Modified-Since": new.headers["Last-Modified"]}
                ).status_code
                == 304
            )

    polls_change(lambda: (articles / "b.md").unlink())  # the tag's newest goes
    polls_change(lambda: (articles / "c.md").write_text(post.format("C", "2023-06-01", "")))


def test_last_modified_moves_when_a_tombstone_leaves_the_feed(tmp_path: Path) -> None:
    """A tombstone leaves the Atom feed TOMBSTONE_DAYS after the deletion, a change the
    snapshot makes by itself: Last-Modified moves with it (its end counts as a change)."""
    articles = tmp_path / "articles"
    articles.mkdir()
    for name in ("a", "b"):
        (articles / f"{name}.md").write_text(f"---\ntitle: {name}\ndate: 2024-01-02\n---\n\nX.\n")
        os.utime(articles / f"{name}.md", (time.time() - 60, time.time() - 60))
    client = create_app(app_config(articles, TOMBSTONE_DAYS=2 / 86400)).test_client()
    client.get("/feed.atom")
    (articles / "b.md").unlink()
    settle_deletions(client)
    with_stone = client.get("/feed.atom")
    for _ in range(20):  # the look SETTLE later takes the deletion: bounded
        if b"deleted-entry" in with_stone.data:
            break
        time.sleep(0.05)
        with_stone = client.get("/feed.atom")
    assert b"deleted-entry" in with_stone.data
    time.sleep(2.2)
    without = client.get("/feed.atom")
    assert b"deleted-entry" not in without.data
    modified = with_stone.headers["Last-Modified"]
    assert client.get("/feed.atom", headers={"If-Modified-Since": modified}).status_code == 200


def test_gzip_has_the_same_bytes_its_own_etag_and_vary(shared: Server) -> None:
    plain = fetch(shared, "feed.atom", {"Accept-Encoding": "identity"})
    packed = fetch(shared, "feed.atom", {"Accept-Encoding": "gzip, deflate"})
    assert packed["Content-Encoding"] == "gzip" and plain["Content-Encoding"] is None
    assert gzip.decompress(packed.body) == plain.body
    assert len(packed.body) < len(plain.body)
    assert packed["ETag"] != plain["ETag"]
    assert packed["Last-Modified"] == plain["Last-Modified"]
    assert packed["Vary"] == plain["Vary"] == "Accept-Encoding, Accept"
    again = fetch(
        shared, "feed.atom", {"Accept-Encoding": "gzip", "If-None-Match": packed["ETag"]}
    )
    assert again.status == 304 and again["Vary"] == "Accept-Encoding, Accept"
    assert again["ETag"] == packed["ETag"]
    # The identity ETag does not validate the gzip representation, nor the reverse.
    crossed = fetch(
        shared, "feed.atom", {"Accept-Encoding": "gzip", "If-None-Match": plain["ETag"]}
    )
    assert crossed.status == 200 and crossed.body == packed.body
    crossed = fetch(shared, "feed.atom", {"If-None-Match": packed["ETag"]})
    assert crossed.status == 200 and crossed.body == plain.body


@pytest.mark.parametrize(
    ("accept_encoding", "gzipped"),
    [  # RFC 9110 12.5.3: codings in any case, x-gzip gzip's alias, `*` any coding not named
        ("gzip;q=0, identity", False),
        ("GZIP", True),
        ("x-gzip", True),
        ("*", True),
        ("br, *;q=0.5", True),
        ("*, gzip;q=0", False),
        ("*;q=0", False),
    ],
)
def test_gzip_is_given_as_accept_encoding_asks(
    shared: Server, accept_encoding: str, gzipped: bool
) -> None:
    reply = fetch(shared, "feed.atom", {"Accept-Encoding": accept_encoding})
    assert reply["Content-Encoding"] == ("gzip" if gzipped else None)
    assert (gzip.decompress(reply.body) if gzipped else reply.body).startswith(b"<?xml")


def test_workers_notice_changes_by_notification(shared: Server) -> None:
    assert shared.log.read_text().count("changes noticed by notify") == 2


def test_two_workers_give_one_etag_and_one_body(shared: Server) -> None:
    replies = [fetch(shared, "feed.atom") for _ in range(40)]
    assert {r["ETag"] for r in replies} == {replies[0]["ETag"]}
    assert {r.body for r in replies} == {replies[0].body}
    assert shared.log.read_text().count(" ready: ") >= 2


def test_requests_are_logged_in_the_combined_access_log_format(shared: Server) -> None:
    def last_line_with(text: str) -> str:
        return next((x for x in reversed(shared.log.read_text().splitlines()) if text in x), "")

    fetch(shared, "feed.rss?from=test", {"User-Agent": "poller-test/1", "Referer": "http://r/"})
    # Other tests poll the shared server too: wait for this request's own line.
    wait_for(
        lambda: '"GET /feed.rss?from=test HTTP/1.1" 200' in last_line_with("poller-test/1"), 5
    )
    line = last_line_with("poller-test/1")
    # HOST - - [DAY/MON/YEAR:H:M:S ZONE] "REQUEST" STATUS BYTES "REFERER" "USER-AGENT"
    combined = (
        r"127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "
        r'"GET /feed\.rss\?from=test HTTP/1\.1" 200 (\d+) "http://r/" "poller-test/1"'
    )
    match = re.fullmatch(combined, line)
    assert match, line
    assert int(match.group(1)) == len(fetch(shared, "feed.rss").body)  # the bytes sent


def test_a_clean_stop_writes_every_request_line_its_workers_held(articles: Path) -> None:
    server = start_ready(articles)
    try:
        for number in range(30):  # lines wait in batches, up to a second (accesslog.Batches)
            assert fetch(server, f"feed.atom?burst={number}").status == 200
    finally:
        stop_server(server)  # at once
    log = server.log.read_text()
    assert [n for n in range(30) if f"GET /feed.atom?burst={n} HTTP/1.1" not in log] == []


def test_default_worker_count_suits_the_machine() -> None:
    assert default_workers() == min(8, (os.cpu_count() or 1) + 1)


# Tests that change the articles get a server of their own.


def _etag(server: Server) -> str:
    return fetch(server, "feed.atom")["ETag"]


def test_a_crawl_past_the_document_cache_still_gets_304s_for_what_it_saw(
    articles: Path,
) -> None:
    write_bulk(articles, 40)
    server = start_ready(articles, env={"FEEDSVC_DOCUMENT_CACHE_BYTES": "60000"}, workers=1)
    try:
        paths = ["feed.atom"] + [f"articles/bulk-{index:03d}" for index in range(40)]
        seen = {}
        for path in paths:  # about 260 KB of permalinks through a 60 KB cache
            reply = fetch(server, path)
            assert reply.status == 200
            seen[path] = reply
        for path in paths:
            again = fetch(server, path, {"If-None-Match": seen[path]["ETag"]})
            assert again.status == 304 and again.body == b"", path
            assert fetch(server, path).body == seen[path].body, path
    finally:
        stop_server(server)


def test_touching_a_file_changes_nothing(server: Server, articles: Path) -> None:
    before = fetch(server, "feed.atom")
    os.utime(articles / SAMPLE)
    time.sleep(1.5)  # past SETTLE and a rescan
    for _ in range(10):
        after = fetch(server, "feed.atom")
        assert after["ETag"] == before["ETag"]
        assert after["Last-Modified"] == before["Last-Modified"]
        assert after.body == before.body


def test_editing_a_body_changes_etag_updated_and_last_modified(
    server: Server, articles: Path
) -> None:
    before = fetch(server, "feed.atom")
    link = server.url + "articles/night-market-guide"
    old_updated = entries(before)[link].updated_parsed
    time.sleep(1.1)  # Last-Modified has a one-second resolution
    path = articles / SAMPLE
    write_settled(path, path.read_text(encoding="utf-8") + "\nA late correction.\n")
    took = wait_for(lambda: _etag(server) != before["ETag"], 5)
    assert took <= 2.0
    time.sleep(0.5)
    after = fetch(server, "feed.atom")
    entry = entries(after)[link]
    assert "A late correction." in entry.content[0].value
    assert entry.updated_parsed > old_updated
    assert parsedate_to_datetime(after["Last-Modified"]) > parsedate_to_datetime(
        before["Last-Modified"]
    )
    replies = [fetch(server, "feed.atom") for _ in range(20)]  # both workers settled
    assert {r["ETag"] for r in replies} == {after["ETag"]}


def test_adding_an_article_shows_within_two_seconds_and_moves_updated(
    server: Server, articles: Path
) -> None:
    before = fetch(server, "feed.atom")
    old_feed_updated = feedparser.parse(before.body).feed.updated_parsed
    time.sleep(1.1)
    write_settled(
        articles / "ferry-timetable.md",
        "---\ntitle: New Ferry Timetable\n---\n\nFerries run every twenty minutes.\n",
    )
    link = server.url + "articles/ferry-timetable"
    seen: list[Reply] = []  # the reply that showed it: the other worker may be a scan behind
    took = wait_for(
        lambda: link in entries(seen.append(fetch(server, "feed.atom")) or seen[-1]), 5
    )
    assert took <= 2.0
    after = feedparser.parse(seen[-1].body)
    assert after.feed.updated_parsed > old_feed_updated
    assert after.entries[0].link == link


def test_deleting_an_article_drops_it_and_its_page_answers_410(
    server: Server, articles: Path
) -> None:
    link = server.url + "articles/night-market-guide"
    assert link in entries(fetch(server, "feed.atom"))
    (articles / SAMPLE).unlink()
    assert wait_for(lambda: link not in entries(fetch(server, "feed.atom")), 5) <= 2.0
    time.sleep(0.5)
    statuses = [fetch(server, "articles/night-market-guide").status for _ in range(10)]
    assert statuses == [410] * 10, server.log.read_text()
    # Each worker took it out of its own snapshot: they agree on the feed, tombstone and all.
    feeds = {(r["ETag"], r.body) for r in (fetch(server, "feed.atom") for _ in range(10))}
    assert len(feeds) == 1 and b"deleted-entry" in next(iter(feeds))[1]


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param("", id="emptied"),
        pytest.param("---\ntitle: [unclosed\n", id="half-written front matter"),
        pytest.param("---\ntitle: Only a title\n", id="front matter never closed"),
    ],
)
def test_a_broken_edit_keeps_the_last_good_version_until_fixed(
    server: Server, articles: Path, broken: str
) -> None:
    link = server.url + "articles/night-market-guide"
    before = fetch(server, "feed.atom")
    good = entries(before)[link]
    path = articles / SAMPLE
    original = path.read_text(encoding="utf-8")
    path.write_text(broken, encoding="utf-8")
    wait_for(lambda: SAMPLE in server.log.read_text(), 5)  # the problem is reported
    time.sleep(0.5)
    kept = fetch(server, "feed.atom")
    assert kept.body == before.body and kept["ETag"] == before["ETag"]
    assert entries(kept)[link].title == good.title
    write_settled(path, original.replace("What to Eat First", "What to Eat Last"))
    wait_for(lambda: "What to Eat Last" in entries(fetch(server, "feed.atom"))[link].title, 5)


def test_max_age_never_runs_past_the_next_scheduled_article(
    server: Server, articles: Path
) -> None:
    due = datetime.now(UTC) + timedelta(seconds=90)
    write_settled(
        articles / "scheduled.md",
        f"---\ntitle: Scheduled\ndate: {due.isoformat()}\n---\n\nSoon.\n",
    )

    def capped() -> bool:
        reply = fetch(server, "feed.atom")
        age = int(reply["Cache-Control"].rsplit("=", 1)[1])
        return reply["Cache-Control"].startswith("public, max-age=") and age <= 90

    wait_for(capped, 5)
    link = server.url + "articles/scheduled"
    assert link not in entries(fetch(server, "feed.atom"))


def test_notifications_off_falls_back_to_a_stat_scan(articles: Path) -> None:
    running = start_ready(articles, env={"FEEDSVC_WATCH": "poll"})
    assert "changes noticed by poll" in running.log.read_text()
    try:
        before = _etag(running)
        write_settled(articles / SAMPLE, (articles / SAMPLE).read_text() + "\nPolled.\n")
        assert wait_for(lambda: _etag(running) != before, 5) <= 2.0
    finally:
        stop_server(running)
