"""Jekyll: posts in ``_posts`` folders, drafts in ``_drafts``, the rest pages.

Rules, from Jekyll's documentation (jekyllrb.com/docs): a post's file is named
``YEAR-MONTH-DAY-title.MARKUP`` and the front matter ``date`` overrides the
file's date (Posts); ``published: false`` is never built (Front Matter); a
folder above ``_posts`` is a category, and ``category``, ``categories`` and
``tags`` take a YAML list or space-separated words (Posts, Categories and Tags);
the URL comes from ``permalink`` in the front matter, else in ``_config.yml``, a
built-in style (``date``, the default; ``pretty``, ``ordinal``, ``weekdate``,
``none``) or a pattern of placeholders (Permalinks); ``timezone`` in
``_config.yml`` is the zone of dates without one (Configuration). Plugins whose
keys bloggers use: ``redirect_from`` (jekyll-redirect-from, old paths),
``last_modified_at`` (jekyll-last-modified-at), ``description`` and ``excerpt``
(jekyll-feed's summary).
"""

from __future__ import annotations

import dataclasses
import posixpath
from datetime import tzinfo
from typing import Any

from ...model import Article
from ..formats import RawArticle
from . import DRAFT, IGNORED, PAGE, POST, Adapted, Blog
from .common import FILENAME_DATE, date_values, expand, first, local, merged, words

STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
UNDERSTOOD = frozenset(
    {"category", "excerpt", "description", "last_modified_at", "modified", "published",
     "redirect_from", "permalink", "excerpt_separator"}
)  # fmt: skip
_EXCLUDED = ("_site", "node_modules", "vendor", ".jekyll-cache", ".sass-cache")


def role(blog: Blog, path: str) -> str:
    """Return what PATH is to Jekyll: a post, a draft, a page, or ignored."""
    parts = path.split("/")
    if parts[0] in _EXCLUDED:
        return IGNORED
    if "_posts" in parts[:-1]:
        return POST
    if "_drafts" in parts[:-1]:
        return DRAFT
    if any(p.startswith("_") for p in parts[:-1]):
        return IGNORED  # _layouts, _includes, _data, _sass: never content
    return PAGE


def _folder_categories(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    marker = "_posts" if "_posts" in parts else "_drafts"
    return [p for p in parts[: parts.index(marker)] if p] if marker in parts else []


def adapt(blog: Blog, raw: RawArticle, kind: str) -> RawArticle:
    """Return RAW with Jekyll's keys given feedsvc's meaning."""
    meta = dict(raw.meta)
    name = posixpath.splitext(posixpath.basename(raw.path))[0]
    dated = FILENAME_DATE.match(name)
    if dated and meta.get("date") in (None, ""):
        meta["date"] = "-".join(dated.group(1, 2, 3))
    meta["slug"] = meta.get("slug") or (dated.group(4) if dated else name)
    categories = merged(
        _folder_categories(raw.path), words(meta.pop("category", None)),
        words(meta.pop("categories", None)),
    )  # fmt: skip
    meta["categories"] = categories
    meta["tags"] = merged(categories, words(meta.get("tags")))
    separator = meta.get("excerpt_separator") or blog.settings.get("excerpt_separator")
    if isinstance(separator, str) and separator.strip() and separator in raw.body:
        # Posts (Post excerpts): the excerpt ends at excerpt_separator, from the front
        # matter or _config.yml; feedsvc's own separator is <!--more-->.
        raw = dataclasses.replace(raw, body=raw.body.replace(separator, "\n\n<!--more-->\n\n", 1))
    summary = first(meta, "summary", "excerpt", "description")
    meta["summary"] = summary if isinstance(summary, str) else None
    meta["updated"] = first(meta, "updated", "last_modified_at", "modified")
    published = meta.get("published", True)
    if kind == DRAFT or published is False or str(published).lower() == "false":
        meta["draft"] = True
    meta["aliases"] = None  # old paths, never slugs: see link()
    return dataclasses.replace(raw, meta=meta)


def link(blog: Blog, raw: RawArticle, article: Article, zone: tzinfo) -> Adapted:
    """Return the post's path on the blog and its old paths."""
    meta = raw.meta
    pattern = meta.get("permalink") or blog.settings.get("permalink") or "date"
    pattern = STYLES.get(str(pattern), str(pattern))
    when = local(article.published, zone)
    values = date_values(when)
    title = str(meta.get("slug") or article.slug)
    if when is not None:
        values["week"] = f"{when:%V}"
        values["short_day"] = f"{when:%a}"
    values.update(
        title=title, slug=article.slug, output_ext=".html",
        categories="/".join(c.lower() for c in meta.get("categories") or []),
    )  # fmt: skip
    old = tuple(expand(str(p), {}) for p in words_or_list(meta.get("redirect_from")))
    return Adapted(expand(pattern, values), old)


def words_or_list(value: Any) -> list[str]:
    """Return VALUE as a list of paths: a list, or one path."""
    if isinstance(value, list):
        return [str(v) for v in value if str(v).strip()]
    return [str(value)] if value not in (None, "") else []


def understood() -> frozenset[str]:
    return UNDERSTOOD


__all__ = ["POST", "DRAFT", "PAGE", "IGNORED", "role", "adapt", "link"]
