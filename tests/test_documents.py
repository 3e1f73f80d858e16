"""The URL space keeps rendered documents within DOCUMENT_CACHE_BYTES, and drops nothing a
reader could notice: a document rendered again has the same bytes and ETag."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from conftest import app_config, write_bulk

from feedsvc import config
from feedsvc.web.publisher import Publisher


def publisher(articles: Path, budget: int, count: int = 30) -> Publisher:
    write_bulk(articles, count)
    settings = {**config.DEFAULTS, **app_config(articles, DOCUMENT_CACHE_BYTES=budget)}
    return Publisher(settings, datetime.now(UTC))


def test_kept_documents_stay_within_the_budget_least_recently_served_first_out(
    articles: Path,
) -> None:
    documents = publisher(articles, budget=200_000).documents
    feed = documents.resolve("feed.atom").document
    first = documents.resolve("articles/bulk-000").document
    permalink = len(first.body)
    assert len(feed.body) + 29 * permalink > 200_000 > len(feed.body) + 3 * permalink  # overflows
    for index in range(1, 30):
        assert documents.resolve(f"articles/bulk-{index:03d}").status == 200
        assert documents.resolve("feed.atom").document is feed  # polled: stays rendered
        assert 0 < documents.kept_bytes <= 200_000
    again = documents.resolve("articles/bulk-000").document
    assert again is not first  # dropped, rendered anew...
    assert (again.body, again.etag) == (first.body, first.etag)  # ...to the same bytes


def test_a_zero_budget_still_serves_every_document_the_same(articles: Path) -> None:
    kept = publisher(articles, budget=config.DEFAULTS["DOCUMENT_CACHE_BYTES"], count=5).documents
    bare = publisher(articles, budget=0, count=5).documents
    for path in kept.paths():
        want, got = kept.resolve(path), bare.resolve(path)
        assert (got.status, got.location) == (want.status, want.location), path
        if want.document is not None:
            assert got.document.body == want.document.body, path
    assert bare.kept_bytes <= max(len(bare.resolve(p).document.body) for p in ["", "feed.atom"])
