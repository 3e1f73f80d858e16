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
from .changed import latest
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
        records = [self.records[a.slug] for a in edits]
        changed = latest(now, records, [d for _, d in swaps], since=before.changed)
        return replace(patch(before, swaps, self._problems()), changed=changed)

    def _add(self, now: datetime, entries: dict[str, Any] | None) -> Snapshot | None:
        """Return the snapshot with the new files of a targeted scan inserted, and its
        deleted files taken out (a rename is both), or None (rebuild).

        ENTRIES maps each path the scan looked at to its folder entry before (None: no file).
        """
        if entries is None:
            return None
        went, came = [], []
        for path, entry in entries.items():
            after = self.folder.files.get(path)
            if after is entry:
                continue
            if entry is not None and after is None and entry.article is not None:
                went.append(entry.article)  # deleted
            elif entry is None and after is not None and after.article is not None:
                came.append(after.article)  # new
            else:
                return None  # edited, or a file that gives no article
        return self._exchange(now, went, came)

    def _remove(self, now: datetime, removed: dict[str, Article | None]) -> Snapshot | None:
        """Return the snapshot without the articles of REMOVED (the deleted files a full scan
        found, and nothing else), or None."""
        went = [a for a in removed.values() if a is not None]
        return self._exchange(now, went, []) if len(went) == len(removed) else None

    def _exchange(
        self, now: datetime, went: list[Article], came: list[Article]
    ) -> Snapshot | None:
        """Return the snapshot without WENT (articles of deleted files) and with CAME (new
        files' articles), or None (rebuild).

        Only articles that went taking nothing else with them (``leaves_alone``) and new
        ones that take no one's place (``takes_no_place``) qualify. The store pairs them
        when one is the other renamed: its old slug then redirects, with no tombstone.
        """
        before, slugs, olds = self.snapshot, [a.slug for a in came], [a.slug for a in went]
        if before is None or not self._clean or not before.is_current(now):
            return None
        if not (went or came) or len(set(slugs)) < len(came):
            return None  # nothing, or two new files of one slug
        if not all(leaves_alone(a, before) for a in went) or any(map(self.store.old_slugs, olds)):
            return None  # one that takes redirects, an alias or a due date with it
        if any(map(self._shares_an_id, went)):
            return None  # its going would show or hide another record's tombstone
        if not all(takes_no_place(a, before, self.records) for a in came):
            return None  # one that would move others
        if held(self.folder.files, self.store, olds):
            return None
        if self.store.sync(self._seen(came), olds, self.authority, now, self.authority_pinned):
            self.records = self.store.records()  # ids made final: every record changed
            return None
        for slug in olds:
            self.records.pop(slug, None)
            self.synced.pop(slug, None)
        self.records.update(self.store.records(slugs + olds))
        moved = {old: new for new in slugs for old, new in self.store.old_slugs(new).items()}
        left = [slug for slug in olds if slug not in moved]
        if any(s not in self.records for s in slugs + left) or not moved.keys() <= set(olds):
            # A record of earlier came back, or another process paired a rename whose
            # new file this scan did not see: a rebuild.
            self.records = self.store.records()
            return None
        stones = tombstones({slug: self.records[slug] for slug in left})
        keep = timedelta(days=self.tombstone_days)
        out = [(a, stones.get(a.slug)) for a in went]
        snapshot: Snapshot | None = before
        if went:
            snapshot = remove(before, out, now, keep, self._problems(), moved)
        done = [resolve(a, self.records[a.slug]) for a in came]
        if done and snapshot is not None:
            snapshot = insert(snapshot, done, now, self._problems(), self._taken)
        for new, resolved in zip(came, done, strict=True) if snapshot is not None else ():
            self.synced[new.slug] = resolved
            self._keep(new, resolved)
        if snapshot is None:
            return None
        records = [self.records[s] for s in slugs + olds if s in self.records]
        changed = max(filter(None, (before.changed, latest(now, records, done))), default=None)
        return replace(snapshot, changed=changed)

    def _shares_an_id(self, article: Article) -> bool:
        """Say whether another record shows ARTICLE's id or its record's (look-ups): a
        tombstone whose id a live article shows is left out of the feeds (``assemble``)."""
        record = self.records.get(article.slug)
        if record is None:
            return True
        ids = {article.id or record.id, record.id}
        return any(identity.id_taken(self.store.db, i, article.slug, True) for i in ids)

    def _taken(self, article: Article) -> bool:
        """Say whether another record may show ARTICLE's id (a look-up: no set of 100,000)."""
        return identity.id_taken(self.store.db, article.id, article.slug, article.id_pinned)
