"""Values in parts for SQL's ``IN (...)``: a statement per 500, not one per value."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")
PART = 500  # values in one statement: SQLite takes 32,766 at most, PostgreSQL 65,535


def parts(values: Sequence[T]) -> Iterator[tuple[Sequence[T], str]]:
    """Yield VALUES PART at a time, each part with its placeholders (``?,?,...``)."""
    for start in range(0, len(values), PART):
        part = values[start : start + PART]
        yield part, ",".join("?" * len(part))
