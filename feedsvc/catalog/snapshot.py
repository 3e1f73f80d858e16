"""A snapshot: what one scan of the articles folder publishes, and how it is assembled.

Pure: ``assemble`` turns resolved articles (ids and dates filled in from the
state store) into the immutable ``Snapshot`` the renderers read: published
articles newest first, redirects (an article's aliases and its old slugs),
gone slugs (410), tags, and when the next scheduled article is due. Its
``version`` hashes each article's digest, so equal versions render equal bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import Problem
from ..model import Article, Tag
from ..reading.normalise import content_hash


@dataclass(frozen=True)
class Snapshot:
    articles: tuple[Article, ...]  # published, newest first
    by_slug: dict[str, Article]
    redirects: dict[str, str]  # alias or old slug -> current slug
    gone: frozenset[str]
    tags: dict[str, tuple[Tag, tuple[Article, ...]]]  # tag slug -> tag, articles
    next_due: datetime | None
    version: str
    problems: tuple[Problem, ...] = field(default=())
    unpublished: tuple[Article, ...] = field(default=())  # drafts and scheduled

    def is_current(self, now: datetime) -> bool:
        """Say whether no scheduled article has come due by NOW."""
        return self.next_due is None or now < self.next_due


def digest(article: Article) -> bytes:
    """Return the hash of what a resolved article shows, for the snapshot's version."""
    a = article
    shown = (
        a.id,
        a.slug,
        a.path,
        a.content_hash,
        a.published,
        a.updated,
        a.lang,
        a.aliases,
        a.enclosure,
        a.text_key,  # the bio (the body is in content_hash)
        a.id_pinned,
        a.date_pinned,
    )
    # repr, not JSON: as stable between processes, and three times faster at 10,000 articles.
    return hashlib.blake2b(repr(shown).encode(), digest_size=16).digest()


def sort_key(article: Article) -> tuple[Any, ...]:
    """Order articles newest first, then by slug."""
    published = article.published
    assert published is not None  # resolved
    return (-published.timestamp(), article.slug)


def _published(article: Article) -> datetime:
    assert article.published is not None  # resolved
    return article.published


def version(
    live: Iterable[Article],
    redirects: Mapping[str, str],
    gone: Iterable[str],
    digests: Mapping[str, bytes],
) -> str:
    """Return the hash of what a snapshot with LIVE, REDIRECTS and GONE serves."""
    return hashlib.sha256(
        b"".join([digests[a.slug] for a in live])
        + content_hash(sorted(redirects.items()), sorted(gone)).encode()
    ).hexdigest()


def assemble(
    resolved: Sequence[Article],
    drafts: Sequence[Article],
    now: datetime,
    *,
    old_slugs: Mapping[str, str],
    gone: set[str],
    digests: Mapping[str, bytes],
    problems: tuple[Problem, ...],
) -> Snapshot:
    """Return the snapshot of RESOLVED articles at NOW.

    OLD_SLUGS maps renamed slugs to current ones; GONE holds the slugs the
    store saw disappear; DIGESTS maps each slug to ``digest`` of its article.
    """
    live = sorted((a for a in resolved if _published(a) <= now), key=sort_key)
    scheduled = sorted((a for a in resolved if _published(a) > now), key=sort_key)
    by_slug = {a.slug: a for a in live}
    redirects = {}
    for old, new in sorted(old_slugs.items()):
        if new in by_slug and old not in by_slug:
            redirects[old] = new
    for article in reversed(live):  # the newest article's alias wins
        for alias in article.aliases:
            if alias not in by_slug:
                redirects[alias] = article.slug
    gone_now = frozenset(slug for slug in gone if slug not in by_slug and slug not in redirects)
    tags: dict[str, tuple[Tag, list[Article]]] = {}
    for article in live:
        for tag in article.tags:
            tags.setdefault(tag.slug, (tag, []))[1].append(article)
    return Snapshot(
        articles=tuple(live),
        by_slug=by_slug,
        redirects=redirects,
        gone=gone_now,
        tags={slug: (tag, tuple(items)) for slug, (tag, items) in sorted(tags.items())},
        next_due=scheduled[-1].published if scheduled else None,
        version=version(live, redirects, gone_now, digests),
        problems=problems,
        unpublished=tuple(scheduled) + tuple(drafts),
    )
