"""A text's name and how to fetch it, as the render caches key them (markup.py)."""

from __future__ import annotations

from collections.abc import Callable

from ..model import Text


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
