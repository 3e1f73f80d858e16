"""Pelican: articles under ARTICLE_PATHS, pages under PAGE_PATHS, in Markdown, rST or HTML.

Rules, from Pelican's documentation (docs.getpelican.com): ``Writing content``
- metadata as ``Key: value`` lines atop Markdown, as an rST field list under the
title, as ``<meta>`` tags in HTML (a Markdown line indented 4 spaces continues
the value above); the date may come from the file name (FILENAME_METADATA); the
slug is made from the title unless ``Slug`` is given; ``Category`` else the
folder (USE_FOLDER_AS_CATEGORY) else DEFAULT_CATEGORY; ``Tags`` and ``Authors``
split on semicolons, else commas; ``Status`` draft, hidden and skip are not
listed; ``Modified`` is the updated date; a translation shares the slug with
another ``Lang``. ``Settings`` - PATH, ARTICLE_PATHS, PAGE_PATHS, STATIC_PATHS,
ARTICLE_URL and ARTICLE_LANG_URL, DEFAULT_LANG, TIMEZONE. reStructuredText is
read by docutils with file insertion and raw HTML off.
"""

from __future__ import annotations

import dataclasses
import html
import posixpath
import re
import string
from datetime import tzinfo
from typing import Any

from ...errors import ArticleError, Problem, warning
from ...model import Article
from ..files import FORMATS
from ..formats import READERS, RawArticle
from ..text import slugify
from . import DRAFT, IGNORED, PAGE, POST, Adapted, Blog
from .common import FILENAME_DATE, clean_path, first, local, merged

UNDERSTOOD = frozenset({"category", "modified", "status", "save_as", "url", "template"})
_META_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*):\s*(.*)$")
_MORE_LINE = re.compile(r"^ {4,}(.*)$")
# readers.DUPLICATES_DEFINITIONS_ALLOWED: keys Pelican reads once, keeping the first value
_ONCE = frozenset(
    {"tags", "date", "modified", "status", "category", "author", "save_as", "url", "authors",
     "slug"}
)  # fmt: skip
_RST_FIELD = re.compile(r"^:([A-Za-z][A-Za-z0-9_ -]*):\s*(.*)$")
_HTML_META = re.compile(r"<meta\s+([^>]*)>", re.IGNORECASE)
_ATTR = re.compile(r'(\w+)\s*=\s*"([^"]*)"|(\w+)\s*=\s*\'([^\']*)\'')
_TITLE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")


def _list(blog: Blog, key: str, default: list[str]) -> list[str]:
    value = blog.settings.get(key, default)
    return [str(v).strip("/") for v in value] if isinstance(value, list | tuple) else default


def _content(blog: Blog) -> str:
    path = str(blog.settings.get("PATH", "") or "").strip("/")
    return "" if path in ("", ".") else path + "/"


def role(blog: Blog, path: str) -> str:
    """Return what PATH is to Pelican: an article, a page, or not content."""
    content = _content(blog)
    output = str(blog.settings.get("OUTPUT_PATH", "output")).strip("/")
    if not path.startswith(content) or path.startswith(output + "/"):
        return IGNORED
    rel = path[len(content) :]

    def under(paths: list[str]) -> bool:
        return any(p == "" or rel == p or rel.startswith(p + "/") for p in paths)

    if under(_list(blog, "STATIC_PATHS", ["images"])):
        return IGNORED
    if under(_list(blog, "PAGE_PATHS", ["pages"])):
        return PAGE
    if under(_list(blog, "ARTICLE_EXCLUDES", [])):
        return IGNORED
    return POST if under(_list(blog, "ARTICLE_PATHS", [""])) else IGNORED


def _raw(
    path: str, fmt: str, meta: dict[str, Any], body: str, line: int = 1,
    warnings: tuple[Problem, ...] = (),
) -> RawArticle:  # fmt: skip
    if not meta.get("title"):
        raise ArticleError(path, "no title: Pelican needs a Title", 1)
    return RawArticle(path, fmt, meta, body, body_line=line, warnings=warnings)


def parse(blog: Blog, path: str, text: str) -> RawArticle:
    """Return the raw article in TEXT, read as Pelican's readers read PATH."""
    extension = posixpath.splitext(path)[1].lower()
    meta: dict[str, Any] = {}
    if extension == ".rst":
        return _rst(path, text)
    if extension in (".html", ".htm"):
        for tag in _HTML_META.findall(text):
            attrs = {
                (m.group(1) or m.group(3)).lower(): m.group(2) if m.group(1) else m.group(4)
                for m in _ATTR.finditer(tag)
            }
            if attrs.get("name") and "content" in attrs:
                meta[attrs["name"].lower()] = html.unescape(attrs["content"])
        title = _TITLE.search(text)
        meta["title"] = html.unescape(_TAGS.sub("", title.group(1))).strip() if title else ""
        body = _BODY.search(text)
        return _raw(path, "html", meta, body.group(1) if body else text)
    lines = text.split("\n")
    values: dict[str, list[str]] = {}
    key, used, warnings = "", 0, []
    for used, line in enumerate(lines):  # used ends on the body's first line
        match, more = _META_LINE.match(line), _MORE_LINE.match(line)
        if match:
            key = match.group(1).lower()
            values.setdefault(key, []).append(match.group(2).strip())
        elif more and key and line.strip():  # Meta-Data: the value's next line
            values[key].append(more.group(1).strip())
        else:
            break
        if key in _ONCE and len(values[key]) == 2:
            message = f"{key}: Pelican reads one value, the first; the lines after it are left out"
            warnings.append(warning(path, message, used + 1))
    if not values:
        return READERS[FORMATS[extension]](path, text)
    # FORMATTED_FIELDS (the summary) and the rest join their lines, as Markdown would
    meta = {k: v[0] if k in _ONCE else "\n".join(v) for k, v in values.items()}
    rest = "\n".join(lines[used:]).strip("\n") + "\n"
    return _raw(path, "md", meta, rest, used + 1, tuple(warnings))


def _rst(path: str, text: str) -> RawArticle:
    from docutils.core import publish_parts
    from docutils.writers.html5_polyglot import Writer

    meta: dict[str, Any] = {}
    for line in text.split("\n")[:60]:
        match = _RST_FIELD.match(line.strip())
        if match:
            meta.setdefault(match.group(1).strip().lower(), match.group(2).strip())
    settings = {
        "file_insertion_enabled": False, "raw_enabled": False, "report_level": 5,
        "halt_level": 5, "input_encoding": "unicode", "doctitle_xform": True,
        "_disable_config": True,
    }  # fmt: skip
    try:
        parts = publish_parts(text, writer=Writer(), settings_overrides=settings)
    except Exception as e:  # docutils raises many kinds; the file alone fails
        raise ArticleError(path, f"reStructuredText: {e}"[:300]) from None
    meta["title"] = html.unescape(_TAGS.sub("", parts.get("title", ""))).strip()
    return _raw(path, "html", meta, str(parts.get("body", "")))


def adapt(blog: Blog, raw: RawArticle, kind: str) -> RawArticle:
    """Return RAW with Pelican's keys given feedsvc's meaning."""
    meta = dict(raw.meta)
    name = posixpath.splitext(posixpath.basename(raw.path))[0]
    dated = FILENAME_DATE.match(name) or re.match(r"^(\d{4})-(\d{2})-(\d{2})", name)
    if dated and meta.get("date") in (None, ""):
        meta["date"] = "-".join(dated.group(1, 2, 3))
    meta["slug"] = meta.get("slug") or slugify(str(meta.get("title", "")))
    folder = posixpath.dirname(raw.path[len(_content(blog)) :])
    category = meta.get("category") or (
        folder.split("/")[-1] if folder and blog.settings.get("USE_FOLDER_AS_CATEGORY", True)
        else blog.settings.get("DEFAULT_CATEGORY", "misc")
    )  # fmt: skip
    meta["category"] = str(category)
    meta["tags"] = merged([str(category)], _listed(meta.get("tags")))
    if isinstance(meta.get("authors"), str):
        meta["authors"] = _listed(meta["authors"])
    if isinstance(meta.get("author"), str) and meta["author"].strip():
        meta["author"] = [meta["author"].strip()]  # one author, commas and all
    meta["updated"] = first(meta, "modified", "updated")
    status = str(meta.pop("status", "") or blog.settings.get("DEFAULT_STATUS", "")).lower()
    # hidden posts are left out of the feeds; skip ones are not built at all
    meta["draft"] = kind == DRAFT or status in ("draft", "hidden", "skip")
    meta["lang"] = meta.get("lang") or blog.settings.get("DEFAULT_LANG", "en")
    if str(meta["lang"]) != str(blog.settings.get("DEFAULT_LANG", "en")):
        meta["url_slug"], meta["slug"] = meta["slug"], f"{meta['slug']}-{meta['lang']}"
    return dataclasses.replace(raw, meta=meta)


def _listed(value: Any) -> list[str]:
    """Return VALUE as Pelican's list of tags or authors: split on semicolons, else commas."""
    if isinstance(value, list | tuple):
        items = [str(item) for item in value]
    else:
        text = "" if value is None else str(value)
        items = text.split(";" if ";" in text else ",")
    return [item.strip() for item in items if item.strip()]


class _Values(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def link(blog: Blog, raw: RawArticle, article: Article, zone: tzinfo) -> Adapted:
    """Return the post's path on the blog: ARTICLE_URL, or ARTICLE_LANG_URL for a translation."""
    meta = raw.meta
    translated = "url_slug" in meta
    key = "ARTICLE_LANG_URL" if translated else "ARTICLE_URL"
    pattern = str(blog.settings.get(key, "{slug}-{lang}.html" if translated else "{slug}.html"))
    values = _Values(
        slug=meta.get("url_slug") or article.slug, lang=article.lang,
        category=slugify(str(meta.get("category", ""))),
        author=slugify(article.authors[0].name) if article.authors else "",
        date=local(article.published, zone),
    )  # fmt: skip
    try:
        path = string.Formatter().vformat(pattern, (), values)
    except (ValueError, AttributeError, TypeError, KeyError):
        path = f"{values['slug']}.html"
    return Adapted(clean_path(path))


def understood() -> frozenset[str]:
    return UNDERSTOOD


__all__ = ["POST", "DRAFT", "PAGE", "IGNORED", "role", "adapt", "link", "parse"]
