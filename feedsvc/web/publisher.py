"""Keep the current documents of one process fresh, off the request path.

A ``Publisher`` owns the catalog and the documents of its latest snapshot.
In a server, a ``watch.Watcher`` thread keeps the catalog current and new
documents are swapped in only when the snapshot's version changes (or when it
changes otherwise after a file could not give its text: see ``refresh``), so a
poll costs a dictionary look-up whatever the number of articles. Without the
thread (tests, ``check``, ``build``) a request rescans when RESCAN_INTERVAL
has passed. The problems of each new snapshot are logged once, when they
first appear. Static files are read once, at start-up. ``now`` comes in from
the caller: the app factory, a request, a rescan tick or a build.
"""

from __future__ import annotations

import logging
import mimetypes
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from ..catalog import engine
from ..catalog.catalog import Catalog
from ..catalog.firstread import FirstRead
from ..catalog.snapshot import Snapshot
from ..errors import Problem
from ..reading.bundles import BundleFiles
from ..render import inspection
from ..render.document import Document
from ..render.pages import Pages
from ..render.router import Documents
from ..render.site import Site
from ..store import parsed
from ..store.db import StateStore
from .watch import Watcher
from .websub import Pinger, ping_delay

log = logging.getLogger(__name__)
STATIC_TYPES = {
    ".css": "text/css",
    ".xsl": "application/xslt+xml",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".txt": "text/plain",
}


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
            for path in sorted(folder.rglob("*")):
                if path.is_file() and not any(p.startswith(".") for p in path.parts):
                    found[path.relative_to(folder).as_posix()] = path.read_bytes()
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
    """The catalog and rendered documents of one process, first scanned at NOW."""

    def __init__(self, config: Mapping[str, Any], now: datetime):
        self.store = StateStore(config["STATE"], now)
        try:
            self.store.bind(config["ARTICLES"])
            config, note = engine.settle(config, self.store)  # auto: as the site was published
        except Exception:
            self.store.close()
            raise
        if note:
            log.warning(note)
        self.config = config
        self.site = Site.from_config(config)
        self.interval = float(config["RESCAN_INTERVAL"])
        self.catalog = Catalog.from_config(
            config, self.site.zone, self.site.host, self.store, inspect=inspection.inspect
        )
        # Stable across days and machines: FEED_ID, else the site's own URL (kept once public).
        self.feed_id = config["FEED_ID"] or self.store.feed_id(self.site.base_url)
        self.bodies = self.catalog.folder.bodies
        self.pages = Pages(self.site, self.bodies, config["THEME"])
        self.static = load_static(config["THEME"])
        self.files = BundleFiles(self.catalog.root)  # images beside posts (page bundles)
        self.watcher = Watcher(
            self.catalog.root,
            self.refresh,
            lambda: self.catalog.unsettled,
            self.interval,
            self.catalog.folder.replaced.mark,
        )
        self._lock = threading.Lock()
        self._closed = False
        self._last_scan = time.monotonic()
        self._logged: frozenset[Problem] = frozenset()
        self.pinger: Pinger | None = None
        # A restart takes each unchanged file as the last process read it (store/parsed.py),
        # except under a blog engine: its site files and a post's neighbours shape the post.
        blog = self.catalog.folder.defaults.blog is not None
        self._parsed = None if blog else parsed.location(config["STATE"])
        self._fingerprint = parsed.fingerprint(config) if self._parsed else ""
        known = parsed.load(self._parsed, self._fingerprint, self.catalog.records)
        self.catalog.folder.known = parsed.usable(known, self.store)
        self.catalog.folder.stale = parsed.stale(self._parsed, self.store)
        reading = None if blog else parsed.location(config["STATE"], ".reading")
        if reading is not None:  # a cold first read: each file read by one of the workers
            self.catalog.folder.share = FirstRead(reading, self._fingerprint)
        del known  # the folder lets each article go once taken (memory)
        snapshot = self.catalog.scan(now)
        self._log_problems(snapshot)
        self.documents = self._documents(snapshot)

    def _documents(self, snapshot: Snapshot, previous: Documents | None = None) -> Documents:
        self._stand_ins = self.bodies.stand_ins  # any more were rendered into these documents
        return Documents(
            self.site,
            snapshot,
            self.pages,
            self.static,
            self.feed_id,
            self.bodies,
            previous,
            self.files,
        )

    def _log_problems(self, snapshot: Snapshot) -> None:
        """Log the problems of SNAPSHOT that the last one did not have: once per change."""
        problems = frozenset(snapshot.problems)
        for problem in sorted(problems - self._logged):
            log.warning("%s", problem)
        self._logged = problems

    def refresh(self, now: datetime, paths: set[str] | None = None) -> Documents:
        """Rescan PATHS (else the whole folder) at NOW; swap in new documents on a change."""
        with self._lock:
            snapshot = self.catalog.scan(now, paths)
            self._last_scan = time.monotonic()
            if snapshot is not self.documents.snapshot:
                self._log_problems(snapshot)
            changed = snapshot.version != self.documents.snapshot.version
            # Documents rendered while a file could not give its text (the folder missing,
            # say) show a stand-in: render them again once the folder changes, back or not.
            stood_in = self.bodies.stand_ins != self._stand_ins
            if changed or (stood_in and snapshot is not self.documents.snapshot):
                if changed:
                    log.info("articles changed: %d published", len(snapshot.articles))
                else:
                    log.info("the folder changed: documents showing a stand-in render again")
                previous = self.documents
                self.documents = self._documents(snapshot, previous)
                if self.pinger is not None:
                    self.pinger.changed(previous, self.documents)
            elif snapshot is not self.documents.snapshot:
                self.documents.snapshot = snapshot
            return self.documents

    @property
    def watching(self) -> bool:
        """Say whether a thread keeps the documents fresh (else requests rescan)."""
        return self.watcher.running

    @property
    def mode(self) -> str:
        """Return how changes are noticed: notify or poll."""
        return self.watcher.mode

    def start_watching(self) -> None:
        """Keep the documents current from a daemon thread (see ``watch``), and tell the hubs.

        WebSub pings start here, with the server, never in a build or a check.
        """
        if self.site.websub_hubs and self.pinger is None:
            # when the hub fetches, every worker has rescanned: one interval and a settle
            self.pinger = Pinger(self.site.websub_hubs, self.config["STATE"], self.interval + 0.5)
            self.pinger.start(self.documents)
        self.watcher.start(self.config.get("WATCH", "auto"))
        if self.pinger is not None:  # notify or poll is known once the watcher runs
            self.pinger.delay = ping_delay(self.interval, self.watcher.mode)

    def current(self, now: datetime) -> Documents:
        """Return the documents to serve at NOW."""
        documents = self.documents
        if (
            not self.watching
            and time.monotonic() - self._last_scan >= self.interval
            or not documents.snapshot.is_current(now)
        ):
            documents = self.refresh(now)
        return documents

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stop watching and pinging, and close the state store (checkpointed); again: nothing."""
        if self._closed:
            return
        self._closed = True
        self.watcher.stop()
        if self.pinger is not None:
            self.pinger.stop()
        with self._lock:  # a rescan in flight finishes first
            parsed.save(self._parsed, self._fingerprint, self.catalog.folder.parsed())
            self.store.close()
