"""Keep a publisher current from a daemon thread, off the request path.

With WATCH ``auto`` (and watchdog importable) or ``notify``, inotify events
name the changed files and only those are stat'ed and read, SETTLE seconds
after the first event, with a full stat scan every FULL_SCAN seconds as a
safety net (events can overflow, and a symlinked folder is not watched),
and a tick every RESCAN_INTERVAL that scans no file (it lets the catalog
notice a state store replaced under it);
with ``poll``, or when notifications cannot start, the folder is
stat-scanned every RESCAN_INTERVAL. Each tick reads the clock once and
passes it down. ``stop`` ends the thread and the observer.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ..catalog.folder import SETTLE

log = logging.getLogger(__name__)
FULL_SCAN = 300.0
IGNORED_EVENTS = frozenset({"opened", "closed_no_write"})  # our own reads
Refresh = Callable[[datetime, "set[str] | None"], Any]


def utcnow() -> datetime:
    """Return the time now: read at the edges only (a request, a rescan tick, a build)."""
    return datetime.now(UTC)


class Watcher:
    """Call REFRESH(now, paths) when files under ROOT change; UNSETTLED() names files to retry."""

    def __init__(
        self,
        root: str,
        refresh: Refresh,
        unsettled: Callable[[], set[str]],
        interval: float,
    ):
        self.root = os.path.realpath(root)
        self.refresh = refresh
        self.unsettled = unsettled
        self.interval = interval
        self.mode = "poll"
        self.last_scan = time.monotonic()
        self._thread: threading.Thread | None = None
        self._observer: Any = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pending_lock = threading.Lock()
        self._pending: set[str] | None = set()  # None: a full scan is due

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, mode: str) -> None:
        """Start watching in MODE (auto, notify or poll); notify raises when it cannot start."""
        if self._thread is not None:
            return
        if mode != "poll":
            self.mode = self._start_observer(required=mode == "notify")
        self._thread = threading.Thread(target=self._watch, name="feedsvc-rescan", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and the observer, and wait for both."""
        self._stop.set()
        self._wake.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _start_observer(self, required: bool) -> str:
        try:
            from watchdog.events import FileSystemEvent, FileSystemEventHandler
            from watchdog.observers import Observer
        except ImportError:
            if required:
                raise
            return "poll"
        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                if event.event_type in IGNORED_EVENTS or (
                    event.is_directory and event.event_type == "modified"
                ):
                    return
                watcher.notify(event)

        try:
            observer = Observer()
            observer.schedule(Handler(), self.root, recursive=True)
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

    def notify(self, event: Any) -> None:
        """Note the article paths EVENT names and wake the thread."""
        with self._pending_lock:
            for path in (event.src_path, getattr(event, "dest_path", "")):
                if not path or self._pending is None:
                    continue
                relative = os.path.relpath(os.fsdecode(path), self.root).replace(os.sep, "/")
                if event.is_directory or relative.startswith("../") or relative == "..":
                    self._pending = None  # a folder moved or vanished: scan it all
                else:
                    self._pending.add(relative)
        self._wake.set()

    def _watch(self) -> None:
        next_full = time.monotonic() + FULL_SCAN
        paths: set[str] | None
        while not self._stop.is_set():
            if self.mode == "notify":
                # Woken by an event, else every interval: a tick with no paths costs a
                # look at the state store only (was it replaced?), no stat of any file.
                woken = self._wake.wait(max(0.0, min(next_full - time.monotonic(), self.interval)))
                if self._stop.wait(SETTLE if woken else 0):  # the rest of an editor's save
                    return
                self._wake.clear()
                with self._pending_lock:
                    paths, self._pending = self._pending, set()
                if paths is None or time.monotonic() >= next_full:
                    paths, next_full = None, time.monotonic() + FULL_SCAN
            else:
                if self._stop.wait(max(0.0, self.last_scan + self.interval - time.monotonic())):
                    return
                paths = None
            try:
                self.refresh(utcnow(), paths)
            except Exception:  # keep serving the last good documents
                log.exception("rescan failed")
            self.last_scan = time.monotonic()
            unsettled = self.unsettled()
            if unsettled and self.mode == "notify":
                with self._pending_lock:
                    if self._pending is not None:
                        self._pending |= unsettled
                self._wake.set()
