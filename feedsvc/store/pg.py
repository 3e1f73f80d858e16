"""A state store in PostgreSQL, shared by any number of nodes (``STATE=postgresql://...``).

The records are the same tables as in SQLite, and the same SQL runs on both:
upserts are written ``INSERT ... ON CONFLICT``, which both understand. This
module adapts a psycopg 3 connection to what the store expects of SQLite's:
``?`` placeholders become ``%s``, and ``BEGIN IMMEDIATE`` (one writer at a
time, so every node that sees a new article at once agrees on its id and
date) becomes a transaction that first takes one transaction-level advisory
lock. Rows are unique by slug, so even without the lock a second first
sighting could not insert a second record. psycopg's errors reach the store
as ``PostgresError``, a ``sqlite3.OperationalError``, so the store has one
family of faults to handle.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from . import layout
from .sqlite import SCHEMA_TEMPLATE

SCHEMA = SCHEMA_TEMPLATE.format(serial="BIGSERIAL", blob="BYTEA")
LOCK = 0x66656564  # "feed": the advisory lock every writer takes first
CONNECT_TIMEOUT = 10


def is_url(state: str) -> bool:
    """Return whether the STATE setting names a PostgreSQL database."""
    return state.startswith(("postgresql://", "postgres://"))


def shown(url: str) -> str:
    """Return URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


class PostgresError(sqlite3.OperationalError):
    """A psycopg error, as the store's one family of faults."""


class NoDriver(PostgresError):
    """psycopg is not installed: no wait makes the database answer."""


def _wrap(error: Exception) -> PostgresError:
    wrapped = PostgresError(str(error).strip().splitlines()[0] if str(error) else repr(error))
    sqlstate = getattr(error, "sqlstate", None) or ""
    # What sqlite.kind() reads: lock waits and deadlocks are "busy"; the rest "unwritable".
    name = "SQLITE_BUSY" if sqlstate in ("55P03", "40P01", "40001") else "SQLITE_IOERR"
    wrapped.sqlite_errorname = name
    return wrapped


class Cursor:
    def __init__(self, rows: list[tuple[Any, ...]]):
        self.rows = rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows

    def __iter__(self) -> Iterator[tuple[Any, ...]]:  # as SQLite's cursor: row by row
        return iter(self.rows)


class Connection:
    """A psycopg connection with the face of the store's SQLite connection.

    READ_ONLY: the tables are created and migrated as for a node (what the copy reads
    needs this release's layout), in a transaction never committed: ``close`` rolls it
    back, so an export or a check writes nothing, not even an earlier release's migration.
    """

    def __init__(self, url: str, read_only: bool = False):
        try:
            import psycopg
        except ImportError:
            raise NoDriver("psycopg is not installed: pip install 'feedsvc[postgresql]'") from None
        self._psycopg = psycopg
        self._lock = threading.RLock()  # one statement at a time; transactions are per store
        try:
            self.conn = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT)
        except psycopg.Error as e:
            raise _wrap(e) from e
        # Nodes starting at once create the tables once (the lock); a reader takes none.
        self.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")
        try:
            for statement in SCHEMA.split(";") if layout.later(self) is None else ():
                if statement.strip():  # none in a later release's store: it is refused
                    self.execute(statement)
            layout.migrate(self)  # a store written by an earlier release
            if not read_only:
                self.execute("COMMIT")
        except BaseException:
            self.close()
            raise

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Cursor:
        with self._lock:
            try:
                if sql == "BEGIN IMMEDIATE":
                    self.conn.execute("BEGIN")
                    self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK,))
                    return Cursor([])
                cursor = self.conn.execute(sql.replace("?", "%s"), tuple(parameters))
                rows = cursor.fetchall() if cursor.description else []
            except self._psycopg.Error as e:
                raise _wrap(e) from e
        return Cursor(
            [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in rows]
        )

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> None:
        with self._lock:
            try:
                with self.conn.cursor() as cursor:
                    cursor.executemany(sql.replace("?", "%s"), list(rows))
            except self._psycopg.Error as e:
                raise _wrap(e) from e

    @property
    def in_transaction(self) -> bool:
        status = self.conn.info.transaction_status
        return bool(status != self._psycopg.pq.TransactionStatus.IDLE)

    def close(self) -> None:
        """Close, rolling back what is open (a read-only one's: nothing it did is kept)."""
        if not self.conn.closed and self.in_transaction:
            with contextlib.suppress(self._psycopg.Error):  # the server went meanwhile
                self.conn.execute("ROLLBACK")
        self.conn.close()
