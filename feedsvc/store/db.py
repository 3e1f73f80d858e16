"""The state store's SQLite file: its schema, its connection and its faults.

SQLite in WAL mode holds the ``article`` records (see ``records``) and the
``text`` table, which keeps article bodies out of the workers' memory (see
``bodies``); it only caches what the files say. Every change runs in one
``BEGIN IMMEDIATE`` transaction, so workers that see the same files at once
agree. A store that cannot be opened is set aside (renamed, never deleted)
and rebuilt; one that cannot be written is reported and the service carries
on from memory.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import datetime
from urllib.parse import quote

from . import records
from .records import Record, Seen, mint_id

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS article (
    key INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    hash TEXT NOT NULL,
    id TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    changed TEXT,
    gone TEXT
);
CREATE INDEX IF NOT EXISTS article_gone ON article (gone) WHERE gone IS NOT NULL;
CREATE TABLE IF NOT EXISTS old_slug (slug TEXT PRIMARY KEY, key INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS text (
    key BLOB PRIMARY KEY,
    path TEXT NOT NULL,
    body TEXT NOT NULL,
    bio TEXT NOT NULL,
    dropped TEXT
);
CREATE INDEX IF NOT EXISTS text_path ON text (path);
CREATE INDEX IF NOT EXISTS text_dropped ON text (dropped) WHERE dropped IS NOT NULL;
"""


class StateStore:
    """Records of published articles in one SQLite file."""

    def __init__(self, path: str, now: datetime):
        self.path = path
        self.problems: list[str] = []
        self._memory: sqlite3.Connection | None = None
        self.db = self._open(now)

    @classmethod
    def read_only(cls, path: str) -> StateStore:
        """Return a store over an in-memory copy of PATH; the file is never created or moved."""
        store = cls.__new__(cls)
        store.path, store.problems, store._memory = path, [], None
        copy = store._read_only_copy() if os.path.exists(path) else None
        if copy is None and os.path.exists(path):
            store._report(f"state store {path} cannot be read; checked as if it were empty")
        store.db = copy or store._connect(":memory:")
        return store

    def _connect(self, path: str) -> sqlite3.Connection:
        db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA busy_timeout = 30000")
            db.execute("PRAGMA cache_size = -512")  # KiB; the OS caches the file anyway
            if path != ":memory:":
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = NORMAL")
            db.executescript(SCHEMA)
        except BaseException:
            db.close()  # no file left open behind a failure
            raise
        return db

    def _read_only_copy(self) -> sqlite3.Connection | None:
        """Return an in-memory copy of a store that can be read but not written, else None."""
        for mode in ("mode=ro", "immutable=1"):  # immutable: a WAL store on a read-only disk
            try:
                source = sqlite3.connect(f"file:{quote(self.path)}?{mode}", uri=True)
                try:
                    if source.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                        return None
                    memory = self._connect(":memory:")
                    source.backup(memory)
                    memory.executescript(SCHEMA)  # a copy of a store from before a table
                    return memory
                finally:
                    source.close()
            except sqlite3.Error:
                continue
        return None

    def _open(self, now: datetime) -> sqlite3.Connection:
        try:
            if os.path.dirname(self.path):
                os.makedirs(os.path.dirname(self.path), exist_ok=True)
            if self.path != ":memory:" and not os.path.exists(self.path):
                log.warning(
                    "state store %s did not exist and is created: articles without a "
                    "pinned date or id get them from now on",
                    self.path,
                )
            db = self._connect(self.path)
            row = db.execute("PRAGMA quick_check").fetchone()
            if row[0] != "ok":
                raise sqlite3.DatabaseError(f"integrity check failed: {row[0]}")
            return db
        except sqlite3.DatabaseError as e:
            unopenable = "readonly" in str(e) or "unable to open" in str(e)
            if os.path.exists(self.path) and not unopenable:
                aside = f"{self.path}.corrupt-{now:%Y%m%dT%H%M%S}"
                for suffix in ("", "-wal", "-shm"):
                    if os.path.exists(self.path + suffix):
                        os.replace(self.path + suffix, aside + suffix)
                self._report(
                    f"state store {self.path} is unreadable ({e}); set aside as {aside} "
                    "and rebuilt: dates and ids that are not pinned start anew"
                )
                try:
                    return self._connect(self.path)
                except sqlite3.Error as again:
                    e = again  # type: ignore[assignment]  # reported as the cause below
            copy = self._read_only_copy() if os.path.exists(self.path) else None
            if copy is not None:
                self._report(
                    f"state store {self.path} cannot be written ({e}); its records are "
                    "read into memory and new ones are lost at restart"
                )
                return copy
            self._report(f"state store {self.path} cannot be opened ({e}); kept in memory only")
            return self._connect(":memory:")
        except OSError as e:
            self._report(f"state store {self.path} cannot be created ({e}); kept in memory only")
            return self._connect(":memory:")

    def _report(self, message: str) -> None:
        # Reported with the snapshot's problems (the server logs them), not logged here.
        self.problems.append(message)

    def authority(self, default: str) -> str:
        """Return the id authority recorded at the first minting, else DEFAULT."""
        recorded = records.recorded_authority(self.db)
        return default if recorded is None else recorded

    def feed_id(self, authority: str, now: datetime) -> str:
        """Return the site's feed id, minted once from AUTHORITY and NOW."""
        minted = mint_id(self.authority(authority), now, "feed")
        try:
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('feed_id', ?)", (minted,))
        except sqlite3.Error as e:
            self._report(f"state store {self.path} cannot be written ({e})")
        row = self.db.execute("SELECT value FROM meta WHERE name = 'feed_id'").fetchone()
        return row[0] if row else minted

    def sync(
        self,
        seen: Iterable[Seen],
        gone: Iterable[str],
        authority: str,
        now: datetime,
        pinned: bool = False,
    ) -> None:
        """Record SEEN articles and GONE slugs at NOW, in one transaction.

        New ids are minted with the authority recorded at the first minting,
        unless PINNED (ID_AUTHORITY is set), when AUTHORITY itself is used.
        """
        seen, gone = list(seen), list(gone)
        if not seen and not gone:
            return
        try:
            with self.transaction() as db:
                records.sync(db, seen, gone, authority, now, pinned)
        except sqlite3.Error as e:
            self._report(
                f"state store {self.path} cannot be written ({e}); "
                "serving from memory until it can"
            )
            if self._memory is None:
                self._memory = self._copy_to_memory()
            self.db = self._memory
            with self.transaction() as db:
                records.sync(db, seen, gone, authority, now, pinned)

    def _copy_to_memory(self) -> sqlite3.Connection:
        memory = self._connect(":memory:")
        with contextlib.suppress(sqlite3.Error):
            self.db.backup(memory)
        return memory

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run the block in one ``BEGIN IMMEDIATE`` transaction; roll back when it raises."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def records(self, slugs: Iterable[str] | None = None) -> dict[str, Record]:
        """Return the records of SLUGS (else all) by current slug."""
        return records.read(self.db, slugs)

    def old_slugs(self) -> dict[str, str]:
        """Return each old slug mapped to the current slug of its article."""
        return records.old_slugs(self.db)

    def close(self) -> None:
        self.db.close()


__all__ = ["Record", "Seen", "StateStore", "mint_id"]
