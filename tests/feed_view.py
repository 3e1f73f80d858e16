"""What a feed reader sees: the three feeds parsed by real client libraries.

Shared by the hostile-input, XSS, fault and churn tests: Atom and RSS go
through feedparser (bozo must be 0), JSON Feed through ``json`` with the
fields JSON Feed 1.1 requires.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import feedparser

KINDS = ("atom", "rss", "json")


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    published: str
    link: str
    content: str  # HTML as the reader receives it, unescaped


def parse_feed(kind: str, body: bytes) -> list[Entry]:
    """Return the entries of a feed BODY of KIND; raise AssertionError when it is malformed."""
    if kind == "json":
        data = json.loads(body)
        assert data["version"] == "https://jsonfeed.org/version/1.1"
        return [
            Entry(
                item["id"],
                item.get("title", ""),
                item.get("date_published", ""),
                item.get("url", ""),
                item.get("content_html", "") + item.get("summary", ""),
            )
            for item in data["items"]
        ]
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, f"{kind} feed is malformed: {parsed.get('bozo_exception')}"
    assert parsed.version == {"atom": "atom10", "rss": "rss20"}[kind]
    entries = []
    for item in parsed.entries:
        html = "".join(c.value for c in item.get("content", [])) + item.get("summary", "")
        entries.append(Entry(item.id, item.title, item.get("published", ""), item.link, html))
    return entries


def read_feeds(get: Callable[[str], tuple[int, bytes]]) -> dict[str, list[Entry]]:
    """Fetch and parse the three main feeds with GET(path) -> (status, body)."""
    feeds = {}
    for kind in KINDS:
        status, body = get(f"/feed.{kind}")
        assert status == 200, f"/feed.{kind} answered {status}"
        feeds[kind] = parse_feed(kind, body)
    return feeds


def client_get(client) -> Callable[[str], tuple[int, bytes]]:
    """Adapt a Flask test client to read_feeds."""

    def get(path: str) -> tuple[int, bytes]:
        response = client.get(path)
        return response.status_code, response.data

    return get


def server_get(server) -> Callable[[str], tuple[int, bytes]]:
    """Adapt a conftest Server to read_feeds."""

    def get(path: str) -> tuple[int, bytes]:
        status, _, body = server.get(path)
        return status, body

    return get
