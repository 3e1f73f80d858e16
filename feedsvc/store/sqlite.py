"""The SQLite file under a state store: schema, connections, and what a failure means.

SQLite says why a call failed in ``sqlite_errorname``; ``kind`` sorts those
names into what the store does about them: ``busy`` (another process holds a
lock: wait for it), ``corrupt`` (set aside and rebuild), ``full`` (the disk is
full: serve from memory and write back later), and ``unwritable`` (read-only,
permissions, I/O: serve from memory).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol
from urllib.parse import quote

from . import layout, portable
from .identity import ID_END

log = logging.getLogger(__name__)
# One schema for SQLite and PostgreSQL; only the types of the row key and of bytes differ.
SCHEMA_TEMPLATE = (
    """
CREATE TABLE IF NOT EXISTS article (
    key {serial} PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    hash {blob} NOT NULL,
    id TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    changed TEXT,
    gone TEXT
);
CREATE INDEX IF NOT EXISTS article_gone ON article (gone) WHERE gone IS NOT NULL;
CREATE INDEX IF NOT EXISTS article_first_seen ON article (first_seen);
CREATE TABLE IF NOT EXISTS old_slug (slug TEXT PRIMARY KEY, key BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS text (
    key {blob} PRIMARY KEY,
    path TEXT NOT NULL,
    body TEXT NOT NULL,
    bio TEXT NOT NULL,
    dropped TEXT
);
CREATE INDEX IF NOT EXISTS text_path ON text (path);
CREATE INDEX IF NOT EXISTS text_dropped ON text (dropped) WHERE dropped IS NOT NULL;
"""
    + (
        # Ids by their ends (identity.ID_IS): a record found by its id costs an index look-up,
        # not a pass over every row, for about half the bytes of an index of whole ids.
        f"CREATE INDEX IF NOT EXISTS article_id_end ON article (({ID_END}));\n"
    )
)
SCHEMA = SCHEMA_TEMPLATE.format(serial="INTEGER", blob="BLOB")  # INTEGER PRIMARY KEY: the rowid
BUSY_WAIT = 120.0  # seconds a locked store is waited for at start-up
BUSY_TIMEOUT_MS = 30000  # per statement


class Connection(Protocol):
    """What the store uses of a connection: SQLite's, or ``pg.Connection``."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...

    def executemany(self, sql: str, parameters: Any, /) -> Any: ...

    @property
    def in_transaction(self) -> bool: ...

    def close(self) -> None: ...


_KINDS = {
    "SQLITE_BUSY": "busy",
    "SQLITE_LOCKED": "busy",
    "SQLITE_CORRUPT": "corrupt",
    "SQLITE_NOTADB": "corrupt",
    "SQLITE_FULL": "full",
}


def kind(error: sqlite3.Error) -> str:
    """Return what ERROR means for the store: busy, corrupt, full or unwritable."""
    name = getattr(error, "sqlite_errorname", "") or ""
    found = _KINDS.get("_".join(name.split("_")[:2]))  # SQLITE_IOERR_WRITE -> SQLITE_IOERR
    if found is not None:
        return found
    text = str(error)
    for word, meaning in (("locked", "busy"), ("busy", "busy"), ("malformed", "corrupt"),
                          ("not a database", "corrupt"), ("full", "full")):  # fmt: skip
        if word in text:
            return meaning
    return "unwritable"


def cause(error: sqlite3.Error) -> str:
    """Return ERROR as a reader of the log understands it."""
    if kind(error) == "full":
        return f"the disk is full ({error})"
    return str(error)


def connect(path: str) -> sqlite3.Connection:
    """Return a connection to PATH (":memory:" for none) with the schema in place."""
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                         check_same_thread=False)  # fmt: skip
    try:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA cache_size = -512")  # KiB; the OS caches the file anyway
        db.execute("PRAGMA temp.cache_size = -512")  # the openings a cold read notes (2 MiB)
        if path != ":memory:":
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
        prepare(db, shrink=path != ":memory:")
    except BaseException:
        db.close()  # no file left open behind a failure
        raise
    return db


def prepare(db: sqlite3.Connection, shrink: bool = False) -> None:
    """Put the schema in place in DB, and its rows in this release's layout.

    A file whose rows were rewritten is then vacuumed when SHRINK, if no other process
    stands in the way for a second: the space they left is handed back (a store of
    100,000 records: 0.2 s). Else it is reused by the rows to come.
    """
    if layout.later(db) is not None:
        return  # a later release's store: left as it is, and refused (opening.newer_layout)
    db.executescript(SCHEMA)
    if not layout.outdated(db):
        return
    with transaction(db):
        rewritten = layout.migrate(db)
    if shrink and rewritten:
        try:
            db.execute("PRAGMA busy_timeout = 1000")
            db.execute("VACUUM")
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the copy VACUUM wrote there
        except sqlite3.Error as e:
            log.info("state store not vacuumed after its layout was brought up to date: %s", e)
        finally:
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def connect_waiting(path: str, wait: float = BUSY_WAIT) -> sqlite3.Connection:
    """Return ``connect(PATH)``, waiting up to WAIT seconds while another process holds a lock."""
    deadline = time.monotonic() + wait
    pause = 0.01
    while True:
        try:
            return connect(path)
        except sqlite3.Error as e:
            if kind(e) != "busy" or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


def copy_to_memory(db: Any, report: Callable[[str], None] | None = None) -> sqlite3.Connection:
    """Return an in-memory copy of DB, SQLite or not.

    When DB cannot be read to its end, the copy is empty, and REPORT (if given) is told
    why: a copy with part of the records is never handed out as a whole one.
    """
    memory = connect(":memory:")
    try:
        if isinstance(db, sqlite3.Connection):
            db.backup(memory)
            prepare(memory)  # a copy of a store of an earlier layout
        else:  # the records only: bodies are read again from the files
            with transaction(memory):
                portable.load(memory, portable.dump(db), "earliest")
    except sqlite3.Error as e:
        memory.close()
        memory = connect(":memory:")
        if report is not None:
            report(cause(e))
    return memory


def uri(path: str, query: str) -> str:
    """Return the SQLite URI of the file at PATH with QUERY ("mode=ro"): absolute, so that
    a path such as //srv/state is never read as an authority."""
    return "file:" + quote("/" + os.path.abspath(path).lstrip("/")) + "?" + query


def identity(path: str) -> tuple[int, int] | None:
    """Return the (device, inode) of PATH, None when it is missing."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


class Holder:
    """A shared lock on the store file for as long as this process uses it.

    ``flock`` locks are separate from SQLite's POSIX locks on Linux, and the
    descriptor stays open until the store is closed, so SQLite's locks are
    never released by it. ``alone`` says whether no other process holds the file.
    """

    def __init__(self, path: str):
        self.fd: int | None = None
        self.log = identity(path + "-wal")  # the file's write-ahead log: set again once
        # this process's connection is open (the log may be made by it: walfile.owner)
        with contextlib.suppress(OSError):
            self.fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            fcntl.flock(self.fd, fcntl.LOCK_SH)

    def alone(self) -> bool:
        """Return whether this process is the only one holding the file (it keeps it)."""
        if self.fd is None:
            return True
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        fcntl.flock(self.fd, fcntl.LOCK_SH)
        return True

    @staticmethod
    def moved(old: Holder | None, path: str, same: bool) -> Holder:
        """Return the hold on PATH after a move from OLD's file: OLD if it is the SAME file
        (closing a descriptor of a file drops the process's SQLite locks on it), else new."""
        if old is not None and same:
            return old
        if old is not None:
            old.release()
        return Holder(path)

    def release(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None


@contextlib.contextmanager
def transaction(db: Connection) -> Iterator[Connection]:
    """Run the block in one ``BEGIN IMMEDIATE`` transaction; roll back when it raises.

    SQLite rolls back by itself when a commit fails on a full disk, so the
    rollback is sent only while a transaction is still open: the error the
    caller sees is the cause, never "no transaction is active".
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
        raise
