"""When the site last changed: the Last-Modified of every document of a snapshot.

A client that sends only If-Modified-Since (Tiny Tiny RSS, for one) keeps its copy of
a document on a 304, so the instant must move with every change of any document: an
article first seen (whatever its date), its content changed, deleted, or its tombstone
gone from the feeds after TOMBSTONE_DAYS; a scheduled article due, an expired one out.
The instants come from the state store and the articles, so every worker and node
gives the same one, and a restart keeps it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any

from ..model import Article
from ..store.records import Record


def latest(
    now: datetime,
    records: Iterable[Record],
    articles: Iterable[Article] = (),
    keep: timedelta | None = None,
    since: datetime | None = None,
) -> datetime | None:
    """Return the latest instant up to NOW (a typo'd ``updated`` in the future does not
    count) at which RECORDS changed (first seen, content changed, gone, and gone + KEEP:
    the tombstone's end) or that ARTICLES show (published, updated, expires), or SINCE."""
    rows: list[Any] = [*records]
    shown: list[Any] = [*articles]
    found = [since] if since is not None else []
    if keep:
        found += [g + keep for g in map(attrgetter("gone"), rows) if g and g + keep <= now]
    for items, name in [(rows, n) for n in ("first_seen", "changed", "gone")] + [
        (shown, n) for n in ("published", "updated", "expires")
    ]:
        top = max(filter(None, map(attrgetter(name), items)), default=None)  # in C
        if top is not None and top > now:  # rare: the latest up to NOW, in Python
            top = max((t for t in map(attrgetter(name), items) if t and t <= now), default=None)
        found += [top] if top is not None else []
    return max(found, default=None)
