"""Values of one key of front matter: text, lists, and the entry's media.

Shared by ``normalise``; each raises an ``ArticleError`` naming the key's line,
or adds a warning and leaves a value out.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..errors import ArticleError, Problem, warning
from ..model import Enclosure
from .formats import RawArticle
from .text import clean, collapse


def fail(raw: RawArticle, key: str, message: str) -> ArticleError:
    return ArticleError(raw.path, message, raw.line(key.split()[0]))


def text_value(raw: RawArticle, key: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict | set):
        raise fail(raw, key, f"{key} must be text, got a {type(value).__name__}")
    return collapse(clean(str(value)))


def text_list(raw: RawArticle, key: str, value: Any, separators: str = ",") -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        items = [text_value(raw, key, item) for item in value]
    elif isinstance(value, dict | set):
        raise fail(raw, key, f"{key} must be a list or comma-separated text")
    else:
        text = clean(str(value))
        sep = next((s for s in separators if s in text), separators[-1])
        items = [collapse(item) for item in text.split(sep)]
    return [item for item in items if item]


def enclosure(raw: RawArticle, warnings: list[Problem]) -> Enclosure | None:
    value = raw.meta.get("enclosure")
    if value is None:
        return None
    if not isinstance(value, dict) or not value.get("url"):
        raise fail(raw, "enclosure", "enclosure must have url, type and length")
    try:
        length = int(value.get("length", 0))
    except (TypeError, ValueError):
        raise fail(raw, "enclosure", "enclosure length must be a number of bytes") from None
    kind = text_value(raw, "enclosure type", value.get("type", "application/octet-stream"))
    url = text_value(raw, "enclosure url", value["url"])
    if urlsplit(url).scheme not in ("", "http", "https"):
        where = raw.line("enclosure")
        warnings.append(
            warning(raw.path, f"enclosure url {url!r} is not http(s); left out", where)
        )
        return None
    return Enclosure(url, kind, max(length, 0))


# The entry's image, as the engines write it: ours, Jekyll's (`image`, `image.path`), Hugo's
# (`images`, a list, and themes' `cover.image`), WordPress exports and Ghost's.
IMAGE_KEYS = ("image", "cover", "featured_image", "feature_image", "images", "thumbnail")
_IMAGE_PARTS = ("path", "url", "src", "image")


def image(raw: RawArticle) -> str:
    """Return the entry image's URL or path as written, or ""."""
    for key in IMAGE_KEYS:
        value = raw.meta.get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, dict):
            value = next((value[p] for p in _IMAGE_PARTS if value.get(p)), None)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise fail(raw, key, f"{key} must be an image's URL or path, e.g. images/cover.jpg")
        return text_value(raw, key, value)
    return ""
