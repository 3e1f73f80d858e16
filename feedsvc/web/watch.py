"""Keep a publisher current from a daemon thread, off the request path.

With WATCH ``auto`` (and watchdog importable) or ``notify``, inotify events
name the changed files and only those are stat'ed and read, SETTLE seconds
after the first event, with a full stat scan every FULL_SCAN seconds as a
safety net (events can overflow), and a tick every RESCAN_INTERVAL that
scans no file (it lets the catalog notice a state store replaced under it);
with ``poll``, or when notifications cannot start, the folder is
stat-scanned every RESCAN_INTERVAL. Each tick reads the clock once and
passes it down. ``stop`` ends the thread and the observer.

Deploys replace the folder: it is deleted and re-created, or a symlink to it
is swapped (``ln -sfn release current.tmp && mv -T current.tmp current``).
Inotify watches the folder's inode, which sees neither, so in notify mode the
folder's path is stat'ed every ROOT_CHECK seconds: when it resolves to another
folder (or comes back), the watches are set up again on it and the whole
folder is scanned. A folder deleted and created again at once may get its
old inode number back, so the watched folder's own deletion also counts as
a replacement, and REPLACED() is called to tell the catalog (its deletions
then wait for the new folder to be quiet: see ``catalog.replaced``).
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
from ..reading.files import identity as _identity

log = logging.getLogger(__name__)
FULL_SCAN = 300.0
ROOT_CHECK = 0.2
IGNORED_EVENTS = frozenset({"opened", "closed_no_write"})  # our own reads
Refresh = Callable[[datetime, "set[str] | None"], Any]


def _not_the_stop_race(record: logging.LogRecord) -> bool:
    """Drop the error watchdog logs when its reader wakes while it stops: closing the
    watches wakes it with their IN_IGNORED events (seen at about 1 stop in 5)."""
    return "called when the thread is inactive" not in record.getMessage()


logging.getLogger("watchdog.observers.inotify").addFilter(_not_the_stop_race)


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
        replaced: Callable[[], None] = lambda: None,
    ):
        self.path = root  # as configured: a symlink is followed anew on each check
        self.root = os.path.realpath(root)
        self.identity = _identity(root, generation=False)
        self.refresh = refresh
        self.unsettled = unsettled
        self.interval = interval
        self.replaced = replaced
        self.mode = "poll"
        self.last_scan = time.monotonic()
        self._thread: threading.Thread | None = None
        self._observer: Any = None
        self._handler: Any = None
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
            self._handler = Handler()
            observer.schedule(self._handler, self.root, recursive=True)
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

    def _rewatch(self) -> bool:
        """Watch the folder anew when its path now names another one; say whether it did."""
        identity = _identity(self.path, generation=False)  # a stat: often
        if identity == self.identity:
            return False
        log.info("articles folder %s was replaced: watching it again", self.path)
        self.identity = identity
        with self._pending_lock:
            self.root = os.path.realpath(self.path)
            self._pending = None
        self._observer.unschedule_all()
        if identity is not None:
            try:
                self._observer.schedule(self._handler, self.root, recursive=True)
            except Exception as e:  # gone again already: the next check tries again
                log.warning("cannot watch %s (%s); trying again", self.path, e)
                self.identity = None
        return True

    def notify(self, event: Any) -> None:
        """Note the article paths EVENT names and wake the thread."""
        with self._pending_lock:
            if event.event_type == "deleted" and os.fsdecode(event.src_path) == self.root:
                self.identity = None  # its inode number may come back with a new folder
                self.replaced()
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
        next_tick = time.monotonic() + self.interval
        paths: set[str] | None
        while not self._stop.is_set():
            if self.mode == "notify":
                # Woken by an event, else every interval: a tick with no paths costs a
                # look at the state store only (was it replaced?), no stat of any file.
                # Every ROOT_CHECK, a stat of the folder's path: was it replaced?
                now = time.monotonic()
                woken = self._wake.wait(
                    max(0.0, min(next_full - now, next_tick - now, ROOT_CHECK))
                )
                replaced = self._rewatch()
                now = time.monotonic()
                if not (woken or replaced or now >= next_full or now >= next_tick):
                    continue
                next_tick = now + self.interval
                if self._stop.wait(SETTLE if woken or replaced else 0):  # the rest of a save
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
