"""FEED_MAX_BYTES: a feed never exceeds it; the oldest entries lose their content first.

Over the budget, entries fall back to their summaries from the oldest up;
when even an all-summary feed is too big, the oldest entries are dropped.
"""

from __future__ import annotations

import html
import json
import os
import time
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import app_config
from feed_checks import NS, xml

from feedsvc import create_app
from feedsvc.render import feeds, formats

KINDS = ["atom", "rss", "json"]
COUNT = 12
OLD = time.time() - 3600


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """Twelve articles of about 4 KB each, one a day, with short summaries."""
    articles = tmp_path_factory.mktemp("budget") / "articles"
    articles.mkdir()
    for day in range(1, COUNT + 1):
        body = "\n\n".join(f"Paragraph {n} of day {day}: " + "word " * 60 for n in range(12))
        path = articles / f"day-{day:02d}.md"
        path.write_text(
            f"---\ntitle: Day {day}\ndate: 2026-05-{day:02d}T08:00:00Z\n"
            f"summary: The short summary of day {day} & more.\n---\n\n{body}\n"
        )
        os.utime(path, (OLD, OLD))
    return articles


def _feed(corpus: Path, kind: str, budget: int) -> bytes:
    config = app_config(corpus, FEED_MAX_BYTES=budget, ID_AUTHORITY="example.org")
    response = create_app(config).test_client().get(f"/feed.{kind}")
    assert response.status_code == 200
    return response.data


def _entries(kind: str, body: bytes) -> list[tuple[str, bool]]:
    """Return (id, carries full content) for each entry, in document order."""
    if kind == "json":
        return [
            (i["id"], i["content_html"] != f"<p>{html.escape(i['summary'])}</p>")
            for i in json.loads(body)["items"]
        ]
    root = xml(body)
    if kind == "atom":
        return [
            (e.findtext("a:id", namespaces=NS), e.find("a:content", NS) is not None)
            for e in root.iterfind("a:entry", NS)
        ]
    return [
        (i.findtext("guid"), i.find("content:encoded", NS) is not None)
        for i in root.iterfind("channel/item")
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_a_feed_under_budget_is_untouched(corpus: Path, kind: str) -> None:
    full = _feed(corpus, kind, 10_000_000)
    assert _feed(corpus, kind, len(full)) == full
    assert [has for _, has in _entries(kind, full)] == [True] * COUNT


@pytest.mark.parametrize("kind", KINDS)
def test_the_budget_is_never_exceeded_and_oldest_lose_content_first(
    corpus: Path, kind: str
) -> None:
    full = _feed(corpus, kind, 10_000_000)
    everything = [entry_id for entry_id, _ in _entries(kind, full)]
    seen_dropping = seen_summaries = False
    previous = None
    for fraction in (0.95, 0.8, 0.6, 0.4, 0.25, 0.15, 0.1, 0.05):
        budget = int(len(full) * fraction)
        body = _feed(corpus, kind, budget)
        assert len(body) <= budget, (fraction, len(body), budget)
        entries = _entries(kind, body)
        ids = [entry_id for entry_id, _ in entries]
        assert ids == everything[: len(ids)], "the newest entries are kept, in order"
        flags = [has for _, has in entries]
        assert flags == sorted(flags, reverse=True), "content is lost from the oldest up"
        if len(ids) < COUNT:
            seen_dropping = True
            assert not any(flags), "entries are dropped only once all are summaries"
        elif not all(flags):
            seen_summaries = True
        if previous is not None:
            assert (len(ids), sum(flags)) <= previous, "less budget never gives more"
        previous = (len(ids), sum(flags))
    assert seen_summaries and seen_dropping, "the fractions cover both fallbacks"


@pytest.mark.parametrize("kind", KINDS)
def test_the_most_that_fit_are_kept_as_a_linear_search_finds(corpus: Path, kind: str) -> None:
    publisher = create_app(app_config(corpus, ID_AUTHORITY="example.org")).extensions["feedsvc"]
    articles = publisher.documents.snapshot.articles
    info = feeds.FeedInfo("tag:example.org,2026:feed", "Budget", "feed")
    make, bodies = formats.FORMATS[kind].renderer, publisher.bodies
    site = publisher.site
    options = [make(site, info, articles, n, bodies) for n in range(COUNT, -1, -1)]  # most first
    options += [make(site, info, articles[:n], 0, bodies) for n in range(COUNT - 1, -1, -1)]
    sizes = [len(body) for body in options]
    assert sizes == sorted(sizes, reverse=True)
    for budget in sorted({size + delta for size in sizes for delta in (-1, 0, 1)}):
        expected = next((body for body in options if len(body) <= budget), options[-1])
        got = formats.render(kind, replace(site, feed_max_bytes=budget), info, articles, bodies)
        assert got == expected, budget
