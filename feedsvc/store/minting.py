"""Minted ids and invented dates: what a new record gets when its article pins neither.

An id is an RFC 4151 tag URI under the site's authority, minted once, when its record
is made, and kept: ``remint`` replaces only the provisional ids (``urn:uuid:``, or a tag
of a local name) made while the site had no public name, at its first public minting.

Dates feedsvc invents for undated articles are unique (``Instants``): a first-seen
instant already taken moves a second later (file-name and git dates) or a second
earlier (the time of first sight, which must not be in the future).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..config import is_local
from .identity import ID_END, ID_IS, id_is
from .layout import pack
from .parts import parts

if TYPE_CHECKING:
    from .records import Seen
    from .sqlite import Connection

SECOND = timedelta(seconds=1)


def iso(value: datetime) -> str:
    """Return VALUE as the store writes instants: UTC, whole seconds (so the date
    `feedsvc check` tells an author to pin is exact)."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def mint_id(authority: str, when: datetime, slug: str) -> str:
    """Return the RFC 4151 tag URI for SLUG first published WHEN."""
    day = when.astimezone(UTC)  # the date as strftime's %Y-%m-%d writes it, for half the CPU
    return f"tag:{authority},{day.year}-{day.month:02}-{day.day:02}:{slug}"


def is_provisional(value: str) -> bool:
    """Return whether the id VALUE was minted while the site had no public name."""
    if value.startswith("urn:uuid:"):
        return True
    if value.startswith("tag:"):
        return is_local(value[4:].split(",", 1)[0])
    return is_local(urlsplit(value).hostname or "")


def provisional_id() -> str:
    """Return a new provisional id: unique, and replaced at the first public minting."""
    return f"urn:uuid:{uuid.uuid4()}"


def recorded_authority(db: Connection) -> str | None:
    """Return the id authority recorded at the first minting, if any."""
    row = db.execute("SELECT value FROM meta WHERE name = 'authority'").fetchone()
    return None if row is None else str(row[0])


def remint(db: Connection, authority: str) -> int:
    """Give every record with a provisional id its final id under AUTHORITY."""
    rows = db.execute("SELECT key, slug, id, first_seen FROM article").fetchall()
    count = 0
    for key, slug, id_, first_seen in rows:
        if is_provisional(id_):
            final = mint_id(authority, datetime.fromisoformat(first_seen), slug)
            db.execute("UPDATE article SET id = ? WHERE key = ?", (final, key))
            count += 1
    return count


PROBES = 64  # instants looked up one by one (the index) before all are read at once


class Instants:
    """First-seen instants not yet taken in the store, claimed one by one.

    Each instant tried is looked up in the store (``article_first_seen``, an index:
    one undated article added among 100,000 costs what it costs among 100); after
    ``PROBES`` look-ups every taken instant is read at once (a first read of many
    undated files). First-seen texts are in one form (UTC, whole seconds; imports
    and earlier layouts are brought to it), so an instant is found by its text.
    """

    def __init__(self, db: Connection):
        self.db = db
        self._taken: set[datetime] = set()
        self._all = False  # every taken instant is in _taken
        self._probes = 0
        # (asked, direction) -> the last instant given for it: 1,000 files first seen
        # at once (or added by one commit) cost 1,000 steps, not 500,000.
        self._last: dict[tuple[datetime, bool], datetime] = {}

    def claim(self, when: datetime, later: bool) -> datetime:
        """Return WHEN in whole seconds, moved a second at a time (LATER or earlier) until free."""
        asked = when.astimezone(UTC).replace(microsecond=0)
        when = self._last.get((asked, later), asked)
        step = SECOND if later else -SECOND
        while self._is_taken(when):
            when += step
        self._taken.add(when)
        self._last[asked, later] = when
        return when

    def take(self, when: datetime) -> None:
        """Count WHEN (in whole seconds) as taken: a record being written has it."""
        self._taken.add(when.astimezone(UTC).replace(microsecond=0))

    def _is_taken(self, when: datetime) -> bool:
        if when in self._taken or self._all:
            return when in self._taken
        if self._probes < PROBES:
            self._probes += 1
            query = "SELECT 1 FROM article WHERE first_seen = ? LIMIT 1"
            if self.db.execute(query, (when.isoformat(),)).fetchone() is None:
                return False
            self._taken.add(when)
            return True
        rows = self.db.execute("SELECT first_seen FROM article").fetchall()
        self._taken.update(datetime.fromisoformat(row[0]) for row in rows)
        self._all = True
        return when in self._taken


def new_values(
    item: Seen,
    authority: str,
    stamp: str,
    now: datetime,
    taken: Callable[[str], bool] | None,
    instants: Instants,
) -> tuple[str, str, bytes, str, str]:
    """Return the values of a new record of ITEM (slug, path, hash, id, first seen) at NOW
    (STAMP its text), given instants claimed by INSTANTS. Its id is one TAKEN does not
    say is taken (None: the id minted first, which the caller checks: ``free_ids``)."""
    if item.date is not None:
        first = stamp
    elif item.evidence is not None:
        first = iso(instants.claim(item.evidence, later=True))
    else:
        first = iso(instants.claim(now, later=False))
    if not authority:
        minted = provisional_id()
    elif taken is None:
        minted = mint_id(authority, minted_on(item, first), item.slug)
    else:
        minted = free_id(authority, minted_on(item, first), item.slug, taken)
    return item.slug, item.path, pack(item.hash), minted, first


def minted_on(item: Seen, first: str) -> datetime:
    """Return the date the id of ITEM's new record is minted with (FIRST: its first seen)."""
    return item.date or datetime.fromisoformat(first)


def free_id(authority: str, when: datetime, slug: str, taken: Callable[[str], bool]) -> str:
    """Return the id minted for SLUG on WHEN, or the first of SLUG-2, SLUG-3... not TAKEN.

    Any record may have an id: one minted for another slug, since renamed, or given a
    number when its slug's was taken, as here.
    """
    minted, n = mint_id(authority, when, slug), 1
    while taken(minted):
        n += 1
        minted = mint_id(authority, when, f"{slug}-{n}")
    return minted


def in_store(db: Connection) -> Callable[[str], bool]:
    """Return a test of whether a record in DB has an id (the index: a look-up each)."""
    query = f"SELECT 1 FROM article WHERE {ID_IS}"
    return lambda value: db.execute(query, id_is(value)).fetchone() is not None


def free_ids(
    db: Connection,
    authority: str,
    items: Sequence[Seen],
    values: list[tuple[str, str, bytes, str, str]],
) -> None:
    """Give each new record of ITEMS whose id (VALUES: ``new_values``, the ids as first
    minted, to be written together) another record has, in DB or in VALUES, a free one,
    in place. The ids are looked up together, 500 at a time (the index)."""
    found: set[str] = set()
    for part, marks in parts([v[3] for v in values]):
        query = f"SELECT id FROM article WHERE {ID_END} IN ({marks})"
        found.update(row[0] for row in db.execute(query, [i[-16:] for i in part]))
    stored, given = in_store(db), set[str]()
    for n, (item, (slug, path, hash_, id_, first)) in enumerate(zip(items, values, strict=True)):
        if id_ in found or id_ in given:
            id_ = free_id(
                authority, minted_on(item, first), slug, lambda v: v in given or stored(v)
            )
            values[n] = (slug, path, hash_, id_, first)
        given.add(id_)
