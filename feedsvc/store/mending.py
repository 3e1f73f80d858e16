"""Mending a state store file that fails its check: its log set aside, its indexes
rebuilt, or the store set aside whole and rebuilt (never deleted).

``connect_checked`` opens a file and checks it (``walfile`` for a write-ahead log
beside it); ``mended`` is what ``opening.open_file`` does, under the folder's lock,
when the check fails: the store as another process may have mended it meanwhile,
else without a log that is to blame, else with its indexes rebuilt, else a new one.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Callable
from datetime import datetime

from . import walfile
from .sqlite import Holder, connect_waiting, kind, uri

Report = Callable[[str], None]
_INDEX_ONLY = re.compile(r"missing from index|wrong # of entries in index|non-unique entry")


def connect_checked(path: str) -> tuple[sqlite3.Connection, Holder | None]:
    """Return a connection to the store at PATH, and this process's hold on it, if whole.

    A file with a write-ahead log that no other process holds is checked read-only first
    (a writable connection that failed would write the log into the file as it closed).
    The check is made under the folder's lock, and the file held before the lock goes,
    so that processes starting together see each other holding it (the log is then
    theirs, in use); a new file is made under the lock.
    """
    if path == ":memory:":
        return _checked(connect_waiting(path)), None
    with walfile.folder_lock(path):
        checked = walfile.checked_with_log(path)
        if not os.path.exists(path):
            return _checked(connect_waiting(path)), Holder(path)
        holder = Holder(path)
    try:
        db = connect_waiting(path)
        holder.log = walfile.owner(path)  # the log the connection opened (none before it)
        return (db if checked else _checked(db)), holder
    except BaseException:
        holder.release()  # no connection of ours is open to the file: no lock of SQLite's
        raise


def _checked(db: sqlite3.Connection) -> sqlite3.Connection:
    """Return DB once ``quick_check`` found it whole; else close it and raise."""
    try:
        walfile.whole(walfile.rows(db, "quick_check"))
    except sqlite3.Error:
        db.close()
        raise
    return db


def mended(
    path: str, now: datetime, report: Report
) -> tuple[sqlite3.Connection, Holder | None] | None:
    """Open the store at PATH, which failed its check: as it is now (another process may
    have mended it meanwhile), else without its log, else set aside and rebuilt."""
    try:
        return connect_checked(path)
    except sqlite3.Error as e:
        if kind(e) != "corrupt":
            raise
        return (
            _without_log(path, now, report)
            or _reindexed(path, report)
            or _set_aside(path, e, now, report)
        )


def _without_log(
    path: str, now: datetime, report: Report
) -> tuple[sqlite3.Connection, Holder | None] | None:
    """Open the damaged store at PATH without its write-ahead log, if the log is to blame.

    A backup renamed onto STATE after a crash, its log left beside it (``walfile``),
    takes that log's pages over its own and fails its check. When the file alone is
    whole (checked read-only, the log ignored, as thoroughly as the two together), the
    log is set aside, never deleted, and the file opened; else the file is to blame,
    and ``_set_aside`` sets the three aside together. Errors other than damage raise,
    the log back in its place. Called under the folder's lock (``opening.open_file``).
    """
    if walfile.size(path) == 0 or not walfile.alone(path) or not walfile.whole_alone(path):
        return None  # no log, another process's (in use), or the file is damaged too
    aside = walfile.set_aside(path, now, "the file fails its check with it, not without")
    try:
        opened = connect_checked(path)
    except sqlite3.Error as e:
        walfile.put_back(path, aside)  # nobody opened the file meanwhile: the lock
        if kind(e) == "corrupt":
            return None
        raise
    report(
        f"state store {path}: its write-ahead log does not fit the file or is damaged, and "
        f"the file is whole without it (a backup restored over the store while a log was "
        f"left beside it?); the log is set aside as {aside}-wal and the file's records are used"
    )
    return opened


def _reindexed(path: str, report: Report) -> tuple[sqlite3.Connection, Holder | None] | None:
    """Open the store at PATH with its indexes rebuilt, if they are all that is damaged.

    ``quick_check`` does not compare indexes with their tables, and earlier releases
    served such a store as it was; ``integrity_check``, which a store with a log is now
    opened with after a crash, does. REINDEX rebuilds them from the records: nothing lost.
    """
    if not walfile.alone(path):
        return None
    try:
        found = walfile.rows(uri(path, "mode=ro"), "integrity_check")
    except sqlite3.Error:
        return None
    if not found or not all(_INDEX_ONLY.search(line) for line in found):
        return None
    holder = Holder(path)  # released only with no connection of ours open to the file
    try:
        db = connect_waiting(path)
    except sqlite3.Error:
        holder.release()
        return None
    holder.log = walfile.owner(path)
    try:
        db.execute("REINDEX")
        walfile.whole(walfile.rows(db, "integrity_check"))
        done = "rebuilt from the records (REINDEX), nothing lost"
    except sqlite3.Error as e:  # two rows of one slug, say: served as it is, as before
        try:
            walfile.whole(walfile.rows(db, "quick_check"))
        except sqlite3.Error:
            db.close()
            holder.release()
            return None
        done = f"they cannot be rebuilt ({e}); served as it is, as earlier releases did"
    report(f"state store {path}: its indexes did not match its records ({found[0]}); {done}")
    return db, holder


def _set_aside(
    path: str, error: sqlite3.Error, now: datetime, report: Report
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
        return connect_checked(path)
    except sqlite3.Error:
        return None
