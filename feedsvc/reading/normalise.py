"""Give raw metadata its meaning: one frozen ``Article`` per file, and its ``Text``.

Pure: no file access, no clock. What depends on history (the first-seen
date, a minted id, when the content first changed) is left ``None`` here and
filled in by the catalog from the state store. ``content_hash`` covers the
normalised title, subtitle, body, summary, authors and tags, so touching a
file or saving it unchanged never looks like an edit. Bodies stay in their
source form; ``render.markup`` renders them only when they are served. The
body and bio are returned beside the article as a ``Text``, which the article
names by its key, so the catalog can hand it to the state store.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..errors import ArticleError
from ..model import Article, Author, Enclosure, Tag, Text
from .dates import DateError, parse_date
from .formats import RawArticle
from .text import clean, collapse, slugify

if TYPE_CHECKING:
    from .engines import Blog

_NAME_EMAIL = re.compile(r"^(.*?)\s*<([^<>\s@]+@[^<>\s@]+)>$")
_LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
MAX_TITLE = 1000
MAX_TAGS = 100


@dataclass(frozen=True, slots=True)
class Defaults:
    """What normalisation needs from the site's configuration."""

    author: str
    language: str
    zone: tzinfo
    blog: Blog | None = None  # a blog engine's site (ENGINE), else feedsvc's own layout


def _fail(raw: RawArticle, key: str, message: str) -> ArticleError:
    return ArticleError(raw.path, message, raw.line(key.split()[0]))


def _text(raw: RawArticle, key: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict | set):
        raise _fail(raw, key, f"{key} must be text, got a {type(value).__name__}")
    return collapse(clean(str(value)))


def _list(raw: RawArticle, key: str, value: Any, separators: str = ",") -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        items = [_text(raw, key, item) for item in value]
    elif isinstance(value, dict | set):
        raise _fail(raw, key, f"{key} must be a list or comma-separated text")
    else:
        text = clean(str(value))
        sep = next((s for s in separators if s in text), separators[-1])
        items = [collapse(item) for item in text.split(sep)]
    return [item for item in items if item]


def _author(raw: RawArticle, key: str, item: Any) -> Author | None:
    """Return the author ITEM names: `Name <email>`, a plain name, or a name/email mapping."""
    if isinstance(item, dict):
        name = _text(raw, key, item.get("name"))
        email = _text(raw, key, item.get("email"))
        return _shared_author(name or email, email) if name or email else None
    text = _text(raw, key, item)
    match = _NAME_EMAIL.match(text)
    if match:
        return _shared_author(match.group(1).strip("\"' ") or match.group(2), match.group(2))
    return _shared_author(text) if text else None


_shared_author = lru_cache(maxsize=4096)(Author)


def _authors(raw: RawArticle, defaults: Defaults) -> tuple[Author, ...]:
    key = "authors" if raw.meta.get("authors") not in (None, "") else "author"
    value = raw.meta.get(key)
    if isinstance(value, dict):
        value = [value]
    items = value if isinstance(value, list) else _list(raw, key, value, separators=";,")
    authors: list[Author] = []
    for item in items:
        author = _author(raw, key, item)
        if author is not None and author not in authors:
            authors.append(author)
    return tuple(authors) or (_shared_author(defaults.author),)


@lru_cache(maxsize=4096)
def _tag(name: str) -> Tag:
    """Return the Tag NAME, shared by every article that carries it (memory, not meaning)."""
    return Tag(name, slugify(name))


def _tags(raw: RawArticle) -> tuple[Tag, ...]:
    key = "tags" if raw.meta.get("tags") not in (None, "") else "categories"
    tags: dict[str, Tag] = {}  # by slug, which also folds case: the first spelling stays
    for name in _list(raw, key, raw.meta.get(key)):
        name = name[:100]
        tag = _tag(name)
        if tag.slug and tag.slug not in tags:
            tags[tag.slug] = tag
    if len(tags) > MAX_TAGS:
        raise _fail(raw, key, f"{len(tags)} tags; at most {MAX_TAGS} are allowed")
    return tuple(tags.values())


def _date(raw: RawArticle, key: str, zone: tzinfo) -> datetime | None:
    value = raw.meta.get(key)
    if value is None or value == "":
        return None
    try:
        return parse_date(value, zone)
    except DateError as e:
        raise _fail(raw, key, f"{key}: {e}") from None


def _draft(raw: RawArticle) -> bool:
    draft = raw.meta.get("draft", False)
    if isinstance(draft, str):
        draft = draft.strip().lower() in {"true", "yes", "1", "on"}
    status = _text(raw, "status", raw.meta.get("status")).lower()
    if status and status not in {"draft", "published", "publish"}:
        raise _fail(raw, "status", f"status must be draft or published, got {status!r}")
    return bool(draft) or status == "draft"


def _id(raw: RawArticle) -> str | None:
    value = _text(raw, "id", raw.meta.get("id"))
    if not value:
        return None
    if not urlsplit(value).scheme or " " in value:
        raise _fail(
            raw, "id", f"id {value!r} is not an absolute URI: use e.g. tag:example.org,2024:name"
        )
    return value


def _enclosure(raw: RawArticle) -> Enclosure | None:
    value = raw.meta.get("enclosure")
    if value is None:
        return None
    if not isinstance(value, dict) or not value.get("url"):
        raise _fail(raw, "enclosure", "enclosure must have url, type and length")
    try:
        length = int(value.get("length", 0))
    except (TypeError, ValueError):
        raise _fail(raw, "enclosure", "enclosure length must be a number of bytes") from None
    kind = _text(raw, "enclosure type", value.get("type", "application/octet-stream"))
    return Enclosure(_text(raw, "enclosure url", value["url"]), kind, max(length, 0))


_ENCODER = json.JSONEncoder(ensure_ascii=False, default=repr, separators=(",", ":"))


def content_hash(*fields: Any) -> str:
    """Return a stable hash of FIELDS."""
    data = _ENCODER.encode(fields)
    return hashlib.sha256(data.encode()).hexdigest()


def normalise(raw: RawArticle, defaults: Defaults) -> tuple[Article, Text]:
    """Return the Article that RAW describes and its Text, or raise ArticleError."""
    meta = raw.meta
    title = _text(raw, "title", meta.get("title"))
    if not title:
        raise _fail(raw, "title", "title is empty")
    if len(title) > MAX_TITLE:
        raise _fail(raw, "title", f"title is {len(title)} characters; keep it under {MAX_TITLE}")
    name = posixpath.splitext(posixpath.basename(raw.path))[0]
    slug = slugify(_text(raw, "slug", meta.get("slug")) or name)
    if not slug:
        raise _fail(raw, "slug", "no slug can be made from the name: add `slug:`")
    lang = _text(raw, "lang", meta.get("lang")) or defaults.language
    if not _LANG.match(lang):
        raise _fail(raw, "lang", f"lang {lang!r} is not a language tag such as en or pt-BR")
    subtitle = _text(raw, "subtitle", meta.get("subtitle"))
    summary = _text(raw, "summary", meta.get("summary"))
    authors = _authors(raw, defaults)
    tags = _tags(raw)
    published = _date(raw, "date", defaults.zone)
    article_id = _id(raw)
    body = clean(raw.body)
    text = Text(body, clean(str(raw.bio)))
    article = Article(
        path=raw.path,
        format=raw.format,
        slug=slug,
        title=title,
        subtitle=subtitle,
        text_key=text.key,
        summary=summary,
        authors=authors,
        tags=tags,
        lang=lang,
        draft=_draft(raw),
        aliases=tuple(
            s for s in (slugify(a) for a in _list(raw, "aliases", meta.get("aliases"))) if s
        ),
        enclosure=_enclosure(raw),
        content_hash=content_hash(
            title,
            subtitle,
            body,
            summary,
            [(a.name, a.email) for a in authors],
            [t.name for t in tags],
        ),  # fmt: skip
        id=article_id,
        published=published,
        updated=_date(raw, "updated", defaults.zone),
        id_pinned=article_id is not None,
        date_pinned=published is not None,
    )
    return article, text
