"""Records of published articles: minted ids, first-seen dates, renames, deletions.

Per published article the store keeps the id minted when it was first published, the
first-seen time (its date when none is written), the time its content was first seen to
differ, and when it disappeared (so its permalink answers 410). A rename keeps the record: a
vanished article whose path or content reappears under a new slug is the same article, and
its old slug becomes a redirect. A record is reused only by the same article (see
``identity``): an unrelated file at a deleted article's path or slug gets a new record, and
the old one, kept as ``SLUG~KEY``, stays gone. An undated article's first-seen time is the
best evidence the catalog found (a date in its file name, the commit that added it) or now,
and never one already taken. These functions run on a connection inside the caller's
transaction; ``db.StateStore`` owns the connection and its faults.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..config import is_local
from . import identity
from .identity import Likeness
from .layout import pack, stored
from .minting import Instants, free_ids, in_store, iso, new_values, recorded_authority, remint
from .parts import parts

if TYPE_CHECKING:
    from .sqlite import Connection


@dataclass(frozen=True, slots=True)
class Seen:
    """A published article as the catalog sees it now."""

    slug: str
    path: str
    hash: bytes  # the content hash (SHA-256), as the article holds it; text is packed
    date: datetime | None  # pinned date, for minting
    evidence: datetime | None = None  # when first published, if known (file name, git)
    title: str = ""
    pinned_id: str | None = None
    text_key: bytes | None = None  # its body, stowed in the text table

    def likeness(self, db: Connection) -> Likeness:
        return Likeness(self.title, self.pinned_id, identity.opening(db, self.text_key))


@dataclass(frozen=True, slots=True)
class Record:
    slug: str
    id: str
    first_seen: datetime
    changed: datetime | None
    gone: datetime | None


UPSERT_META = (
    "INSERT INTO meta VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value"
)
SET_ASIDE = "~"  # in the slug of a record set aside for an unrelated newcomer: never a URL


@lru_cache(maxsize=256)  # the records first seen in one scan share an instant: one object
def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def sync(
    db: Connection,
    seen: list[Seen],
    gone: list[str],
    authority: str,
    now: datetime,
    pinned: bool,
) -> int:
    """Record SEEN articles and GONE slugs at NOW, inside the caller's transaction.

    Return how many provisional ids were made final (the authority became public).
    """
    stamp = iso(now)
    recorded = recorded_authority(db)
    reminted = 0
    if recorded is not None and not is_local(recorded) and not pinned:
        authority = recorded  # the site's name since its first public minting, even locally
    elif is_local(authority):
        authority = ""  # provisional ids until the site has a public name
    elif recorded is None or is_local(recorded):
        db.execute(UPSERT_META, ("authority", authority))
        reminted = remint(db, authority)
    identity.create(db)
    for slug in gone:
        db.execute("UPDATE article SET gone = ? WHERE slug = ? AND gone IS NULL", (stamp, slug))
    renames = db.execute(_ANY_GONE).fetchone()
    olds = db.execute("SELECT 1 FROM old_slug LIMIT 1").fetchone()
    # Only a record that has a seen slug now can be returned below while live now (found
    # by its slug, or set aside and then renamed): the others are new or were gone.
    instants, undescribed = Instants(db), identity.unrecorded(db, [s.slug for s in seen])
    # Articles whose slug has no record come after the others, which may set aside the
    # record one was renamed from. With no record gone and no old slug (a first start),
    # records are read 500 slugs at a time, and new ones written together (``_insert``).
    bulk = not renames and not olds
    new: list[Seen] = []
    described = []
    for item, row in _with_rows(db, seen, bulk):
        if row is None:
            new.append(item)
            continue
        key, changed = _record(
            db, item, row, authority, stamp, now, bool(renames), bool(olds), instants
        )
        if changed or key in undescribed:
            described.append((key, item.title, item.pinned_id, item.text_key))
    renamed = bool(renames) or bool(new and db.execute(_ANY_GONE).fetchone())  # or set aside
    if new and (renamed or olds):
        for item in new:
            key, _ = _record(db, item, None, authority, stamp, now, renamed, bool(olds), instants)
            described.append((key, item.title, item.pinned_id, item.text_key))
    elif new:
        described += _insert(db, new, authority, stamp, now, instants)
    identity.keep(db, described)
    return reminted


def _same(db: Connection, row: tuple[Any, ...], item: Seen, stamp: str) -> bool:
    """Return whether ITEM is the article of record ROW (key, hash, gone, path).

    A record that went in this very sync (STAMP) at ITEM's path is its file's
    old slug: the file changed its slug, title and body in one save.
    """
    key, old_hash, gone, path = row[0], stored(row[1]), row[2], row[3]
    if (path == item.path and gone in (None, stamp)) or old_hash == pack(item.hash):
        return True  # edited in place, or the same content
    return identity.same(identity.recorded(db, key), item.likeness(db))


_ANY_GONE = "SELECT 1 FROM article WHERE gone IS NOT NULL LIMIT 1"
_INSERT = "INSERT INTO article (slug, path, hash, id, first_seen) VALUES (?, ?, ?, ?, ?)"
_ROW = "SELECT key, hash, gone, path FROM article WHERE slug"


def _with_rows(
    db: Connection, seen: list[Seen], bulk: bool
) -> Iterator[tuple[Seen, tuple[Any, ...] | None]]:
    """Yield each of SEEN with its slug's record (key, hash, gone, path) or None: one by one,
    or if BULK, 500 at a time."""
    if not bulk:
        yield from ((item, db.execute(f"{_ROW} = ?", (item.slug,)).fetchone()) for item in seen)
        return
    for part, marks in parts(seen):
        query = f"SELECT key, hash, gone, path, slug FROM article WHERE slug IN ({marks})"
        rows = {row[4]: tuple(row[:4]) for row in db.execute(query, [s.slug for s in part])}
        yield from ((item, rows.get(item.slug)) for item in part)


def _insert(
    db: Connection,
    items: list[Seen],
    authority: str,
    stamp: str,
    now: datetime,
    instants: Instants,
) -> list[tuple[int, str, str | None, bytes | None]]:
    """Write new records for ITEMS, whose slugs have none and which renamed no record,
    500 at a time; return what ``identity.keep`` records of each. An id another record
    has (a renamed one's, or one given a number) is not given twice (``free_ids``)."""
    described, dated = [], False
    for part, marks in parts(items):
        values = []
        for item in part:
            values.append(new_values(item, authority, stamp, now, None, instants))
            if item.date is not None and not dated:  # NOW is taken, as if written already
                dated = True
                instants.take(now)
        if authority:
            free_ids(db, authority, part, values)
        db.executemany(_INSERT, values)
        query = f"SELECT slug, key FROM article WHERE slug IN ({marks})"
        keys = dict(db.execute(query, [item.slug for item in part]).fetchall())
        described += [(keys[i.slug], i.title, i.pinned_id, i.text_key) for i in part]
    return described


def _record(
    db: Connection,
    item: Seen,
    row: tuple[Any, ...] | None,
    authority: str,
    stamp: str,
    now: datetime,
    renames: bool,
    olds: bool,
    instants: Instants,
) -> tuple[int, bool]:
    """Record ITEM, whose slug's record is ROW (key, hash, gone, path) if any; return its
    record's key, and whether it is new or its content changed."""
    if row is not None and not _same(db, row, item, stamp):
        # Another article had this slug and is gone: it keeps its record, aside (under a
        # name no record has: an imported store's keys are not the exporter's).
        aside = f"{item.slug}{SET_ASIDE}{row[0]}"
        while db.execute(f"{_ROW} = ?", (aside,)).fetchone():
            aside += SET_ASIDE
        db.execute(
            "UPDATE article SET slug = ?, gone = coalesce(gone, ?) WHERE key = ?",
            (aside, stamp, row[0]),
        )
        row, renames = None, True
    if row is None and renames:
        # A rename: the same path, content or pinned id under a vanished record.
        candidates = db.execute(
            "SELECT key, hash, gone, path, slug FROM article WHERE gone IS NOT NULL AND "
            "(path = ? OR hash = ? OR key IN (SELECT key FROM likeness WHERE id = ?)) "
            "ORDER BY path = ? DESC, gone DESC LIMIT 20",
            (item.path, pack(item.hash), item.pinned_id, item.path),
        ).fetchall()
        row = next((c for c in candidates if _same(db, c, item, stamp)), None)
        if row is not None:
            if SET_ASIDE not in row[4]:  # a slug set aside was never a URL
                db.execute(
                    "INSERT INTO old_slug VALUES (?, ?) "
                    "ON CONFLICT (slug) DO UPDATE SET key = excluded.key",
                    (row[4], row[0]),
                )
            db.execute("UPDATE article SET slug = ? WHERE key = ?", (item.slug, row[0]))
    if row is None:
        values = new_values(item, authority, stamp, now, in_store(db), instants)
        key = db.execute(f"{_INSERT} RETURNING key", values).fetchone()[0]
        if olds:
            db.execute("DELETE FROM old_slug WHERE slug = ?", (item.slug,))
        return key, True
    key, old_hash = row[0], stored(row[1])
    if old_hash != pack(item.hash):
        db.execute(
            "UPDATE article SET hash = ?, changed = ? WHERE key = ?", (pack(item.hash), stamp, key)
        )
    if row[3] != item.path or row[2] is not None:  # else as recorded (another worker's sync)
        db.execute("UPDATE article SET path = ?, gone = NULL WHERE key = ?", (item.path, key))
    return int(key), old_hash != pack(item.hash)


def read(
    db: Connection, slugs: Iterable[str] | None = None, lend: Mapping[str, Any] | None = None
) -> dict[str, Record]:
    """Return the records of SLUGS (else all) by slug; LEND's articles lend their slug strings."""
    query = "SELECT slug, id, first_seen, changed, gone FROM article"
    rows: Iterable[tuple[Any, ...]]
    if slugs is None:
        rows = db.execute(query)  # row by row: all at once would double a load's peak
    else:
        rows = []
        for part, marks in parts(list(slugs)):
            rows += db.execute(f"{query} WHERE slug IN ({marks})", part).fetchall()
    records = {}
    for slug, id_, first, changed, gone in rows:
        if SET_ASIDE in slug:
            continue  # a record set aside for an unrelated newcomer: no URL, no tombstone
        first_seen = _dt(first)
        assert first_seen is not None  # NOT NULL in the schema
        slug = lend[slug].slug if lend and slug in lend else slug  # one string for both (memory)
        records[slug] = Record(slug, id_, first_seen, _dt(changed), _dt(gone))
    return records


def heard(db: Connection) -> Iterator[tuple[str, bytes, str]]:
    """Yield, per live record that needs nothing more (it has its likeness), its slug, content
    hash and path, row by row (memory): what a sync of an article found so would not change."""
    try:
        rows = db.execute(
            "SELECT a.slug, a.hash, a.path FROM article a JOIN likeness l ON l.key = a.key "
            "WHERE a.gone IS NULL"
        )
    except sqlite3.Error:  # a store from before the likeness table: sync everything
        return
    yield from ((slug, stored(hash_), path) for slug, hash_, path in rows if SET_ASIDE not in slug)


def old_slugs(db: Connection, of: str | None = None) -> dict[str, str]:
    """Return each old slug (of the article whose slug is now OF, else all) and its slug now."""
    query = "SELECT o.slug, a.slug FROM old_slug o JOIN article a ON a.key = o.key"
    rows = db.execute(query) if of is None else db.execute(f"{query} WHERE a.slug = ?", (of,))
    return {str(old): str(new) for old, new in rows.fetchall()}


def owner(db: Connection, slug: str) -> tuple[str, bytes, bool] | None:
    """Return the path, content hash and whether gone of the record of SLUG, if any."""
    row = db.execute("SELECT path, hash, gone FROM article WHERE slug = ?", (slug,)).fetchone()
    return None if row is None else (str(row[0]), stored(row[1]), row[2] is not None)


def first_recorded(db: Connection, slugs: Iterable[str]) -> str | None:
    """Return which of SLUGS was recorded first, if any has a record."""
    wanted = list(slugs)[:500]
    marks = ",".join("?" * len(wanted))
    row = db.execute(
        f"SELECT slug FROM article WHERE slug IN ({marks}) ORDER BY key LIMIT 1", wanted
    ).fetchone()
    return None if row is None else str(row[0])
