"""Article bodies and bios: read from the article files when rendered, kept only as last good.

A worker holds every article's metadata but, per body, only the name of its
``Text`` (``Article.text_key``, a hash of body and bio). The renderers ask for a
text by that name; it is read again from the article's file and used when the
file still gives that text. The state store keeps no copy of a body its file
still gives: a rescan notes only each new text's opening words, coded, which
the records copy into their likeness (see ``identity``).

The one copy kept is a last good version that must be kept: when an edit breaks
a published file, the catalog keeps publishing its last good version, whose
words the file no longer holds. The worker then writes that version's body and
bio into the ``text`` table, taken from the texts it read last
(``RECENT_BYTES``: the files the rescans read after the first, and the texts the
last renders fetched, such as the feeds' entries). A copy is marked ``dropped``
when its file parses again or goes, and deleted an hour later, when every
worker has long rescanned. When the worker no longer has that text either (an
old article broken before anything asked for it), ``keep`` says so and its
summary, or else its title, stands in. A store from an earlier release, which
copied every text, keeps serving those copies as last good versions.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

from ..model import Article, Text
from . import identity
from .db import StateStore
from .firstwords import opening_words

log = logging.getLogger(__name__)
KEEP_DROPPED = timedelta(hours=1)
RECENT_BYTES = 2 * 1024 * 1024  # texts read last, per worker: a broken edit's last good version


class StoredBodies:
    """The ``Bodies`` of a catalog: texts read by REREAD(path), named in STORE, kept when lost."""

    def __init__(self, store: StateStore, reread: Callable[[str], Text | None]):
        self.store = store
        self.reread = reread
        self.writable = True
        self.held: dict[bytes, Text] = {}  # by key: texts the store could not take
        self._recent: OrderedDict[bytes, Text] = OrderedDict()
        self._recent_bytes = 0
        self._stood_in: set[bytes] = set()  # texts whose stand-in was logged: once per text
        self.stand_ins = 0  # stand-ins handed out so far: documents holding one render again
        self._lock = threading.Lock()  # request threads and the rescan thread share _recent

    def stow(self, texts: Sequence[tuple[str, Text]], remember: bool = True) -> None:
        """Note the opening words of TEXTS (path, text) just read, for the records to take.

        REMEMBER: also keep the texts among those read last (not for a first read).
        """
        if not texts:
            return
        if remember:
            for _, text in texts:
                self._remember(text)
        self.note([(text.key, opening_words(text.body)) for _, text in texts])

    def note(self, openings: list[tuple[bytes, bytes]]) -> None:
        """Note OPENINGS (text key, coded words) of texts read, for the next sync to take."""
        self.store.noted.update(openings)

    def keep(self, article: Article) -> bool:
        """Keep ARTICLE's text in the store: its file broke, and it stays published.

        Return False when this worker no longer has that text to keep.
        """
        key = article.text_key
        text = self.held.get(key) or self._recall(key)
        if text is None:
            return self._kept(key) is not None  # another worker, or an earlier break, kept it
        if not self.writable:
            self.held[key] = text
            return True
        try:
            with self.store.transaction() as db:
                db.execute(
                    "INSERT INTO text (key, path, body, bio) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET body = excluded.body, bio = excluded.bio, "
                    "dropped = NULL",
                    (key, article.path, text.body, text.bio),
                )
        except sqlite3.Error as e:
            log.error("cannot keep the text of %s in %s (%s)", article.path, self.store.path, e)
            self.held[key] = text
        return True

    def drop(
        self, paths: Iterable[str], kept: set[bytes], now: datetime, gone: Iterable[bytes] = ()
    ) -> None:
        """Mark the kept texts of PATHS not in KEPT as dropped at NOW; delete old ones.

        GONE: the keys of texts superseded or deleted, whose noted openings go too.
        """
        paths = list(paths)
        if not self.writable:
            self.held = {key: text for key, text in self.held.items() if key in kept}
            return
        stamp = now.astimezone(UTC).isoformat()
        old = (now - KEEP_DROPPED).astimezone(UTC).isoformat()
        try:
            with self.store.transaction() as db:
                identity.create(db)
                forgotten = sorted(set(gone) - kept)
                identity.forget(db, forgotten)
                for key in forgotten:
                    self.store.noted.pop(key)
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
        """Return the body and bio of ARTICLE: from its file, else its last good copy."""
        key, path = article.text_key, article.path
        found = self.held.get(key) or self._recall(key)
        if found is not None:
            return found
        read = self.reread(path)
        if read is not None and read.key == key:
            self._remember(read)
            return read
        kept = self._kept(key)
        if kept is not None:
            self._remember(kept)
            return kept
        if read is not None:  # edited since the last rescan, which will catch up
            log.info("%s: changed since it was read; showing the file as it is now", path)
            return read
        self.stand_ins += 1
        if key not in self._stood_in:  # once, not once per render: a feed renders many
            self._stood_in.add(key)
            log.error(
                "%s: its last good text was not kept and the file cannot be read; "
                "its summary stands in until the file is fixed",
                path,
            )
        return Text(article.summary or article.title, "")

    def _kept(self, key: bytes) -> Text | None:
        """Return the text the store keeps under KEY, if it keeps one."""
        try:
            # fetchall: the statement runs to its end, so no read is left open on the
            # connection that the rescan thread commits on
            rows = self.store.db.execute(
                "SELECT body, bio FROM text WHERE key = ? AND (body != '' OR bio != '')", (key,)
            ).fetchall()
        except sqlite3.Error as e:
            log.error("cannot read a kept text from %s (%s)", self.store.path, e)
            return None
        return Text(rows[0][0], rows[0][1]) if rows else None

    def _recall(self, key: bytes) -> Text | None:
        with self._lock:
            text = self._recent.get(key)
            if text is not None:
                self._recent.move_to_end(key)
            return text

    def _remember(self, text: Text) -> None:
        size = len(text.body) + len(text.bio)
        if size > RECENT_BYTES // 8:
            return  # one huge text would push out every other
        with self._lock:
            if text.key in self._recent:
                self._recent.move_to_end(text.key)
                return
            self._recent[text.key] = text
            self._recent_bytes += size
            while self._recent_bytes > RECENT_BYTES:
                _, old = self._recent.popitem(last=False)
                self._recent_bytes -= len(old.body) + len(old.bio)
