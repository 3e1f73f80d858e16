"""The state store: what must outlive restarts, re-clones and several workers.

SQLite in WAL mode keeps, per published article: the id minted when it was
first published, the first-seen time (its date when none is written), the
time its content was first seen to differ, and when it disappeared (so its
permalink answers 410). A rename keeps the record: a vanished article whose
path or content reappears under a new slug is the same article, and its old
slug becomes a redirect. The ``text`` table keeps article bodies out of the
workers' memory (see ``texts``); it only caches what the files say. Every
change runs in one ``BEGIN IMMEDIATE`` transaction, so workers that see the
same files at once agree. A store that
cannot be opened is set aside (renamed, never deleted) and rebuilt; one that
cannot be written is reported and the service carries on from memory.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from .errors import FeedsvcError

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


class StateError(FeedsvcError):
    """The state store cannot be used; the message says what happened to it."""


@dataclass(frozen=True, slots=True)
class Seen:
    """A published article as the catalog sees it now."""

    slug: str
    path: str
    hash: str
    date: datetime | None  # pinned date, for minting


@dataclass(frozen=True, slots=True)
class Record:
    slug: str
    id: str
    first_seen: datetime
    changed: datetime | None
    gone: datetime | None


def _iso(value: datetime) -> str:
    # Whole seconds: the date `feedsvc check` tells an author to pin is then exact.
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def mint_id(authority: str, when: datetime, slug: str) -> str:
    """Return the RFC 4151 tag URI for SLUG first published WHEN."""
    return f"tag:{authority},{when.astimezone(UTC):%Y-%m-%d}:{slug}"


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
                    e = again
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
        log.error("%s", message)
        self.problems.append(message)

    def authority(self, default: str) -> str:
        """Return the id authority recorded at the first minting, else DEFAULT."""
        row = self.db.execute("SELECT value FROM meta WHERE name = 'authority'").fetchone()
        return row[0] if row else default

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
            self._sync(seen, gone, authority, now, pinned)
        except sqlite3.Error as e:
            self._report(
                f"state store {self.path} cannot be written ({e}); "
                "serving from memory until it can"
            )
            if self._memory is None:
                self._memory = self._copy_to_memory()
            self.db = self._memory
            self._sync(seen, gone, authority, now, pinned)

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

    def _sync(
        self,
        seen: list[Seen],
        gone: list[str],
        authority: str,
        now: datetime,
        pinned: bool = False,
    ) -> None:
        stamp = _iso(now)
        with self.transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE name = 'authority'").fetchone()
            if row and not pinned:
                authority = row[0]
            elif not row:
                db.execute("INSERT INTO meta VALUES ('authority', ?)", (authority,))
            for slug in gone:
                db.execute(
                    "UPDATE article SET gone = ? WHERE slug = ? AND gone IS NULL", (stamp, slug)
                )
            renames = db.execute("SELECT 1 FROM article WHERE gone IS NOT NULL LIMIT 1").fetchone()
            olds = db.execute("SELECT 1 FROM old_slug LIMIT 1").fetchone()
            for item in seen:
                self._record(db, item, authority, stamp, now, bool(renames), bool(olds))

    @staticmethod
    def _record(
        db: sqlite3.Connection,
        item: Seen,
        authority: str,
        stamp: str,
        now: datetime,
        renames: bool = True,
        olds: bool = True,
    ) -> None:
        row = db.execute(
            "SELECT key, hash, gone FROM article WHERE slug = ?", (item.slug,)
        ).fetchone()
        if row is None and renames:
            # A rename: the same path, else the same content, under a vanished record.
            row = db.execute(
                "SELECT key, hash, gone, slug FROM article WHERE gone IS NOT NULL AND "
                "(path = ? OR hash = ?) ORDER BY path = ? DESC, gone DESC LIMIT 1",
                (item.path, item.hash, item.path),
            ).fetchone()
            if row is not None:
                db.execute("INSERT OR REPLACE INTO old_slug VALUES (?, ?)", (row[3], row[0]))
                db.execute("UPDATE article SET slug = ? WHERE key = ?", (item.slug, row[0]))
        if row is None:
            minted = mint_id(authority, item.date or now, item.slug)
            db.execute(
                "INSERT INTO article (slug, path, hash, id, first_seen) VALUES (?, ?, ?, ?, ?)",
                (item.slug, item.path, item.hash, minted, stamp),
            )
            if olds:
                db.execute("DELETE FROM old_slug WHERE slug = ?", (item.slug,))
            return
        key, old_hash, _ = row[:3]
        if old_hash != item.hash:
            db.execute(
                "UPDATE article SET hash = ?, changed = ? WHERE key = ?", (item.hash, stamp, key)
            )
        db.execute("UPDATE article SET path = ?, gone = NULL WHERE key = ?", (item.path, key))

    def records(self, slugs: Iterable[str] | None = None) -> dict[str, Record]:
        """Return the records of SLUGS (else all) by current slug."""
        query = "SELECT slug, id, first_seen, changed, gone FROM article"
        if slugs is None:
            rows = self.db.execute(query).fetchall()
        else:
            rows = []
            slugs = list(slugs)
            for start in range(0, len(slugs), 500):
                chunk = slugs[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows += self.db.execute(f"{query} WHERE slug IN ({marks})", chunk).fetchall()
        return {
            slug: Record(slug, id_, _dt(first), _dt(changed), _dt(gone))
            for slug, id_, first, changed, gone in rows
        }

    def old_slugs(self) -> dict[str, str]:
        """Return each old slug mapped to the current slug of its article."""
        rows = self.db.execute(
            "SELECT o.slug, a.slug FROM old_slug o JOIN article a ON a.key = o.key"
        )
        return dict(rows.fetchall())

    def close(self) -> None:
        self.db.close()
