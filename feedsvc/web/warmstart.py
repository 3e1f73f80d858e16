"""Answer the feeds as the last clean stop left them while a restarted worker loads.

A worker that stops cleanly keeps, beside the state store (``STATE.served``),
the documents pollers ask for most (``WARM_PATHS``: the three site feeds) as it
served them. A worker that ``feedsvc serve`` starts (not one a reload starts:
the old one answers until it is ready) answers GET and HEAD of those paths from
there (``warming.Warming``), with the status, headers, bytes and ETags of
``FastPath`` (a poll with the last ETag gets its 304), while it loads the
articles in a thread; any other request waits for the load, at most half the
worker's threads at once (the rest get a 503 with Retry-After at once, so a
crawler cannot hold every thread while pollers wait). So a restart costs pollers
no wait, whatever the number of articles. The main process reads the file before
it forks the workers: this module imports nothing the workers' app needs.

The file counts only when its store is still there (a new store gives articles
without a pinned id or date new ones), when it was written after the store's
last write (else a later run of the service changed the site, then did not stop
cleanly), with the code, Python and settings of this start (the fingerprint of
``STATE.parsed``), and when no scheduled article fell due meanwhile. Files
edited while the service was stopped show once the load is done, as they would
after a rescan. A file that cannot be read or written costs only the time it
would have saved.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .. import config as settings
from ..render.document import Document
from ..store import parsed

if TYPE_CHECKING:
    from .publisher import Publisher

log = logging.getLogger(__name__)
WARM_PATHS = ("feed.atom", "feed.rss", "feed.json")


@dataclass(frozen=True)
class Saved:
    """The documents of WARM_PATHS by path ("/feed.atom"), and what their headers need."""

    documents: dict[str, Document]
    cache_max_age: int
    next_due: datetime | None
    prefix: str
    proxies: int = 0  # TRUSTED_PROXIES: the access log names the client, as the app's does


def location(state: str) -> str | None:
    """Return where the store STATE's served documents are kept (None: not for this store)."""
    return parsed.location(state, ".served")


def fingerprint() -> str:
    """Return the fingerprint of this start: code, Python, and the settings it reads."""
    return parsed.fingerprint(settings.load())


def close(publisher: Publisher) -> None:
    """Close PUBLISHER, then keep its warm documents beside its store: written after the
    store's last write, they count at the next start."""
    path = location(publisher.config["STATE"])
    if path is None or publisher.closed:
        publisher.close()
        return
    documents = publisher.documents
    kept = {}
    for name in WARM_PATHS:
        result = documents.resolve(name)
        if result.status == 200 and result.document is not None:
            d = result.document
            kept["/" + name] = (d.body, d.mimetype, d.last_modified, d.link)
    site = publisher.site
    record = {
        "fingerprint": fingerprint(),
        "documents": kept,
        "cache_max_age": site.cache_max_age,
        "next_due": documents.snapshot.next_due,
        "prefix": site.prefix.rstrip("/"),
    }
    publisher.close()
    parsed.write_pickles(path, [record], "a restart answers once loaded")


def load() -> Saved | None:
    """Return what the last clean stop of this start's store served, when it still stands."""
    config = settings.load()
    state = str(config["STATE"])
    path = location(state)
    if path is None:
        return None
    try:
        written = os.stat(path).st_mtime_ns
        if not os.path.exists(state):
            return None  # the store was lost: the new one's ids and dates are not those saved
        for suffix in ("", "-wal"):  # an empty log is one a reader opened: no change
            with contextlib.suppress(FileNotFoundError):
                found = os.stat(state + suffix)
                if found.st_mtime_ns > written and found.st_size:
                    return None  # the store changed since: a later run did not stop cleanly
        with open(path, "rb") as f:
            record = pickle.load(f)  # our own file, beside the state store, same owner
        if record.get("fingerprint") != fingerprint():
            return None
        next_due = record["next_due"]
        if next_due is not None and next_due <= datetime.now(UTC):  # the edge: a start
            return None  # a scheduled article is out now
        documents = {
            name: Document(body, mimetype, modified, link)
            for name, (body, mimetype, modified, link) in record["documents"].items()
        }
        proxies = int(config["TRUSTED_PROXIES"])  # as saved: the fingerprint has the settings
        return Saved(documents, record["cache_max_age"], next_due, record["prefix"], proxies)
    except FileNotFoundError:
        return None
    except Exception as e:  # a damaged or foreign file: answer once loaded
        log.warning("%s: ignored (%s: %s)", path, type(e).__name__, e)
        return None
