"""The write-ahead log beside a SQLite store file: checked before a writable connection
applies it, and set aside when it belongs to another file.

SQLite applies whatever ``STATE-wal`` lies beside ``STATE`` to the file there now,
and a writable connection writes it into the file as it closes. A log is another
file's when a backup was renamed onto ``STATE`` with the log left beside it: after
a crash (``opening._without_log`` then sets it aside when the file alone is whole),
or under a running server, whose processes go on writing the old file's log until
they move to the new file (``set_aside_if``: the first to move sets it aside).
Nothing is deleted: a log set aside is renamed ``STATE.stale-TIMESTAMP-wal``. The
processes of one folder do either one at a time (``folder_lock``).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

from .sqlite import BUSY_TIMEOUT_MS, Holder, identity, kind, uri

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
def folder_lock(path: str) -> Iterator[None]:
    """Hold an exclusive ``flock`` on the folder of the store at PATH: one process at a time
    looks at its log and sets it aside. Nested in one thread, the outer lock serves; a
    folder that cannot be opened or locked is not locked."""
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
        try:
            fcntl.flock(folder, fcntl.LOCK_EX)
            held.add(name)
        except OSError:  # a file system without flock on folders: unlocked, as before
            pass
        yield
    finally:
        held.discard(name)
        os.close(folder)  # and the lock with it


def set_aside(path: str, now: datetime, why: str) -> str:
    """Rename the log (and ``-shm``) beside the store at PATH aside, WHY; return the name it
    went under (a new one: never over another). OSError: nothing was moved."""
    stem = aside = f"{path}.stale-{now:%Y%m%dT%H%M%S}"
    n = 1
    while any(os.path.lexists(aside + suffix) for suffix in SUFFIXES):
        n += 1
        aside = f"{stem}-{n}"
    log.warning("state store %s: %s; its write-ahead log is set aside as %s-wal", path, why, aside)
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
    return aside


def put_back(path: str, aside: str) -> None:
    """Put the log set aside as ASIDE back beside the store at PATH (over any made since)."""
    for suffix in SUFFIXES:
        if os.path.exists(aside + suffix):
            os.replace(aside + suffix, path + suffix)


def set_aside_if(path: str, ours: tuple[int, int] | None) -> str | None:
    """Set aside the log beside the store at PATH if it is OURS, the log of the file this
    process used until now; return the name it went under, else None.

    A process moving to a new file at PATH calls it first: the log is still the old
    file's (the other processes write it until they move too), and the new file must
    not take its pages. A log that another process made for the new file is not OURS.
    """
    if ours is None:
        return None
    with folder_lock(path):
        if owner(path) != ours:
            return None
        try:
            return set_aside(path, datetime.now(UTC), "it was replaced under the server")
        except OSError:
            return None  # cannot be renamed: the move goes on, as before this check


def checked_with_log(path: str) -> bool:
    """Check the store at PATH with its log, read-only: True when checked, False when it
    has no log, another process holds it (the log is theirs, in use), or a read-only
    connection cannot tell (the writable connection then checks)."""
    if not os.path.exists(path) or size(path) == 0:
        return False
    holder = Holder(path)
    try:
        if not holder.alone():
            return False
    finally:
        holder.release()
    try:
        ro = sqlite3.connect(uri(path, "mode=ro"), uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:  # integrity_check, not quick_check: a log's pages may leave an index short
            found = ro.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            ro.close()
    except sqlite3.Error as e:
        if kind(e) == "corrupt":
            raise
        return False
    whole(found)
    return True


def whole(found: str) -> None:
    """Raise a corrupt-store error unless FOUND, what a check said, is "ok"."""
    if found != "ok":
        problems = [line for line in found.splitlines() if not line.startswith("***")]
        more = f" (and {len(problems) - 2} more)" if len(problems) > 2 else ""
        raise sqlite3.DatabaseError(
            f"database disk image is malformed: {'; '.join(problems[:2])}{more}"
        )
