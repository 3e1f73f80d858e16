"""Hugo: regular pages of the main sections under ``content/`` are posts.

Rules, from Hugo's documentation (gohugo.io/content-management/): the content
folder is ``contentDir`` (default ``content``); a top-level folder is a section,
and the posts are the regular pages of ``params.mainSections`` (default: the
section with the most pages) (Sections; Configure Hugo: mainSections); an
``_index.md`` is a list page, never a post, and a leaf bundle's ``index.md`` is
the post, the folder its name and its other files its resources (Page
bundles); ``date``, ``publishDate``, ``lastmod`` and ``expiryDate`` (Front
matter), read in ``timeZone`` (default UTC); ``draft``, and ``[build]``
``list`` or ``render`` ``never`` (Build options), keep a page out of the feeds;
the text above ``<!--more-->``, else ``summary`` (Content summaries), else
``description``; ``tags`` and ``categories`` (Taxonomies); ``aliases`` are old
paths (URL management: aliases, relative ones to the page's folder); ``url``,
``slug`` and ``[permalinks]`` give the URL (URL management), made lower case
unless ``disablePathToLower`` (helpers/path.go: MakePathSanitized);
``post.fr.md`` is the ``fr`` translation of ``post.md`` when ``fr`` is a
configured language, under ``/fr/`` unless it is ``defaultContentLanguage``.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
import unicodedata
from collections import Counter
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Any

from ...errors import ArticleError
from ...model import Article
from ..dates import DateError, parse_date
from ..divider import divider
from ..files import FORMATS
from ..formats import RawArticle
from . import DRAFT, IGNORED, PAGE, POST, Adapted, Blog
from .common import clean_path, expand, first, local, merged, with_language, words

UNDERSTOOD = frozenset(
    {"publishdate", "pubdate", "published", "lastmod", "modified", "expirydate",
     "unpublishdate", "description", "url", "aliases", "category"}
)  # fmt: skip
_TOKEN = re.compile(r":(\w+)")  # resources/page/permalinks.go: attributeRegexp
_DATED = frozenset({"year", "month", "monthname", "day", "weekday", "weekdayname", "yearday"})
_PATH_PUNCTUATION = frozenset("./\\_#+~-@")  # common/paths/path.go: isAllowedPathCharacter


def setting(blog: Blog, *keys: str) -> Any:
    """Return the value at KEYS in Hugo's configuration, whose keys are case-insensitive."""
    value: Any = blog.settings
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = next((v for k, v in value.items() if str(k).lower() == key), None)
    return value


def content_dir(blog: Blog) -> str:
    return str(setting(blog, "contentdir") or "content").strip("/")


def default_language(blog: Blog) -> str:
    return str(setting(blog, "defaultcontentlanguage") or "en").lower()


def languages(blog: Blog) -> set[str]:
    """Return the site's language codes: the keys of [languages], and the default."""
    given = setting(blog, "languages")
    codes = {str(k).lower() for k in given} if isinstance(given, dict) else set()
    return codes | {default_language(blog)}


def _stem(blog: Blog, path: str) -> tuple[str, str | None]:
    """Return PATH's file name without extension and language, and the language."""
    name = posixpath.splitext(posixpath.basename(path))[0]
    base, dot, code = name.rpartition(".")
    # Only a configured language is one (common/paths/pathparser.go): node.js.md is "node.js"
    if dot and base and code.lower() in languages(blog):
        return base, code.lower()
    return name, None


def _sanitize(text: str) -> str:
    """Return TEXT as Hugo's paths.Sanitize leaves it: runs of spaces a hyphen, no symbols."""
    kept: list[str] = []
    hyphen = was_hyphen = False
    for i, char in enumerate(text):
        kind = unicodedata.category(char)
        if char != " " and (
            kind[0] in "LM"
            or kind == "Nd"
            or char in _PATH_PUNCTUATION
            or (char == "%" and re.match(r"[0-9a-fA-F]{2}", text[i + 1 : i + 3]) is not None)
        ):
            was_hyphen = char == "-"
            if hyphen and not was_hyphen:
                kept.append("-")
            hyphen = False
            kept.append(char)
        elif kept and not was_hyphen and char.isspace():
            hyphen = True
    return "".join(kept)


def make_path(blog: Blog, text: str) -> str:
    """Return TEXT as Hugo's MakePathSanitized makes a page's path (helpers/path.go)."""
    path = _sanitize(text)
    if setting(blog, "removepathaccents") is True:
        decomposed = unicodedata.normalize("NFD", path)
        path = unicodedata.normalize(
            "NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
        )
    return path if setting(blog, "disablepathtolower") is True else path.lower()


def _date_values(when: datetime | None) -> dict[str, str]:
    """Return Hugo's date tokens for WHEN: Go's time.Weekday (Sunday 0), YearDay unpadded."""
    if when is None:
        return {}
    return {
        "year": str(when.year), "month": f"{when:%m}", "day": f"{when:%d}",
        "monthname": f"{when:%B}", "weekday": str(when.isoweekday() % 7),
        "weekdayname": f"{when:%A}", "yearday": str(when.timetuple().tm_yday),
    }  # fmt: skip


def listed(meta: dict[str, Any]) -> bool:
    """Say whether front matter leaves the page in page collections, so in the feeds."""
    build = meta.get("build") or meta.get("_build")  # _build: its name before Hugo 0.145
    given = build.items() if isinstance(build, dict) else ()
    values = {str(v).lower() for k, v in given if str(k).lower() in ("list", "render")}
    # pagemeta.DecodeBuildConfig: false (0) was `never` before list and render took words
    return not (values & {"never", "false", "0"}) and meta.get("headless") is not True


def _is_bundle(blog: Blog, folder: str) -> bool:
    root = os.path.join(blog.root, folder)
    return any(os.path.isfile(os.path.join(root, "index" + ext)) for ext in FORMATS)


@lru_cache(maxsize=16)
def _largest_section(root: str, content: str) -> str | None:
    counts: Counter[str] = Counter()
    for folder, _, names in os.walk(os.path.join(root, content)):
        rel = os.path.relpath(folder, os.path.join(root, content)).replace(os.sep, "/")
        if rel == ".":
            continue
        counts[rel.split("/")[0]] += sum(
            1 for n in names if not n.startswith("_index") and os.path.splitext(n)[1] in FORMATS
        )
    return counts.most_common(1)[0][0] if counts else None


def main_sections(blog: Blog) -> set[str]:
    """Return params.mainSections, else the section with the most pages."""
    given = setting(blog, "params", "mainsections") or setting(blog, "mainsections")
    if given:
        return set(words(given))
    largest = _largest_section(blog.root, content_dir(blog))
    return {largest} if largest else set()


def role(blog: Blog, path: str) -> str:
    """Return what PATH is to Hugo: a post, a page, or not content."""
    content = content_dir(blog) + "/"
    if not path.startswith(content):
        return IGNORED  # themes, layouts, archetypes, static, public: never content
    parts = path[len(content) :].split("/")
    stem, _ = _stem(blog, path)
    if stem == "_index" or stem.startswith("_index.") or len(parts) == 1:
        return PAGE  # a list page (_index.xx.md too), or a page of the home section (about)
    for depth in range(1, len(parts) - 1 if stem == "index" else len(parts)):
        if _is_bundle(blog, content + "/".join(parts[:depth])):
            return IGNORED  # a resource of a leaf bundle
    return POST if parts[0] in main_sections(blog) else PAGE


def adapt(blog: Blog, raw: RawArticle, kind: str) -> RawArticle:
    """Return RAW with Hugo's keys given feedsvc's meaning."""
    meta = dict(raw.meta)
    stem, lang = _stem(blog, raw.path)
    name = posixpath.basename(posixpath.dirname(raw.path)) if stem == "index" else stem
    meta["content_date"] = meta.get("date")  # .Date: what permalinks' :year etc. use
    meta["date"] = first(meta, "publishdate", "pubdate", "published", "date")
    meta["updated"] = first(meta, "lastmod", "modified", "updated")
    # Content summaries: the manual summary (<!--more-->) takes precedence over front matter's
    manual = raw.format == "md" and divider(raw.body) is not None  # outside code only
    meta["summary"] = None if manual else first(meta, "summary", "description")
    categories = merged(words(meta.get("category")), words(meta.get("categories")))
    meta["tags"] = merged(categories, words(meta.get("tags")))
    meta["url_slug"] = meta.get("slug") or ""  # the URL's; feedsvc's slug takes the language
    slug = str(meta.get("slug") or name)
    if not listed(meta):
        kind = DRAFT  # Build options: never listed, so in no feed
    return with_language(
        raw, meta, lang or default_language(blog), default_language(blog), slug, kind
    )


def link(blog: Blog, raw: RawArticle, article: Article, zone: tzinfo) -> Adapted:
    """Return the post's path on the blog and its old paths."""
    meta = raw.meta
    rel = raw.path[len(content_dir(blog)) + 1 :]
    folder = posixpath.dirname(rel)
    stem, _ = _stem(blog, rel)
    section = rel.split("/")[0]
    if stem == "index":
        folder, stem = posixpath.dirname(folder), posixpath.basename(folder)
    slug = str(meta.get("url_slug") or "")
    lang = str(meta.get("lang") or "").lower()
    prefix = "" if lang in ("", default_language(blog)) else lang + "/"
    pattern = setting(blog, "permalinks", "page", section) or setting(blog, "permalinks", section)
    url = str(meta.get("url") or "")
    if url:  # URL management > url: the entire path; a folder unless it has an extension
        path = expand(url, {})
        path += "" if not path or path.endswith("/") or posixpath.splitext(path)[1] else "/"
    else:
        written = f"{folder}/{slug or stem}/"
        if isinstance(pattern, str):
            when = article.published
            if meta.get("content_date") not in (None, ""):
                with contextlib.suppress(DateError):  # reported through `date` when it is read
                    when = parse_date(meta["content_date"], zone)
            values = _date_values(local(when, zone))
            values.update(
                slug=slug or article.title, title=article.title, section=section,
                sections=folder, filename=stem, contentbasename=stem,
                slugorfilename=slug or stem, slugorcontentbasename=slug or stem,
            )  # fmt: skip
            written = _TOKEN.sub(
                lambda m: values.get(m[1], "" if m[1] in _DATED else m[0]), pattern
            )
        # page_paths.go: a path not set by `url` is sanitized, and lower-cased
        path = clean_path(make_path(blog, written))
    old = []
    for alias in words(meta.get("old_paths")):
        # Relative aliases are relative to the page's folder in the content (Aliases).
        where = alias if alias.startswith("/") else f"{prefix}{folder}/{alias}"
        suffix = "" if posixpath.splitext(where)[1] or where.endswith("/") else "/"
        old.append(expand(where + suffix, {}))
    expiry = first(meta, "expirydate", "unpublishdate")
    try:
        expires = parse_date(expiry, zone) if expiry is not None else None
    except DateError:
        raise ArticleError(raw.path, f"expiryDate: cannot read {expiry!r}") from None
    # A url with a leading slash is relative to baseURL, without the language prefix.
    return Adapted(("" if url.startswith("/") else prefix) + path, tuple(old), expires)


def understood() -> frozenset[str]:
    return UNDERSTOOD


__all__ = ["POST", "DRAFT", "PAGE", "IGNORED", "role", "adapt", "link"]
