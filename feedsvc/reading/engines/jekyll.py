"""Jekyll: posts in ``_posts`` folders, drafts in ``_drafts``, the rest pages.

Rules, from Jekyll's documentation (jekyllrb.com/docs) and, where it is silent, its
source: only files named ``YEAR-MONTH-DAY-title.MARKUP`` are posts (Posts;
post_reader.rb, DATE_FILENAME_MATCHER), in ``_posts`` under ``collections_dir`` and
under no folder excluded (``exclude``) or starting with ``_`` or ``.`` (reader.rb);
the front matter ``date`` overrides the file's; ``published: false`` is never built;
a folder above ``_posts`` is a category, then ``categories`` (a list, or words split
on spaces), then ``category`` (one category) (Posts; document.rb); the URL is the
front matter's ``permalink``, else ``collections.posts.permalink``, else the site's
``permalink``, a built-in style or a pattern (Permalinks; url_drop.rb); ``timezone``
is the zone of dates without one. Plugins: ``redirect_from`` (old paths),
``last_modified_at``, ``description`` and ``excerpt`` (jekyll-feed's summary).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import posixpath
import re
import unicodedata
from datetime import tzinfo
from functools import lru_cache
from typing import Any

from ...model import Article
from ..formats import RawArticle
from . import DRAFT, IGNORED, PAGE, POST, Adapted, Blog
from .common import expand, first, local, merged, words

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
# Configuration: DEFAULT_EXCLUDES, to which `exclude` adds (Jekyll 4).
_EXCLUDED = (".sass-cache", ".jekyll-cache", ".ruby-lsp", "gemfiles", "Gemfile",
             "Gemfile.lock", "node_modules", "vendor/bundle/", "vendor/cache/",
             "vendor/gems/", "vendor/ruby/")  # fmt: skip
# document.rb: DATE_FILENAME_MATCHER, on the file's name
_DATED_NAME = re.compile(r"^(\d{2,4})-(\d{1,2})-(\d{1,2})-(.*)(\.[^.]+)$")
UNDATED = "not named YEAR-MONTH-DAY-title"  # a file in _posts that Jekyll never reads
# url_drop.rb: each date placeholder's strftime format (i_month and i_day: no zero)
_DATES = {
    "year": "%Y", "short_year": "%y", "month": "%m", "short_month": "%b",
    "long_month": "%B", "day": "%d", "y_day": "%j", "w_year": "%G", "week": "%V",
    "w_day": "%u", "short_day": "%a", "long_day": "%A", "hour": "%H", "minute": "%M",
    "second": "%S",
}  # fmt: skip
_PRETTY_KEPT = frozenset("._~!$&'()+,;=@")  # utils.rb: SLUGIFY_PRETTY_REGEXP


def _special(name: str) -> bool:
    return name.startswith((".", "_", "#", "~")) or name.endswith("~")  # entry_filter.rb


def _excluded(blog: Blog, parts: list[str]) -> bool:
    """Say whether Jekyll's `exclude` takes out the file or a folder above it."""
    glob, prefixes, folders = _exclusions(tuple(words_or_list(blog.settings.get("exclude"))))
    for n in range(1, len(parts) + 1):
        entry = "/".join(parts[:n])
        # entry_filter.rb glob_include?: File.fnmatch (`*` crosses `/`), or a prefix
        folder = n < len(parts) and entry + "/" in folders
        if folder or glob.match(entry) or entry.startswith(prefixes):
            return True
    return False


@lru_cache(maxsize=16)
def _exclusions(
    exclude: tuple[str, ...],
) -> tuple[re.Pattern[str], tuple[str, ...], frozenset[str]]:
    """Return EXCLUDE and Jekyll's defaults as one glob, the prefixes, and the folders:
    every listed file meets them on every scan (one match, not a dozen per path)."""
    patterns = tuple(p.lstrip("/") for p in _EXCLUDED + exclude)
    glob = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))
    return glob, patterns, frozenset(patterns)


def _collections_dir(blog: Blog) -> list[str]:
    return [
        p for p in str(blog.settings.get("collections_dir") or "").split("/") if p not in ("", ".")
    ]


def _placed(path: str) -> tuple[str, list[str], list[str]] | None:
    """Return PATH's `_posts` or `_drafts`, the folders above it and those below, or None."""
    parts = path.split("/")
    marker = next((p for p in parts[:-1] if p in ("_posts", "_drafts")), None)
    if marker is None:
        return None
    at = parts.index(marker)
    return marker, parts[:at], parts[at + 1 :]


def role(blog: Blog, path: str) -> str:
    """Return what PATH is to Jekyll: a post, a draft, a page, or ignored."""
    parts = path.split("/")
    if _excluded(blog, parts):
        return IGNORED
    placed = _placed(path)
    if placed is None:  # _layouts, _includes, _data, _sass: never content
        return IGNORED if any(_special(p) for p in parts[:-1]) else PAGE
    marker, above, below = placed
    home = _collections_dir(blog)
    # reader.rb: _posts is read only in folders it walks (none starting with _ or .),
    # under collections_dir if set; entry_filter.rb: nor special entries inside it
    if above[: len(home)] != home or any(map(_special, above + below)):
        return IGNORED
    if marker == "_drafts":
        return DRAFT
    return POST if _DATED_NAME.match(parts[-1]) else UNDATED


def _folder_categories(blog: Blog, path: str) -> list[str]:
    placed = _placed(path)
    # document.rb categories_from_path: the folders between collections_dir and _posts
    return [p for p in placed[1][len(_collections_dir(blog)) :] if p] if placed else []


def _one(value: Any) -> list[str]:
    """Return VALUE as Jekyll reads a singular key: a list, else one entry, spaces and all."""
    return words(value if isinstance(value, list) else [value]) if value not in (None, "") else []


def adapt(blog: Blog, raw: RawArticle, kind: str) -> RawArticle:
    """Return RAW with Jekyll's keys given feedsvc's meaning."""
    meta = dict(raw.meta)
    dated = _DATED_NAME.match(posixpath.basename(raw.path))
    if dated and len(dated.group(1)) == 4 and meta.get("date") in (None, ""):
        meta["date"] = "{}-{:0>2}-{:0>2}".format(*dated.group(1, 2, 3))
    name = posixpath.splitext(posixpath.basename(raw.path))[0]
    meta["slug"] = meta.get("slug") or (dated.group(4).rstrip(".") if dated else name)
    plural = meta.pop("categories", None)
    # document.rb populate_categories: folders, then `categories` (a string is split on
    # spaces only), then `category` (Posts: `category: classic hollywood` is one)
    categories = merged(
        _folder_categories(blog, raw.path),
        plural.split() if isinstance(plural, str) else words(plural),
        _one(meta.pop("category", None)),
    )
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


def slugify(text: str, pretty: bool = False, cased: bool = False) -> str:
    """Return TEXT as Jekyll's Utils.slugify does, in its default or `pretty` mode."""

    def kept(c: str) -> bool:  # \p{M}, \p{L}, \p{Nd}, and `pretty`'s punctuation
        kind = unicodedata.category(c)
        return kind[0] in "LM" or kind == "Nd" or (pretty and c in _PRETTY_KEPT)

    marked = "".join(c if kept(c) else "\0" for c in text)
    slug = re.sub("\0+", "-", marked).removeprefix("-").removesuffix("-")
    return slug if cased else slug.lower()


def template(blog: Blog, meta: dict[str, Any]) -> str:
    """Return the post's permalink pattern, as Jekyll chooses it."""
    if meta.get("permalink"):
        # Permalinks: built-in styles "are not recognized in front matter"
        return str(meta["permalink"])
    collections = blog.settings.get("collections")
    posts = collections.get("posts") if isinstance(collections, dict) else None
    if isinstance(posts, dict) and posts.get("permalink"):
        return str(posts["permalink"])  # configuration.rb: kept as written, no style
    style = str(blog.settings.get("permalink") or "date")
    return STYLES.get(style, style)


def link(blog: Blog, raw: RawArticle, article: Article, zone: tzinfo) -> Adapted:
    """Return the post's path on the blog and its old paths."""
    meta = raw.meta
    when = local(article.published, zone)
    values = dict.fromkeys(_DATES, "") if when is None else {
        name: when.strftime(fmt) for name, fmt in _DATES.items()
    }  # fmt: skip
    if when is not None:
        values.update(i_month=str(when.month), i_day=str(when.day))
    slug = str(meta.get("slug") or article.slug)
    categories = [str(c) for c in meta.get("categories") or []]
    relative = raw.path.split("/")[len(_collections_dir(blog)) :]
    stem = posixpath.splitext("/".join(relative))[0]
    values.update(
        title=slugify(slug, pretty=True, cased=True), slug=slugify(slug),
        name=slugify(posixpath.splitext(posixpath.basename(raw.path))[0]),
        categories="/".join(dict.fromkeys(c.lower() for c in categories)),
        slugified_categories="/".join(dict.fromkeys(slugify(c) for c in categories)),
        path=stem.replace("_posts", "", 1).rstrip("."), collection="posts", output_ext=".html",
    )  # fmt: skip
    # url.rb: `:month_` is `:month` then `_` when no placeholder ends in `_`
    values.update({f"{k}_": f"{v}_" for k, v in list(values.items())})
    old = tuple(expand(str(p), {}) for p in words_or_list(meta.get("redirect_from")))
    return Adapted(expand(template(blog, meta), values), old)


def words_or_list(value: Any) -> list[str]:
    """Return VALUE as a list of paths: a list, or one path."""
    if isinstance(value, list):
        return [str(v) for v in value if str(v).strip()]
    return [str(value)] if value not in (None, "") else []


def understood() -> frozenset[str]:
    return UNDERSTOOD


__all__ = ["POST", "DRAFT", "PAGE", "IGNORED", "role", "adapt", "link"]
