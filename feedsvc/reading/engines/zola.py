"""Zola: pages of the sections under ``content/``; ``_index.md`` files are sections.

Rules, from Zola's documentation (getzola.org/documentation/content/): a
folder with an ``_index.md`` is a section and its other Markdown files (or
folders with an ``index.md``, whose other files are assets) are pages
(Overview, Section, Page); front matter is TOML between ``+++`` (Page: front
matter) with ``date``, ``updated``, ``draft``, ``slug``, ``path``,
``aliases``, ``description``, ``authors`` and ``[taxonomies]``; a file name
starting with a date (``2024-03-05-post.md`` or ``2024-03-05_post.md``) gives
the date and the rest the slug; the URL is the section's path and the slug,
or ``path``; ``post.fr.md`` is the ``fr`` translation, under ``/fr/``
(Multilingual sites); ``<!-- more -->`` ends the summary; ``@/`` links
(Internal links) name other pages. feedsvc reads a section's pages as posts,
and the pages at the top of ``content/`` (about) as pages.
"""

from __future__ import annotations

import posixpath
import re
from datetime import tzinfo

from ...model import Article
from ..formats import RawArticle
from ..text import slugify
from . import DRAFT, IGNORED, PAGE, POST, Adapted, Blog
from .common import clean_path, first, merged, with_language, words
from .hugo import _is_bundle

UNDERSTOOD = frozenset({"description", "taxonomies", "path", "aliases", "updated"})
_DATED = re.compile(r"^(\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2})?)[_-](.+)$")
_LANG = re.compile(r"^(.+)\.([a-z]{2,3}(?:-[a-z0-9]+)?)$", re.IGNORECASE)


def _stem(path: str) -> tuple[str, str | None]:
    name = posixpath.splitext(posixpath.basename(path))[0]
    match = _LANG.match(name)
    return (match.group(1), match.group(2).lower()) if match else (name, None)


def default_language(blog: Blog) -> str:
    return str(blog.settings.get("default_language") or "en").lower()


def role(blog: Blog, path: str) -> str:
    """Return what PATH is to Zola: a page of a section (a post), a page, or not content."""
    if not path.startswith("content/"):
        return IGNORED  # templates, static, themes, public, sass
    parts = path[len("content/") :].split("/")
    stem, _ = _stem(path)
    if stem == "_index" or len(parts) == 1:
        return PAGE
    for depth in range(1, len(parts) - 1 if stem == "index" else len(parts)):
        if _is_bundle(blog, "content/" + "/".join(parts[:depth])):
            return IGNORED  # an asset of a page with its own folder
    return POST


def adapt(blog: Blog, raw: RawArticle, kind: str) -> RawArticle:
    """Return RAW with Zola's keys given feedsvc's meaning."""
    meta = dict(raw.meta)
    stem, lang = _stem(raw.path)
    name = posixpath.basename(posixpath.dirname(raw.path)) if stem == "index" else stem
    dated = _DATED.match(name)
    if dated:
        meta["date"] = meta.get("date") or dated.group(1)
        name = dated.group(2)
    given = meta.get("taxonomies")
    taxonomies: dict[str, object] = given if isinstance(given, dict) else {}
    meta["tags"] = merged(
        words(taxonomies.get("categories")), words(taxonomies.get("tags")), words(meta.get("tags"))
    )
    meta["summary"] = first(meta, "summary", "description")
    slug = str(meta.get("slug") or slugify(name))
    meta["url_slug"] = slug
    return with_language(
        raw, meta, lang or default_language(blog), default_language(blog), slug, kind
    )


def link(blog: Blog, raw: RawArticle, article: Article, zone: tzinfo) -> Adapted:
    """Return the page's path on the blog: its section's path and slug, or `path`."""
    meta = raw.meta
    rel = raw.path[len("content/") :]
    folder = posixpath.dirname(rel)
    if _stem(rel)[0] == "index":
        folder = posixpath.dirname(folder)
    lang = str(meta.get("lang") or "").lower()
    prefix = "" if lang in ("", default_language(blog)) else lang + "/"
    if meta.get("path"):
        path = clean_path(str(meta["path"]).strip("/") + "/")
    else:
        path = clean_path(f"{folder}/{meta['url_slug']}/")
    old = tuple(clean_path(str(a)) for a in words(meta.get("old_paths")))
    return Adapted(prefix + path, old)


def understood() -> frozenset[str]:
    return UNDERSTOOD


__all__ = ["POST", "DRAFT", "PAGE", "IGNORED", "role", "adapt", "link"]
