"""What the catalog tells the store about files it sees: their dates at first sight.

An undated file without a record gets the best evidence of when it was first
published: a date in its file name (``2024-03-05-slug.md``, midnight in the
site's zone), else the commit that added it when the folder is in a git work
tree (one ``git log`` pass for all of them, see ``history``), else none, and the
store dates it when first seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, tzinfo

from ..model import Article
from ..reading.dates import name_date
from ..reading.normalise import legacy_slug, name_slug
from ..store import records
from ..store.db import StateStore
from ..store.records import Record, Seen
from . import history

FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


def seen(
    articles: Iterable[Article], known: Mapping[str, Record], root: str, zone: tzinfo
) -> list[Seen]:
    """Return what the store must hear of ARTICLES, those without a record in KNOWN dated.

    They come sorted by date (written, else evidence; undated last), then path,
    so newcomers are recorded, and their invented dates taken, in that order.
    """
    articles = list(articles)
    new = [
        a
        for a in articles
        if a.published is None and (a.slug not in known or known[a.slug].gone is not None)
    ]
    evidence = {a.path: when for a in new if (when := name_date(a.path, zone)) is not None}
    if any(a.path not in evidence for a in new):
        added = history.added_dates(root)
        evidence = {**added, **evidence}
    items = [
        Seen(
            a.slug,
            a.path,
            a.content_hash,
            a.published,
            evidence.get(a.path),
        )
        for a in articles
    ]
    items.sort(key=lambda s: (s.date or s.evidence or FAR_FUTURE, s.path))
    return items


def keep_legacy_slug(store: StateStore, article: Article) -> Article:
    """Return ARTICLE under the slug its whole file name gave, if it was published so.

    Before file-name dates were read, ``2024-03-05-news.md`` had the slug
    ``2024-03-05-news``; an article recorded under it keeps it.
    """
    legacy = legacy_slug(article.path)
    if article.slug == legacy or article.slug != name_slug(article.path):
        return article
    owner = records.owner(store.db, legacy)
    if owner is None or (owner[0] != article.path and owner[1] != article.content_hash):
        return article
    return replace(article, slug=legacy)
