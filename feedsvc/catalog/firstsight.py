"""What the catalog tells the store about files it sees: dates at first sight, who came first.

An undated file without a record gets the best evidence of when it was first
published: a date in its file name (``2024-03-05-slug.md``, midnight in the
site's zone), else the commit that added it when the folder is in a git work
tree (one ``git log`` pass for all of them, see ``history``), else none, and the
store dates it when first seen. Records decide who came first: an article that
already has a live record keeps its slug and id against any newcomer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
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
        if not a.date_pinned and (a.slug not in known or known[a.slug].gone is not None)
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
            a.published if a.date_pinned else None,  # ARTICLES may be resolved already
            evidence.get(a.path),
            a.title,
            a.id if a.id_pinned else None,
            a.text_key,
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
    if name_date(article.path, UTC) is None:
        return article  # the usual case, kept cheap: no date in the name
    legacy = legacy_slug(article.path)
    if article.slug == legacy or article.slug != name_slug(article.path):
        return article
    owner = records.owner(store.db, legacy)
    if owner is None or (owner[0] != article.path and owner[1] != article.content_hash):
        return article
    return replace(article, slug=legacy)


class FirstCome:
    """Which of several articles claiming one slug or id was published first, if any."""

    def __init__(self, store: StateStore, before: Mapping[str, Record]):
        self.db = store.db
        self.live = {slug for slug, record in before.items() if record.gone is None}

    def by_slug(self, slug: str, group: list[Article]) -> Article | None:
        """Return the article of GROUP whose live record holds SLUG: same path, else content."""
        owner = records.owner(self.db, slug)
        if owner is None or owner[2] or slug not in self.live:
            return None
        path, content, _ = owner
        return next((a for a in group if a.path == path), None) or next(
            (a for a in group if a.content_hash == content), None
        )

    def by_id(self, _: str, group: list[Article]) -> Article | None:
        """Return the article of GROUP that was published before the others, if any was."""
        slugs = [a.slug for a in group if a.slug in self.live]
        first = records.first_recorded(self.db, slugs) if slugs else None
        return next((a for a in group if a.slug == first), None)


Heard = dict[str, Article | None]  # slug -> an article as the store heard it; None: differs


def heard(store: StateStore, current: Heard) -> Heard:
    """Return what STORE heard last of each live record, for a first sync against CURRENT:
    a start-up syncs only what changed meanwhile.

    Read row by row, and kept as CURRENT's article where it agrees (None where it
    differs): a load never holds a second copy of every slug's hash and path (memory).
    """
    found: Heard = {}
    for slug, hash_, path in store.heard():
        article = current.get(slug)
        if article is None:
            found[slug] = None
        else:  # keyed by the article's own slug string: the row's goes (memory)
            same = (article.content_hash, article.path) == (hash_, path)
            found[article.slug] = article if same else None
    return found


def heard_as(heard: Article | None, article: Article) -> bool:
    """Say whether HEARD (what the store heard of ARTICLE's slug) has ARTICLE's content and path.

    The articles themselves stand for what the store heard: no (hash, path) pair each (memory).
    """
    return (
        heard is not None
        and heard.content_hash == article.content_hash
        and heard.path == article.path
    )


def unheard(heard: Heard, articles: Iterable[Article]) -> Iterator[Article]:
    """Yield ARTICLES that the store has not heard as they are now (HEARD: what it has)."""
    return (a for a in articles if not heard_as(heard.get(a.slug), a))
