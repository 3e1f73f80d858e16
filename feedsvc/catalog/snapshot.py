"""A snapshot: what one scan of the articles folder publishes, and how it is assembled.

Pure: ``assemble`` turns resolved articles (ids and dates filled in from the
state store) into the immutable ``Snapshot`` the renderers read: published
articles newest first, redirects (an article's aliases and its old slugs),
gone slugs (410), tags, authors (by the slug of their name), the tombstones
of recently deleted articles, and when the snapshot next changes by itself (a
scheduled article comes due, a tombstone expires). Its ``version`` hashes each
article's digest and the tombstones, so equal versions render equal bytes.

The version hashes the sum of the articles' digests (with the redirects, gone
slugs and tombstones): a digest names an article's slug and date, so the sum
names their order too, and ``incremental`` updates it with the digests of the
articles it changes, not all of them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any

from ..errors import Problem
from ..model import Article, Author, Tag, written
from ..reading.normalise import content_hash
from ..reading.text import slugify
from ..store.records import Record

_ARTICLE_FIELDS = tuple(f.name for f in fields(Article))
_VALUES = attrgetter(*_ARTICLE_FIELDS)  # an article's fields in their order, read in C
_ID, _PUBLISHED, _UPDATED = (_ARTICLE_FIELDS.index(n) for n in ("id", "published", "updated"))


@dataclass(frozen=True, slots=True)
class Tombstone:
    """A deleted article as feeds announce it (RFC 6721): its id and when it went."""

    id: str
    when: datetime


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
    authors: dict[str, tuple[Author, tuple[Article, ...]]] = field(default_factory=dict)
    tombstones: tuple[Tombstone, ...] = field(default=())  # newest deletion first
    months: dict[str, tuple[Article, ...]] = field(default_factory=dict)  # "YYYY-MM", oldest first
    old_paths: dict[str, Article] = field(default_factory=dict)  # a blog engine's old paths
    held: frozenset[str] = field(default=frozenset())  # live slugs whose files do not parse
    # Tag slug -> the names (casefolded) scheduled and expired articles give it: what a
    # new article's tags must agree with, looked up instead of passing over those articles.
    waiting_tags: dict[str, frozenset[str]] = field(default_factory=dict)
    # Live slugs that an alias, or an old slug of a live article, names: redirects once
    # that slug goes (so its deletion is rebuilt, not taken out in place).
    shadowed: frozenset[str] = field(default=frozenset())
    # When the site last changed, as far as one instant can say (``latest``): every
    # document's Last-Modified, so a deletion or a back-dated article moves it too.
    changed: datetime | None = None
    # The version's parts: the sum of the articles' digests, a hash of the rest.
    total: int = field(default=0, compare=False, repr=False)
    tail: bytes = field(default=b"", compare=False, repr=False)

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
        a.content_hash.hex(),  # as text: the digests of releases that held it so stay
        a.published,
        a.updated,
        a.lang,
        a.aliases,
        a.enclosure,
        a.image,
        a.text_key,  # the bio (the body is in content_hash)
        a.id_pinned,
        a.date_pinned,
    )
    # repr, not JSON: as stable between processes, and three times faster at 10,000 articles.
    return hashlib.blake2b(repr(shown).encode(), digest_size=16).digest()


def resolve(article: Article, record: Record) -> Article:
    """Return ARTICLE with its id and dates filled in from its RECORD in the state store.

    ARTICLE may be as read or resolved already (against this record or an older one):
    what its file gives is told by its pins (``written``). ARTICLE itself comes back when
    nothing changes, so a resolved article is one object, not a copy beside the one read.
    """
    pinned_id, pinned, pinned_updated = written(article)
    published = pinned or record.first_seen
    updated = pinned_updated or max(record.changed or published, published)
    id_, updated = pinned_id or record.id, max(updated, published)
    if (id_, published, updated) == (article.id, article.published, article.updated):
        return article
    # Not dataclasses.replace, which inspects the class on every call; positional values
    # read at once: 8.7 us an article, not 13.9 (a first start resolves every one).
    values = list(_VALUES(article))
    values[_ID], values[_PUBLISHED], values[_UPDATED] = id_, published, updated
    return Article(*values)


def sort_key(article: Article) -> tuple[Any, ...]:
    """Order articles newest first, then by slug."""
    published = article.published
    assert published is not None  # resolved
    return (-published.timestamp(), article.slug)


def _sorted(articles: list[Article]) -> list[Article]:
    """Return ARTICLES in ``sort_key``'s order, sorted in place by its two parts in turn
    (both sorts are stable): no key tuple per article at once (memory)."""
    articles.sort(key=attrgetter("slug"))
    articles.sort(key=lambda a: -published_at(a).timestamp())
    return articles


def published_at(article: Article) -> datetime:
    assert article.published is not None  # resolved
    return article.published


def stone_key(stone: Tombstone) -> tuple[float, str]:
    """Order tombstones newest first, then by id (the feeds', and ``incremental``'s)."""
    return (-stone.when.timestamp(), stone.id)


SUMS = 1 << 128  # digests are 16 bytes


def digest_sum(digests: Iterable[bytes]) -> int:
    return sum(map(int.from_bytes, digests)) % SUMS


def tail_of(
    redirects: Mapping[str, str], gone: Iterable[str], tombstones: Sequence[Tombstone]
) -> bytes:
    stones = [(t.id, t.when.isoformat()) for t in tombstones]
    return content_hash(
        sorted(redirects.items()), sorted(gone), *([stones] if stones else [])
    ).encode()


def version(total: int, tail: bytes) -> str:
    """Return the hash of what a snapshot serves: its articles' digests' TOTAL, and TAIL."""
    return hashlib.sha256(total.to_bytes(16) + tail).hexdigest()


def by_month(live: Iterable[Article]) -> dict[str, tuple[Article, ...]]:
    """Return LIVE by the month of their date ("YYYY-MM", as written), oldest month first."""
    months: dict[tuple[int, int], list[Article]] = {}
    for article in live:  # strftime per article is slow at 10,000
        published = published_at(article)
        months.setdefault((published.year, published.month), []).append(article)
    return {f"{y:04d}-{m:02d}": tuple(items) for (y, m), items in sorted(months.items())}


def author_slug(author: Author) -> str:
    """Return the slug of AUTHOR's page: their name's, so every spelling of an email agrees."""
    return slugify(author.name)


def by_author(live: Iterable[Article]) -> dict[str, tuple[Author, tuple[Article, ...]]]:
    """Return each author's slug mapped to the author and their articles, in LIVE's order."""
    found: dict[str, tuple[Author, list[Article]]] = {}
    for article in live:
        for author in article.authors:
            slug = author_slug(author)
            if slug:
                items = found.setdefault(slug, (author, []))[1]
                if not items or items[-1] is not article:  # two spellings of one name
                    items.append(article)
    return {slug: (author, tuple(items)) for slug, (author, items) in sorted(found.items())}


def tombstones(records: Mapping[str, Record]) -> dict[str, Tombstone]:
    """Return the tombstone of each gone record by slug (``assemble`` keeps the recent ones)."""
    return {
        slug: Tombstone(record.id, record.gone)
        for slug, record in records.items()
        if record.gone is not None
    }


def assemble(
    resolved: Sequence[Article],
    drafts: Sequence[Article],
    now: datetime,
    *,
    old_slugs: Mapping[str, str],
    gone: set[str],
    problems: tuple[Problem, ...],
    deleted: Mapping[str, Tombstone] | None = None,
    tombstone_days: float = 0,
    held: frozenset[str] = frozenset(),
    changed: datetime | None = None,
) -> Snapshot:
    """Return the snapshot of RESOLVED articles at NOW, last CHANGED then (``latest``).

    OLD_SLUGS maps renamed slugs to current ones; GONE holds the slugs the store saw
    disappear; DELETED maps gone slugs to their tombstones, kept for TOMBSTONE_DAYS;
    HELD holds the slugs of live records whose files do not parse (never gone).
    """
    expired = [a for a in resolved if a.expires is not None and a.expires <= now]
    resolved = [a for a in resolved if a.expires is None or a.expires > now]  # Hugo expiryDate
    live = _sorted([a for a in resolved if published_at(a) <= now])
    scheduled = _sorted([a for a in resolved if published_at(a) > now])
    by_slug = {a.slug: a for a in live}
    redirects: dict[str, str] = {}
    shadowed = {old for old, new in old_slugs.items() if {old, new} <= by_slug.keys()}
    for old, new in sorted(old_slugs.items()):
        if new in by_slug and old not in by_slug:
            redirects[old] = new
    for article in reversed(live):  # the newest article's alias wins
        for alias in article.aliases:
            if alias not in by_slug:
                redirects[alias] = article.slug
            else:
                shadowed.add(alias)
    gone_now = frozenset(slug for slug in gone if slug not in by_slug and slug not in redirects)
    tags: dict[str, tuple[Tag, list[Article]]] = {}
    for article in live:
        for tag in article.tags:
            tags.setdefault(tag.slug, (tag, []))[1].append(article)
    keep = timedelta(days=tombstone_days)
    recent = [t for slug, t in (deleted or {}).items() if slug in gone_now and t.when + keep > now]
    live_ids = {a.id for a in live} if recent else set()  # none to build without (memory)
    stones = sorted((t for t in recent if t.id not in live_ids), key=stone_key)
    due = [scheduled[-1].published] if scheduled else []
    due += [min(t.when for t in stones) + keep] if stones else []
    due += [min(a.expires for a in live if a.expires)] if any(a.expires for a in live) else []
    total = digest_sum(map(digest, live))  # made here, not kept per article (memory)
    tail = tail_of(redirects, gone_now, stones)
    return Snapshot(
        articles=tuple(live),
        by_slug=by_slug,
        redirects=redirects,
        gone=gone_now,
        tags={slug: (tag, tuple(items)) for slug, (tag, items) in sorted(tags.items())},
        next_due=min(d for d in due if d is not None) if due else None,
        version=version(total, tail),
        problems=problems,
        unpublished=tuple(scheduled) + tuple(drafts) + tuple(expired),
        authors=by_author(live),
        tombstones=tuple(stones),
        months=by_month(live),
        old_paths={old: a for a in live for old in a.old_paths},
        held=held - by_slug.keys(),
        waiting_tags=_tag_names(scheduled + expired),
        shadowed=frozenset(shadowed),
        changed=changed,
        total=total,
        tail=tail,
    )


def _tag_names(articles: Iterable[Article]) -> dict[str, frozenset[str]]:
    """Return each tag slug of ARTICLES (but drafts) and the names they give it, casefolded."""
    names: dict[str, set[str]] = {}
    for article in articles:
        for tag in () if article.draft else article.tags:
            names.setdefault(tag.slug, set()).add(tag.name.casefold())
    return {slug: frozenset(found) for slug, found in names.items()}
