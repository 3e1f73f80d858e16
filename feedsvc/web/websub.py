"""WebSub publishing: tell each hub in WEBSUB_HUBS when a feed's bytes change.

A ``Pinger`` thread per worker, off the request path. When the publisher
swaps in new documents (the new bytes are being served), the pinger renders
the feeds that may have changed (the site's, and those of the tags and
authors of changed articles), and offers their ETags to the state store,
which arms pings for the URLs whose bytes differ: once per change whatever
the number of workers (see ``store.websub``). Pings are due after DELAY, so
that the other workers have rescanned too when the hub fetches the feed. Any
worker's thread then sends the due pings: one ``POST`` per feed URL and hub,
form-encoded ``hub.mode=publish`` with the URL as ``hub.url`` (and as
``hub.topic``, which some hubs read instead). A failure is retried with
exponential backoff (1 s, 2 s, 4 s, ... up to an hour), then given up after
MAX_ATTEMPTS. Nothing here can delay or fail a response.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Iterable

from ..catalog.snapshot import author_slug
from ..render.formats import FORMATS
from ..render.router import Documents
from ..render.site import feed_path
from ..store.websub import Ping, Pings

log = logging.getLogger(__name__)
LEASE = 60.0  # seconds a sender owns a ping it took; then another worker may retry it
TIMEOUT = 10.0  # seconds a hub may take to answer
MAX_ATTEMPTS = 15
IDLE = 5.0  # seconds between looks at the store for pings another worker left due


def ping_delay(interval: float, mode: str) -> float:
    """Return the seconds from a change to its pings, so every worker serves it by then."""
    # A polling worker sees a change up to one RESCAN_INTERVAL late, and leaves a file
    # younger than 0.25 s for the next scan: wait that long, however long it is. Workers
    # told by notify see it at once; their ticks are still waited for, up to 5 s.
    lag = interval + 0.5
    return lag if mode == "poll" else min(5.0, lag)


def backoff(attempts: int) -> float:
    """Return the seconds to wait after ATTEMPTS failed tries: 1, 2, 4, ... at most an hour."""
    return float(min(3600, 2 ** max(0, attempts - 1)))


def feed_paths(documents: Documents, previous: Documents | None) -> list[str]:
    """Return the feed paths whose bytes may differ from PREVIOUS (all, without it)."""
    snap = documents.snapshot
    if previous is None:
        tags, authors = set(snap.tags), set(snap.authors)
    else:
        old = previous.snapshot.by_slug
        changed = [
            article
            for slug in old.keys() | snap.by_slug.keys()
            for article in (old.get(slug), snap.by_slug.get(slug))
            if article is not None and old.get(slug) is not snap.by_slug.get(slug)
        ]
        tags = {t.slug for a in changed for t in a.tags} & snap.tags.keys()
        authors = {author_slug(x) for a in changed for x in a.authors} & snap.authors.keys()
    paths = [feed_path(kind) for kind in FORMATS]
    paths += [feed_path(kind, slug) for slug in sorted(tags) for kind in FORMATS]
    paths += [feed_path(kind, author=slug) for slug in sorted(authors) for kind in FORMATS]
    return paths


class Pinger:
    """Announce feed changes to HUBS from a daemon thread; pings live in the store at STATE."""

    def __init__(self, hubs: Iterable[str], state: str, delay: float):
        self.hubs = tuple(hubs)
        self.state = state
        self.delay = delay
        self._changes: deque[tuple[Documents | None, Documents]] = deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._held: tuple[Documents | None] | None = None  # the previous of skipped documents

    def start(self, documents: Documents) -> None:
        """Start the thread; the feeds of DOCUMENTS are recorded, not announced, unless changed."""
        self._changes.append((None, documents))
        self._thread = threading.Thread(target=self._run, name="feedsvc-websub", daemon=True)
        self._thread.start()

    def changed(self, previous: Documents, documents: Documents) -> None:
        """Note that DOCUMENTS replaced PREVIOUS and are being served."""
        self._changes.append((previous, documents))
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        pings = Pings(self.state)
        try:
            while not self._stop.is_set():
                try:
                    self._offer(pings)
                    self._send(pings)
                    due = pings.next_due()
                except Exception:  # never let the thread die: log, then look again later
                    log.exception("WebSub: pinging failed; trying again")
                    due = None
                wait = IDLE if due is None else max(0.05, min(IDLE, due - time.time()))
                self._wake.wait(wait)
                self._wake.clear()
        finally:
            pings.close()

    def _offer(self, pings: Pings) -> None:
        while self._changes:
            previous, documents = self._changes.popleft()
            if self._held is not None:  # compare with what came before the held documents
                previous, self._held = self._held[0], None
            if documents.snapshot.held:  # an article out until its file parses: not a change
                self._held = (previous,)  # to announce (no ping; see docs/feeds.md)
                continue
            stand_ins = getattr(documents.bodies, "stand_ins", 0)
            etags = {}
            for path in feed_paths(documents, previous):
                result = documents.resolve(path)
                if result.status == 200 and result.document is not None:
                    etags[documents.site.url(path)] = result.document.etag
            if getattr(documents.bodies, "stand_ins", 0) != stand_ins:  # a file gone mid-deploy:
                self._held = (previous,)  # its feeds render again once it is back (publisher)
                continue
            due = time.time() + self.delay
            for url in pings.offer(etags, self.hubs, due, announce_new=previous is not None):
                log.info("WebSub: %s changed; hubs are told in %.1f s", url, self.delay)

    def _send(self, pings: Pings) -> None:
        for ping in pings.take(time.time(), LEASE):
            if ping.hub not in self.hubs:  # a hub no longer configured
                pings.sent(ping)
                continue
            error = publish(ping.hub, ping.url)
            if error is None:
                log.info("WebSub: told %s that %s changed", ping.hub, ping.url)
                pings.sent(ping)
            elif ping.attempts >= MAX_ATTEMPTS:
                log.warning("WebSub: giving up on %s for %s: %s", ping.hub, ping.url, error)
                pings.sent(ping)
            else:
                wait = backoff(ping.attempts)
                log.warning(
                    "WebSub: %s for %s failed (%s); retrying in %.0f s",
                    ping.hub,
                    ping.url,
                    error,
                    wait,
                )
                pings.retry(ping, time.time() + wait)


def publish(hub: str, url: str) -> str | None:
    """POST a WebSub publish request for URL to HUB; return None on a 2xx, else the error."""
    form = urllib.parse.urlencode(
        {"hub.mode": "publish", "hub.url": url, "hub.topic": url}
    ).encode()
    request = urllib.request.Request(
        hub,
        data=form,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            response.read(65536)
            return None if 200 <= response.status < 300 else f"HTTP {response.status}"
    except urllib.error.HTTPError as e:
        return f"HTTP {e.code}"
    except (OSError, ValueError) as e:
        return str(e) or type(e).__name__


__all__ = ["Ping", "Pinger", "backoff", "feed_paths", "publish"]
