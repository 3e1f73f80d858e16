"""Eleventy: Markdown posts in a posts (or blog) folder of the input folder.

Rules, from Eleventy's documentation (11ty.dev/docs): the input folder is the
site's root (its JavaScript configuration is never run); ``node_modules``,
``_site`` (output), ``_includes`` and ``_data`` are not content (Ignore
files; Configuration: dir); ``date``, else the first ``YYYY-MM-DD`` anywhere in
the path (even folders), is the date, in UTC (Content dates); ``Last
Modified``, ``Created`` and their ``git`` forms name file times or commits,
which feedsvc never reads (an edit is a content change, not a touch): such a
post is undated, and the store dates it by git's add commit, else when first
seen. The URL is the file's path without its extension, date kept, an
``index`` file or one named like its folder standing for the folder
(Permalinks: Default output); only ``fileSlug``, the slug, drops the file
name's date (Data: page variables); ``permalink`` in the front matter replaces
it, and ``permalink: false`` writes nothing;
``eleventyExcludeFromCollections: true`` keeps a page out of every collection,
hence out of the feed (Collections); ``tags`` name collections, so ``post``
and ``posts`` are not topics. Eleventy has no built-in notion of a post:
feedsvc reads the Markdown files under a folder named ``posts``, ``post`` or
``blog``, as Eleventy's base blog lays them out, and ``draft: true`` as a draft.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from datetime import tzinfo

from ...model import Article
from ..formats import RawArticle
from . import DRAFT, IGNORED, PAGE, POST, Adapted, Blog
from .common import FILENAME_DATE, clean_path, first, words

UNDERSTOOD = frozenset({"description", "permalink", "eleventyexcludefromcollections"})
_NOT_CONTENT = {"node_modules", "_site", "_includes", "_data", "_layouts"}
_POST_FOLDERS = {"posts", "post", "blog"}
_COLLECTIONS = {"post", "posts", "all"}
_PATH_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")  # anywhere, as Template.getMappedDate looks
# Dates Eleventy takes from the file system or git: the store's undated rule stands for them.
_FILE_TIMES = frozenset({"last modified", "created", "git last modified", "git created"})


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
    date = meta.get("date")
    if isinstance(date, str) and date.strip().lower() in _FILE_TIMES:
        meta["date"] = None  # never the path's date: Eleventy looks there only without `date`
    elif date in (None, "") and (dated := _PATH_DATE.search(raw.path)):
        meta["date"] = dated.group()
    meta["slug"] = meta.get("slug") or _file_slug(raw.path)
    meta["tags"] = [t for t in words(meta.get("tags")) if t.lower() not in _COLLECTIONS]
    meta["summary"] = first(meta, "summary", "description")
    excluded = meta.get("eleventyexcludefromcollections") is True
    if kind == DRAFT or excluded or meta.get("permalink") is False:
        meta["draft"] = True
    return dataclasses.replace(raw, meta=meta)


def link(blog: Blog, raw: RawArticle, article: Article, zone: tzinfo) -> Adapted:
    """Return the post's path: `permalink`, else its file's path, date and all."""
    permalink = raw.meta.get("permalink")
    if isinstance(permalink, str) and permalink and "{" not in permalink:
        return Adapted(clean_path(permalink))
    folder, name = posixpath.split(posixpath.splitext(raw.path)[0])
    if name in ("index", posixpath.basename(folder)):  # TemplatePermalink.generate
        name = ""
    return Adapted(clean_path(f"{folder}/{name}/"))


def understood() -> frozenset[str]:
    return UNDERSTOOD


__all__ = ["POST", "DRAFT", "PAGE", "IGNORED", "role", "adapt", "link"]
