"""The model: an article as every stage after reading sees it. Values only.

``Article`` is frozen and nothing on it reads a file or a database. Its body
and bio are not on it: they are a ``Text``, named by ``text_key`` (a hash of
both), which a ``Bodies`` source hands to the renderers when they need it. So
a worker can hold the metadata of 100,000 articles while their bodies stay in
the state store, and a renderer never reaches back into reading.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Author:
    name: str
    email: str = ""


@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    slug: str


@dataclass(frozen=True, slots=True)
class Enclosure:
    url: str
    type: str
    length: int


@dataclass(frozen=True, slots=True)
class Text:
    """An article's body and bio, in source form."""

    body: str
    bio: str
    key: bytes = field(init=False, compare=False)  # hashed once: the store and the article use it

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", text_key(self.body, self.bio))


_SHARED: dict[tuple[object, ...], tuple[object, ...]] = {}
SHARED_MAX = 1 << 16  # distinct tuples kept: then the table starts again


def shared(items: tuple[_T, ...]) -> tuple[_T, ...]:
    """Return one tuple for all tuples equal to ITEMS (authors, tags): memory, not meaning.

    Most articles share their tags or authors with others: at 100,000 articles with
    three of 30 tags each, one tuple per article held 6 MiB, one per distinct tuple 1.3.
    """
    if len(_SHARED) >= SHARED_MAX:
        _SHARED.clear()
    return _SHARED.setdefault(items, items)  # type: ignore[return-value]


def text_key(body: str, bio: str) -> bytes:
    """Return the name of the text BODY and BIO make (cleaned text holds no NUL)."""
    return hashlib.blake2b(f"{body}\0{bio}".encode(), digest_size=16).digest()


@dataclass(frozen=True, slots=True)
class Article:
    path: str
    format: str
    slug: str
    title: str
    subtitle: str
    text_key: bytes  # names the body and bio, which a Bodies source holds
    summary: str  # as written; markup.summary() derives one when empty
    authors: tuple[Author, ...]
    tags: tuple[Tag, ...]
    lang: str
    draft: bool
    aliases: tuple[str, ...]
    enclosure: Enclosure | None
    content_hash: bytes  # SHA-256 of what a feed shows but the bio (32 bytes: 48 fewer than hex)
    id: str | None  # pinned or, after the catalog, minted
    published: datetime | None  # pinned or, after the catalog, first seen
    updated: datetime | None
    id_pinned: bool
    date_pinned: bool
    image: str = ""  # the entry's image as written (front matter), resolved like a link
    link: str = ""  # a blog engine's site: the post's path on the blog, relative to BASE_URL
    old_paths: tuple[str, ...] = ()  # a blog engine's site: aliases, redirect_from
    expires: datetime | None = None  # a blog engine's expiry date: out of the feeds from then
    updated_pinned: bool = False  # ``updated`` as written (else, once resolved, the store's)


def written(article: Article) -> tuple[str | None, datetime | None, datetime | None]:
    """Return ARTICLE's id, published and updated as its file gives them (None: not given).

    The catalog keeps one object per article: as read, then resolved against the state
    store (``catalog.snapshot.resolve``), which fills those three in; the pins tell them apart.
    """
    a = article
    return (
        a.id if a.id_pinned else None,
        a.published if a.date_pinned else None,
        a.updated if a.updated_pinned else None,
    )


class Bodies(Protocol):
    """Where renderers get an article's body and bio."""

    def text(self, article: Article) -> Text:
        """Return ARTICLE's body and bio."""
        ...


class Files(Protocol):
    """Where renderers get the media files of a post's page bundle, by path in ARTICLES."""

    def read(self, path: str, known: bytes = b"") -> tuple[bytes, bytes | None] | None:
        """Return PATH's signature and bytes (None for bytes: still KNOWN); None: not served."""
        ...

    def listing(self, folder: str) -> list[str]:
        """Return the media files below FOLDER, as paths in it."""
        ...


class HeldBodies:
    """Bodies held in memory, by text key: for tests and for tools that read once."""

    def __init__(self, texts: dict[bytes, Text] | None = None):
        self.texts: dict[bytes, Text] = texts if texts is not None else {}

    def text(self, article: Article) -> Text:
        return self.texts[article.text_key]
