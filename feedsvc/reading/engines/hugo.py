"""Hugo: regular pages of the main sections under ``content/`` are posts.

Rules, from Hugo's documentation (gohugo.io/content-management/): the content
folder is ``contentDir`` (default ``content``); a top-level folder is a section,
and the posts are the regular pages of ``params.mainSections`` (default: the
section with the most pages) (Sections; Configure Hugo: mainSections); an
``_index.md`` is a list page, never a post, and a leaf bundle's ``index.md`` is
the post, the folder its name and its other files its resources (Page
bundles); ``date``, ``publishDate``, ``lastmod`` and ``expiryDate`` (Front
matter), read in ``timeZone`` (default UTC); ``draft``; ``summary`` (Content
summaries) or ``description``; ``tags`` and ``categories`` (Taxonomies);
``aliases`` are old paths (URL management: aliases, relative ones to the
page's folder); ``url``, ``slug`` and ``[permalinks]`` give the URL (URL
management); ``post.fr.md`` is the ``fr`` translation of ``post.md``, under
``/fr/`` unless ``fr`` is ``defaultContentLanguage`` (Multilingual).
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
from collections import Counter
from datetime import tzinfo
from functools import lru_cache
from typing import Any

from ...errors import ArticleError
from ...model import Article
from ..dates import DateError, parse_date
from ..files import FORMATS
from ..formats import RawArticle
from ..text import slugify
from . import DRAFT, IGNORED, PAGE, POST, Adapted, Blog
from .common import date_values, expand, first, local, merged, with_language, words

UNDERSTOOD = frozenset(
    {"publishdate", "pubdate", "published", "lastmod", "modified", "expirydate",
     "unpublishdate", "description", "url", "aliases", "category"}
)  # fmt: skip
_LANG_SUFFIX = re.compile(r"^(.+)\.([a-z]{2,3}(?:-[a-z0-9]+)?)$", re.IGNORECASE)


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


def _stem(path: str) -> tuple[str, str | None]:
    """Return PATH's file name without extension and language, and the language."""
    name = posixpath.splitext(posixpath.basename(path))[0]
    match = _LANG_SUFFIX.match(name)
    return (match.group(1), match.group(2).lower()) if match else (name, None)


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
    stem, _ = _stem(path)
    if stem == "_index" or len(parts) == 1:
        return PAGE  # a list page, or a page of the home section (about)
    for depth in range(1, len(parts) - 1 if stem == "index" else len(parts)):
        if _is_bundle(blog, content + "/".join(parts[:depth])):
            return IGNORED  # a resource of a leaf bundle
    return POST if parts[0] in main_sections(blog) else PAGE


def adapt(blog: Blog, raw: RawArticle, kind: str) -> RawArticle:
    """Return RAW with Hugo's keys given feedsvc's meaning."""
    meta = dict(raw.meta)
    stem, lang = _stem(raw.path)
    name = posixpath.basename(posixpath.dirname(raw.path)) if stem == "index" else stem
    meta["content_date"] = meta.get("date")  # .Date: what permalinks' :year etc. use
    meta["date"] = first(meta, "publishdate", "pubdate", "published", "date")
    meta["updated"] = first(meta, "lastmod", "modified", "updated")
    meta["summary"] = first(meta, "summary", "description")
    categories = merged(words(meta.get("category")), words(meta.get("categories")))
    meta["tags"] = merged(categories, words(meta.get("tags")))
    slug = str(meta.get("slug") or name)
    return with_language(
        raw, meta, lang or default_language(blog), default_language(blog), slug, kind
    )


def link(blog: Blog, raw: RawArticle, article: Article, zone: tzinfo) -> Adapted:
    """Return the post's path on the blog and its old paths."""
    meta = raw.meta
    rel = raw.path[len(content_dir(blog)) + 1 :]
    folder = posixpath.dirname(rel)
    stem, _ = _stem(rel)
    section = rel.split("/")[0]
    if stem == "index":
        folder, stem = posixpath.dirname(folder), posixpath.basename(folder)
    slug = str(raw.meta.get("slug") or stem)
    lang = str(meta.get("lang") or "").lower()
    prefix = "" if lang in ("", default_language(blog)) else lang + "/"
    if meta.get("slug") and prefix and slug.endswith("-" + lang):
        slug = slug[: -len(lang) - 1]
    pattern = setting(blog, "permalinks", "page", section) or setting(blog, "permalinks", section)
    url = str(meta.get("url") or "")
    if url:  # URL management > url: the entire path; a folder unless it has an extension
        path = expand(url, {})
        path += "" if not path or path.endswith("/") or posixpath.splitext(path)[1] else "/"
    elif isinstance(pattern, str):
        when = article.published
        if meta.get("content_date") not in (None, ""):
            with contextlib.suppress(DateError):  # reported through `date` when it is read
                when = parse_date(meta["content_date"], zone)
        values = date_values(local(when, zone))
        values.update(
            slug=slug, title=slugify(article.title), section=section, sections=folder,
            filename=stem, contentbasename=stem, slugorfilename=slug,
            slugorcontentbasename=slug,
        )  # fmt: skip
        path = expand(pattern, values)
    else:
        path = expand(f"{folder}/{slug}/", {})
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
