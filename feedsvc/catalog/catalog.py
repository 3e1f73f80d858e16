"""The catalog: the articles folder, read incrementally, as immutable snapshots.

``folder`` reads only new and changed files; the catalog settles duplicate slugs and ids
(first come keeps, see ``duplicates``), resolves each article's id and dates against the
state store, and assembles the snapshot. A rebuild reuses each unchanged article's resolved
form, and an edit, a new file, a deletion or a rename that qualifies changes the last
snapshot in place instead (``targeted``), so one change costs little at any corpus size.
A record whose file is there but does not parse is held (``entries.held``), never marked
gone; so is one whose file a first scan did not find in a folder changed just before, until
the folder has been quiet for QUIET (``_wait``: a restart during a deploy's copy), while each
sync lets the store pair it with a rename. The clock comes in as ``now``. Problems (the
folder's, the store's, duplicates) travel with the snapshot, never logged.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, tzinfo
from operator import attrgetter
from typing import Any

from ..errors import Problem
from ..model import Article, written
from ..reading import files
from ..reading.engines import detect
from ..reading.normalise import Defaults
from ..store import records
from ..store.db import StateStore
from ..store.records import Record, Seen
from . import duplicates, firstsight
from .changed import latest
from .entries import absent, held
from .folder import PROGRESS_EVERY, SETTLE, Folder, Inspect
from .replaced import QUIET
from .snapshot import Snapshot, assemble, resolve, tombstones
from .targeted import Targeted

log = logging.getLogger(__name__)
LOOKS = 64  # paths of waiting records the watcher looks at again: enough to keep it looking


class Catalog(Targeted):
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
        self.synced: firstsight.Heard = {}  # slug -> what the store heard (firstsight.heard)
        self.records: dict[str, Record] = store.records()
        self._first_sync = True  # even with nothing to record: the authority may have changed
        self.snapshot: Snapshot | None = None
        self._dupes: list[Problem] = []
        self._clean = False  # every article resolved, no duplicates: a new one may be inserted
        self._waiting: dict[str, str] = {}  # slug -> path: held until the folder is quiet
        self._quiet = 0.0  # while records wait: the folder's last change seen (seconds)

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

        With PATHS (relative to the folder), only those; a folder or symlink among them: all.
        """
        moved = self.store.follow()
        if moved:  # the store was replaced or merged into: every record is read again
            self.records, self.synced = self.store.records(), {}
        entries = None if paths is None else {p: self.folder.files.get(p) for p in paths}
        changes = self.folder.scan(now, None if entries is None else list(entries))
        if self._waiting and (changes.changed or self._stirring()):
            self._quiet = now.timestamp()  # a copy under way, perhaps
        if moved or (self._waiting and now.timestamp() - self._quiet >= QUIET):
            self.snapshot = self._build(now)
        elif changes.changed or self.snapshot is None or not self.snapshot.is_current(now):
            targeted = None  # while records wait, every sync goes through _sync (see _wait)
            if not self._waiting:
                targeted = (
                    self._patch(now, changes.edited)
                    or self._add(now, entries if self.folder.targeted else None)
                    or self._remove(now, {} if self.folder.targeted else changes.removed)
                )
            self.snapshot = targeted or self._build(now)
        return self.snapshot

    def _first_date(self, article: Article) -> datetime | None:
        record = self.records.get(article.slug)
        return written(article)[1] or (record.first_seen if record else None)

    def _build(self, now: datetime) -> Snapshot:
        candidates: list[Article] = []
        drafts: list[Article] = []
        for article in self.folder.articles():
            (drafts if article.draft else candidates).append(article)
        first = firstsight.FirstCome(self.store, self.records)
        winners, dupes = duplicates.winners(
            candidates, attrgetter("slug"), "slug", self._first_date, first.by_slug
        )
        kept = self._sync(winners, now)  # live records whose files give no article
        recorded, read = self._recorded(winners), len(candidates)
        del candidates, winners  # each article as read goes once resolved (see _resolve_all)
        resolved = self._resolve_all(recorded)
        resolved, id_dupes = duplicates.winners(
            resolved, lambda a: a.id or "", "id", self._first_date, first.by_id
        )
        self._dupes = dupes + id_dupes + duplicates.tag_clashes(resolved)
        self._clean = not self._dupes and len(resolved) == read
        return assemble(
            resolved,
            drafts,
            now,
            old_slugs=self.store.old_slugs(),
            gone={slug for slug, record in self.records.items() if record.gone is not None},
            problems=self._problems(),
            deleted=tombstones(self.records),
            tombstone_days=self.tombstone_days,
            held=kept,
            changed=latest(
                now, self.records.values(), resolved, timedelta(days=self.tombstone_days)
            ),
        )

    def _problems(self) -> tuple[Problem, ...]:
        """Return the problems of the folder, the store and the last rebuild's duplicates."""
        problems = self.folder.problems() + self._dupes
        return tuple(sorted(set(problems))) + tuple(
            Problem(self.store.path, None, "error", m) for m in self.store.problems
        )

    def _sync(self, winners: list[Article], now: datetime) -> frozenset[str]:
        current: firstsight.Heard = {a.slug: a for a in winners}  # _keep: resolved in place
        if self._first_sync:  # read now, sharing CURRENT's values: never two copies (memory)
            self.synced = firstsight.heard(self.store, current)
        seen = self._seen(firstsight.unheard(self.synced, winners))
        gone = [slug for slug in self.synced if slug not in current]
        live = (slug for slug, record in self.records.items() if record.gone is None)
        gone += [slug for slug in live if slug not in current and slug not in gone]
        kept = held(self.folder.files, self.store, gone)  # files that do not parse: not gone
        waiting = self._wait(gone, now)  # left in GONE, so that the store may pair a rename
        gone = [slug for slug in gone if slug not in kept]
        if seen or gone or self._first_sync:
            first, started = self._first_sync, time.monotonic()
            self._first_sync = False
            reminted = self.store.sync(
                seen, gone, self.authority, now, self.authority_pinned, keep=waiting
            )
            if first and len(seen) >= PROGRESS_EVERY:  # a long first start says how far it is
                spent = time.monotonic() - started
                log.info(
                    "first sync: %d articles recorded in the state store in %.1f s",
                    len(seen),
                    spent,
                )
            db = self.store.db  # each record takes its article's slug string (memory)
            if reminted or gone or any(s.slug not in self.records for s in seen):
                self.records = records.read(db, None, current)  # renames may move others
            else:
                self.records.update(records.read(db, [s.slug for s in seen], current))
        self.synced = current
        return kept | {slug for slug in waiting if slug in self.records}  # not paired: wait

    def _wait(self, gone: list[str], now: datetime) -> dict[str, str]:
        """Return which of GONE wait for the folder to be quiet (slug -> path): records whose
        files are not there, or not read yet, when a first scan found the folder changed less
        than QUIET before, or missing, until it has been there and quiet for QUIET (``scan``).
        Their paths are looked at again meanwhile (``unsettled``)."""
        wall, before = now.timestamp(), self._waiting
        holding = bool(before) and wall - self._quiet < QUIET
        if self._first_sync and self.folder.settle:
            missing = files.unavailable(self.root) is not None  # between rm -rf and the copy
            if missing or wall - self.folder.changed[0] < QUIET:
                holding, self._quiet = True, wall if missing else min(self.folder.changed[0], wall)
        self._waiting = {}
        if holding and gone:
            self._waiting = absent(self.store, gone, self._not_there)
        if self._waiting and not before:
            log.info("%d files not found in a folder changed just now: kept until it is quiet",
                     len(self._waiting))  # fmt: skip
        left = set(before.values()) - set(self._waiting.values())
        self.folder.unsettled -= {p for p in left if not self._unread(p)}  # gone, read, ignored
        looks = sorted(self._waiting.values())[:LOOKS]  # notifications bring back the others
        self.folder.unsettled |= set(looks)
        return self._waiting

    def _stirring(self) -> bool:
        """Say whether the folder is not quiet yet for the records waiting: missing, or with a
        file of theirs there that it has not read yet (too young)."""
        there = [p for p in self._waiting.values() if self._there(p)]
        return files.unavailable(self.root) is not None or any(map(self._unread, there))

    def _unread(self, path: str) -> bool:
        """Say whether PATH is an article file there that the folder has not read yet."""
        return path not in self.folder.files and bool(self.folder.stat_paths([path]))

    def _not_there(self, path: str) -> bool:
        """Say whether PATH has no file, or one the folder has not read yet (too young)."""
        return not self._there(path) or self._unread(path)

    def _there(self, path: str) -> bool:
        return os.path.lexists(os.path.join(self.root, path))

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
        """Return WINNERS resolved, emptied as it goes (memory).

        An article the folder kept resolved comes back as it is (``resolve``), unless its
        record changed: no cache of what was resolved (100,000 entries: 11 MiB a worker).
        """
        resolved = []
        winners.reverse()
        while winners:
            article = winners.pop()
            done = resolve(article, self.records[article.slug])
            if done is not article:
                self._keep(article, done)
            resolved.append(done)
        return resolved

    def _keep(self, article: Article, done: Article) -> None:
        """Keep DONE, ARTICLE resolved, in its place: the folder's and the store's heard one."""
        if self.synced.get(done.slug) is article:  # so does the record of what the store heard
            self.synced[done.slug] = done
        self.folder.resolved(article, done)  # one object: what the folder reads next is DONE
