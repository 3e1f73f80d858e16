"""A store's records as JSON lines: export, import, and merging two stores.

``dump`` yields one JSON object a line, in a stable order (the store's
settings, then articles by slug, then old slugs), so two exports of the same
store are byte-identical and a diff of two shows what changed. ``load`` takes
such lines into a store, inside the caller's transaction:

- ``policy="refuse"`` (``feedsvc state import``): a record that differs from
  the one the store holds is a conflict, and nothing is written;
- ``policy="earliest"`` (a store found replaced or written back after a full
  disk): the record first seen earliest wins, so every process that merges
  the records it knew arrives at the same store. A record set aside (its slug
  taken by an unrelated newcomer) is set aside in the store too, first: the
  newcomer then keeps its own record, never the one set aside.

Bodies are not exported: they are read again from the article files. A
deleted article's likeness (title, pinned id, the opening of its body: see
``identity``) is, since its file is gone.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from . import firstwords, identity
from .layout import pack, unpack
from .records import SET_ASIDE

if TYPE_CHECKING:
    from .sqlite import Connection

FORMAT = 1
SETTINGS = ("articles", "authority", "engine", "feed_id")  # meta rows an export carries
_ARTICLE = ("slug", "path", "hash", "id", "first_seen", "changed", "gone")


class ImportConflict(ValueError):
    """Records to import disagree with the store's; the message lists them."""


def dump(db: Connection) -> Iterator[dict[str, Any]]:
    """Yield the records of DB, settings first, in a stable order."""
    meta = dict(db.execute("SELECT name, value FROM meta").fetchall())
    yield {"kind": "store", "format": FORMAT} | {k: meta[k] for k in SETTINGS if k in meta}
    identity.create(db)
    columns = ", ".join(f"a.{name}" for name in _ARTICLE)
    rows = db.execute(
        f"SELECT {columns}, l.title, l.id, l.opening FROM article a "
        "LEFT JOIN likeness l ON l.key = a.key ORDER BY a.slug"
    )
    for row in rows.fetchall():
        item = {"kind": "article"} | dict(zip(_ARTICLE, _row(row[:7]), strict=True))
        if item["gone"] is not None and row[7] is not None:
            # A deleted article's file is gone: what tells it from an unrelated newcomer
            # travels with it (a live one's is taken again from its file).
            opening = firstwords.exported(row[9])
            item["likeness"] = {"title": row[7], "id": row[8], "opening": opening}
        yield item
    aliases = db.execute(
        "SELECT o.slug, a.slug FROM old_slug o JOIN article a ON a.key = o.key ORDER BY o.slug"
    )
    for old, new in aliases.fetchall():
        yield {"kind": "alias", "slug": old, "to": new}


def _row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Return an article row as exported: its content hash as text."""
    return (*row[:2], unpack(row[2]), *row[3:])


def lines(items: Iterable[dict[str, Any]]) -> Iterator[str]:
    """Return ITEMS as JSON lines, keys sorted."""
    for item in items:
        yield json.dumps(item, sort_keys=True, ensure_ascii=False) + "\n"


def parse(text: Iterable[str], name: str) -> list[dict[str, Any]]:
    """Return the items of the JSON lines TEXT (from file NAME); ValueError names the line."""
    items = []
    for number, line in enumerate(text, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f"{name}:{number}: not a JSON line ({e.msg})") from None
        kind = item.get("kind") if isinstance(item, dict) else None
        wanted = {"store": (), "article": _ARTICLE, "alias": ("slug", "to")}.get(str(kind))
        if wanted is None or any(not isinstance(item.get(k), str) for k in wanted[:4]):
            raise ValueError(f"{name}:{number}: not a feedsvc state record: {line.strip()[:80]}")
        if kind == "store" and item.get("format") != FORMAT:
            raise ValueError(f"{name}:{number}: format {item.get('format')!r} is not {FORMAT}")
        if why := _unfit(item):
            raise ValueError(f"{name}:{number}: {why}: not a feedsvc state record")
        for key in ("first_seen", "changed", "gone") if kind == "article" else ():
            if item.get(key) is None and key != "first_seen":
                continue
            try:  # stored in the store's one form: an instant is then found by its text
                item[key] = identity.canonical(str(item.get(key)))
            except (ValueError, OverflowError) as e:
                raise ValueError(
                    f"{name}:{number}: {key} {item.get(key)!r} is not a date and time with "
                    f"a UTC offset (ISO 8601, as exports write it): {e}"
                ) from None
        items.append(item)
    return items


def _unfit(item: dict[str, Any]) -> str:
    """Say what in ITEM (a record of a known kind) no store can take; "" if nothing."""
    for key, value in item.items():
        if key in SETTINGS and item["kind"] == "store" and not isinstance(value, str):
            return f"{key} is not text"
    likeness = item.get("likeness")
    if likeness is not None:
        if not isinstance(likeness, dict) or not isinstance(likeness.get("title"), str):
            return "likeness has no title"
        if not isinstance(likeness.get("id"), str | None):
            return "likeness id is not text"
        opening = likeness.get("opening", "")
        if not isinstance(opening, str) or not _decodes(opening):
            return "likeness opening is not one an export writes"
    if not all(map(_storable, _texts(item))):
        return "a NUL character or a lone surrogate in a value"
    return ""


def _decodes(opening: str) -> bool:
    """Say whether OPENING, as an export gives it, is what it says it is (base64 codes)."""
    if not opening.startswith(firstwords.EXPORTED):
        return True  # an earlier release's words
    try:
        base64.b64decode(opening[len(firstwords.EXPORTED) :], validate=True)
    except ValueError:
        return False
    return True


def _texts(value: Any) -> Iterator[str]:
    """Yield the text VALUE holds: itself, or what its mappings and lists hold."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict | list):
        for inner in value.values() if isinstance(value, dict) else value:
            yield from _texts(inner)


def _storable(text: str) -> bool:
    """Say whether TEXT can be stored: no NUL (PostgreSQL refuses it), no lone surrogate."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return "\0" not in text


def load(db: Connection, items: Iterable[dict[str, Any]], policy: str) -> int:
    """Take ITEMS into DB by POLICY ("refuse" or "earliest"); return the records written."""
    items = sorted(items, key=lambda item: SET_ASIDE not in str(item.get("slug", "")))
    conflicts: list[str] = []
    written = 0
    for item in items:  # the records set aside first (``_article``); else in order
        if item["kind"] == "store":
            for name in SETTINGS:  # an import's folder is the importer's own
                if name in item and (name != "articles" or policy != "refuse"):
                    conflicts += _setting(db, name, item[name], policy)
        elif item["kind"] == "article":
            written += _article(db, item, policy, conflicts)
    for item in items:
        if item["kind"] == "alias":
            _alias(db, item)
    if conflicts:
        shown = "; ".join(conflicts[:5]) + ("; ..." if len(conflicts) > 5 else "")
        raise ImportConflict(f"{len(conflicts)} records differ from the store's: {shown}")
    return written


def _setting(db: Connection, name: str, value: str, policy: str) -> list[str]:
    row = db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
    if row is None:
        db.execute("INSERT INTO meta VALUES (?, ?)", (name, value))
    elif row[0] != value and policy == "refuse":
        return [f"{name} is {row[0]!r} here, {value!r} in the file"]
    return []


def _article(db: Connection, item: dict[str, Any], policy: str, conflicts: list[str]) -> int:
    values = tuple(item.get(k) for k in _ARTICLE)
    stored = (*values[:2], pack(str(values[2])), *values[3:])
    mine = db.execute(
        f"SELECT {', '.join(_ARTICLE)} FROM article WHERE slug = ? OR ({identity.ID_IS})",
        (item["slug"], *identity.id_is(str(item["id"]))),
    ).fetchall()
    if not mine:
        db.execute(
            f"INSERT INTO article ({', '.join(_ARTICLE)}) VALUES (?, ?, ?, ?, ?, ?, ?)", stored
        )
        likeness = item.get("likeness")
        if isinstance(likeness, dict):
            identity.create(db)
            key = db.execute("SELECT key FROM article WHERE slug = ?", (item["slug"],)).fetchone()
            db.execute(
                "INSERT INTO likeness (key, title, id, opening) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (key) DO NOTHING",
                (
                    key[0],
                    likeness.get("title", ""),
                    likeness.get("id"),
                    firstwords.compact(str(likeness.get("opening", ""))),
                ),
            )
        return 1
    if any(_row(tuple(row)) == values for row in mine):
        return 0
    if policy == "refuse":
        conflicts.append(f"{item['slug']} ({item['id']})")
        return 0
    row = mine[0]
    if len(mine) == 1 and item["slug"].startswith(f"{row[0]}{SET_ASIDE}") and row[3] == item["id"]:
        # Set aside since: its slug is another article's now, which must not take this record.
        db.execute(
            "UPDATE article SET slug = ?, gone = coalesce(gone, ?) WHERE slug = ?",
            (item["slug"], item["gone"], row[0]),
        )
        return 1
    if len(mine) == 1 and row[0] == item["slug"] and item["first_seen"] < row[4]:
        db.execute(
            "UPDATE article SET id = ?, first_seen = ?, changed = ?, gone = ? WHERE slug = ?",
            (item["id"], item["first_seen"], item["changed"], item["gone"], item["slug"]),
        )
        return 1
    return 0  # theirs is as old or older: it stays


def _alias(db: Connection, item: dict[str, Any]) -> None:
    row = db.execute("SELECT key FROM article WHERE slug = ?", (item["to"],)).fetchone()
    taken = db.execute("SELECT 1 FROM article WHERE slug = ?", (item["slug"],)).fetchone()
    if row is not None and taken is None:
        db.execute(
            "INSERT INTO old_slug VALUES (?, ?) ON CONFLICT (slug) DO NOTHING",
            (item["slug"], row[0]),
        )
