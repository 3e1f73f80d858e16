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
from datetime import datetime
from urllib.parse import quote

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
BUSY_WAIT = 120.0  # seconds a locked store is waited for at start-up
BUSY_TIMEOUT_MS = 30000  # per statement

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
        if path != ":memory:":
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
        db.executescript(SCHEMA)
    except BaseException:
        db.close()  # no file left open behind a failure
        raise
    return db


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


def read_only_copy(path: str) -> sqlite3.Connection | None:
    """Return an in-memory copy of the store at PATH if it can be read, else None."""
    for mode in ("mode=ro", "immutable=1"):  # immutable: a WAL store on a read-only disk
        try:
            source = sqlite3.connect(f"file:{quote(path)}?{mode}", uri=True)
            try:
                if source.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                    return None
                memory = connect(":memory:")
                source.backup(memory)
                memory.executescript(SCHEMA)  # a copy of a store from before a table
                return memory
            finally:
                source.close()
        except sqlite3.Error:
            continue
    return None


def copy_to_memory(db: sqlite3.Connection) -> sqlite3.Connection:
    """Return an in-memory copy of DB (empty when DB cannot be read)."""
    memory = connect(":memory:")
    with contextlib.suppress(sqlite3.Error):
        db.backup(memory)
    return memory


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

    def release(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None


@contextlib.contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
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


def open_store(
    path: str, now: datetime, report: Callable[[str], None]
) -> tuple[sqlite3.Connection, Holder | None]:
    """Return a connection to the store at PATH and this process's hold on it.

    Faults are passed to REPORT; the connection is then a copy in memory.
    """
    try:
        if os.path.dirname(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        if path != ":memory:" and not os.path.exists(path):
            log.warning(
                "state store %s did not exist and is created: articles without a "
                "pinned date or id get them from now on",
                path,
            )
        return _connect_checked(path)
    except sqlite3.Error as e:
        if kind(e) == "corrupt" and os.path.exists(path):
            opened = _set_aside(path, e, now, report)
            if opened is not None:
                return opened
        copy = read_only_copy(path) if os.path.exists(path) else None
        if copy is not None:
            report(
                f"state store {path} cannot be written ({cause(e)}); its "
                "records are read into memory and new ones are lost at restart"
            )
            return copy, None
        report(f"state store {path} cannot be opened ({cause(e)}); kept in memory only")
        return connect(":memory:"), None
    except OSError as e:
        report(f"state store {path} cannot be created ({e}); kept in memory only")
        return connect(":memory:"), None


def _connect_checked(path: str) -> tuple[sqlite3.Connection, Holder | None]:
    db = connect_waiting(path)
    row = db.execute("PRAGMA quick_check").fetchone()
    if row[0] != "ok":
        db.close()
        raise sqlite3.DatabaseError(f"integrity check failed: {row[0]}")
    return db, None if path == ":memory:" else Holder(path)


def _set_aside(
    path: str, error: sqlite3.Error, now: datetime, report: Callable[[str], None]
) -> tuple[sqlite3.Connection, Holder | None] | None:
    """Rename the damaged store and start a new one, unless another process holds it."""
    holder = Holder(path)
    try:
        if not holder.alone():
            report(
                f"state store {path} fails its integrity check ({error}), but another "
                "process holds it: it is not set aside; serving from a copy in memory"
            )
            return None
        aside = f"{path}.corrupt-{now:%Y%m%dT%H%M%S}"
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.replace(path + suffix, aside + suffix)
    finally:
        holder.release()
    report(
        f"state store {path} is unreadable ({error}); set aside as {aside} "
        "and rebuilt: dates and ids that are not pinned start anew"
    )
    try:
        return _connect_checked(path)
    except sqlite3.Error:
        return None
