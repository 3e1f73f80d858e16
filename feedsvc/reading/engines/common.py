"""What the engines share: file-name dates, word lists, permalink patterns, key maps."""

from __future__ import annotations

import dataclasses
import posixpath
import re
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import quote

from ..formats import RawArticle
from ..yamlmatter import KNOWN_KEYS
from . import DRAFT

FILENAME_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")
_DATED = frozenset(
    (
        "year",
        "month",
        "day",
        "i_month",
        "i_day",
        "y_day",
        "short_year",
        "short_month",
        "week",
        "short_day",
    )
)
_PLACEHOLDER = re.compile(r":([a-z_]+)|\{([a-z_]+)\}")
# Keys every engine uses only for layout or theming: understood, and of no meaning to a feed.
PRESENTATION = frozenset(
    {"layout", "type", "weight", "menu", "template", "comments", "toc", "share", "sitemap",
     "build", "cascade", "extra", "render", "sort_by", "css", "js", "style", "math",
     "eleventynavigation", "eleventyexcludefromcollections", "permalink", "url",
     "redirect_from", "excerpt_separator", "translationkey", "headless", "outputs", "markup",
     "resources", "linktitle", "keywords", "image", "images", "cover", "featured_image",
     "thumbnail", "hidden", "in_search_index", "path"}
)  # fmt: skip


def words(value: Any) -> list[str]:
    """Return VALUE as a list of words: a YAML list, or text split on commas, else spaces."""
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [str(item).strip() for item in value if str(item).strip()]
    text = str(value)
    parts = text.split(",") if "," in text else text.split()
    return [part.strip() for part in parts if part.strip()]


def merged(*groups: list[str]) -> list[str]:
    """Return the words of GROUPS in order, each once (case-insensitively)."""
    seen: dict[str, str] = {}
    for group in groups:
        for word in group:
            seen.setdefault(word.lower(), word)
    return list(seen.values())


def first(meta: dict[str, Any], *keys: str) -> Any:
    """Return the first of KEYS that META gives a value, else None."""
    for key in keys:
        if meta.get(key) not in (None, ""):
            return meta[key]
    return None


def site_author(engine: str, settings: dict[str, Any]) -> str:
    """Return the author the site's configuration gives posts that name none, else ""."""
    params = settings.get("params")
    value = {
        "jekyll": settings.get("author"),  # jekyll-feed: post.author, else site.author
        "pelican": settings.get("AUTHOR"),  # Settings: AUTHOR, the default author
        "hugo": params.get("author") if isinstance(params, dict) else None,  # site.Params
        "zola": settings.get("author"),  # Configuration: author, the pages' default
    }.get(engine)
    if isinstance(value, dict):
        value = value.get("name")
    return value.strip() if isinstance(value, str) else ""


def not_understood(meta: dict[str, Any], understood: frozenset[str]) -> tuple[str, ...]:
    """Return META's keys that neither feedsvc nor the engine gives a meaning."""
    return tuple(sorted(set(meta) - KNOWN_KEYS - PRESENTATION - understood))


def local(when: datetime | None, zone: tzinfo) -> datetime | None:
    return when.astimezone(zone) if when is not None else None


def date_values(when: datetime | None) -> dict[str, str]:
    """Return the date placeholders of permalink patterns for WHEN (in the site's zone)."""
    if when is None:
        return {}
    return {
        "year": f"{when:%Y}", "month": f"{when:%m}", "day": f"{when:%d}",
        "i_month": str(when.month), "i_day": str(when.day), "short_year": f"{when:%y}",
        "short_month": f"{when:%b}", "long_month": f"{when:%B}", "y_day": f"{when:%j}",
        "hour": f"{when:%H}", "minute": f"{when:%M}", "second": f"{when:%S}",
        "yearday": f"{when:%j}", "monthname": f"{when:%B}".lower(),
        "weekday": str(when.isoweekday()), "weekdayname": f"{when:%A}",
    }  # fmt: skip


def expand(pattern: str, values: dict[str, str]) -> str:
    """Return PATTERN with each `:name` or `{name}` replaced, as a path relative to the root."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name in values:
            return values[name]
        return "" if name in _DATED else match.group(0)  # an undated draft

    return clean_path(_PLACEHOLDER.sub(one, pattern))


def clean_path(path: str) -> str:
    """Return PATH without a leading slash, double slashes or dot segments, %-quoted."""
    trailing = path.endswith("/")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    joined = posixpath.normpath("/".join(parts)) if parts else ""
    joined = "" if joined == "." else joined.lstrip("/")
    if joined.startswith(".."):
        joined = joined.lstrip("./")
    result = quote(joined, safe="/:@!$&'()*+,;=%~")
    return result + "/" if trailing and result else result


def with_language(
    raw: RawArticle, meta: dict[str, Any], lang: str, default: str, slug: str, kind: str
) -> RawArticle:
    """Return RAW with META finished as Hugo and Zola finish a page's.

    The language is ``lang`` in the front matter, else LANG (the file name's or the
    site's); a translation's slug takes its language (``post-fr``), so it is never a
    duplicate of the post in DEFAULT. ``aliases`` are old paths, never slugs.
    """
    meta["lang"] = meta.get("lang") or lang
    translated = str(meta["lang"]).lower() != default
    meta["slug"] = f"{slug}-{meta['lang']}" if translated else slug
    meta["old_paths"], meta["aliases"] = meta.get("aliases"), None
    if kind == DRAFT:
        meta["draft"] = True
    return dataclasses.replace(raw, meta=meta)
