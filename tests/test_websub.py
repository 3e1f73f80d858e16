"""WebSub: feeds name their hubs, and each change is announced once, off the request path.

The fast tests check the links and the store's claims. The server tests run a
real hub and subscriber (flask-websub's, tests/websub_hub.py) on loopback
beside `feedsvc serve`.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from conftest import app_config, free_port, start_server, stop_server

from feedsvc import config, create_app
from feedsvc.errors import ConfigError
from feedsvc.store.websub import Pings
from feedsvc.web.publisher import Publisher
from feedsvc.web.websub import backoff, feed_paths

BASE = "http://feeds.example.org/"
HUBS = "https://hub.example.net/ http://127.0.0.1:9/hub"
HELPER = Path(__file__).resolve().parent / "websub_hub.py"


@pytest.mark.parametrize(
    "path", ["feed", "tags/city/feed", "authors/lena-voss/feed"], ids=lambda p: p
)
def test_every_feed_names_its_hubs_and_itself_in_the_document_and_a_link_header(
    articles: Path, path: str
):
    client = create_app(app_config(articles, WEBSUB_HUBS=HUBS)).test_client()
    hubs = HUBS.split()
    for kind in ("atom", "rss"):
        response = client.get(f"/{path}.{kind}")
        parsed = feedparser.parse(response.data)
        assert parsed.bozo == 0
        links = {(link.rel, link.href) for link in parsed.feed.links}
        assert {("hub", hub) for hub in hubs} | {("self", BASE + f"{path}.{kind}")} <= links
        header = response.headers["Link"]
        assert header == ", ".join(
            [f'<{hub}>; rel="hub"' for hub in hubs] + [f'<{BASE}{path}.{kind}>; rel="self"']
        )
    response = client.get(f"/{path}.json")
    document = json.loads(response.data)
    assert document["hubs"] == [{"type": "WebSub", "url": hub} for hub in hubs]
    assert document["feed_url"] == BASE + f"{path}.json"
    assert f'<{BASE}{path}.json>; rel="self"' in response.headers["Link"]


def test_archives_pages_and_feeds_without_hubs_carry_no_hub(articles: Path):
    client = create_app(app_config(articles, WEBSUB_HUBS=HUBS)).test_client()
    months = json.loads(client.get("/feed.json").data)["next_url"].removeprefix(BASE)
    for path in (months, months.replace(".json", ".atom"), "", "articles/night-market-guide"):
        response = client.get("/" + path)
        assert "Link" not in response.headers and b"hub.example.net" not in response.data
    plain = create_app(app_config(articles)).test_client().get("/feed.atom")
    assert "Link" not in plain.headers and b'rel="hub"' not in plain.data


def test_websub_hubs_is_a_list_in_toml_or_text_in_the_environment(tmp_path: Path):
    (tmp_path / "feedsvc.toml").write_text('websub_hubs = ["https://a.example/", "https://b/"]\n')
    loaded = config.load(str(tmp_path / "feedsvc.toml"), env={})
    assert config.hub_list(loaded["WEBSUB_HUBS"]) == ("https://a.example/", "https://b/")
    loaded = config.load(env={"FEEDSVC_WEBSUB_HUBS": "https://a.example/, https://b/"})
    assert config.hub_list(loaded["WEBSUB_HUBS"]) == ("https://a.example/", "https://b/")
    with pytest.raises(ConfigError, match="WEBSUB_HUBS"):
        config.validate({**config.DEFAULTS, "WEBSUB_HUBS": "hub.example.net"})


def test_of_two_workers_offering_the_same_change_exactly_one_arms_the_pings(tmp_path: Path):
    _one_claim_each(str(tmp_path / "state.sqlite3"))


@pytest.mark.server
def test_of_two_nodes_sharing_postgresql_exactly_one_arms_the_pings():
    from postgres import cluster, database

    with cluster(free_port()) as server, database(server) as url:
        _one_claim_each(url)


def _one_claim_each(state: str) -> None:
    first, second = Pings(state), Pings(state)
    hubs = ["http://hub-a/", "http://hub-b/"]
    assert first.offer({"u1": "e1", "u2": "e1"}, hubs, 0.0, announce_new=False) == []
    assert second.offer({"u1": "e1", "u2": "e1"}, hubs, 0.0, announce_new=False) == []
    assert first.next_due() is None, "a feed seen first is recorded, not announced"
    assert first.offer({"u1": "e2", "u2": "e1"}, hubs, 10.0, announce_new=True) == ["u1"]
    assert second.offer({"u1": "e2", "u2": "e1"}, hubs, 10.0, announce_new=True) == []
    assert second.take(9.0, 60) == [], "not due yet"
    taken = second.take(10.0, 60)
    assert sorted((p.hub, p.url, p.attempts) for p in taken) == [
        ("http://hub-a/", "u1", 1),
        ("http://hub-b/", "u1", 1),
    ]
    assert first.take(11.0, 60) == [], "leased by the other worker"
    second.sent(taken[0])
    second.retry(taken[1], 20.0)
    [again] = first.take(20.0, 60)
    assert (again.hub, again.url, again.attempts) == (taken[1].hub, "u1", 2)
    assert first.offer({"u1": "e3"}, hubs, 30.0, announce_new=True) == ["u1"]
    first.sent(again)  # the older try succeeded, but a newer change is armed: it stays
    assert first.next_due() == 30.0
    first.close()
    second.close()


def test_the_feeds_offered_after_a_change_are_the_sites_and_those_of_the_changed_article(
    articles: Path,
):
    publisher = create_app(app_config(articles)).extensions["feedsvc"]
    before = publisher.documents
    everything = feed_paths(before, None)
    assert {"feed.atom", "tags/food/feed.rss", "authors/tomas-brandt/feed.json"} <= set(everything)
    path = articles / "library-night-hours.txt"  # tags city, culture; by Tomás Brandt
    path.write_text(path.read_text().replace("Staff volunteered", "Staff gladly volunteered"))
    os.utime(path, (time.time() - 60, time.time() - 60))
    after = publisher.refresh(datetime.now(UTC))
    assert after is not before
    kinds = ("atom", "rss", "json")
    assert sorted(feed_paths(after, before)) == sorted(
        f"{folder}feed.{kind}"
        for folder in ("", "tags/city/", "tags/culture/", "authors/tomas-brandt/")
        for kind in kinds
    )


@pytest.mark.parametrize(
    ("watch", "interval", "delay"),
    [("poll", 1.0, 1.5), ("poll", 8.0, 8.5), ("poll", 60.0, 60.5), ("notify", 8.0, 5.0)],
)
def test_pings_wait_until_a_polling_worker_has_rescanned(articles, watch, interval, delay):
    """A hub that fetched from a worker a RESCAN_INTERVAL behind would get the old bytes."""
    settings = {**config.DEFAULTS, **app_config(articles, WEBSUB_HUBS="http://127.0.0.1:9/hub")}
    settings.update(WATCH=watch, RESCAN_INTERVAL=interval)
    publisher = Publisher(settings, datetime.now(UTC))
    try:
        publisher.start_watching()
        assert publisher.pinger is not None and publisher.watcher.mode == watch
        assert publisher.pinger.delay == delay
    finally:
        publisher.close()


def test_backoff_doubles_up_to_an_hour():
    assert [backoff(n) for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert backoff(30) == 3600


# A real hub and subscriber beside a real server.


def _start_hub(port: int, events: Path) -> subprocess.Popen:
    for module in ("flask_websub", "celery"):
        try:
            __import__(module)
        except ImportError:
            if os.environ.get("CI") == "true":
                raise
            pytest.skip(f"{module} is not installed: pip install -e '.[test]'")
    with open(events.with_suffix(".log"), "wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(HELPER), str(port), str(events)], stdout=log, stderr=log
        )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/hub", data=b"", timeout=2)
        except urllib.error.HTTPError:
            return process  # 400: it answers
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"hub did not start: {events.with_suffix('.log').read_text()}")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _events(path: Path, kind: str) -> list[dict]:
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [e for e in map(json.loads, lines) if e["event"] == kind]


def _wait(condition, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    return condition()


def _write_article(articles: Path, slug: str, title: str) -> float:
    text = f"---\ntitle: {title}\ntags: [websub-news]\nauthor: Wendy Sub\n---\n\nJust in.\n"
    (articles / f"{slug}.md").write_text(text, encoding="utf-8")
    return time.time()


def _feed_urls(server_url: str, *folders: str) -> set[str]:
    return {
        server_url + f"{folder}feed.{kind}"
        for folder in folders
        for kind in ("atom", "rss", "json")
    }


@pytest.mark.server
def test_a_new_article_reaches_the_subscriber_through_the_hub_within_5_s(
    articles: Path, tmp_path: Path
):
    port, events = free_port(), tmp_path / "hub-events.jsonl"
    hub = _start_hub(port, events)
    hub_url = f"http://127.0.0.1:{port}/hub"
    server = start_server(articles, env={"FEEDSVC_WEBSUB_HUBS": hub_url}, workers=2)
    try:
        status, headers, _ = server.get("feed.atom")
        assert f'<{hub_url}>; rel="hub"' in headers["Link"]
        form = urllib.parse.urlencode({"topic": server.url + "feed.atom"}).encode()
        urllib.request.urlopen(f"http://127.0.0.1:{port}/subscribe", data=form, timeout=20)
        assert _wait(lambda: _events(events, "subscribe"), 10), "the hub verified the subscriber"
        time.sleep(1.0)  # each worker records the feeds it starts with
        written = _write_article(articles, "websub-first", "Hot off the hub")
        found = _wait(
            lambda: [e for e in _events(events, "notification") if "Hot off the hub" in e["body"]],
            15,
        )
        assert found, (events.read_text() if events.exists() else "", server.log.read_text())
        delay = found[0]["time"] - written
        print(f"delivered to the subscriber {delay:.2f} s after the file was written")
        assert delay < 5.0
        parsed = feedparser.parse(found[0]["body"].encode())
        assert parsed.bozo == 0 and parsed.entries[0].title == "Hot off the hub"
        assert found[0]["topic"] == server.url + "feed.atom"
    finally:
        stop_server(server)
        _stop(hub)


@pytest.mark.server
def test_with_three_workers_the_hub_gets_exactly_one_publish_per_changed_feed(
    articles: Path, tmp_path: Path
):
    port, events = free_port(), tmp_path / "hub-events.jsonl"
    hub = _start_hub(port, events)
    hub_url = f"http://127.0.0.1:{port}/hub"
    server = start_server(articles, env={"FEEDSVC_WEBSUB_HUBS": hub_url}, workers=3)
    try:
        time.sleep(1.5)  # each worker records the feeds it starts with
        assert _events(events, "publish") == [], "starting is not a change"
        _write_article(articles, "websub-second", "Three workers, one ping")
        expected = _feed_urls(server.url, "", "tags/websub-news/", "authors/wendy-sub/")
        assert _wait(lambda: expected <= {e["url"] for e in _events(events, "publish")}, 20)
        time.sleep(4.0)  # room for a duplicate to show
        counts = collections.Counter(e["url"] for e in _events(events, "publish"))
        assert counts == dict.fromkeys(expected, 1), counts
        publish = _events(events, "publish")[0]["form"]
        assert publish["hub.mode"] == "publish" and publish["hub.url"] in expected
    finally:
        stop_server(server)
        _stop(hub)


@pytest.mark.server
def test_with_the_hub_down_serving_goes_on_and_the_ping_is_retried(articles: Path, tmp_path: Path):
    port, events = free_port(), tmp_path / "hub-events.jsonl"
    hub_url = f"http://127.0.0.1:{port}/hub"  # nothing listens there yet
    server = start_server(articles, env={"FEEDSVC_WEBSUB_HUBS": hub_url}, workers=2)
    hub = None
    try:
        time.sleep(1.0)
        _write_article(articles, "websub-third", "Nobody at the hub")
        slowest, seen = 0.0, False
        for _ in range(60):  # 60 polls over about 3 s, each answered at once
            started = time.monotonic()
            status, _, body = server.get("feed.atom")
            slowest = max(slowest, time.monotonic() - started)
            assert status == 200
            seen = seen or b"Nobody at the hub" in body
            time.sleep(0.05)
        assert seen and slowest < 1.0, slowest
        assert _wait(lambda: "retrying" in server.log.read_text(), 10), server.log.read_text()
        hub = _start_hub(port, events)
        urls = _feed_urls(server.url, "")
        assert _wait(lambda: urls <= {e["url"] for e in _events(events, "publish")}, 30), (
            server.log.read_text()
        )
        time.sleep(2.0)
        counts = collections.Counter(e["url"] for e in _events(events, "publish"))
        assert all(counts[url] == 1 for url in urls), counts
    finally:
        stop_server(server)
        if hub is not None:
            _stop(hub)
