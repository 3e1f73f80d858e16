"""Keep the current documents of one process fresh, off the request path.

A ``Publisher`` owns the catalog and the documents of its latest snapshot.
In a server, a daemon thread rescans the folder every RESCAN_INTERVAL and
swaps in new documents only when the snapshot's version changes, so a poll
costs a dictionary look-up whatever the number of articles. Without the
thread (tests, ``check``, ``build``) a request rescans when the interval has
passed. Static files are read once, at start-up.
"""

from __future__ import annotations

import logging
import mimetypes
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from .catalog import Catalog, Snapshot
from .documents import Documents
from .normalise import Defaults
from .pages import Pages
from .site import Document, Site
from .state import StateStore

log = logging.getLogger(__name__)
STATIC_TYPES = {".css": "text/css", ".xsl": "application/xslt+xml", ".js": "text/javascript",
                ".svg": "image/svg+xml", ".ico": "image/x-icon", ".txt": "text/plain"}


def utcnow() -> datetime:
    return datetime.now(UTC)


def load_static(theme: str = "") -> dict[str, Document]:
    """Return our static files, then the theme's over them, by name."""
    found: dict[str, bytes] = {}
    package = resources.files("feedsvc") / "static"
    for item in package.iterdir():
        if item.is_file() and not item.name.startswith("."):
            found[item.name] = item.read_bytes()
    if theme:
        folder = Path(theme) / "static"
        if folder.is_dir():
            for item in sorted(folder.rglob("*")):
                if item.is_file() and not any(p.startswith(".") for p in item.parts):
                    found[item.relative_to(folder).as_posix()] = item.read_bytes()
    return {
        name: Document(data, STATIC_TYPES.get(Path(name).suffix)
                       or mimetypes.guess_type(name)[0] or "application/octet-stream", None)
        for name, data in sorted(found.items())
    }


class Publisher:
    """The catalog and rendered documents of one process."""

    def __init__(self, config: Mapping[str, Any], clock: Callable[[], datetime] = utcnow):
        self.config = config
        self.clock = clock
        self.site = Site.from_config(config)
        self.interval = float(config["RESCAN_INTERVAL"])
        now = clock()
        self.store = StateStore(config["STATE"], now)
        authority = config["ID_AUTHORITY"] or self.site.host
        self.catalog = Catalog(
            config["ARTICLES"],
            Defaults(config["AUTHOR"], config["LANGUAGE"], self.site.zone),
            self.store, authority, config["MAX_ARTICLE_BYTES"],
            authority_pinned=bool(config["ID_AUTHORITY"]),
        )
        self.feed_id = self.store.feed_id(authority, now)
        self.pages = Pages(self.site, config["THEME"])
        self.static = load_static(config["THEME"])
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._last_scan = time.monotonic()
        self.documents = self._documents(self.catalog.scan(now))

    def _documents(self, snapshot: Snapshot) -> Documents:
        return Documents(self.site, snapshot, self.pages, self.static, self.feed_id)

    def refresh(self) -> Documents:
        """Rescan the folder now; swap in new documents when anything changed."""
        with self._lock:
            now = self.clock()
            snapshot = self.catalog.scan(now)
            self._last_scan = time.monotonic()
            if snapshot.version != self.documents.snapshot.version:
                log.info("articles changed: %d published", len(snapshot.articles))
                self.documents = self._documents(snapshot)
            elif snapshot is not self.documents.snapshot:
                self.documents.snapshot = snapshot
            return self.documents

    def start_watching(self) -> None:
        """Rescan in a daemon thread every RESCAN_INTERVAL seconds."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._watch, name="feedsvc-rescan", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while True:
            time.sleep(max(0.0, self._last_scan + self.interval - time.monotonic()))
            try:
                self.refresh()
            except Exception:  # keep serving the last good documents
                log.exception("rescan failed")
                self._last_scan = time.monotonic()

    def current(self, now: datetime) -> Documents:
        """Return the documents to serve at NOW."""
        documents = self.documents
        if self._thread is None and time.monotonic() - self._last_scan >= self.interval:
            documents = self.refresh()
        elif not documents.snapshot.is_current(now):
            documents = self.refresh()
        return documents
