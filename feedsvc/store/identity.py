"""Unique first-seen instants for the dates feedsvc invents.

Dates feedsvc invents for undated articles are unique: a first-seen instant
already taken moves a second later (file-name and git dates) or a second
earlier (the time of first sight, which must not be in the future).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .sqlite import Connection

SECOND = timedelta(seconds=1)


class Instants:
    """First-seen instants not yet taken in the store, claimed one by one."""

    def __init__(self, db: Connection):
        self.db = db
        self._taken: set[datetime] | None = None

    def claim(self, when: datetime, later: bool) -> datetime:
        """Return WHEN in whole seconds, moved a second at a time (LATER or earlier) until free."""
        if self._taken is None:
            rows = self.db.execute("SELECT first_seen FROM article")
            self._taken = {datetime.fromisoformat(row[0]) for row in rows}
        when = when.astimezone(UTC).replace(microsecond=0)
        step = SECOND if later else -SECOND
        while when in self._taken:
            when += step
        self._taken.add(when)
        return when
