"""Each file's parsed article, kept beside the state store so a restart need not parse it.

A file beside STATE (``STATE.parsed``) maps each article file's path to its packed
signature and the article read from it. A restart uses an entry only when the
file's signature is unchanged and the fingerprint matches: the fingerprint covers
feedsvc's own source, Python's version and every setting, so a new release, an
edit of the code or a changed setting reads every file again; and only while the
store records the entry's path and content as live (a new or replaced store
does not: its records need the files read). Only files that
read cleanly are kept (a file with a problem is read again, so its problem is
reported again), and a broken file's last good version under its signature
then (a restart reads the file, fails, and keeps that version: never a
deletion). The file is written whole, atomically, by each worker when it stops
cleanly; a file that cannot be read or written costs only
the time it would have saved. Under other code or settings the entries are
still the last good versions of files found broken (``stale``): read by the
release before, they stand in rather than the article being held out; a file
whose record layout (``_VERSION``) differs is never read. No cache is kept for a
PostgreSQL or in-memory store, nor under a blog engine (ENGINE), whose site files
and a post's neighbours shape the post: the publisher decides that.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import os
import pickle
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..model import Article, shared, written
from . import pg
from .db import StateStore
from .layout import stored
from .records import Record

log = logging.getLogger(__name__)
Entries = dict[str, tuple[bytes, Article]]  # path -> (signature, article as read)
Stale = Callable[[str], Article | None]  # path -> its last good version, read by other code
NEVER = b""  # the signature of a version no file has: a restart reads the file again
_VERSION = 4  # 2: articles as their fields' values; 3: updated_pinned; 4: hashes as bytes
CHUNK = 2_000  # entries per pickle: pickle remembers every object of one, so keep them small


def location(state: str, suffix: str = ".parsed") -> str | None:
    """Return the file beside the store STATE with SUFFIX, or None for a store with no file."""
    if pg.is_url(state) or state in ("", ":memory:"):
        return None
    return state + suffix


def fingerprint(config: Mapping[str, Any]) -> str:
    """Return what every entry depends on besides its file: our code, Python, the settings."""
    digest = hashlib.sha256(f"{_VERSION} {sys.version}".encode())
    package = Path(__file__).resolve().parent.parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    digest.update(repr(sorted((str(k), repr(v)) for k, v in config.items())).encode())
    return digest.hexdigest()


def usable(entries: Entries, store: StateStore) -> Entries:
    """Return the ENTRIES STORE has recorded as they are: their path and content live there.

    The records then need nothing of the entries' bodies, which the files give.
    """
    if not entries:
        return entries
    kept: Entries = {}  # row by row: a set of every record's (path, hash) held ~30 MiB at 100k
    try:
        for path, hash_ in store.db.execute("SELECT path, hash FROM article WHERE gone IS NULL"):
            entry = entries.get(path)
            if entry is not None and entry[1].content_hash == stored(hash_):
                kept[path] = entry
    except sqlite3.Error:
        return {}
    return kept


def load(
    path: str | None, expected: str | None, records: Mapping[str, Record] | None = None
) -> Entries:
    """Return the entries kept at PATH under the fingerprint EXPECTED (none when it differs).

    EXPECTED None: whatever the fingerprint, if the layout is this release's. An article
    with a record in RECORDS (by slug) takes the record's slug and equal id: one string
    each for the article and its record (memory). Equal tuples of tags or authors are one
    tuple, as reading makes them (pickle shares objects only within one chunk).
    """
    records = records or {}
    if path is None:
        return {}
    try:
        entries: Entries = {}
        with open(path, "rb") as f:
            head = pickle.load(f)  # our own file, beside the state store, same owner
            if head.get("fingerprint") != expected and (
                expected is not None or head.get("version") != _VERSION
            ):
                return {}
            for _ in range(head["chunks"]):
                for name, signature, read in pickle.load(f):
                    values = shared_values(read)
                    if (record := records.get(values[_SLUG])) is not None:
                        values[_SLUG] = record.slug
                        if values[_ID] == record.id:
                            values[_ID] = record.id
                    entries[name] = (signature, Article(*values))
        return entries
    except FileNotFoundError:
        return {}
    except Exception as e:  # a damaged or foreign file: read every article again
        log.warning("%s: ignored (%s: %s); every article is read again", path, type(e).__name__, e)
        return {}


_FIELDS = tuple(field.name for field in dataclasses.fields(Article))


_WRITTEN = tuple(_FIELDS.index(name) for name in ("id", "published", "updated"))
_SLUG, _ID = _FIELDS.index("slug"), _FIELDS.index("id")
_TUPLES = (_FIELDS.index("authors"), _FIELDS.index("tags"))


def shared_values(read: tuple[Any, ...]) -> list[Any]:
    """Return an article's fields' values as pickled (READ), its tuples of authors and tags
    shared with equal ones (``model.shared``): pickle shares objects only within a pickle."""
    values = list(read)
    for index in _TUPLES:
        values[index] = shared(values[index])
    return values


def no_stale(path: str) -> Article | None:
    return None


def stale(path: str | None, store: StateStore) -> Stale:
    """Return the last good versions kept at PATH whatever code or settings read them.

    After an upgrade or a change of settings the entries are not taken as read (the
    fingerprint differs), but a file found broken keeps the version the last process
    read rather than being held out. Loaded on the first such file only.
    """
    entries: Entries | None = None

    def last_good(name: str) -> Article | None:
        nonlocal entries
        if entries is None:
            entries = usable(load(path, None), store)
        entry = entries.get(name)
        return None if entry is None else entry[1]

    return last_good


def values(article: Article) -> tuple[Any, ...]:
    """Return ARTICLE's fields' values as its file gives them (it may be resolved: unresolve)."""
    values = [getattr(article, name) for name in _FIELDS]
    for index, value in zip(_WRITTEN, written(article), strict=True):
        values[index] = value
    return tuple(values)


def save(path: str | None, fingerprint_: str, entries: Entries) -> None:
    """Write ENTRIES to PATH whole, atomically; a failure is logged and costs nothing else."""
    if path is None:
        return
    # An article as its fields' values: Article(*values) takes a quarter of
    # the time pickle's own way with a slotted dataclass does.
    items = [(name, sig, values(article)) for name, (sig, article) in entries.items()]
    chunks = [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]
    head = {"fingerprint": fingerprint_, "version": _VERSION, "chunks": len(chunks)}
    write_pickles(path, [head, *chunks], "restarts read every article")


def write_pickles(path: str, objects: list[Any], otherwise: str) -> None:
    """Write OBJECTS to PATH as pickles, whole and atomically; a failure logs OTHERWISE."""
    try:
        folder = os.path.dirname(os.path.abspath(path))
        handle, temporary = tempfile.mkstemp(prefix=".write-", dir=folder)
        try:
            with os.fdopen(handle, "wb") as f:
                for item in objects:
                    pickle.dump(item, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
    except OSError as e:
        log.warning("%s: cannot be written (%s); %s", path, e, otherwise)
