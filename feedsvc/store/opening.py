"""Opening a state store: a file (set aside when damaged), a database, or a copy.

Every fault of a file is passed to ``report`` and leaves a usable connection: at
worst an empty one in memory, so the service carries on. A database (several
nodes share it) is waited for at start, WAIT_FOR_DATABASE seconds, then refused
(``StoreUnreachable``): a node that served from an empty store would give new ids
and dates to every article it has no record of, and its pollers would see them
again as new. A node that loses the database later serves the records it holds
(``StateStore._degrade``).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable
from datetime import datetime

from ..errors import ConfigError
from . import mending, pg, walfile
from .layout import LAYOUT, later
from .sqlite import (
    Connection,
    Holder,
    cause,
    connect,
    copy_to_memory,
    kind,
    prepare,
    uri,
)

log = logging.getLogger(__name__)
Report = Callable[[str], None]


WAIT_FOR_DATABASE = 30.0  # seconds a start waits for the database to answer


class StoreUnreachable(ConfigError):
    """The database holding the records does not answer: nothing is served from it."""


def open_shared(url: str) -> Connection:
    """Return a connection to the PostgreSQL store at URL, trying again for WAIT_FOR_DATABASE
    seconds (pauses of 0.5 s, doubled up to 4 s); then raise StoreUnreachable."""
    deadline, pause = time.monotonic() + WAIT_FOR_DATABASE, 0.5
    while True:
        try:
            return pg.Connection(url)
        except sqlite3.Error as e:
            left = 0.0 if isinstance(e, pg.NoDriver) else deadline - time.monotonic()
            if left <= 0:
                raise StoreUnreachable(
                    f"state store {pg.shown(url)} cannot be reached ({e}); nothing is served "
                    "without its records, so that no article gets a new id or date: start "
                    "again once the database answers"
                ) from None
            if pause == 0.5:
                log.warning(
                    "state store %s cannot be reached (%s); trying again for %.0f s",
                    pg.shown(url), e, WAIT_FOR_DATABASE,
                )  # fmt: skip
            time.sleep(min(left, pause))
            pause = min(pause * 2, 4.0)


def read_only_copy(target: str, report: Report) -> sqlite3.Connection:
    """Return an in-memory copy of the store at TARGET; nothing is created or moved."""
    copy = None
    if pg.is_url(target):
        try:
            source = pg.Connection(target, read_only=True)
        except sqlite3.Error as e:
            report(f"state store {pg.shown(target)} cannot be read ({e})")
        else:
            shown = pg.shown(target)
            copy = copy_to_memory(
                source, lambda why: report(f"state store {shown} cannot be read ({why})")
            )
            source.close()
    elif os.path.exists(target):
        copy = _file_copy(target)
        if copy is None:
            report(f"state store {target} cannot be read; checked as if it were empty")
    return copy or connect(":memory:")


def _file_copy(path: str) -> sqlite3.Connection | None:
    """Return an in-memory copy of the store at PATH if it can be read, else None.

    Immutable (the write-ahead log ignored) when the file cannot be read with its log (a
    WAL store on a read-only disk), or fails its check with it: then the file alone, if
    whole (a backup beside a log that does not fit it, which could not be set aside).
    """
    for mode in ("mode=ro", "immutable=1"):
        try:
            source = sqlite3.connect(uri(path, mode), uri=True)
            try:
                if walfile.rows(source, "quick_check") != ["ok"]:
                    continue
                memory = connect(":memory:")
                source.backup(memory)
                prepare(memory)  # a copy of a store from before a table, or a layout
                return memory
            finally:
                source.close()
        except sqlite3.Error:
            continue
    return None


def open_file(
    path: str, now: datetime, report: Report
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
        return mending.connect_checked(path)
    except sqlite3.Error as e:
        if kind(e) == "corrupt" and os.path.exists(path):
            try:
                with walfile.folder_lock(path):  # one process at a time mends a store
                    opened = mending.mended(path, now, report)
            except (sqlite3.Error, OSError) as failure:  # a full disk, a read-only folder
                report(f"state store {path} fails its check and cannot be mended ({failure})")
                opened = None
            if opened is not None:
                return opened
        copy = _file_copy(path) if os.path.exists(path) else None
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


def newer_layout(db: Connection, path: str) -> str | None:
    """Return why the store DB at PATH cannot be used when a later release rewrote it.

    The layout of the records this release reads and writes is ``layout.LAYOUT`` (meta
    "layout"; none: 1). A store a later release rewrote in another layout is refused,
    never misread: a rollback must not take stored hashes for changed articles, and
    re-date them."""
    if (found := later(db)) is None:
        return None
    return (
        f"state store {path} was written by a later release of feedsvc (record layout "
        f"{found}; this release reads layout {LAYOUT}): run that release or a later one, "
        "or restore a backup taken before it"
    )


def same_folder(a: str, b: str) -> bool:
    """Say whether the folders A and B are one (the same file, else the same path)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.normpath(a) == os.path.normpath(b)
