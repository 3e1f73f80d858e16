"""The store's ``meta`` rows: what its site is published under, besides the records."""

from __future__ import annotations

import logging
import sqlite3

from .db import StateStore
from .records import UPSERT_META

log = logging.getLogger(__name__)


def get(store: StateStore, name: str) -> str | None:
    """Return STORE's meta value NAME, if recorded."""
    row = store.db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
    return None if row is None else str(row[0])


def put(store: StateStore, name: str, value: str) -> None:
    """Record VALUE as STORE's meta value NAME; a store that cannot be written logs why."""
    try:
        with store.transaction() as db:
            db.execute(UPSERT_META, (name, value))
    except sqlite3.Error as e:
        log.warning("state store %s cannot record %s=%s (%s)", store.path, name, value, e)


def published(store: StateStore) -> bool:
    """Say whether STORE holds any article's record (live or gone)."""
    return store.db.execute("SELECT 1 FROM article LIMIT 1").fetchone() is not None
