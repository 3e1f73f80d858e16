"""The write-ahead log beside a SQLite store file: checked before a writable connection
applies it, and set aside when it belongs to another file.

SQLite applies whatever ``STATE-wal`` lies beside ``STATE`` to the file there now,
and a writable connection writes it into the file as it closes. A log is another
file's when a backup was renamed onto ``STATE`` with the log left beside it: after
a crash (``mending._without_log`` sets it aside when the file alone is whole and
the two together are not), or under a running server, whose processes go on
writing the old file's log until they move to the new file (``set_aside_if``: the
first to move sets it aside). Nothing is deleted: a log set aside is renamed
``STATE.stale-TIMESTAMP-wal``. The processes of one folder open a store and set a
log aside one at a time (``folder_lock``).

A process must never close a descriptor of the store file while it has a
connection to it: that drops SQLite's own locks on it (POSIX locks are per
process). The holders made here to look are closed before any connection opens.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from .sqlite import BUSY_TIMEOUT_MS, BUSY_WAIT, Holder, identity, kind, uri

log = logging.getLogger(__name__)
SUFFIXES = ("-wal", "-shm")


def size(path: str) -> int:
    """Return the size of the log beside the store at PATH (0: none)."""
    try:
        return os.path.getsize(path + "-wal")
    except OSError:
        return 0


def owner(path: str) -> tuple[int, int] | None:
    """Return the (device, inode) of the log beside the store at PATH, None if none."""
    return identity(path + "-wal")


_held = threading.local()  # the folders this thread holds the lock of (it nests)


@contextlib.contextmanager
def folder_lock(path: str, wait: float = BUSY_WAIT) -> Iterator[None]:
    """Hold an exclusive ``flock`` on the folder of the store at PATH: one process at a time
    opens the store or sets its log aside. Nested in one thread, the outer lock serves.
    A folder that cannot be opened or locked, or is held for over WAIT seconds (a process
    stopped while holding it), is gone on with unlocked, and the latter logged."""
    name = os.path.dirname(os.path.abspath(path))
    held: set[str] = _held.__dict__.setdefault("folders", set())
    if name in held:
        yield
        return
    try:
        folder = os.open(name, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        yield
        return
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(folder, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held.add(name)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    log.warning("%s: held by another process for %s s; gone on", name, wait)
                    break
                time.sleep(0.02)
            except OSError:  # a file system without flock on folders
                break
        yield
    finally:
        held.discard(name)
        os.close(folder)  # and the lock with it


def alone(path: str) -> bool:
    """Say whether no other process holds the store at PATH (this one has no connection
    to it: the descriptor looked through is closed)."""
    holder = Holder(path)
    try:
        return holder.alone()
    finally:
        holder.release()


def set_aside(path: str, now: datetime, why: str) -> str:
    """Rename the log (and ``-shm``) beside the store at PATH aside, WHY; return the name it
    went under (a new one: never over another). OSError: nothing was moved."""
    stem = aside = f"{path}.stale-{now:%Y%m%dT%H%M%S}"
    n = 1
    while any(os.path.lexists(aside + suffix) for suffix in SUFFIXES):
        n += 1
        aside = f"{stem}-{n}"
    moved: list[str] = []
    try:
        for suffix in SUFFIXES:
            if os.path.exists(path + suffix):
                os.replace(path + suffix, aside + suffix)
                moved.append(suffix)
    except OSError:
        for suffix in moved:
            with contextlib.suppress(OSError):
                os.replace(aside + suffix, path + suffix)
        raise
    log.warning("state store %s: %s; its write-ahead log is set aside as %s-wal", path, why, aside)
    return aside


def put_back(path: str, aside: str) -> None:
    """Put the log set aside as ASIDE back beside the store at PATH (over any made since)."""
    for suffix in SUFFIXES:
        if os.path.exists(aside + suffix):
            os.replace(aside + suffix, path + suffix)


def set_aside_if(path: str, holder: Holder | None, file: tuple[int, int] | None) -> str | None:
    """Set aside the log beside the store at PATH if it is ours (HOLDER's: the log of FILE,
    the file this process used until now) and another file (or none) is at PATH; return
    the name it went under, else None.

    A process moving to a new file at PATH calls it first: the log is still the old
    file's (the other processes write it until they move too), and the new file must
    not take its pages. A log another process made for the new file is not ours; a
    file that only could not be looked at (a stat that failed) is not a new one.
    """
    ours = holder.log if holder is not None else None
    if ours is None:
        return None
    with folder_lock(path):
        try:
            st = os.stat(path)
            replaced = (st.st_dev, st.st_ino) != file
        except FileNotFoundError:
            replaced = True  # deleted: the file made next must not take the log either
        except OSError:
            replaced = False
        if not replaced or owner(path) != ours:
            return None
        try:
            return set_aside(path, datetime.now(UTC), "it was replaced under the server")
        except OSError:
            return None  # cannot be renamed: the move goes on, as before this check


def checked_with_log(path: str) -> bool:
    """Check the store at PATH with its log, read-only: True when checked, False when it
    has no log, another process holds it (the log is theirs, in use), or a read-only
    connection cannot tell (the writable connection then checks)."""
    if not os.path.exists(path) or size(path) == 0 or not alone(path):
        return False
    try:
        check(uri(path, "mode=ro"), "integrity_check")  # a log may leave an index short
    except sqlite3.Error as e:
        if kind(e) == "corrupt":
            raise
        return False
    return True


def whole_alone(path: str) -> bool:
    """Say whether the store file at PATH is whole without its log (read-only, the log
    ignored: ``immutable``); False when it is not, or cannot be told."""
    try:
        check(uri(path, "immutable=1"), "integrity_check")
    except sqlite3.Error:
        return False
    return True


def check(address: str, pragma: str) -> None:
    """Run PRAGMA (``integrity_check``) on the database at the URI ADDRESS; ``whole``."""
    whole(rows(address, pragma))


def rows(source: str | sqlite3.Connection, pragma: str) -> list[str]:
    """Return what PRAGMA (a check) says of SOURCE (a connection, or a URI opened for it):
    ["ok"], or each problem found, a line each."""
    if isinstance(source, str):
        db = sqlite3.connect(source, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            return rows(db, pragma)
        finally:
            db.close()
    found = [str(row[0]) for row in source.execute(f"PRAGMA {pragma}")]
    return [x for row in found for x in row.splitlines() if not x.startswith("***")]


def whole(found: list[str]) -> None:
    """Raise a corrupt-store error unless FOUND, what a check said (``rows``), is ["ok"]."""
    if found != ["ok"]:
        more = f" (and {len(found) - 2} more)" if len(found) > 2 else ""
        raise sqlite3.DatabaseError(
            f"database disk image is malformed: {'; '.join(found[:2])}{more}"
        )
