"""Crawl the real server from its index: every internal link answers, everything is reached.

Run with BASE_URL at a host's root and under /news/; under /news/ the crawl is
done twice, once as a proxy that keeps the prefix sends requests and once as
one that strips it. Links are followed in pages (a and link elements) and in
feeds (Atom and RSS links, JSON Feed URLs); an internal link must answer 200,
or 301 when it is an old slug of an article, pointing at that article.
"""

from __future__ import annotations

import http.client
import json
import os
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import feedparser
import lxml.etree
import lxml.html
import pytest
from conftest import Server, start_server, stop_server

pytestmark = pytest.mark.server

ATOM = "{http://www.w3.org/2005/Atom}"
ARTICLES = [
    "harbour-bridge-reopens",
    "library-night-hours",
    "night-market-guide",
    "river-cleanup-volunteers",
    "bridge-tolls",
    "ferry-timetable",
]
TAGS = ["transport", "city", "culture", "food", "ferries"]
ALIASES = {"old-tolls": "bridge-tolls"}
EXTRA = {
    "bridge-tolls.md": """
        ---
        title: Bridge tolls return
        date: 2026-10-10T08:00:00Z
        tags: [transport]
        aliases: [old-tolls]
        ---
        The tolls are back on the harbour bridge.
        """,
    "ferry-timetable.md": """
        ---
        title: Winter ferry timetable
        date: 2026-09-28T07:00:00Z
        tags: [ferries, transport]
        ---
        Fewer sailings until spring. Tolls on the bridge: see [our earlier report](old-tolls).
        """,
}
LIMIT = 400  # requests per crawl
DEADLINE = 60.0  # seconds per crawl


def expected_paths(now: datetime) -> set[str]:
    """Return what a crawl must reach, worked out from the article files above, not the code."""
    months = {"2026-09", "2026-10", "2026-11", f"{now:%Y-%m}"}  # the undated one: first seen now
    paths = {"", "feed.atom", "feed.rss", "feed.json"}
    paths |= {f"articles/{slug}" for slug in ARTICLES}
    for tag in TAGS:
        paths |= {f"tags/{tag}/"} | {f"tags/{tag}/feed.{kind}" for kind in ("atom", "rss", "json")}
    paths |= {f"archive/{month}.{kind}" for month in months for kind in ("atom", "rss", "json")}
    paths |= {"page/2/", "page/3/"}  # six articles, PAGE_SIZE 2
    paths |= {f"static/{name}" for name in ("style.css", "print.css", "favicon.svg", "feed.css")}
    return paths


def fetch(server: Server, path: str) -> tuple[int, dict[str, str], bytes]:
    """GET PATH on SERVER without following redirects."""
    connection = http.client.HTTPConnection("127.0.0.1", urlsplit(server.url).port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def stylesheets(root: lxml.etree._Element) -> list[str]:
    """Return the hrefs of the xml-stylesheet instructions before ROOT."""
    return [
        pi.get("href")
        for pi in root.itersiblings(preceding=True)
        if isinstance(pi, lxml.etree._ProcessingInstruction) and pi.target == "xml-stylesheet"
    ]


def links_in(content_type: str, body: bytes, url: str) -> list[str]:
    """Return the URLs a page or feed links to, or loads (stylesheets)."""
    if content_type.startswith("text/html"):
        page = lxml.html.fromstring(body, base_url=url)
        return [e.get("href") for e in page.cssselect("a[href], link[href]")]
    if content_type.startswith("application/atom+xml"):
        assert feedparser.parse(body).bozo == 0, url
        root = lxml.etree.fromstring(body)
        return [e.get("href") for e in root.iter(f"{ATOM}link")] + stylesheets(root)
    if content_type.startswith("application/rss+xml"):
        assert feedparser.parse(body).bozo == 0, url
        root = lxml.etree.fromstring(body)
        return (
            [e.text for e in root.iter("link")]
            + [e.get("href") for e in root.iter(f"{ATOM}link")]
            + [e.text for e in root.iter("guid") if e.get("isPermaLink") != "false"]
            + stylesheets(root)
        )
    if content_type.startswith("application/feed+json"):
        feed = json.loads(body)
        found = [feed.get(k) for k in ("home_page_url", "feed_url", "next_url")]
        return found + [item.get("url") for item in feed["items"]]
    return []


def crawl(server: Server, base: str, mount: str) -> dict[str, int]:
    """Crawl from BASE's index, requesting BASE's paths under MOUNT; return path -> status."""
    seen: dict[str, int] = {}
    queue = [base]
    deadline = time.monotonic() + DEADLINE
    while queue:
        assert len(seen) < LIMIT and time.monotonic() < deadline, "crawl did not finish"
        url = queue.pop(0)
        path = url[len(base) :]
        if path in seen:
            continue
        status, headers, body = fetch(server, mount + path)
        seen[path] = status
        if status == 301:
            slug = path.removeprefix("articles/")
            assert slug in ALIASES, f"{url} redirects but is no alias"
            assert headers["location"] == base + f"articles/{ALIASES[slug]}"
            queue.append(headers["location"])
            continue
        assert status == 200, f"{url} answered {status}"
        for link in links_in(headers["content-type"], body, url):
            if link:
                target = urldefrag(link)[0]
                if target.startswith(base) and target[len(base) :] not in seen:
                    queue.append(target)
    return seen


def write_extra(articles: Path) -> None:
    past = time.time() - 60
    for name, text in EXTRA.items():
        path = articles / name
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        os.utime(path, (past, past))


@pytest.fixture(
    params=["http://feeds.example.org/", "http://feeds.example.org/news/"], ids=["root", "news"]
)
def site(request, articles: Path) -> Iterator[tuple[Server, str]]:
    write_extra(articles)
    server = start_server(
        articles, env={"FEEDSVC_BASE_URL": request.param, "FEEDSVC_PAGE_SIZE": "2"}, workers=1
    )
    yield server, request.param
    stop_server(server)


def test_crawl_from_the_index_reaches_everything_and_every_link_answers(site):
    server, base = site
    mounts = {urlsplit(base).path, "/"}  # under /news/: the prefix kept, then stripped
    for mount in mounts:
        seen = crawl(server, base, mount)
        missing = expected_paths(datetime.now(UTC)) - seen.keys()
        assert not missing, f"not reached from {base} (requests under {mount}): {sorted(missing)}"
        assert seen["articles/old-tolls"] == 301
        assert set(seen.values()) == {200, 301}
