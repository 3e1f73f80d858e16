"""A published article whose file is broken when a process starts never vanishes.

Issue 12: a deploy, a crash or a lost store never makes a published article
vanish or change its id or date. A file that is there but does not parse is no
deletion: no 410, no tombstone, no ping for it. The article stays in the feeds
as the last process read it (``STATE.parsed``), else it is held out of them and
its URL answers 503 with Retry-After, until the file is fixed, when it is back
with its id and date.
"""

from __future__ import annotations

import http.server
import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import feedparser
import lxml.etree
import pytest
from click.testing import CliRunner
from conftest import Server, start_server, stop_server
from test_polling import start_ready

from feedsvc.cli import main

BASE_URL = "http://feeds.example.org/"
SLUG = "night-market-guide"
BROKEN = "---\ntitle: [a bracket never closed\n---\n\nHalf a thought.\n"
TOMBSTONE = "{http://purl.org/atompub/tombstones/1.0}deleted-entry"


class Hub(http.server.ThreadingHTTPServer):
    """A WebSub hub on loopback that only records the publish requests it gets."""

    def __init__(self) -> None:
        self.published: list[bytes] = []
        hub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                hub.published.append(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(202)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/hub"


@pytest.fixture
def hub() -> Iterator[Hub]:
    running = Hub()
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    yield running
    running.shutdown()
    running.server_close()


def settle(folder: Path) -> None:
    hour_ago = time.time() - 3600
    for path in folder.rglob("*"):
        os.utime(path, (hour_ago, hour_ago))


def entries(server: Server) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """Return the Atom feed's entries (slug -> id, published) and its tombstones' refs."""
    status, _, body = server.get("feed.atom")
    assert status == 200
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, parsed.bozo_exception
    found = {e.link.rsplit("/", 1)[1]: (e.id, e.published) for e in parsed.entries}
    stones = [e.get("ref") for e in lxml.etree.fromstring(body).iter(TOMBSTONE)]
    return found, stones


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@pytest.mark.server
@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("cached", [True, False], ids=["parsed-kept", "no-parsed"])
def test_a_file_broken_while_stopped_never_makes_its_article_gone(
    articles: Path, tmp_path: Path, hub: Hub, workers: int, cached: bool
) -> None:
    settle(articles)
    state = tmp_path / "state.sqlite3"
    env = {
        "FEEDSVC_STATE": str(state),
        "FEEDSVC_BASE_URL": BASE_URL,  # STATE.parsed is kept for the same settings only
        "FEEDSVC_RESCAN_INTERVAL": "0.2",
        "FEEDSVC_WEBSUB_HUBS": hub.url,
    }
    server = start_server(articles, env=env, workers=workers)
    try:
        before, stones = entries(server)
    finally:
        stop_server(server)  # a clean stop: STATE.parsed holds every clean file
    assert SLUG in before and not stones
    path = articles / f"{SLUG}.md"
    good = path.read_bytes()
    path.write_text(BROKEN, "utf-8")
    if not cached:
        Path(f"{state}.parsed").unlink()
    # The warm start would answer the feeds as the clean stop served them: ask the loaded app.
    Path(f"{state}.served").unlink(missing_ok=True)

    server = start_server(articles, env=env, workers=workers)
    try:
        for _ in range(10):  # spread over the workers; each answers the same
            status, headers, _ = server.get(f"articles/{SLUG}")
            now, stones = entries(server)
            assert not stones, "a file that does not parse is no deletion"
            if cached:
                assert status == 200
                assert now[SLUG] == before[SLUG]  # its id and date, from STATE.parsed
            else:
                assert status == 503 and headers["Retry-After"] == "300"
                assert SLUG not in now
            assert {k: v for k, v in now.items() if k != SLUG} == {
                k: v for k, v in before.items() if k != SLUG
            }
        if not cached:
            time.sleep(2.0)  # pings are due 0.7 s after a change
            assert hub.published == [], "an article held out of the feeds is no change to ping"
        checked = CliRunner().invoke(
            main, ["check", "--articles", str(articles)], env={"FEEDSVC_STATE": str(state)}
        )
        assert re.search(rf"^{SLUG}\.md:\d+: error: ", checked.output, re.M), checked.output
        assert checked.exit_code == 1

        path.write_bytes(good)  # fixed: back with its id and date
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            answers = [server.get(f"articles/{SLUG}")[0] for _ in range(6)]
            if answers == [200] * 6 and all(entries(server)[0] == before for _ in range(6)):
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"not back: {answers}, {entries(server)}")
        assert not entries(server)[1]
    finally:
        stop_server(server)


@pytest.mark.server
@pytest.mark.parametrize("cached", [True, False], ids=["parsed-kept", "no-parsed"])
def test_a_respawned_worker_never_marks_gone_an_article_whose_file_broke_while_it_ran(
    articles: Path, tmp_path: Path, hub: Hub, cached: bool
) -> None:
    """Two workers keep the last good version; one is killed; its successor reads a broken file.

    STATE.parsed is written at a clean stop: with one behind it (a server restarted once),
    the successor serves the last good version too; without, it holds the article (503)
    while the other worker serves it, and neither makes it gone.
    """
    settle(articles)
    state = tmp_path / "state.sqlite3"
    env = {
        "FEEDSVC_STATE": str(state),
        "FEEDSVC_BASE_URL": BASE_URL,
        "FEEDSVC_RESCAN_INTERVAL": "0.2",
        "FEEDSVC_WEBSUB_HUBS": hub.url,
    }
    if cached:
        stop_server(start_server(articles, env=env, workers=2))
        assert Path(f"{state}.parsed").exists()
    server = start_ready(articles, env=env, workers=2)  # loaded: a warm start answers before
    try:
        before, _ = entries(server)
        path = articles / f"{SLUG}.md"
        good = path.read_bytes()
        path.write_text(BROKEN, "utf-8")
        time.sleep(1.5)  # both workers rescan: each keeps the last good version
        workers = children(server.process.pid)
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 20
        while len(set(children(server.process.pid)) - {workers[0]}) < 2:
            assert time.monotonic() < deadline, "no worker respawned"
            time.sleep(0.1)
        time.sleep(3.0)  # the respawned worker loads and scans
        statuses = set()
        for _ in range(20):
            statuses.add(server.get(f"articles/{SLUG}")[0])
            now, stones = entries(server)
            assert not stones, server.log.read_text()
            assert now.get(SLUG) in ((None,) if not cached else ()) + (before[SLUG],)
        assert statuses == {200} if cached else statuses <= {200, 503}, statuses
        path.write_bytes(good)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if all(entries(server)[0] == before for _ in range(6)):
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"not back with its id and date: {entries(server)}")
        time.sleep(2.0)  # pings are due 0.7 s after a change
        if cached:  # the feeds' bytes are as before the break: nothing was announced
            assert hub.published == [], server.log.read_text()[-6000:]
    finally:
        stop_server(server)
