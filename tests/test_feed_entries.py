"""Feed entries kept between renders (``render/entries.py``): issue 14, one change's cost.

After one change, a feed's other entries are as they were; building them was most
of the render. A kept entry must never change what is served.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import app_config

from feedsvc import create_app
from feedsvc.model import Article, Text
from feedsvc.render import entries
from feedsvc.web.watch import utcnow


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Return the slugs whose entries are built, as they are built; start with none kept."""
    built: list[str] = []
    real = entries.content

    def content(article: Article, *rest: Any) -> tuple[str, str]:
        built.append(article.slug)
        return real(article, *rest)

    monkeypatch.setattr(entries, "content", content)
    entries._ENTRIES.clear()
    return built


def feeds(publisher: Any) -> dict[str, bytes]:
    out = {}
    for name in ("feed.atom", "feed.rss"):
        document = publisher.documents.render(name).document
        out[name] = document.body
    return out


def test_a_feed_rendered_again_builds_only_the_changed_entry(
    articles: Path, counted: list[str]
) -> None:
    app = create_app(app_config(articles))
    publisher = app.extensions["feedsvc"]
    first = feeds(publisher)
    assert sorted(set(counted)) == sorted(a.slug for a in publisher.catalog.snapshot.articles)
    counted.clear()
    assert feeds(publisher) == first and counted == []  # Atom and RSS share the entries
    entries._ENTRIES.clear()
    assert feeds(publisher) == first  # kept or built, the same bytes
    counted.clear()
    market = articles / "night-market-guide.md"
    market.write_text(market.read_text().replace("every Thursday", "every Friday"))
    past = time.time() - 5  # settled: written five seconds ago
    os.utime(market, (past, past))
    publisher.refresh(utcnow(), {market.name})
    after = feeds(publisher)
    assert counted == ["night-market-guide"]  # its entry only, once: Atom and RSS share it
    assert after != first and b"every Friday" in after["feed.atom"]


class StandIn:
    """Bodies that cannot give the article's text: they hand out a stand-in."""

    def __init__(self) -> None:
        self.stand_ins = 0

    def text(self, article: Article) -> Text:
        self.stand_ins += 1
        return Text(f"{article.title} (unavailable)", "")


def test_an_entry_built_from_a_stand_in_is_never_kept(articles: Path, counted: list[str]) -> None:
    app = create_app(app_config(articles))
    publisher = app.extensions["feedsvc"]
    article = publisher.catalog.snapshot.articles[0]
    bodies = StandIn()
    entries.entry(article, publisher.site, bodies, True)
    entries.entry(article, publisher.site, bodies, True)
    assert counted == [article.slug, article.slug]  # built twice: the folder may be back
    kept = entries.entry(article, publisher.site, publisher.bodies, True)
    assert entries.entry(article, publisher.site, publisher.bodies, True) is kept
    assert counted == [article.slug] * 3


def test_a_kept_entry_weighs_its_characters() -> None:
    """The kept entries are bounded in characters: a summary and a body both count."""
    from feedgen.entry import FeedEntry

    small, large = FeedEntry(), FeedEntry()
    for entry, size in ((small, 10), (large, 100_000)):
        entry.summary("s" * size)
        entry.content("<p>" + "c" * size + "</p>", type="html")
    assert entries._chars(large) - entries._chars(small) == 2 * (100_000 - 10)
