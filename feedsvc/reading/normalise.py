"""Give raw metadata its meaning: one frozen ``Article`` per file, and its ``Text``.

Pure: no file access, no clock. What depends on history (the first-seen
date, a minted id, when the content first changed) is left ``None`` here and
filled in by the catalog from the state store. ``content_hash`` covers the
normalised title, subtitle, body, summary, authors and tags, so touching a
file or saving it unchanged never looks like an edit. Bodies stay in their
source form; ``render.markup`` renders them only when they are served. The
body and bio are returned beside the article as a ``Text``, which the article
names by its key, so the catalog can hand it to the state store. An ``id``
must be a URI of a scheme fit for ids (tag, urn, http, https); an author email
that is not valid and an enclosure that is not http(s) are left out with a
warning, as is a tag that makes no slug or another tag's slug.
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

from email_validator import EmailNotValidError, validate_email

from ..errors import Problem, warning
from ..model import Article, Author, Tag, Text, shared
from .dates import DateError, parse_date, split_name
from .fields import enclosure, fail, image, text_list, text_value
from .formats import RawArticle
from .text import clean, slugify, tag_slug

if TYPE_CHECKING:
    from .engines import Blog

_NAME_EMAIL = re.compile(r"^(.*?)\s*<([^<>\s@]+@[^<>\s@]+)>$")
_LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
MAX_TITLE = 1000
MAX_TAGS = 100
ID_SCHEMES = ("tag", "urn", "http", "https")


@dataclass(frozen=True, slots=True)
class Defaults:
    """What normalisation needs from the site's configuration."""

    author: str
    language: str
    zone: tzinfo
    blog: Blog | None = None  # a blog engine's site (ENGINE), else feedsvc's own layout
    permalink: str = ""  # PERMALINK: each post's path on the blog, as a pattern
    ignore: tuple[str, ...] = ()  # IGNORE: patterns of files that are not articles


def _author(raw: RawArticle, key: str, item: Any, warnings: list[Problem]) -> Author | None:
    """Return the author ITEM names: `Name <email>`, a plain name, or a name/email mapping."""
    if isinstance(item, dict):
        name = text_value(raw, key, item.get("name"))
        email = text_value(raw, key, item.get("email"))
    else:
        text = text_value(raw, key, item)
        match = _NAME_EMAIL.match(text)
        if not match:
            return _shared_author(text) if text else None
        name, email = match.group(1).strip("\"' "), match.group(2)
    if email and (why := _invalid_email(email)):
        warnings.append(
            warning(raw.path, f"{key}: email {email!r} {why}; left out", raw.line(key))
        )
        return _shared_author(name or email) if name or email else None
    return _shared_author(name or email, email) if name or email else None


@lru_cache(maxsize=4096)
def _invalid_email(email: str) -> str | None:
    """Say what is wrong with EMAIL's syntax, or None when it is valid (no DNS look-up)."""
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as e:
        return f"is not valid ({e})"
    return None


_shared_author = lru_cache(maxsize=4096)(Author)


def _authors(raw: RawArticle, defaults: Defaults, warnings: list[Problem]) -> tuple[Author, ...]:
    key = "authors" if raw.meta.get("authors") not in (None, "") else "author"
    value = raw.meta.get(key)
    if isinstance(value, dict):
        value = [value]
    items = value if isinstance(value, list) else text_list(raw, key, value, separators=";,")
    authors: list[Author] = []
    for item in items:
        author = _author(raw, key, item, warnings)
        if author is not None and author not in authors:
            authors.append(author)
    return shared(tuple(authors) or (_shared_author(defaults.author),))


@lru_cache(maxsize=4096)
def _tag(name: str) -> Tag:
    """Return the Tag NAME, shared by every article that carries it (memory, not meaning)."""
    return Tag(name, tag_slug(name))


def _tags(raw: RawArticle, warnings: list[Problem]) -> tuple[Tag, ...]:
    key = "tags" if raw.meta.get("tags") not in (None, "") else "categories"
    tags: dict[str, Tag] = {}  # by slug, which also folds case: the first spelling stays
    for name in text_list(raw, key, raw.meta.get(key)):
        name = name[:100]
        tag = _tag(name)
        kept = tags.setdefault(tag.slug, tag) if tag.slug else None
        if kept is None:
            message = f"tag {name!r} has no letter or digit to make a slug of; left out"
        elif kept.name.casefold() != name.casefold():
            message = (
                f"tags {kept.name!r} and {name!r} make one slug {tag.slug!r}; {name!r} left out"
            )
        else:
            continue
        warnings.append(warning(raw.path, message, raw.line(key)))
    if len(tags) > MAX_TAGS:
        raise fail(raw, key, f"{len(tags)} tags; at most {MAX_TAGS} are allowed")
    return shared(tuple(tags.values()))


def _date(raw: RawArticle, key: str, zone: tzinfo) -> datetime | None:
    value = raw.meta.get(key)
    if value is None or value == "":
        return None
    try:
        return parse_date(value, zone)
    except DateError as e:
        raise fail(raw, key, f"{key}: {e}") from None


_YES, _NO = frozenset({"true", "yes", "1", "on"}), frozenset({"false", "no", "0", "off", ""})


def _draft(raw: RawArticle) -> bool:
    draft = raw.meta.get("draft", False)
    if isinstance(draft, str):
        word = draft.strip().lower()
        if word not in _YES | _NO:  # a typo must not publish a draft
            raise fail(raw, "draft", f"draft must be true or false, got {draft!r}")
        draft = word in _YES
    status = text_value(raw, "status", raw.meta.get("status")).lower()
    if status and status not in {"draft", "published", "publish"}:
        raise fail(raw, "status", f"status must be draft or published, got {status!r}")
    return bool(draft) or status == "draft"


def _id(raw: RawArticle) -> str | None:
    value = text_value(raw, "id", raw.meta.get("id"))
    if not value:
        return None
    if urlsplit(value).scheme not in ID_SCHEMES or " " in value:  # urlsplit lowers the scheme
        raise fail(
            raw,
            "id",
            f"id {value!r} is not an absolute URI of scheme {', '.join(ID_SCHEMES)}: "
            "use e.g. tag:example.org,2024:name",
        )
    return value


_ENCODER = json.JSONEncoder(ensure_ascii=False, default=repr, separators=(",", ":"))


def content_hash(*fields: Any) -> str:
    """Return a stable hash of FIELDS, as hex."""
    return content_digest(*fields).hex()


def content_digest(*fields: Any) -> bytes:
    """Return a stable hash of FIELDS: SHA-256's 32 bytes."""
    return hashlib.sha256(_ENCODER.encode(fields).encode()).digest()


def name_slug(path: str) -> str:
    """Return the slug PATH's file name gives: no extension, no Jekyll-style date in front."""
    name = posixpath.splitext(posixpath.basename(path))[0]
    split = split_name(name)
    return (split is not None and slugify(split[1])) or slugify(name)


def legacy_slug(path: str) -> str:
    """Return the slug PATH's file name gave before Jekyll-style dates were read: all of it."""
    return slugify(posixpath.splitext(posixpath.basename(path))[0])


def normalise(raw: RawArticle, defaults: Defaults) -> tuple[Article, Text]:
    """Return the Article that RAW describes and its Text, or raise ArticleError."""
    article, text, _ = normalise_warned(raw, defaults)
    return article, text


def normalise_warned(raw: RawArticle, defaults: Defaults) -> tuple[Article, Text, list[Problem]]:
    """Return the Article that RAW describes, its Text and warnings, or raise ArticleError."""
    warnings: list[Problem] = []
    meta = raw.meta
    title = text_value(raw, "title", meta.get("title"))
    if not title:
        raise fail(raw, "title", "title is empty")
    if len(title) > MAX_TITLE:
        raise fail(raw, "title", f"title is {len(title)} characters; keep it under {MAX_TITLE}")
    written = text_value(raw, "slug", meta.get("slug"))
    slug = slugify(written) if written else name_slug(raw.path)
    if not slug:
        raise fail(raw, "slug", "no slug can be made from the name: add `slug:`")
    lang = text_value(raw, "lang", meta.get("lang")) or defaults.language
    if not _LANG.match(lang):
        raise fail(raw, "lang", f"lang {lang!r} is not a language tag such as en or pt-BR")
    subtitle = text_value(raw, "subtitle", meta.get("subtitle"))
    summary = text_value(raw, "summary", meta.get("summary"))
    authors = _authors(raw, defaults, warnings)
    tags = _tags(raw, warnings)
    published = _date(raw, "date", defaults.zone)
    article_id = _id(raw)
    updated = _date(raw, "updated", defaults.zone)
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
            s for s in (slugify(a) for a in text_list(raw, "aliases", meta.get("aliases"))) if s
        ),
        enclosure=enclosure(raw, warnings),
        content_hash=content_digest(
            title,
            subtitle,
            body,
            summary,
            [(a.name, a.email) for a in authors],
            [t.name for t in tags],
        ),  # fmt: skip
        id=article_id,
        published=published,
        updated=updated,
        id_pinned=article_id is not None,
        date_pinned=published is not None,
        image=image(raw),
        updated_pinned=updated is not None,
    )
    return article, text, warnings
