"""How records are written compactly, and a store from an earlier release brought to it.

A content hash is kept as its 32 bytes, not 64 hex letters; an opening as one
byte per word (see ``identity``). Readers take both forms, so a row of an
earlier release's layout still reads and compares; ``migrate`` rewrites such
rows once, when a connection first opens the store, and notes it in ``meta``
(``layout``). What a user sees of a record never changes: ``unpack`` gives the
hash back as the same hex text, and exports carry it as before.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from . import firstwords, identity

if TYPE_CHECKING:
    from .sqlite import Connection

LAYOUT = 2  # meta "layout": 2 = hashes as bytes, openings one byte a word, instants in UTC
_HEX = frozenset("0123456789abcdef")
_ROWS = "SELECT key, title, id, opening FROM likeness"


def pack(hash_: str | bytes) -> bytes:
    """Return the content hash HASH_ as the store keeps it (SHA-256 hex: its 32 bytes).

    A hash that is no lowercase SHA-256 hex (feedsvc writes none; a hand-edited import
    might) is kept as its UTF-8 text and a 0xFF byte, which UTF-8 never holds, two when
    that would make 32 bytes: never read as a hash's bytes. Bytes are kept as they are:
    an article holds its hash so (``Article.content_hash``).
    """
    if isinstance(hash_, bytes):
        return hash_
    if len(hash_) == 64 and _HEX.issuperset(hash_):
        return bytes.fromhex(hash_)
    text = hash_.encode(errors="surrogatepass") + b"\xff"
    return text + b"\xff" if len(text) == 32 else text


def stored(value: Any) -> bytes:
    """Return a stored content hash as an article holds it, whichever release wrote it."""
    return value if isinstance(value, bytes) else pack(str(value))


def unpack(value: Any) -> str:
    """Return a stored content hash as its text, whichever release wrote it."""
    if isinstance(value, bytes):
        if len(value) == 32:
            return value.hex()
        return value.rstrip(b"\xff").decode(errors="surrogatepass")
    return str(value)


def outdated(db: Connection) -> bool:
    """Return whether the store DB holds rows of an earlier layout (a cheap read).

    A layout this release does not know (a later one) is not outdated: it is left as it
    is, and ``opening.newer_layout`` refuses the store."""
    try:
        row = db.execute("SELECT value FROM meta WHERE name = 'layout'").fetchone()
    except sqlite3.Error:
        return True
    return row is None or (str(row[0]).isdigit() and int(row[0]) < LAYOUT)


def later(db: Connection) -> str | None:
    """Return the layout of DB when a later release wrote it (else None: ours, or none yet).

    Such a store is left as it is, no table or index added, and refused (``opening``)."""
    if not isinstance(db, sqlite3.Connection) and _column_type(db, "meta", "value") is None:
        return None  # a new database (a failed statement would end PostgreSQL's transaction)
    try:
        row = db.execute("SELECT value FROM meta WHERE name = 'layout'").fetchone()
    except sqlite3.Error:  # no meta table: a new store, or one from before it
        return None
    if row is None or (str(row[0]).isdigit() and int(row[0]) <= LAYOUT):
        return None
    return str(row[0])


def migrate(db: Connection) -> bool:
    """Rewrite DB's rows of an earlier layout in this one, inside the caller's transaction.

    Return whether there was anything to rewrite (another process may have done it).
    """
    if not outdated(db):
        return False
    postgres = not isinstance(db, sqlite3.Connection)
    rows = db.execute("SELECT key, hash, first_seen, changed, gone FROM article").fetchall()
    if postgres and _column_type(db, "article", "hash") == "text":
        db.execute(
            "ALTER TABLE article ALTER COLUMN hash TYPE BYTEA USING convert_to(hash, 'UTF8')"
        )
    db.executemany(
        "UPDATE article SET hash = ? WHERE key = ?",
        [(pack(h), key) for key, h, *_ in rows if isinstance(h, str)],
    )
    db.executemany(  # an import of an earlier release stored its instants as given
        "UPDATE article SET first_seen = ?, changed = ?, gone = ? WHERE key = ?",
        [
            (*map(_instant, when), key)
            for key, _, *when in rows
            if list(map(_instant, when)) != when
        ],
    )
    _likeness(db, postgres)
    db.execute(
        "INSERT INTO meta VALUES ('layout', ?) ON CONFLICT (name) DO UPDATE SET value = ?",
        (str(LAYOUT), str(LAYOUT)),
    )
    return True


def _likeness(db: Connection, postgres: bool) -> None:
    """Write every likeness opening as codes; SQLite's table is rebuilt with its key as rowid."""
    if postgres:
        old = _column_type(db, "likeness", "opening")
        if old is None:
            identity.create(db)
            return
        rows = db.execute(_ROWS).fetchall()
        if old == "text":
            db.execute(
                "ALTER TABLE likeness ALTER COLUMN opening TYPE BYTEA "
                "USING convert_to(opening, 'UTF8')"
            )
        db.executemany(
            "UPDATE likeness SET opening = ? WHERE key = ?",
            [(firstwords.compact(o), key) for key, _, _, o in rows if firstwords.compact(o) != o],
        )
        return
    found = db.execute("SELECT sql FROM sqlite_master WHERE name = 'likeness'").fetchone()
    if found is not None and "INTEGER PRIMARY KEY" in found[0]:
        rows = db.execute(_ROWS).fetchall()
        db.executemany(
            "UPDATE likeness SET opening = ? WHERE key = ?",
            [(firstwords.compact(o), key) for key, _, _, o in rows if firstwords.compact(o) != o],
        )
        return
    rows = [] if found is None else db.execute(_ROWS).fetchall()
    db.execute("DROP TABLE IF EXISTS likeness")  # and its index: an extra key per row
    identity.create(db)
    db.executemany(
        "INSERT INTO likeness (key, title, id, opening) VALUES (?, ?, ?, ?)",
        [(key, title, id_, firstwords.compact(o)) for key, title, id_, o in rows],
    )


def _instant(text: str | None) -> str | None:
    """Return the instant TEXT in the store's one form (as it was, if it is no instant)."""
    try:
        return None if text is None else identity.canonical(text)
    except (TypeError, ValueError):
        return text


def _column_type(db: Connection, table: str, column: str) -> str | None:
    row = db.execute(
        "SELECT data_type FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name = ? AND column_name = ?",
        (table, column),
    ).fetchone()
    return None if row is None else str(row[0])
