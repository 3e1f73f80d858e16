"""Targeted changes: a scan's edits, new files and deletions applied to the snapshot.

``Catalog`` rebuilds a snapshot from every article (``_build``); the methods here
change the last one in place instead, at a cost that does not grow with the number
of articles, when the change qualifies (see ``incremental``), and return None when
it does not: the catalog then rebuilds, with the same result. Each records what it
changes in the state store first, as a rebuild's sync would.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from ..errors import Problem
from ..model import Article
from ..store import identity
from ..store.db import StateStore
from ..store.records import Record, Seen
from . import firstsight
from .entries import held
from .folder import Folder
from .incremental import insert, keeps_place, leaves_alone, patch, remove, takes_no_place
from .snapshot import Snapshot, resolve, tombstones


class Targeted:
    """The catalog's targeted changes (``Catalog`` holds the state they change)."""

    folder: Folder
    store: StateStore
    authority: str
    authority_pinned: bool
    tombstone_days: float
    synced: firstsight.Heard
    records: dict[str, Record]
    snapshot: Snapshot | None
    _clean: bool

    def _seen(self, articles: Iterable[Article]) -> list[Seen]:
        raise NotImplementedError

    def _keep(self, article: Article, done: Article) -> None:
        raise NotImplementedError

    def _problems(self) -> tuple[Problem, ...]:
        raise NotImplementedError

    def _patch(self, now: datetime, touched: dict[str, Article | None] | None) -> Snapshot | None:
        """Return the snapshot with TOUCHED (path -> article before) swapped in, or None.

        Only edits that keep an article's place qualify (``incremental.keeps_place``);
        new files may take ``_add``; everything else (deleted, renamed, re-dated,
        drafted files, duplicates) takes ``_build``.
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
            if before.by_slug.get(old.slug) is not old or not keeps_place(old, new):
                return None  # OLD is not what the snapshot shows (the folder keeps it resolved)
            edits.append(new)
        if not edits:
            return replace(before, problems=self._problems())
        seen = self._seen(firstsight.unheard(self.synced, edits))
        if seen:
            self.store.sync(seen, [], self.authority, now, pinned=self.authority_pinned)
            self.records.update(self.store.records([a.slug for a in seen]))
        swaps = []
        for new in edits:
            self.synced[new.slug] = new  # _keep puts its resolved form in its place
            old_done = before.by_slug[new.slug]
            done = resolve(new, self.records[new.slug])
            if (done.published, done.id) != (old_done.published, old_done.id):
                return None  # _build starts from the state just recorded
            self._keep(new, done)
            swaps.append((old_done, done))
        return patch(before, swaps, self._problems())

    def _add(self, now: datetime, entries: dict[str, Any] | None) -> Snapshot | None:
        """Return the snapshot with the new files of a targeted scan inserted, or None (rebuild).

        ENTRIES maps each path the scan looked at to its folder entry before (None: no file).
        """
        before = self.snapshot
        if before is None or entries is None or not self._clean or not before.is_current(now):
            return None
        added = []
        for path, entry in entries.items():
            after = self.folder.files.get(path)
            if after is not entry:
                if entry is not None or after is None or after.article is None:
                    return None  # edited, deleted, or a new file that does not parse
                added.append(after.article)
        slugs = [a.slug for a in added]
        fits = [takes_no_place(a, before, self.records) for a in added]
        if not added or len(set(slugs)) < len(added) or not all(fits):
            return None  # nothing new, two of one slug, or one that would move others
        if self.store.sync(self._seen(added), [], self.authority, now, self.authority_pinned):
            self.records = self.store.records()  # ids made final: every record changed
            return None
        self.records.update(self.store.records(slugs))
        if any(slug not in self.records or self.store.old_slugs(slug) for slug in slugs):
            self.records = self.store.records()  # renamed from a gone record: a rebuild
            return None
        done = [resolve(a, self.records[a.slug]) for a in added]
        snapshot = insert(before, done, now, self._problems(), self._taken)
        for new, resolved in zip(added, done, strict=True) if snapshot is not None else ():
            self.synced[new.slug] = resolved
            self._keep(new, resolved)
        return snapshot

    def _remove(self, now: datetime, removed: dict[str, Article | None]) -> Snapshot | None:
        """Return the snapshot without the articles of REMOVED (deleted files), or None.

        Only published articles that take nothing else with them qualify (``leaves_alone``).
        """
        before = self.snapshot
        if before is None or not removed or not self._clean or not before.is_current(now):
            return None
        olds = [a for a in removed.values() if a is not None and leaves_alone(a, before)]
        slugs = [a.slug for a in olds]
        if len(olds) < len(removed) or any(self.store.old_slugs(slug) for slug in slugs):
            return None  # a file that gave no article, or one that redirects follow
        if held(self.folder.files, self.store, slugs):
            return None
        if self.store.sync([], slugs, self.authority, now, self.authority_pinned):
            self.records = self.store.records()  # ids made final: every record changed
            return None
        self.records.update(self.store.records(slugs))
        for slug in slugs:
            self.synced.pop(slug, None)
        gone = [(a, tombstones({a.slug: self.records[a.slug]})[a.slug]) for a in olds]
        keep = timedelta(days=self.tombstone_days)
        return remove(before, gone, now, keep, self._problems())

    def _taken(self, article: Article) -> bool:
        """Say whether another record may show ARTICLE's id (a look-up: no set of 100,000)."""
        return identity.id_taken(self.store.db, article.id, article.slug, article.id_pinned)
