"""The catalog: the articles folder, read incrementally, as immutable snapshots.

A scan stats every file and reads only the new and changed ones (a file whose
mtime is younger than SETTLE seconds is left for the next scan, so a file
caught half-written is not published; the first scan reads everything). A
file that fails after an edit keeps its last good version until it parses
again. Duplicate slugs and ids are
resolved deterministically: the earlier date wins, then the path. History
comes from the state store. The clock is passed in as ``now``; a snapshot is
current until the files change or the next scheduled article is due.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any

from . import files
from .errors import ArticleError, Problem, warning
from .normalise import Article, Defaults, Tag, content_hash, normalise
from .readers import READERS
from .state import Record, Seen, StateStore

log = logging.getLogger(__name__)
SETTLE = 0.25
FAR_FUTURE = datetime.max.replace(tzinfo=UTC)
_ARTICLE_FIELDS = tuple(f.name for f in fields(Article))


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


@dataclass(slots=True)
class _File:
    signature: tuple[int, ...]
    article: Article | None
    problems: tuple[Problem, ...]


def read_article(
    found: files.Found, defaults: Defaults, max_bytes: int
) -> tuple[Article, list[Problem]]:
    """Read, parse and normalise one file; raise ArticleError when it cannot be published."""
    text, problems = files.read(found, max_bytes)
    fmt = files.FORMATS[found.path[found.path.rfind(".") :].lower()]
    raw = READERS[fmt](found.path, text)
    return normalise(raw, defaults), problems + list(raw.warnings)


def _sort_key(article: Article) -> tuple[Any, ...]:
    return (-article.published.timestamp(), article.slug)


class Catalog:
    """Scan an articles folder and keep the latest snapshot of it."""

    def __init__(self, root: str, defaults: Defaults, store: StateStore, authority: str,
                 max_bytes: int, wall: Callable[[], float] = time.time,
                 authority_pinned: bool = False):
        self.root = root
        self.defaults = defaults
        self.store = store
        self.authority = authority
        self.authority_pinned = authority_pinned  # ID_AUTHORITY set: mint new ids with it
        self._logged: frozenset[Problem] = frozenset()
        self.max_bytes = max_bytes
        self.wall = wall
        self.files: dict[str, _File] = {}
        self.synced: dict[str, tuple[str, str]] = {}
        self.records: dict[str, Record] = store.records()
        self.snapshot: Snapshot | None = None
        self._walk_problems: tuple[Problem, ...] = ()

    def scan(self, now: datetime) -> Snapshot:
        """Return the snapshot of the folder at NOW, re-reading only what changed."""
        found, walk_problems = files.discover(self.root)
        changed = self._read_changed(found)
        if tuple(walk_problems) != self._walk_problems:
            self._walk_problems = tuple(walk_problems)
            for problem in walk_problems:
                log.warning("%s", problem)
            changed = True
        if changed or self.snapshot is None or not self.snapshot.is_current(now):
            self.snapshot = self._build(now)
        return self.snapshot

    def _read_changed(self, found: list[files.Found]) -> bool:
        changed = False
        wall = self.wall()
        paths = set()
        for item in found:
            paths.add(item.path)
            entry = self.files.get(item.path)
            if entry is not None and entry.signature == item.signature:
                continue
            if self.snapshot is not None and 0 <= wall - item.signature[2] / 1e9 < SETTLE:
                continue  # maybe still being written: read it on a later scan
            changed = True
            previous = entry.article if entry else None
            try:
                article, problems = read_article(item, self.defaults, self.max_bytes)
            except Exception as e:  # noqa: BLE001 - a bug must cost one article, not the feed
                if not isinstance(e, ArticleError):
                    log.exception("unexpected error reading %s", item.path)
                    e = ArticleError(item.path, f"unexpected error, please report it: "
                                     f"{type(e).__name__}: {e}"[:300])
                article, problems = previous, [e.problem]
                if previous is not None:
                    problems.append(replace(e.problem, severity="warning",
                                            message="the last good version stays published"))
            for problem in problems:
                log.warning("%s", problem)
            self.files[item.path] = _File(item.signature, article, tuple(problems))
        for path in set(self.files) - paths:
            del self.files[path]
            changed = True
        return changed

    def _first_date(self, article: Article) -> datetime | None:
        record = self.records.get(article.slug)
        return article.published or (record.first_seen if record else None)

    def _winners(self, articles: Iterable[Article], key: Callable[[Article], str],
                 what: str) -> tuple[list[Article], list[Problem]]:
        groups: dict[str, list[Article]] = {}
        for article in articles:
            groups.setdefault(key(article), []).append(article)
        winners, problems = [], []
        for name, group in groups.items():
            if len(group) > 1:  # undated and not yet seen sorts last
                group.sort(key=lambda a: (self._first_date(a) or FAR_FUTURE, a.path))
            winners.append(group[0])
            if len(group) > 1:
                others = ", ".join(a.path for a in group[1:])
                problems.append(warning(
                    group[0].path, f"{what} {name!r} is also claimed by {others}; this file wins "
                    "(the earlier date, then the path)"))
            for loser in group[1:]:
                problems.append(ArticleError(
                    loser.path, f"duplicate {what} {name!r}, also in {group[0].path} which wins "
                    "(the earlier date, then the path): change one of them").problem)
        return winners, problems

    def _build(self, now: datetime) -> Snapshot:
        problems = list(self._walk_problems)
        for entry in self.files.values():
            problems.extend(entry.problems)
        candidates = [e.article for e in self.files.values() if e.article and not e.article.draft]
        drafts = [e.article for e in self.files.values() if e.article and e.article.draft]
        winners, dupes = self._winners(candidates, lambda a: a.slug, "slug")
        problems += dupes
        self._sync(winners, now)
        resolved = [self._resolve(a) for a in self._recorded(winners)]
        resolved, id_dupes = self._winners(resolved, lambda a: a.id or "", "id")
        dupes += id_dupes
        problems += id_dupes
        for problem in sorted(set(dupes) - self._logged):  # once per change, not per scan
            log.warning("%s", problem)
        self._logged = frozenset(dupes)
        live = sorted((a for a in resolved if a.published <= now), key=_sort_key)
        scheduled = sorted((a for a in resolved if a.published > now), key=_sort_key)
        by_slug = {a.slug: a for a in live}
        redirects = {}
        for old, new in sorted(self.store.old_slugs().items()):
            if new in by_slug and old not in by_slug:
                redirects[old] = new
        for article in reversed(live):  # the newest article's alias wins
            for alias in article.aliases:
                if alias not in by_slug:
                    redirects[alias] = article.slug
        gone = frozenset(
            slug for slug, record in self.records.items()
            if record.gone is not None and slug not in by_slug and slug not in redirects
        )
        tags: dict[str, tuple[Tag, list[Article]]] = {}
        for article in live:
            for tag in article.tags:
                tags.setdefault(tag.slug, (tag, []))[1].append(article)
        version = content_hash(
            [(a.id, a.slug, a.path, a.content_hash, a.published.timestamp(),
              a.updated.timestamp(), a.lang, a.aliases, a.enclosure and repr(a.enclosure), a.bio,
              a.id_pinned, a.date_pinned) for a in live],
            sorted(redirects.items()), sorted(gone),
        )
        return Snapshot(
            articles=tuple(live),
            by_slug=by_slug,
            redirects=redirects,
            gone=gone,
            tags={slug: (tag, tuple(items)) for slug, (tag, items) in sorted(tags.items())},
            next_due=scheduled[-1].published if scheduled else None,
            version=version,
            problems=tuple(sorted(set(problems))) + tuple(
                Problem(self.store.path, None, "error", m) for m in self.store.problems),
            unpublished=tuple(scheduled) + tuple(drafts),
        )

    def _sync(self, winners: list[Article], now: datetime) -> None:
        current = {a.slug: (a.content_hash, a.path) for a in winners}
        seen = [
            Seen(a.slug, a.path, a.content_hash, a.published)
            for a in winners if self.synced.get(a.slug) != current[a.slug]
        ]
        gone = [slug for slug in self.synced if slug not in current]
        gone += [slug for slug, record in self.records.items()
                 if slug not in current and record.gone is None and slug not in gone]
        if seen or gone:
            self.store.sync(seen, gone, self.authority, now, pinned=self.authority_pinned)
            if gone or any(s.slug not in self.records for s in seen):
                self.records = self.store.records()  # renames may move other records
            else:
                self.records.update(self.store.records([s.slug for s in seen]))
        self.synced = current

    def _recorded(self, winners: list[Article]) -> list[Article]:
        """Return WINNERS that have a record in the store.

        Another worker may rename a record between our folder listing and our sync (the
        file moved meanwhile); that article waits for the next scan instead of failing it.
        """
        missing = [a.slug for a in winners if a.slug not in self.records]
        if not missing:
            return winners
        self.records.update(self.store.records(missing))
        for slug in missing:
            if slug not in self.records:
                log.info("%s: record changed by another process; read again on next scan", slug)
                self.synced.pop(slug, None)
        return [a for a in winners if a.slug in self.records]

    def _resolve(self, article: Article) -> Article:
        record = self.records[article.slug]
        published = article.published or record.first_seen
        updated = article.updated or max(record.changed or published, published)
        # Not dataclasses.replace, which inspects the class on every call.
        values = {name: getattr(article, name) for name in _ARTICLE_FIELDS}
        values.update(id=article.id or record.id, published=published,
                      updated=max(updated, published))
        return Article(**values)
