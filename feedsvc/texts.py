"""Article bodies and bios kept in the state store's file, out of a worker's memory.

A worker holds every article's metadata but, per body, only the ``Text``'s
name (a hash of body and bio) and where to fetch it. Rows are named by
content, so workers that read the same file write the same row and never
disagree. A row stays while any version of the catalog may still show it: a
version superseded by an edit, or a deleted file's, is marked ``dropped`` and
deleted an hour later, when every worker has long rescanned. A failed edit
stows nothing, so the last good version's row stays. Should a row be missing
anyway (the store was replaced under a running worker), the file is read
again. When the store cannot be written, texts stay held in memory.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from .normalise import Article, Text
from .state import StateStore

log = logging.getLogger(__name__)
KEEP_DROPPED = timedelta(hours=1)


class Texts:
    """Stow article texts in STORE; REREAD(path) reads a file's text again."""

    def __init__(self, store: StateStore, reread: Callable[[str], Text | None]):
        self.store = store
        self.reread = reread
        self.writable = True

    def stow(self, articles: list[Article]) -> None:
        """Hand the texts of ARTICLES to the store; they stay held when it cannot be written."""
        held = [a for a in articles if not a.text.stored]
        if not held or not self.writable:
            return
        try:
            with self.store.transaction() as db:
                db.executemany(
                    "INSERT INTO text (key, path, body, bio) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET path = excluded.path, dropped = NULL "
                    "WHERE text.path != excluded.path OR text.dropped IS NOT NULL",
                    [(a.text.key, a.path, a.text.body, a.text.bio) for a in held],
                )
        except sqlite3.Error as e:
            log.error("texts cannot be written to %s (%s); held in memory", self.store.path, e)
            self.writable = False
            return
        for article in held:
            article.text.stow(self, article.path)

    def drop(self, paths: Iterable[str], kept: set[bytes], now: datetime) -> None:
        """Mark the texts of PATHS that are not in KEPT as dropped at NOW; delete old ones."""
        paths = list(paths)
        if not self.writable:
            return
        stamp = now.astimezone(UTC).isoformat()
        old = (now - KEEP_DROPPED).astimezone(UTC).isoformat()
        try:
            with self.store.transaction() as db:
                for path in paths:
                    for (key,) in db.execute(
                        "SELECT key FROM text WHERE path = ? AND dropped IS NULL", (path,)
                    ).fetchall():
                        if key not in kept:
                            db.execute("UPDATE text SET dropped = ? WHERE key = ?", (stamp, key))
                for (key,) in db.execute(
                    "SELECT key FROM text WHERE dropped < ?", (old,)
                ).fetchall():
                    if key not in kept:
                        db.execute("DELETE FROM text WHERE key = ?", (key,))
        except sqlite3.Error as e:
            log.warning("old texts cannot be dropped from %s (%s)", self.store.path, e)

    def fetch(self, key: bytes, path: str) -> tuple[str, str]:
        """Return the body and bio named KEY, first read from PATH."""
        try:
            # fetchall: the statement runs to its end, so no read is left open on the
            # connection that the rescan thread commits on
            rows = self.store.db.execute(
                "SELECT body, bio FROM text WHERE key = ?", (key,)
            ).fetchall()
        except sqlite3.Error as e:
            log.error("cannot read the text of %s from %s (%s)", path, self.store.path, e)
            rows = []
        if rows:
            return rows[0]
        text = self.reread(path)
        if text is None:
            log.error("%s: its text is neither in the state store nor readable", path)
            return "", ""
        if text.key != key:
            log.warning("%s: its text left the state store; showing the file as it is now", path)
        return text.body, text.bio
