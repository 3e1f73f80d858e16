"""Eleventy: Markdown posts in a posts (or blog) folder of the input folder.

Rules, from Eleventy's documentation (11ty.dev/docs): the input folder is the
site's root (its JavaScript configuration is never run); ``node_modules``,
``_site`` (output), ``_includes`` and ``_data`` are not content (Ignore
files; Configuration: dir); a date in the file name (``YYYY-MM-DD``) is the
date, and dates are UTC (Content dates); the URL is the file's path without
its extension, an ``index`` file standing for its folder, and ``fileSlug``
drops the file name's date (Permalinks; Data: page variables); ``permalink``
in the front matter replaces it, and ``permalink: false`` writes nothing;
``eleventyExcludeFromCollections: true`` keeps a page out of every collection,
hence out of the feed (Collections); ``tags`` name collections, so ``post``
and ``posts`` are not topics. Eleventy has no built-in notion of a post:
feedsvc reads the Markdown files under a folder named ``posts``, ``post`` or
``blog``, as Eleventy's base blog lays them out, and ``draft: true`` as a draft.
"""

from __future__ import annotations

import dataclasses
import posixpath
from datetime import tzinfo

from ...model import Article
from ..formats import RawArticle
from . import DRAFT, IGNORED, PAGE, POST, Adapted, Blog
from .common import FILENAME_DATE, clean_path, first, words

UNDERSTOOD = frozenset({"description", "permalink", "eleventyexcludefromcollections"})
_NOT_CONTENT = {"node_modules", "_site", "_includes", "_data", "_layouts"}
_POST_FOLDERS = {"posts", "post", "blog"}
_COLLECTIONS = {"post", "posts", "all"}


def role(blog: Blog, path: str) -> str:
    """Return what PATH is to Eleventy: a post, a page, or not content."""
    parts = path.split("/")
    if any(p in _NOT_CONTENT for p in parts[:-1]):
        return IGNORED
    if any(p.lower() in _POST_FOLDERS for p in parts[:-1]):
        stem = posixpath.splitext(parts[-1])[0]
        return PAGE if stem == "index" and parts[-2].lower() in _POST_FOLDERS else POST
    return PAGE


def _file_slug(path: str) -> str:
    stem = posixpath.splitext(posixpath.basename(path))[0]
    if stem == "index":
        stem = posixpath.basename(posixpath.dirname(path))
    dated = FILENAME_DATE.match(stem)
    return dated.group(4) if dated else stem


def adapt(blog: Blog, raw: RawArticle, kind: str) -> RawArticle:
    """Return RAW with Eleventy's keys given feedsvc's meaning."""
    meta = dict(raw.meta)
    dated = FILENAME_DATE.match(posixpath.splitext(posixpath.basename(raw.path))[0])
    if dated and meta.get("date") in (None, ""):
        meta["date"] = "-".join(dated.group(1, 2, 3))
    meta["slug"] = meta.get("slug") or _file_slug(raw.path)
    meta["tags"] = [t for t in words(meta.get("tags")) if t.lower() not in _COLLECTIONS]
    meta["summary"] = first(meta, "summary", "description")
    excluded = meta.get("eleventyexcludefromcollections") is True
    if kind == DRAFT or excluded or meta.get("permalink") is False:
        meta["draft"] = True
    return dataclasses.replace(raw, meta=meta)


def link(blog: Blog, raw: RawArticle, article: Article, zone: tzinfo) -> Adapted:
    """Return the post's path: `permalink`, else its file's path and fileSlug."""
    permalink = raw.meta.get("permalink")
    if isinstance(permalink, str) and permalink and "{" not in permalink:
        return Adapted(clean_path(permalink))
    folder = posixpath.dirname(raw.path)
    if posixpath.splitext(posixpath.basename(raw.path))[0] == "index":
        folder = posixpath.dirname(folder)
    return Adapted(clean_path(f"{folder}/{_file_slug(raw.path)}/"))


def understood() -> frozenset[str]:
    return UNDERSTOOD


__all__ = ["POST", "DRAFT", "PAGE", "IGNORED", "role", "adapt", "link"]
