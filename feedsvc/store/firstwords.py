"""What is kept of a body's opening: a code per word, and where it waits for the records.

The rule that tells an article from another (``identity``) compares the opening
words of bodies. A store keeps them coded, a byte per word (``opening_words``);
exports carry them as text (``exported``); every form a release stored or exported
reads and compares (``codes``). A rescan notes the openings of the texts it read in
memory (``Noted``, ``StateStore.noted``) for the sync that follows (``noting``).
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

OPENING_CHARS = 2000  # of a body's source, kept to compare with
OPENING_WORDS = 200  # of the opening, lowercased, compared word by word

# What is kept of an opening: an 8-bit hash of each word, one byte, after a mark (CODES).
# 200 words take 201 bytes, whatever their length; two unrelated words share a code once
# in 256, which moves the ratio of unrelated openings by about 0.01 (the rule's title
# must be equal too). Earlier releases kept the words themselves, then a 12-bit hash of
# each as two base64 letters after CODED: its low 8 bits are this code, so every form
# still compares. An export carries codes as EXPORTED and base64.
CODES = b"\x02"
CODED = "\x01"
EXPORTED = "\x02"
_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_HIGH = bytes.maketrans(_LETTERS, bytes((i & 3) << 6 for i in range(64)))
_LOW = bytes.maketrans(_LETTERS, bytes(range(64)))


class _Codes(dict[str, int]):
    """Each word's code, worked once per process for the words met most (a first start codes
    20 million words): at most WORDS of them (about 100 KB), all forgotten when full."""

    WORDS = 1024

    def __missing__(self, word: str) -> int:
        if len(self) >= self.WORDS:
            self.clear()
        code = self[word] = zlib.crc32(word.encode()) & 0xFF
        return code


_code = _Codes().__getitem__


def opening_words(body: str) -> bytes:
    """Return what the rule compares of BODY: its opening words, lowercased, coded."""
    return CODES + bytes(map(_code, _words(body[:OPENING_CHARS])))


def compact(opening: str | bytes) -> bytes:
    """Return OPENING, in any form a release stored or exported, as this one stores it."""
    return CODES + codes(opening)


def exported(opening: str | bytes) -> str:
    """Return OPENING as an export carries it (text: JSON has no bytes)."""
    return EXPORTED + base64.b64encode(codes(opening)).decode()


def _words(opening: str) -> list[str]:
    return opening.lower().split()[:OPENING_WORDS]


def codes(opening: str | bytes) -> bytes:
    """Return the words of OPENING as the rule compares them: one code each."""
    if isinstance(opening, bytes):
        if opening.startswith(CODES):
            return opening[len(CODES) :]
        opening = opening.decode(errors="replace")  # a body's opening (the text table)
    if opening.startswith(EXPORTED):
        return base64.b64decode(opening[len(EXPORTED) :])
    if opening.startswith(CODED):
        letters = opening[len(CODED) :].encode("ascii", errors="replace")
        high, low = letters[0::2].translate(_HIGH), letters[1::2].translate(_LOW)
        n = len(low)
        return (int.from_bytes(high[:n]) | int.from_bytes(low)).to_bytes(n)
    return bytes(map(_code, _words(opening)))  # the words themselves


class Noted:
    """Openings of texts read (coded words, by text key), until a sync records them.

    They lie in one buffer, SLOT bytes each (whether a record took it, its length, the
    words), not in an object each: a first start notes 100,000, and memory freed as
    small objects is not given back to the system. A slot freed by ``pop`` is reused
    after ``clear``.
    """

    SLOT = 2 + len(CODES) + OPENING_WORDS

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self._slots: dict[bytes, int] = {}
        self._words = bytearray()

    def update(self, openings: Iterable[tuple[bytes, bytes]]) -> None:
        """Note OPENINGS (text key, coded words); a text noted already keeps its first."""
        for key, words in openings:
            if key not in self._slots:
                self._slots[key] = len(self._words) // self.SLOT
                words = words[: self.SLOT - 2]
                self._words += bytes((0, len(words))) + words.ljust(self.SLOT - 2, b"\0")

    def get(self, key: bytes | None, take: bool = False) -> bytes | None:
        """Return KEY's opening (None: not noted); TAKE: note that a record takes it."""
        slot = self._slots.get(key or b"")
        if slot is None:
            return None
        start = slot * self.SLOT
        if take:
            self._words[start] = 1
        return bytes(self._words[start + 2 : start + 2 + self._words[start + 1]])

    def untake(self) -> None:
        """Count every opening as not taken (the sync that took them was rolled back)."""
        self._words[:: self.SLOT] = bytes(len(self._words) // self.SLOT)  # each first byte

    def __contains__(self, key: bytes | None) -> bool:
        return (key or b"") in self._slots

    def pop(self, key: bytes | None) -> None:
        self._slots.pop(key or b"", None)

    def left(self) -> Iterator[tuple[bytes, bytes]]:
        """Yield the openings noted and not taken (text key, coded words), one at a time:
        a first start leaves tens of thousands (the scheduled articles')."""
        words, size = self._words, self.SLOT
        for key, slot in self._slots.items():
            if not words[slot * size]:
                yield key, self.get(key) or b""


# The openings ``opening`` and ``keep`` look up first, in a block under ``noting``.
_NOTED: ContextVar[Noted | None] = ContextVar("noted", default=None)


@contextmanager
def noting(noted: Noted) -> Iterator[None]:
    """Have ``opening`` and ``keep`` take the openings NOTED holds, within the block."""
    token = _NOTED.set(noted)
    try:
        yield
    finally:
        _NOTED.reset(token)


def noted() -> Noted | None:
    """Return the openings noted for the block under ``noting`` running now, if any."""
    return _NOTED.get()
