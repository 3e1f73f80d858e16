"""The state store: one site's records in one SQLite file, and the store's faults.

SQLite in WAL mode holds the ``article`` records (see ``records``) and, in
``text``, the last good versions of broken files (see ``bodies``). Every change
runs in one ``BEGIN IMMEDIATE`` transaction, so workers that see the same files
at once agree. A store belongs to the articles folder it first served, and to
releases that read its layout (``bind``).

Faults (see ``sqlite.kind``): a store that another process holds locked is waited for;
only one that fails its integrity check, and that no other process holds, is set aside
(renamed, never deleted) and rebuilt. One that cannot be written (read-only, a full disk)
is reported, served from memory, and written back once it can be. ``follow`` notices a
store deleted or replaced under a running server (by its inode) and moves there with the
records this process knew; the earliest date of each article wins, so every worker ends
on one store. A clean ``close`` checkpoints the WAL, so the file alone is a backup.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from ..errors import ConfigError
from . import firstwords, identity, minting, opening, pg, portable, records, sqlite, walfile
from .parts import parts
from .records import Record, Seen
from .sqlite import Connection

log = logging.getLogger(__name__)
WRITE_BACK_EVERY = 5.0  # seconds between tries to write a degraded store back to its file
_LIVE = "SELECT key, slug FROM article WHERE gone IS NULL AND slug IN ({})"
_REVIVE = "UPDATE article SET gone = NULL WHERE key = ? AND slug = ?"  # a rename moves a slug


class StoreBound(ConfigError):
    """The store belongs to another articles folder."""


class StoreNewer(StoreBound):  # its records are in the layout of a later release
    ...


class StateStore:
    """Records of published articles in one SQLite file, or in PostgreSQL (``pg``)."""

    def __init__(self, path: str, now: datetime, read_only: bool = False):
        self.target = path  # what is opened; ``path`` is what messages show
        self.path = pg.shown(path) if pg.is_url(path) else path
        self.shared = pg.is_url(path)  # several nodes: merges are seen by the generation
        self.problems: list[str] = []
        self.noted = firstwords.Noted()  # openings of the texts read, for the next sync
        self._file: Connection | None = None  # the file, while serving from memory
        self._holder: sqlite.Holder | None = None
        self._identity: tuple[int, int] | None = None
        self._generation: str | None = None
        self._retry_at = 0.0
        self._degraded = ""
        if read_only:
            self.db: Connection = opening.read_only_copy(path, self._report)
        elif self.shared:
            self.db = opening.open_shared(path)
        else:
            self.db, self._holder = opening.open_file(path, now, self._report)
            if path != ":memory:" and self._holder is not None:
                self._identity = sqlite.identity(path)
        self._generation = self._read_generation(self.db)

    @classmethod
    def read_only(cls, path: str) -> StateStore:
        """Return a store over an in-memory copy of PATH; the file is never created or moved."""
        return cls(path, datetime.min, read_only=True)  # no clock: nothing is set aside

    def _report(self, message: str) -> None:
        # Reported with the snapshot's problems (the server logs them), not logged here.
        self.problems.append(message)

    # ---- the site it belongs to -----------------------------------------------------

    def bound_to(self) -> str | None:
        """Return the articles folder this store belongs to, if recorded."""
        row = self.db.execute("SELECT value FROM meta WHERE name = 'articles'").fetchone()
        return None if row is None else str(row[0])

    def bind(self, folder: str, adopt: bool = False) -> None:
        """Record FOLDER as this store's site; StoreBound when it belongs to another
        (StoreNewer: a later release rewrote it). A store from before stores were bound is
        taken by the first folder that opens it; a database several nodes share is not
        bound (each node has a folder of its own; one database serves one site)."""
        if (why := opening.newer_layout(self.db, self.path)) is not None:
            raise StoreNewer(why)  # a later release rewrote its records
        if self.shared:
            return
        folder = os.path.abspath(folder)
        recorded = self.bound_to()
        if recorded is not None and not adopt and not opening.same_folder(recorded, folder):
            raise StoreBound(
                f"state store {self.path} belongs to the articles folder {recorded}, not "
                f"{folder}: give this folder a store of its own (STATE, or FEEDSVC_STATE), "
                f"or move the store to it with `feedsvc state adopt --articles {folder}`"
            )
        if recorded != folder and (recorded is None or adopt):
            try:
                with self.transaction() as db:
                    db.execute(records.UPSERT_META, ("articles", folder))
            except sqlite3.Error as e:
                self._report(f"state store {self.path} cannot be written ({sqlite.cause(e)})")

    # ---- records ---------------------------------------------------------------------

    def feed_id(self, default: str) -> str:
        """Return the feed id recorded for this site, else record DEFAULT (unless provisional)."""
        row = self.db.execute("SELECT value FROM meta WHERE name = 'feed_id'").fetchone()
        if row is not None and not minting.is_provisional(row[0]):
            return str(row[0])
        if not minting.is_provisional(default):
            try:
                with self.transaction() as db:
                    db.execute(records.UPSERT_META, ("feed_id", default))
            except sqlite3.Error as e:
                self._report(f"state store {self.path} cannot be written ({sqlite.cause(e)})")
        return default

    def sync(
        self,
        seen: Iterable[Seen],
        gone: Iterable[str],
        authority: str,
        now: datetime,
        pinned: bool = False,
        keep: Iterable[str] = (),
    ) -> int:
        """Record SEEN articles and GONE slugs (KEEP's stay live unless renamed) at NOW.

        New ids are minted with the authority recorded at the first public minting,
        unless PINNED (ID_AUTHORITY is set), when AUTHORITY itself is used; while the
        authority is local they are provisional. Return how many ids were re-minted
        (provisional ids made final), so the caller reads every record again.
        """
        seen, gone, keep = list(seen), list(gone), sorted(keep)  # none: the authority may change
        while True:
            try:
                self.noted.untake()  # a try rolled back recorded nothing
                with self.transaction() as db, firstwords.noting(self.noted):
                    live = [r for p, m in parts(keep) for r in db.execute(_LIVE.format(m), p)]
                    reminted = records.sync(db, seen, gone, authority, now, pinned)
                    db.executemany(_REVIVE, live)  # not renamed: live again
                    # the openings noted and not recorded wait in the ``opening`` table
                    identity.read(db, self.noted.left())
                self.noted.clear()
                return reminted
            except sqlite3.Error as e:
                if self._file is not None:
                    raise  # in memory already: a bug, not a fault of the file
                self._degrade(e)

    def _degrade(self, error: sqlite3.Error) -> None:
        """Serve from a copy in memory until the file can be written again."""
        self._degraded = (
            f"state store {self.path} cannot be written: {sqlite.cause(error)}; serving from "
            "memory, and the records are written back to the file once it can be written"
        )
        self._report(self._degraded)
        self._file, self.db = self.db, sqlite.copy_to_memory(self.db)
        self._retry_at = time.monotonic() + WRITE_BACK_EVERY

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """Run the block in one ``BEGIN IMMEDIATE`` transaction; roll back when it raises."""
        with sqlite.transaction(self.db) as db:
            yield db

    def records(self, slugs: Iterable[str] | None = None) -> dict[str, Record]:
        """Return the records of SLUGS (else all) by current slug."""
        return records.read(self.db, slugs)

    def live_at(self, paths: list[str]) -> set[str]:
        """Return the slugs of the live records last seen at PATHS (at most a few hundred)."""
        marks = ", ".join("?" * len(paths))
        query = f"SELECT slug FROM article WHERE gone IS NULL AND path IN ({marks})"
        return {row[0] for row in self.db.execute(query, paths).fetchall()}

    def heard(self) -> Iterator[tuple[str, bytes, str]]:
        """Yield (slug, content hash, path) of the live records a sync would not change."""
        return records.heard(self.db)

    def old_slugs(self, of: str | None = None) -> dict[str, str]:
        """Return each old slug (of the article whose slug is now OF, else all) and its slug."""
        return records.old_slugs(self.db, of)

    def follow(self) -> bool:
        """Return whether the records changed under us: the file was replaced or merged into.

        Also writes a store served from memory back to its file once it can.
        """
        if self._file is not None:
            return self._write_back()
        if self._identity is not None:
            found = sqlite.identity(self.target)
            if found != self._identity:
                self._move(found is None)
                return True
        elif not self.shared:
            return False
        generation = self._read_generation(self.db)
        if generation != self._generation:
            self._generation = generation
            return True
        return False

    def _move(self, deleted: bool) -> None:
        """Move to the store now at our path, writing back what this process knew."""
        known = list(portable.dump(self.db))
        try:  # the old file's write-ahead log stays the old file's (``walfile``)
            walfile.set_aside_if(self.target, self._holder, self._identity)
            db = sqlite.connect_waiting(self.target)
            with sqlite.transaction(db):
                portable.load(db, known, "earliest")
                self._bump(db)
        except sqlite3.Error as e:
            self._report(f"state store {self.path} cannot be opened again ({sqlite.cause(e)})")
            self._identity = sqlite.identity(self.target)
            return
        self._report(
            f"state store {self.path} was {'deleted' if deleted else 'replaced'} under the "
            f"running server; this process moved to the file now there and wrote back the "
            f"{sum(item['kind'] == 'article' for item in known)} records it knew "
            "(the earliest date of each article wins)"
        )
        old, self.db = self.db, db
        old.close()
        found = sqlite.identity(self.target)  # the same file (a stat failed): its hold stays
        same = found is None or found == self._identity  # None: no stat, nothing known
        self._holder = sqlite.Holder.moved(self._holder, self.target, same)
        self._identity = found or self._identity
        self._generation = self._read_generation(self.db)

    def _write_back(self) -> bool:
        if time.monotonic() < self._retry_at or self._file is None:
            return False
        self._retry_at = time.monotonic() + WRITE_BACK_EVERY
        try:
            with sqlite.transaction(self._file) as db:
                portable.load(db, portable.dump(self.db), "earliest")
                self._bump(db)
        except sqlite3.Error:
            return False
        memory, self.db, self._file = self.db, self._file, None
        memory.close()
        if self._degraded in self.problems:
            self.problems.remove(self._degraded)
        log.warning("state store %s can be written again: records written back", self.path)
        self._generation = self._read_generation(self.db)
        return True

    def load(self, items: Iterable[dict[str, object]], policy: str = "refuse") -> int:
        """Take exported ITEMS in by POLICY (see ``portable.load``); return the records written."""
        with self.transaction() as db:
            written = portable.load(db, items, policy)
            self._bump(db)
        return written

    def _bump(self, db: Connection) -> None:
        """Tell the other processes on this store to read every record again."""
        db.execute(
            "INSERT INTO meta VALUES ('generation', '1') ON CONFLICT (name) DO UPDATE "
            "SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)"  # meta's, not excluded's
        )

    @staticmethod
    def _read_generation(db: Connection) -> str | None:
        try:
            row = db.execute("SELECT value FROM meta WHERE name = 'generation'").fetchone()
        except sqlite3.Error:
            return None
        return None if row is None else str(row[0])

    def close(self) -> None:
        """Checkpoint the WAL into the file (a clean stop leaves a complete file) and close."""
        if self._file is not None:
            self._retry_at = 0.0
            self._write_back()
        for db in (self.db, self._file):
            if isinstance(db, sqlite3.Connection):
                with contextlib.suppress(sqlite3.Error):  # another worker still reads: the
                    db.execute("PRAGMA busy_timeout = 2000")  # last to close checkpoints
                    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            if db is not None:
                db.close()
        self._file = None
        if self._holder is not None:
            self._holder.release()


__all__ = ["Record", "Seen", "StateStore", "StoreBound", "StoreNewer"]
