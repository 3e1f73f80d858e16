"""Whether a file is the article a record was made for.

A record is reused only by the same article: the file it was made for, edited
in place, or one with the same content, the same pinned id, or the same title
and mostly the same body (``SAME_BODY``). What that needs of the article's last
version (its title, pinned id and the opening of its body) is kept in the
``likeness`` table, one row per record, rewritten when its content changes. The
rescan that read the body noted its opening in memory (``firstwords.Noted``), for
the sync that follows; one that sync did not record (a scheduled article's, say)
waits in the connection's temporary ``opening`` table (``read``), whence it goes
once recorded. What is kept of an opening is a short code per word (``firstwords``),
so a record costs a few hundred bytes whatever the length of its article.
"""

from __future__ import annotations

import difflib
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from . import firstwords
from .parts import parts

if TYPE_CHECKING:
    from .sqlite import Connection

# The key is the rowid in SQLite (no second index of keys); PostgreSQL's is BIGINT.
_TABLE = (
    "CREATE TABLE IF NOT EXISTS likeness "
    "(key {key} PRIMARY KEY, title TEXT NOT NULL, id TEXT, opening {blob} NOT NULL)"
)
SCHEMA = (
    _TABLE.format(key="INTEGER", blob="BLOB"),
    "CREATE INDEX IF NOT EXISTS likeness_id ON likeness (id) WHERE id IS NOT NULL",
    # The openings of the texts this connection read and has not yet recorded: a
    # temporary table, outside the store's file (BYTEA: a BLOB in SQLite too).
    "CREATE TEMP TABLE IF NOT EXISTS opening (key BYTEA PRIMARY KEY, words BYTEA NOT NULL)",
)
PG_SCHEMA = (_TABLE.format(key="BIGINT", blob="BYTEA"), *SCHEMA[1:])
# From this difflib ratio of two openings, word by word, bodies are "mostly the same".
SAME_BODY = 0.75

# What the index of ids is on (``sqlite.SCHEMA``: ``article_id_end``): an id's last 16
# characters, a shorter id whole (SQLite's substr counts from the right from a start
# below 1, PostgreSQL's from the first character: a CASE means the same in both).
ID_END = "CASE WHEN length(id) > 16 THEN substr(id, length(id) - 15) ELSE id END"
# A record by its id, through that index. ``id || ''``, not ``id``: SQLite would put the
# id for ``id`` in the indexed expression (constant propagation), which then matches no
# index, and read every row instead.
ID_IS = f"{ID_END} = ? AND id || '' = ?"


def id_is(value: str) -> tuple[str, str]:
    """Return the parameters of ``ID_IS`` for the id VALUE."""
    return value[-16:], value


@dataclass(frozen=True, slots=True)
class Likeness:
    """What tells one article from another: title, pinned id, the body's opening."""

    title: str
    id: str | None
    opening: str | bytes


def create(db: Connection) -> None:
    """Create the likeness table if the store has none (a store from before it)."""
    for statement in SCHEMA if isinstance(db, sqlite3.Connection) else PG_SCHEMA:
        db.execute(statement)


# A store from before the text table held only last good versions keeps every body
# there: a body's opening not noted by a rescan is taken from it (``_from_bodies``).
_BODY = f"SELECT key, substr(body, 1, {firstwords.OPENING_CHARS}) FROM text WHERE key"


def opening(db: Connection, text_key: bytes | None) -> bytes:
    """Return the opening of the body TEXT_KEY, as noted (``noting``), else as the ``opening``
    table or the text table has it (b'' if none does)."""
    noted = firstwords.noted()
    words = None if noted is None else noted.get(text_key)
    if words is not None:
        return words
    row = db.execute("SELECT words FROM opening WHERE key = ?", (text_key,)).fetchone()
    if row is not None:
        return bytes(row[0])
    body = db.execute(f"{_BODY} = ?", (text_key,)).fetchone()
    return b"" if body is None else firstwords.opening_words(body[1])


def read(db: Connection, pairs: Iterable[tuple[bytes, bytes]]) -> None:
    """Keep PAIRS (text key, coded words) of texts read and not recorded, until ``keep``
    records them (``StateStore.sync``: those it noted in memory that its sync left)."""
    db.executemany(
        "INSERT INTO opening (key, words) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", pairs
    )


def forget(db: Connection, keys: list[bytes]) -> None:
    """Forget the openings of texts KEYS (superseded before they were recorded)."""
    for part, marks in parts(keys):
        db.execute(f"DELETE FROM opening WHERE key IN ({marks})", part)


def keep(db: Connection, rows: list[tuple[int, str, str | None, bytes | None]]) -> None:
    """Record, per row, a record's key, title, pinned id and the text key of its body.

    Openings are taken as noted (``noting``), else from the ``opening`` table (else the
    text table, ``_from_bodies``): 500 at a time (not a statement per row: a first start
    records 100,000), forgotten there once all are recorded (twins share one).
    """
    noted = firstwords.noted() or firstwords.Noted()
    keys = [k for k in dict.fromkeys(r[3] for r in rows) if k is not None and k not in noted]
    _from_bodies(db, keys)
    for part, _ in parts(rows):
        wanted = [row[3] for row in part if row[3] is not None and row[3] not in noted]
        marks = ",".join("?" * len(wanted))
        query = f"SELECT key, words FROM opening WHERE key IN ({marks})"
        found = {bytes(k): bytes(w) for k, w in db.execute(query, wanted)} if wanted else {}
        db.executemany(
            "INSERT INTO likeness (key, title, id, opening) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET "
            "title = excluded.title, id = excluded.id, opening = excluded.opening",
            [
                (key, title, id_, noted.get(text, take=True) or found.get(text or b"", b""))
                for key, title, id_, text in part
            ],
        )
    forget(db, keys)


def _from_bodies(db: Connection, keys: list[bytes]) -> None:
    """Note the openings of the bodies of KEYS the text table keeps and no rescan noted."""
    for part, marks in parts(keys):
        rows = db.execute(
            f"{_BODY} IN ({marks}) AND key NOT IN (SELECT key FROM opening)", part
        ).fetchall()
        read(db, [(bytes(key), firstwords.opening_words(body)) for key, body in rows])


def recorded(db: Connection, key: int) -> Likeness | None:
    row = db.execute("SELECT title, id, opening FROM likeness WHERE key = ?", (key,)).fetchone()
    return None if row is None else Likeness(row[0], row[1], row[2])


def same(old: Likeness | None, new: Likeness) -> bool:
    """Return whether NEW is the article OLD describes: same pinned id, or title and body.

    A record from before the likeness table (OLD is None) proves nothing.
    """
    if old is None:
        return False
    if old.id is not None or new.id is not None:
        return old.id == new.id
    if old.title.casefold() != new.title.casefold():
        return False
    old_words, new_words = firstwords.codes(old.opening), firstwords.codes(new.opening)
    if not old_words and not new_words:
        return True
    matcher = difflib.SequenceMatcher(None, old_words, new_words, False)
    return matcher.ratio() >= SAME_BODY


def unrecorded(db: Connection, slugs: Iterable[str] | None = None) -> set[int]:
    """Return the keys of live records with no likeness yet (made before the table).

    Only those of SLUGS, when given: looked up by slug, instead of a pass over every record.
    """
    query = (
        "SELECT a.key FROM article a LEFT JOIN likeness l ON l.key = a.key "
        "WHERE l.key IS NULL AND a.gone IS NULL"
    )
    wanted = None if slugs is None else list(slugs)
    if wanted is None or len(wanted) > 500:
        return {int(row[0]) for row in db.execute(query).fetchall()}
    marks = ",".join("?" * len(wanted))
    rows = db.execute(f"{query} AND a.slug IN ({marks})", wanted).fetchall() if wanted else []
    return {int(row[0]) for row in rows}


def canonical(text: str) -> str:
    """Return the instant TEXT (ISO 8601, with an offset) as the store writes instants: in
    UTC (ValueError: not an instant)."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return value.astimezone(UTC).isoformat()


def id_taken(db: Connection, id_: str | None, slug: str, pinned: bool) -> bool:
    """Say whether a record but SLUG's may show ID_: pinned so (an index) or, if ID_ is
    PINNED, minted so (a read of every row: only an id pinned by a new file costs it)."""
    query = (
        "SELECT 1 FROM likeness l JOIN article a ON a.key = l.key WHERE l.id = ? AND a.slug != ?"
    )
    if db.execute(query, (id_, slug)).fetchone() is not None:
        return True
    if not pinned or id_ is None:  # minted ids differ: sync says so
        return False
    query = f"SELECT 1 FROM article WHERE {ID_IS} AND slug != ?"
    return db.execute(query, (*id_is(id_), slug)).fetchone() is not None
