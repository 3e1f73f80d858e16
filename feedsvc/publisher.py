"""Keep the current documents of one process fresh, off the request path.

A ``Publisher`` owns the catalog and the documents of its latest snapshot.
In a server, a daemon thread keeps the catalog current and swaps in new
documents only when the snapshot's version changes, so a poll costs a
dictionary look-up whatever the number of articles. With WATCH ``auto`` (and
watchdog importable) or ``notify``, inotify events name the changed files and
only those are stat'ed and read, SETTLE seconds after the first event, with a
full stat scan every FULL_SCAN seconds as a safety net (events can overflow,
and a symlinked folder is not watched); with ``poll``, or when notifications
cannot start, the folder is stat-scanned every RESCAN_INTERVAL. Without the
thread (tests, ``check``, ``build``) a request rescans when the interval has
passed. Static files are read once, at start-up.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from .catalog import Catalog
from .documents import Documents
from .folder import SETTLE
from .pages import Pages
from .site import Document, Site
from .snapshot import Snapshot
from .state import StateStore

log = logging.getLogger(__name__)
FULL_SCAN = 300.0
IGNORED_EVENTS = frozenset({"opened", "closed_no_write"})  # our own reads
STATIC_TYPES = {
    ".css": "text/css",
    ".xsl": "application/xslt+xml",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".txt": "text/plain",
}


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
        name: Document(
            data,
            STATIC_TYPES.get(Path(name).suffix)
            or mimetypes.guess_type(name)[0]
            or "application/octet-stream",
            None,
        )
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
        self.catalog = Catalog.from_config(config, self.site.zone, self.site.host, self.store)
        self.feed_id = self.store.feed_id(self.catalog.authority, now)
        self.pages = Pages(self.site, config["THEME"])
        self.static = load_static(config["THEME"])
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._last_scan = time.monotonic()
        self._wake = threading.Event()
        self._pending_lock = threading.Lock()
        self._pending: set[str] | None = set()  # None: a full scan is due
        self._observer: Any = None
        self.mode = "poll"
        self.documents = self._documents(self.catalog.scan(now))

    def _documents(self, snapshot: Snapshot) -> Documents:
        return Documents(self.site, snapshot, self.pages, self.static, self.feed_id)

    def refresh(self, paths: set[str] | None = None) -> Documents:
        """Rescan PATHS (else the whole folder) now; swap in new documents on a change."""
        with self._lock:
            now = self.clock()
            snapshot = self.catalog.scan(now, paths)
            self._last_scan = time.monotonic()
            if snapshot.version != self.documents.snapshot.version:
                log.info("articles changed: %d published", len(snapshot.articles))
                self.documents = self._documents(snapshot)
            elif snapshot is not self.documents.snapshot:
                self.documents.snapshot = snapshot
            return self.documents

    @property
    def watching(self) -> bool:
        """Say whether a thread keeps the documents fresh (else requests rescan)."""
        return self._thread is not None

    def start_watching(self) -> None:
        """Keep the documents current from a daemon thread (see the module docstring)."""
        if self._thread is not None:
            return
        mode = self.config.get("WATCH", "auto")
        if mode != "poll":
            self.mode = self._start_observer(required=mode == "notify")
        self._thread = threading.Thread(target=self._watch, name="feedsvc-rescan", daemon=True)
        self._thread.start()

    def _start_observer(self, required: bool) -> str:
        try:
            from watchdog.events import FileSystemEventHandler
            from watchdog.observers import Observer
        except ImportError:
            if required:
                raise
            return "poll"
        root = os.path.realpath(self.catalog.root)
        publisher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: Any) -> None:
                if event.event_type in IGNORED_EVENTS or (
                    event.is_directory and event.event_type == "modified"
                ):
                    return
                publisher._notify(root, event)

        try:
            observer = Observer()
            observer.schedule(Handler(), root, recursive=True)
            observer.daemon = True
            observer.start()
        except Exception as e:  # inotify limits reached, folder missing...
            if required:
                raise
            log.warning(
                "file notifications unavailable (%s): stat scan every %s s", e, self.interval
            )
            return "poll"
        self._observer = observer
        with self._pending_lock:
            self._pending = None  # catch what changed between the first scan and now
        self._wake.set()
        return "notify"

    def _notify(self, root: str, event: Any) -> None:
        """Note the article paths EVENT names and wake the watcher."""
        with self._pending_lock:
            for path in (event.src_path, getattr(event, "dest_path", "")):
                if not path or self._pending is None:
                    continue
                relative = os.path.relpath(os.fsdecode(path), root).replace(os.sep, "/")
                if event.is_directory or relative.startswith("../") or relative == "..":
                    self._pending = None  # a folder moved or vanished: scan it all
                else:
                    self._pending.add(relative)
        self._wake.set()

    def _watch(self) -> None:
        next_full = time.monotonic() + FULL_SCAN
        while True:
            if self.mode == "notify":
                self._wake.wait(max(0.0, next_full - time.monotonic()))
                time.sleep(SETTLE)  # let the rest of an editor's save arrive
                self._wake.clear()
                with self._pending_lock:
                    paths, self._pending = self._pending, set()
                if paths is None or time.monotonic() >= next_full:
                    paths, next_full = None, time.monotonic() + FULL_SCAN
                elif not paths:
                    continue
            else:
                time.sleep(max(0.0, self._last_scan + self.interval - time.monotonic()))
                paths = None
            try:
                self.refresh(paths)
            except Exception:  # keep serving the last good documents
                log.exception("rescan failed")
                self._last_scan = time.monotonic()
            if self.catalog.unsettled and self.mode == "notify":
                with self._pending_lock:
                    if self._pending is not None:
                        self._pending |= self.catalog.unsettled
                self._wake.set()

    def current(self, now: datetime) -> Documents:
        """Return the documents to serve at NOW."""
        documents = self.documents
        if (
            not self.watching
            and time.monotonic() - self._last_scan >= self.interval
            or not documents.snapshot.is_current(now)
        ):
            documents = self.refresh()
        return documents
