"""Zola: pages of the sections under ``content/``; ``_index.md`` files are sections.

Rules, from Zola's documentation (getzola.org/documentation/content/): a
folder with an ``_index.md`` is a section and its other Markdown files (or
folders with an ``index.md``, whose other files are assets) are pages
(Overview, Section, Page); a drafted section drafts every page under it
(Section: Drafting); front matter is TOML between ``+++`` (Page: front
matter) with ``date``, ``updated``, ``draft``, ``slug``, ``path``,
``aliases``, ``description``, ``authors`` and ``[taxonomies]``; a file name
starting with a date (``2024-03-05-post.md``, ``2024-03-05_post.md``, or the
date alone) gives the date and the rest the slug, slugified as
``slugify.paths`` says (Page: output paths); the URL is the section's path and
the slug, or ``path``; ``post.fr.md`` is the ``fr`` translation, under
``/fr/`` unless it sets ``path`` (Multilingual sites); ``<!-- more -->`` ends
the summary; ``@/`` links (Internal links) name other pages. feedsvc reads a
section's pages as posts, and the pages at the top of ``content/`` (about) as pages.
"""

from __future__ import annotations

import os
import posixpath
import re
import unicodedata
from datetime import tzinfo
from functools import lru_cache

from anyascii import anyascii

from ...errors import ArticleError
from ...model import Article
from .. import matter
from ..formats import RawArticle
from ..yamlmatter import load_front_matter
from . import DRAFT, IGNORED, PAGE, POST, Adapted, Blog
from .common import clean_path, first, merged, with_language, words
from .hugo import _is_bundle

UNDERSTOOD = frozenset({"description", "taxonomies", "path", "aliases", "updated"})
# components/content/src/page.rs: RFC3339_DATE, a date or datetime, then `_` or `-` and a slug
_DATED = re.compile(
    r"^(\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"(?:T(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\.[0-9]+)?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9]))?)(?:\s?[_-](.+))?"
)
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_UNSAFE = re.compile(r'[<>:"/\\|?*]')  # components/utils/src/slugs.rs: strip_invalid_paths_chars


def _languages(blog: Blog) -> set[str]:
    """Return the codes of the languages other than the default, as config.toml lists them."""
    given = blog.settings.get("languages")
    codes = {str(code) for code in given} if isinstance(given, dict) else set()
    return codes - {default_language(blog)}


def _stem(blog: Blog, path: str) -> tuple[str, str | None]:
    """Return PATH's file name without extension and language, and the language."""
    name = posixpath.splitext(posixpath.basename(path))[0]
    base, _, code = name.partition(".")  # file_info.rs: find_language splits at the first dot
    # Only another configured language is one: node.js.md is "node.js" (Zola refuses
    # an unknown code; post.en.md keeps its name when en is the default)
    return (base, code) if code in _languages(blog) else (name, None)


def default_language(blog: Blog) -> str:
    return str(blog.settings.get("default_language") or "en").lower()


def slugify_paths(blog: Blog, text: str) -> str:
    """Return TEXT as Zola's ``slugify.paths`` makes a path: on (the slug crate), safe, off."""
    given = blog.settings.get("slugify")
    strategy = given.get("paths", "on") if isinstance(given, dict) else "on"
    if strategy == "off":
        return text
    if strategy == "safe":
        return _UNSAFE.sub("", text.rstrip(" ."))
    # deunicode, as the slug crate uses it, writes each Han character as a word: 日本 -> ri-ben
    spaced = "".join(
        f" {c} " if unicodedata.name(c, "").startswith("CJK UNIFIED") else c for c in text
    )
    return _NOT_SLUG.sub("-", anyascii(spaced).lower()).strip("-")


@lru_cache(maxsize=256)
def _drafted_file(path: str, _mtime: int, _size: int) -> bool:
    """Say whether the section file at PATH (as it was at _MTIME) has `draft = true`."""
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read(2 * matter.FRONT_MATTER_MAX).lstrip()
        parsed = matter.split(path, text)  # TOML, Zola's own; else YAML between --- lines
        if parsed:
            meta = parsed[0]
        elif text.startswith("---\n") and (closing := text.find("\n---", 3)) > 0:
            meta = load_front_matter(path, text[4 : closing + 1])
        else:
            return False
        return meta.get("draft") is True
    except (OSError, UnicodeDecodeError, ArticleError):
        return False  # Zola stops at such a section; feedsvc reads its pages


def drafted(blog: Blog, folder: str) -> bool:
    """Say whether FOLDER's section, in any language, is a draft."""
    root = os.path.join(blog.root, folder)
    for name in ["_index.md", *(f"_index.{code}.md" for code in sorted(_languages(blog)))]:
        index = os.path.join(root, name)
        try:
            stat = os.stat(index)
        except OSError:
            continue
        if _drafted_file(index, stat.st_mtime_ns, stat.st_size):
            return True
    return False


def role(blog: Blog, path: str) -> str:
    """Return what PATH is to Zola: a page of a section (a post), a page, or not content."""
    if not path.startswith("content/"):
        return IGNORED  # templates, static, themes, public, sass
    parts = path[len("content/") :].split("/")
    stem, _ = _stem(blog, path)
    if stem == "_index" or stem.startswith("_index.") or len(parts) == 1:
        return PAGE  # a section, in any language, or a page at the top (about)
    for depth in range(1, len(parts) - 1 if stem == "index" else len(parts)):
        if _is_bundle(blog, "content/" + "/".join(parts[:depth])):
            return IGNORED  # an asset of a page with its own folder
    # Section: "pages will not be processed if any of their parent sections is drafted"
    if any(drafted(blog, "/".join(["content", *parts[:depth]])) for depth in range(len(parts))):
        return DRAFT
    return POST


def adapt(blog: Blog, raw: RawArticle, kind: str) -> RawArticle:
    """Return RAW with Zola's keys given feedsvc's meaning."""
    meta = dict(raw.meta)
    stem, lang = _stem(blog, raw.path)
    name = posixpath.basename(posixpath.dirname(raw.path)) if stem == "index" else stem
    dated = _DATED.match(name)
    if dated:
        meta["date"] = meta.get("date") or dated.group(1)
        given = blog.settings.get("slugify")
        keep = isinstance(given, dict) and given.get("paths_keep_dates") is True
        name = dated.group(2) if dated.group(2) and not keep else name
    given = meta.get("taxonomies")
    taxonomies: dict[str, object] = given if isinstance(given, dict) else {}
    meta["tags"] = merged(
        words(taxonomies.get("categories")), words(taxonomies.get("tags")), words(meta.get("tags"))
    )
    meta["summary"] = first(meta, "summary", "description")
    slug = slugify_paths(blog, str(meta.get("slug") or name))
    meta["url_slug"] = slug
    return with_language(
        raw, meta, lang or default_language(blog), default_language(blog), slug, kind
    )


def link(blog: Blog, raw: RawArticle, article: Article, zone: tzinfo) -> Adapted:
    """Return the page's path on the blog: its section's path and slug, or `path`."""
    meta = raw.meta
    rel = raw.path[len("content/") :]
    folder = posixpath.dirname(rel)
    if _stem(blog, rel)[0] == "index":
        folder = posixpath.dirname(folder)
    lang = str(meta.get("lang") or "").lower()
    prefix = "" if lang in ("", default_language(blog)) else lang + "/"
    old = tuple(clean_path(str(a)) for a in words(meta.get("old_paths")))
    if meta.get("path"):  # Multilingual: a translation's `path` is the whole path, no /fr/
        return Adapted(clean_path(str(meta["path"]).strip() + "/"), old)
    return Adapted(prefix + clean_path(f"{folder}/{meta['url_slug']}/"), old)


def understood() -> frozenset[str]:
    return UNDERSTOOD


__all__ = ["POST", "DRAFT", "PAGE", "IGNORED", "role", "adapt", "link"]
