"""Pure text helpers shared by the readers and normalisation.

``clean`` is applied to every decoded file and to every metadata value, so no
character that XML 1.0 forbids can reach a feed: one such character makes
lxml (and so feedgen) refuse the whole document.
"""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

# C0 controls but tab and newline, lone surrogates, U+FFFE and U+FFFF.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]")
# Every Unicode space (no-break spaces included) and tab, but not newline.
_SPACES = re.compile(r"[^\S\n]+")
# The ASCII characters XML 1.0 allows (and ``clean`` keeps): printable ones, tab, newline.
_ASCII_LEGAL = bytes(range(0x20, 0x80)) + b"\t\n"
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
SLUG_MAX = 80


def clean(text: str) -> str:
    """Return TEXT with LF line ends, in NFC, without XML-illegal characters."""
    if text.isascii() and text.isprintable():  # the common case of a metadata value
        return text
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.isascii() and not text.encode("ascii").translate(None, _ASCII_LEGAL):
        return text  # a whole ASCII file: one pass in C, not the pattern (a sixth as long)
    text = _XML_ILLEGAL.sub("", text)
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def xml_legal(text: str) -> str:
    """Return TEXT without the characters XML 1.0 forbids (what ``clean`` removes too)."""
    return _XML_ILLEGAL.sub("", text)


def collapse(text: str) -> str:
    """Return TEXT on one line with every run of white space made one space."""
    return " ".join(text.split())


def collapse_spaces(line: str) -> str:
    """Return LINE with runs of spaces (no-break ones too) made one space, trimmed."""
    return _SPACES.sub(" ", line).strip()


def slugify(text: str) -> str:
    """Return a lowercase ASCII slug of TEXT, words joined by hyphens."""
    slug = _NOT_SLUG.sub("-", anyascii(text).lower()).strip("-")
    if len(slug) > SLUG_MAX:
        slug = slug[:SLUG_MAX].rsplit("-", 1)[0] or slug[:SLUG_MAX]
    return slug


_TAG_WORDS = {"+": " plus ", "#": " sharp "}
_TAG_SUFFIX = re.compile(r"(?<=[^\W_])[+#]+")  # C++, C#, F#, Notepad++; not #hashtag


def tag_slug(name: str) -> str:
    """Return the slug of tag NAME: ``C++`` -> ``c-plus-plus``, ``C#`` -> ``c-sharp``."""
    return slugify(_TAG_SUFFIX.sub(lambda m: "".join(_TAG_WORDS[c] for c in m.group()), name))


def shorten(text: str, limit: int = 300) -> str:
    """Return TEXT cut at a word boundary to at most LIMIT characters, with an ellipsis."""
    text = collapse(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]  # room for the ellipsis
    if text[limit - 1] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-") + "…"
