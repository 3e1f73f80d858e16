"""The catalog: the articles folder, read incrementally, as immutable snapshots.

``folder`` reads only new and changed files; the catalog settles duplicate
slugs and ids (first come keeps, see ``duplicates``), resolves each article's
id and dates against the state store, and assembles the snapshot. A rebuild
reuses each unchanged article's resolved form and digest, and an edit that
keeps an article's place patches the snapshot instead, so one change costs
little at any corpus size. The clock comes in as ``now``. Problems (the
folder's, the store's, duplicates) travel with the snapshot; nothing here
logs them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import fields, replace
from datetime import datetime, tzinfo
from operator import attrgetter
from typing import Any

from ..errors import Problem
from ..model import Article
from ..reading.engines import detect
from ..reading.normalise import Defaults
from ..store.db import StateStore
from ..store.records import Record, Seen
from . import duplicates, firstsight
from .folder import SETTLE, Folder, Inspect
from .snapshot import Snapshot, assemble, author_slug, digest, swap, tombstones, version

log = logging.getLogger(__name__)
_ARTICLE_FIELDS = tuple(f.name for f in fields(Article))


class Catalog:
    """Scan an articles folder and keep the latest snapshot of it."""

    def __init__(
        self,
        root: str,
        defaults: Defaults,
        store: StateStore,
        authority: str,
        max_bytes: int,
        settle: float = SETTLE,
        authority_pinned: bool = False,
        tombstone_days: float = 0,
        inspect: Inspect | None = None,
    ):
        self.folder = Folder(root, defaults, max_bytes, store, settle, inspect)
        self.authority_pinned = authority_pinned  # ID_AUTHORITY set: mint new ids with it
        self.store = store
        self.authority = authority
        self.tombstone_days = tombstone_days
        # slug -> what the store last heard: a start-up syncs only what changed meanwhile
        self.synced: dict[str, tuple[str, str]] = store.heard()
        self.records: dict[str, Record] = store.records()
        self._first_sync = True  # even with nothing to record: the authority may have changed
        self.snapshot: Snapshot | None = None
        # slug -> (article as read, its record, article resolved, its digest)
        self._resolved: dict[str, tuple[Article, Record, Article, bytes]] = {}
        self._dupes: list[Problem] = []

    @property
    def root(self) -> str:
        return self.folder.root

    @property
    def unsettled(self) -> set[str]:
        """Return the files left for a later scan: written too recently to be read."""
        return self.folder.unsettled

    @classmethod
    def from_config(
        cls,
        config: Mapping[str, Any],
        zone: tzinfo,
        host: str,
        store: StateStore,
        **options: Any,
    ) -> Catalog:
        """Return the catalog CONFIG describes; ZONE, HOST from the site; OPTIONS as given."""
        return cls(
            config["ARTICLES"],
            detect.defaults(config, zone),
            store,
            config["ID_AUTHORITY"] or host,
            config["MAX_ARTICLE_BYTES"],
            authority_pinned=bool(config["ID_AUTHORITY"]),
            tombstone_days=config["TOMBSTONE_DAYS"],
            **options,
        )

    def scan(self, now: datetime, paths: Iterable[str] | None = None) -> Snapshot:
        """Return the snapshot of the folder at NOW, re-reading only what changed.

        With PATHS (relative to the folder), only those are looked at; a path that
        is a folder or a symlink makes it a full scan.
        """
        moved = self.store.follow()
        if moved:  # the store was replaced or merged into: every record is read again
            self.records, self.synced = self.store.records(), {}
        changes = self.folder.scan(now, paths)
        if moved:
            self.snapshot = self._build(now)
        elif changes.changed or self.snapshot is None or not self.snapshot.is_current(now):
            self.snapshot = self._patch(now, changes.edited) or self._build(now)
        return self.snapshot

    def _first_date(self, article: Article) -> datetime | None:
        record = self.records.get(article.slug)
        return article.published or (record.first_seen if record else None)

    def _build(self, now: datetime) -> Snapshot:
        candidates: list[Article] = []
        drafts: list[Article] = []
        for article in self.folder.articles():
            (drafts if article.draft else candidates).append(article)
        first = firstsight.FirstCome(self.store, self.records)
        winners, dupes = duplicates.winners(
            candidates, attrgetter("slug"), "slug", self._first_date, first.by_slug
        )
        self._sync(winners, now)
        resolved = self._resolve_all(self._recorded(winners))
        resolved, id_dupes = duplicates.winners(
            resolved, lambda a: a.id or "", "id", self._first_date, first.by_id
        )
        self._dupes = dupes + id_dupes + duplicates.tag_clashes(resolved)
        return assemble(
            resolved,
            drafts,
            now,
            old_slugs=self.store.old_slugs(),
            gone={slug for slug, record in self.records.items() if record.gone is not None},
            digests=self._digests(),
            problems=self._problems(),
            deleted=tombstones(self.records),
            tombstone_days=self.tombstone_days,
        )

    def _digests(self) -> dict[str, bytes]:
        return {slug: entry[3] for slug, entry in self._resolved.items()}

    def _patch(self, now: datetime, touched: dict[str, Article | None] | None) -> Snapshot | None:
        """Return the snapshot with TOUCHED (path -> article before) swapped in, or None.

        None means a rebuild is due.

        Only edits that keep an article's place qualify: same slug, written date,
        id, aliases, tags and authors, published before and after. Everything else (new,
        deleted, renamed, re-dated, drafted files, duplicates) takes ``_build``.
        """
        before = self.snapshot
        if before is None or not touched or not before.is_current(now):
            return None
        edits = []
        for path, old in touched.items():
            new = self.folder.article(path)
            if old is None or new is None or new is old:
                if new is old and old is not None:
                    continue  # a failed edit kept the last good version
                return None
            entry = self._resolved.get(old.slug)
            if (
                new.draft
                or old.draft
                or entry is None
                or entry[0] is not old
                or old.slug not in before.by_slug
                or (
                    new.slug,
                    new.published,
                    new.id,
                    new.aliases,
                    new.tags,
                    new.authors,
                    new.date_pinned,
                    new.id_pinned,
                )
                != (
                    old.slug,
                    old.published,
                    old.id,
                    old.aliases,
                    old.tags,
                    old.authors,
                    old.date_pinned,
                    old.id_pinned,
                )
            ):
                return None
            edits.append(new)
        if not edits:
            return replace(before, problems=self._problems())
        seen = self._seen(a for a in edits if self.synced.get(a.slug) != (a.content_hash, a.path))
        if seen:
            self.store.sync(seen, [], self.authority, now, pinned=self.authority_pinned)
            self.records.update(self.store.records([a.slug for a in seen]))
        live, by_slug, tags = list(before.articles), dict(before.by_slug), dict(before.tags)
        authors = dict(before.authors)
        position = {a.slug: i for i, a in enumerate(live)}
        for new in edits:
            self.synced[new.slug] = (new.content_hash, new.path)
            old_done = by_slug[new.slug]
            done = self._resolve(new)
            if (done.published, done.id) != (old_done.published, old_done.id):
                return None  # _build starts from the state just recorded
            self._resolved[new.slug] = (new, self.records[new.slug], done, digest(done))
            live[position[new.slug]] = done
            by_slug[new.slug] = done
            swap(tags, {t.slug for t in done.tags}, old_done, done)
            swap(authors, {author_slug(a) for a in done.authors}, old_done, done)
        return replace(
            before,
            articles=tuple(live),
            by_slug=by_slug,
            tags=tags,
            authors=authors,
            version=version(
                live, before.redirects, before.gone, self._digests(), before.tombstones
            ),
            problems=self._problems(),
        )

    def _problems(self) -> tuple[Problem, ...]:
        """Return the problems of the folder, the store and the last rebuild's duplicates."""
        problems = self.folder.problems() + self._dupes
        return tuple(sorted(set(problems))) + tuple(
            Problem(self.store.path, None, "error", m) for m in self.store.problems
        )

    def _sync(self, winners: list[Article], now: datetime) -> None:
        current = {a.slug: (a.content_hash, a.path) for a in winners}
        seen = self._seen(a for a in winners if self.synced.get(a.slug) != current[a.slug])
        gone = [slug for slug in self.synced if slug not in current]
        gone += [
            slug
            for slug, record in self.records.items()
            if slug not in current and record.gone is None and slug not in gone
        ]
        if seen or gone or self._first_sync:
            self._first_sync = False
            reminted = self.store.sync(
                seen, gone, self.authority, now, pinned=self.authority_pinned
            )
            if reminted or gone or any(s.slug not in self.records for s in seen):
                self.records = self.store.records()  # renames may move other records
            else:
                self.records.update(self.store.records([s.slug for s in seen]))
        self.synced = current

    def _seen(self, articles: Iterable[Article]) -> list[Seen]:
        return firstsight.seen(articles, self.records, self.root, self.folder.defaults.zone)

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

    def _resolve_all(self, winners: list[Article]) -> list[Article]:
        """Return WINNERS resolved against their records, reusing unchanged ones."""
        cache, fresh, resolved = self._resolved, {}, []
        for article in winners:
            record = self.records[article.slug]
            entry = cache.get(article.slug)
            if (
                entry is None
                or entry[0] is not article
                or (entry[1] is not record and entry[1] != record)
            ):
                done = self._resolve(article)
                entry = (article, record, done, digest(done))
            fresh[article.slug] = entry
            resolved.append(entry[2])
        self._resolved = fresh
        return resolved

    def _resolve(self, article: Article) -> Article:
        record = self.records[article.slug]
        published = article.published or record.first_seen
        updated = article.updated or max(record.changed or published, published)
        # Not dataclasses.replace, which inspects the class on every call.
        values = {name: getattr(article, name) for name in _ARTICLE_FIELDS}
        values.update(
            id=article.id or record.id, published=published, updated=max(updated, published)
        )
        return Article(**values)
