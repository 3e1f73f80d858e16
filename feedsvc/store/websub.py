"""WebSub publish pings, claimed once across workers and nodes through the state store.

``websub_feed`` holds the ETag of each feed URL as last announced. A worker
that has swapped in new documents offers the ETags of the feeds that may have
changed: in one ``BEGIN IMMEDIATE`` transaction, a URL whose ETag differs
from the row is updated and a ``websub_ping`` row is armed for each hub, so
of all the workers that see the same change, exactly one arms its pings.
Any worker's sender then leases a due row (moving ``due`` past the lease),
posts it, and deletes it, or sets it due again later when the hub failed.
A row armed again meanwhile (a newer change) is not deleted by the older
post. A worker a rescan behind the others (two edits in quick succession)
can offer an older ETag after a newer one and so arm one more, harmless,
ping. Pings use their own connection (SQLite's, or ``pg.Connection`` when
STATE names PostgreSQL, with the same SQL): the rescan thread keeps the
store's. Times are seconds since the epoch, handed in by the caller.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from . import pg
from .sqlite import Connection, connect_waiting, transaction

log = logging.getLogger(__name__)

# DOUBLE PRECISION: PostgreSQL's REAL has too few digits for seconds since the epoch.
SCHEMA = """
CREATE TABLE IF NOT EXISTS websub_feed (url TEXT PRIMARY KEY, etag TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS websub_ping (
    hub TEXT NOT NULL,
    url TEXT NOT NULL,
    due DOUBLE PRECISION NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (hub, url)
)
"""
UPSERT_FEED = (
    "INSERT INTO websub_feed (url, etag) VALUES (?, ?) "
    "ON CONFLICT (url) DO UPDATE SET etag = excluded.etag"
)
ARM = (
    "INSERT INTO websub_ping (hub, url, due, attempts) VALUES (?, ?, ?, 0) "
    "ON CONFLICT (hub, url) DO UPDATE SET due = excluded.due, attempts = 0"
)


@dataclass(frozen=True, slots=True)
class Ping:
    """A publish request to send: HUB is told that URL changed; LEASE identifies this try."""

    hub: str
    url: str
    attempts: int
    lease: float


class Pings:
    """The pings of the state store at PATH (in memory when it cannot be opened)."""

    def __init__(self, path: str):
        try:
            self.db = self._connect(path)
        except (sqlite3.Error, OSError) as e:
            log.warning("WebSub pings kept in memory (state store: %s)", e)
            self.db = self._connect(":memory:")

    @staticmethod
    def _connect(path: str) -> Connection:
        db: Connection
        if pg.is_url(path):
            db = pg.Connection(path)
        else:
            if path != ":memory:" and os.path.dirname(path):
                os.makedirs(os.path.dirname(path), exist_ok=True)
            db = connect_waiting(path)  # the store's own file: WAL, busy waits, its schema
        with transaction(db):
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
        return db

    def offer(
        self, etags: Mapping[str, str], hubs: Iterable[str], due: float, announce_new: bool
    ) -> list[str]:
        """Record ETAGS (url -> etag); arm a ping to every hub for each URL that changed.

        A URL without a row is recorded, and announced only when ANNOUNCE_NEW.
        Return the URLs whose pings this call armed.
        """
        hubs = list(hubs)
        armed = []
        with transaction(self.db):
            for url, etag in sorted(etags.items()):
                row = self.db.execute(
                    "SELECT etag FROM websub_feed WHERE url = ?", (url,)
                ).fetchone()
                if row is not None and row[0] == etag:
                    continue
                self.db.execute(UPSERT_FEED, (url, etag))
                if row is None and not announce_new:
                    continue
                armed.append(url)
                for hub in hubs:
                    self.db.execute(ARM, (hub, url, due))
        return armed

    def take(self, now: float, lease: float) -> list[Ping]:
        """Lease every ping due by NOW until NOW + LEASE, and return them."""
        with transaction(self.db):
            rows = self.db.execute(
                "SELECT hub, url, attempts FROM websub_ping WHERE due <= ? ORDER BY due", (now,)
            ).fetchall()
            until = now + lease
            for hub, url, attempts in rows:
                self.db.execute(
                    "UPDATE websub_ping SET due = ?, attempts = ? WHERE hub = ? AND url = ?",
                    (until, attempts + 1, hub, url),
                )
        return [Ping(hub, url, attempts + 1, until) for hub, url, attempts in rows]

    def sent(self, ping: Ping) -> None:
        """Forget PING, unless a newer change armed it again meanwhile."""
        self.db.execute(
            "DELETE FROM websub_ping WHERE hub = ? AND url = ? AND due = ?",
            (ping.hub, ping.url, ping.lease),
        )

    def retry(self, ping: Ping, due: float) -> None:
        """Make PING due again at DUE, unless a newer change armed it meanwhile."""
        self.db.execute(
            "UPDATE websub_ping SET due = ? WHERE hub = ? AND url = ? AND due = ?",
            (due, ping.hub, ping.url, ping.lease),
        )

    def next_due(self) -> float | None:
        """Return when the next ping is due, or None."""
        row = self.db.execute("SELECT min(due) FROM websub_ping").fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def close(self) -> None:
        self.db.close()
