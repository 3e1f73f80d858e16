"""Read one file of a blog engine's site: adapt its keys, normalise, add its link."""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from types import ModuleType

from ...errors import ArticleError, Problem
from ...model import Article, Text
from .. import files
from ..formats import READERS, RawArticle
from ..normalise import Defaults, normalise
from . import DRAFT, PAGE, POST, Blog, eleventy, hugo, jekyll, pelican, templates, zola
from .common import date_values, expand, local, not_understood, site_author

MODULES: dict[str, ModuleType] = {
    "jekyll": jekyll, "hugo": hugo, "pelican": pelican, "zola": zola, "eleventy": eleventy,
}  # fmt: skip
IGNORED_BY_SETTING = "ignored by IGNORE"
NOT_ARTICLES = re.compile(
    r"^(?:(?:README|LICEN[CS]E|COPYING|CHANGELOG|CHANGES|CONTRIBUTING|CODE_OF_CONDUCT)"
    r"(?:\.[A-Za-z]+)?|(?:robots|humans|security|ads)\.txt)$",
    re.IGNORECASE,
)
_UNKNOWN_KEY = re.compile(r"^unknown front matter key '([^']*)' ignored$")


def extensions(blog: Blog | None) -> frozenset[str]:
    """Return the extensions read only on BLOG's site, besides feedsvc's own formats."""
    return frozenset(files.ENGINE_FORMATS) if blog and blog.engine == "pelican" else frozenset()


def parse(blog: Blog, path: str, text: str) -> RawArticle:
    """Return the raw article in TEXT, parsed as BLOG's engine parses PATH."""
    engine = module(blog)
    if hasattr(engine, "parse"):
        return engine.parse(blog, path, text)  # type: ignore[no-any-return]
    return READERS[files.FORMATS[path[path.rfind(".") :].lower()]](path, text)


def module(blog: Blog) -> ModuleType:
    """Return the module that reads BLOG's engine."""
    found = MODULES.get(blog.engine)
    if found is None:
        raise ArticleError(blog.source or "ENGINE", f"{blog.engine} sites are not read yet")
    return found


def ignored(patterns: tuple[str, ...], path: str) -> bool:
    """Say whether PATH matches a gitignore-style pattern: `name`, `dir/`, `/anchored`, `*`."""
    parts = path.split("/")
    for pattern in patterns:
        folder_only = pattern.endswith("/")
        pattern = pattern.strip("/") if pattern.startswith("/") else pattern.rstrip("/")
        if "/" in pattern:  # anchored at the root: the path or one of its folders
            prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + (not folder_only))]
            if any(fnmatch.fnmatchcase(p, pattern) for p in prefixes):
                return True
        else:
            names = parts[:-1] if folder_only else parts
            if any(fnmatch.fnmatchcase(name, pattern) for name in names):
                return True
    return False


def own_role(path: str, ignore: tuple[str, ...]) -> str:
    """Return what PATH is in feedsvc's own layout: an article, unless IGNORE or its name
    (README, LICENSE, CHANGELOG, robots.txt: a folder's papers, never articles) say not."""
    if ignore and ignored(ignore, path):
        return IGNORED_BY_SETTING
    return PAGE if NOT_ARTICLES.match(path.rsplit("/", 1)[-1]) else POST


def role(blog: Blog, path: str) -> str:
    """Return what PATH is to BLOG's engine: post, draft, page or ignored (IGNORE)."""
    if blog.ignore and ignored(blog.ignore, path):
        return IGNORED_BY_SETTING
    return str(module(blog).role(blog, path))


def is_read(blog: Blog, path: str) -> bool:
    """Say whether PATH is read as an article: a post or a draft."""
    return role(blog, path) in (POST, DRAFT)


def read(
    blog: Blog, raw: RawArticle, defaults: Defaults
) -> tuple[Article, Text, list[Problem], tuple[str, ...]]:
    """Return RAW read as BLOG's engine reads it, its warnings and the keys not understood."""
    engine = module(blog)
    kind = role(blog, raw.path)
    body, template_problems, _ = templates.expand(
        raw.path, raw.body, raw.body_line, lambda ref: lookup(blog, ref, defaults),
        str(blog.settings.get("baseurl") or ""), str(blog.settings.get("url") or ""),
    )  # fmt: skip
    meta = dict(raw.meta)
    for key in TEXT_KEYS:  # template syntax in front matter never reaches a reader either
        value = meta.get(key)
        if isinstance(value, str) and ("{{" in value or "{%" in value):
            expanded, problems, _ = templates.expand(
                raw.path, value, raw.line(key) or 1, lambda ref: None
            )
            meta[key] = " ".join(expanded.split())
            template_problems += problems
    adapted = engine.adapt(blog, dataclasses.replace(raw, body=body, meta=meta), kind)
    meta = authors_unlinked(adapted.meta)
    author = site_author(blog.engine, blog.settings)
    if author and not (meta.get("author") or meta.get("authors")):
        meta["author"] = author  # the site's configuration names the default author
    adapted = dataclasses.replace(adapted, meta=meta)
    zone = blog.zone or defaults.zone
    article, text = normalise(adapted, dataclasses.replace(defaults, zone=zone, blog=None))
    where = engine.link(blog, adapted, article, zone)
    fmt = "md-blog" if article.format == "md" else article.format
    article = dataclasses.replace(
        article, format=fmt, link=where.link, old_paths=where.old_paths, expires=where.expires
    )
    warnings = [w for w in raw.warnings if not _UNKNOWN_KEY.match(w.message)]
    warnings += template_problems
    return article, text, warnings, not_understood(raw.meta, engine.understood())


TEXT_KEYS = ("title", "subtitle", "summary", "description", "excerpt")
_MARKDOWN_LINK = re.compile(r"^\s*\[([^\]]+)\]\([^)]*\)\s*$")


def authors_unlinked(meta: dict[str, object]) -> dict[str, object]:
    """Return META with authors written as Markdown links, `[Name](url)`, as their names."""
    result = dict(meta)
    for key in ("author", "authors"):
        value = meta.get(key)
        if isinstance(value, str):
            result[key] = _MARKDOWN_LINK.sub(r"\1", value)
        elif isinstance(value, list):
            result[key] = [
                _MARKDOWN_LINK.sub(r"\1", v) if isinstance(v, str) else v for v in value
            ]
    return result


def lookup(blog: Blog, ref: str, defaults: Defaults) -> str | None:
    """Return the link of the post REF names (a path, or a file name without extension)."""
    ref = ref.strip().lstrip("/")
    if not ref or not blog.root:
        return None
    found, _ = files.discover(blog.root, extensions(blog))
    stem = ref.rsplit(".", 1)[0] if "." in ref.rsplit("/", 1)[-1] else ref
    for item in found:
        name = item.path.rsplit(".", 1)[0]
        names = (name, name.removesuffix("/index"))
        if item.path == ref or any(n == stem or n.endswith("/" + stem) for n in names):
            if not is_read(blog, item.path):
                continue
            try:
                text, _ = files.read(item, 2 * 1024 * 1024)
                raw = parse(blog, item.path, text)
                engine = module(blog)
                adapted = engine.adapt(blog, raw, role(blog, item.path))
                zone = blog.zone or defaults.zone
                article, _ = normalise(
                    adapted, dataclasses.replace(defaults, zone=zone, blog=None)
                )
                return str(engine.link(blog, adapted, article, zone).link)
            except ArticleError:
                return None
    return None


def with_permalink(article: Article, defaults: Defaults) -> Article:
    """Return ARTICLE linked by the PERMALINK pattern: {year}/{month}/{day}/{slug}/."""
    zone = defaults.blog.zone if defaults.blog and defaults.blog.zone else defaults.zone
    values = date_values(local(article.published, zone))
    values.update(slug=article.slug, title=article.slug, lang=article.lang)
    return dataclasses.replace(article, link=expand(defaults.permalink, values))
