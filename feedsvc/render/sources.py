"""A text's name and how to fetch it, as the render caches key them (markup.py).

The caches are bounded in characters, not entries: one body may render to 1 MiB
(the render budget), so 2,048 entries could have held 2 GiB per worker.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from cachetools import LRUCache, cached

from ..model import Text

RENDERED_CHARS = 16 * 1024 * 1024  # rendered bodies a worker keeps, in characters
F = TypeVar("F", bound=Callable[..., Any])


def _weight(html: str | None) -> int:
    return len(html or "") + 512  # its characters, and what an entry and its key cost


def kept(chars: int) -> Callable[[F], F]:
    """Return a decorator keeping renders, least recently used first out, within CHARS."""
    return cached(LRUCache(chars, _weight), lock=threading.Lock())  # type: ignore[return-value]


class Source:
    """A text's name and how to fetch its words: equal, and hashed, by the name alone."""

    __slots__ = ("key", "fetch")

    def __init__(self, key: bytes, fetch: Callable[[], Text]):
        self.key = key
        self.fetch = fetch

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Source) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)


def spent() -> Text:
    raise RuntimeError("a cached rendering asked for its text again")


class NotNamed(Exception):
    """The text fetched is not the one the article's key names."""

    def __init__(self, text: Text):
        super().__init__()
        self.text = text
