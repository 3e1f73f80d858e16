"""The write-ahead log beside a SQLite store file: checked before a writable connection
applies it, and set aside when it belongs to another file.

SQLite applies whatever ``STATE-wal`` lies beside ``STATE`` to the file there now,
and a writable connection writes it into the file as it closes. A log is another
file's when a backup was renamed onto ``STATE`` with the log left beside it: after
a crash (``opening._without_log`` then sets it aside when the file alone is whole),
or under a running server, whose processes go on writing the old file's log until
they move to the new file (``set_aside_if``: the first to move sets it aside).
Nothing is deleted: a log set aside is renamed ``STATE.stale-TIMESTAMP-wal``.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
from datetime import UTC, datetime
from urllib.parse import quote

from .sqlite import BUSY_TIMEOUT_MS, identity, kind

log = logging.getLogger(__name__)
SUFFIXES = ("-wal", "-shm")


def aside_name(path: str, now: datetime) -> str:
    """Return the name a log of the store at PATH is set aside under (plus its suffix)."""
    return f"{path}.stale-{now:%Y%m%dT%H%M%S}"


def owner(path: str) -> tuple[int, int] | None:
    """Return the (device, inode) of the log beside the store at PATH, None if none."""
    return identity(path + "-wal")


def set_aside_if(path: str, ours: tuple[int, int] | None) -> str | None:
    """Set aside the log (and ``-shm``) beside the store at PATH if it is OURS, the log of
    the file this process used until now; return the name it went under, else None.

    A process moving to a new file at PATH calls it first: the log is still the old
    file's (the other processes write it until they move too), and the new file must
    not take its pages. The processes of one folder do it one at a time (a ``flock`` on
    the folder), so a log that one of them made for the new file is never set aside.
    """
    if ours is None:
        return None
    try:
        folder = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None  # a folder that cannot be opened: no file in it can be opened either
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        if owner(path) != ours:
            return None
        aside = aside_name(path, datetime.now(UTC))
        for suffix in SUFFIXES:
            with contextlib.suppress(FileNotFoundError):
                os.replace(path + suffix, aside + suffix)
        log.warning(
            "state store %s: the write-ahead log beside it was the file's it replaced; set "
            "aside as %s-wal (the processes still on that file go on writing it)",
            path,
            aside,
        )
        return aside
    finally:
        os.close(folder)  # and the lock with it


def checked_with_log(path: str) -> bool:
    """Check the store at PATH with its write-ahead log, read-only: True when checked,
    False when it has no log or a read-only connection cannot tell (the writable checks)."""
    if not os.path.exists(path) or size(path) == 0:
        return False
    try:
        ro = sqlite3.connect(
            f"file:{quote(path)}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000
        )
        try:
            found = ro.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            ro.close()
    except sqlite3.Error as e:
        if kind(e) == "corrupt":
            raise
        return False
    whole(found)
    return True


def whole(found: str) -> None:
    """Raise a corrupt-store error unless FOUND, what ``quick_check`` said, is "ok"."""
    if found != "ok":
        problems = [line for line in found.splitlines() if not line.startswith("***")]
        more = f" (and {len(problems) - 2} more)" if len(problems) > 2 else ""
        raise sqlite3.DatabaseError(
            f"database disk image is malformed: {'; '.join(problems[:2])}{more}"
        )


def size(path: str) -> int:
    try:
        return os.path.getsize(path + "-wal")
    except OSError:
        return 0
