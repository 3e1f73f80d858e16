"""Rendered results kept, least recently served first out, within a byte budget.

A poll is one dictionary look-up. Past the budget (DOCUMENT_CACHE_BYTES), the
least recently served are dropped; one dropped is rendered again when asked,
to the same bytes, so a crawl of every permalink costs CPU, not memory, and
the feeds that pollers hit stay rendered. Static files cost nothing here:
they are loaded once at start-up anyway. Only 200s are kept (404s are
endless).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from .document import Result


class Kept:
    """Results by path, within BUDGET bytes of bodies."""

    def __init__(self, budget: int):
        self.budget = budget
        self.bytes = 0
        self._found: OrderedDict[str, Result] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: str) -> Result | None:
        """Return the result kept for PATH, marking it served, or None."""
        result = self._found.get(path)
        if result is not None:
            try:  # noqa: SIM105 (suppress() would cost every poll a context manager)
                self._found.move_to_end(path)
            except KeyError:  # dropped by another thread meanwhile
                pass
        return result

    def hold(self, path: str, result: Result) -> Result:
        """Keep RESULT for PATH, dropping the least recently served past the budget.

        Return the result kept: another thread's, when it rendered PATH first.
        """
        with self._lock:
            if path in self._found:
                return self._found[path]
            self._found[path] = result
            self.bytes += _size(path, result)
            while self.bytes > self.budget and len(self._found) > 1:
                old_path, old = self._found.popitem(last=False)
                self.bytes -= _size(old_path, old)
        return result


def _size(path: str, result: Result) -> int:
    if result.document is None or path.startswith("static/"):
        return 0
    return len(result.document.body)
