"""Article bodies and bios kept in the state store's file, out of a worker's memory.

A worker holds every article's metadata but, per body, only the name of its
``Text`` (``Article.text_key``, a hash of body and bio). Rows are named by
content, so workers that read the same file write the same row and never
disagree. A row stays while any version of the catalog may still show it: a
version superseded by an edit, or a deleted file's, is marked ``dropped`` and
deleted an hour later, when every worker has long rescanned. A failed edit
stows nothing, so the last good version's row stays. Should a row be missing
anyway (the store was replaced under a running worker), the file is read
again through ``reread``. When the store cannot be written, texts are held
in memory instead.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

from ..model import Article, Text
from .db import StateStore

log = logging.getLogger(__name__)
KEEP_DROPPED = timedelta(hours=1)


class StoredBodies:
    """The ``Bodies`` of a catalog: texts in STORE; REREAD(path) reads a file's text again."""

    def __init__(self, store: StateStore, reread: Callable[[str], Text | None]):
        self.store = store
        self.reread = reread
        self.writable = True
        self.held: dict[bytes, Text] = {}  # by key: texts the store could not take

    def stow(self, texts: Sequence[tuple[str, Text]]) -> None:
        """Hand TEXTS (path, text) to the store; hold them when it cannot be written."""
        if not texts:
            return
        if self.writable:
            try:
                with self.store.transaction() as db:
                    db.executemany(
                        "INSERT INTO text (key, path, body, bio) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT (key) DO UPDATE SET path = excluded.path, dropped = NULL "
                        "WHERE text.path != excluded.path OR text.dropped IS NOT NULL",
                        [(text.key, path, text.body, text.bio) for path, text in texts],
                    )
                return
            except sqlite3.Error as e:
                log.error("texts cannot be written to %s (%s); held in memory", self.store.path, e)
                self.writable = False
        for _, text in texts:
            self.held[text.key] = text

    def drop(self, paths: Iterable[str], kept: set[bytes], now: datetime) -> None:
        """Mark the texts of PATHS that are not in KEPT as dropped at NOW; delete old ones."""
        paths = list(paths)
        if not self.writable:
            self.held = {key: text for key, text in self.held.items() if key in kept}
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

    def text(self, article: Article) -> Text:
        """Return the body and bio of ARTICLE."""
        key, path = article.text_key, article.path
        held = self.held.get(key)
        if held is not None:
            return held
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
            return Text(rows[0][0], rows[0][1])
        text = self.reread(path)
        if text is None:
            log.error("%s: its text is neither in the state store nor readable", path)
            return Text("", "")
        if text.key != key:
            log.warning("%s: its text left the state store; showing the file as it is now", path)
        return text
