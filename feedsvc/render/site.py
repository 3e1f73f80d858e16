"""The site: its settings as renderers need them, and every URL it serves.

Every absolute URL is BASE_URL joined with a path of ours; nothing here or
downstream looks at the request, so the Host header never reaches a URL we
emit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from ..config import hub_list, normalise_base_url
from ..model import Article
from ..reading.engines import detect


@dataclass(frozen=True)
class Site:
    base_url: str
    title: str
    subtitle: str
    author: str
    language: str
    zone: tzinfo
    feed_size: int
    feed_content: str
    feed_max_bytes: int
    page_size: int
    cache_max_age: int
    icon: str = ""
    logo: str = ""
    document_cache_bytes: int = 16 * 1024 * 1024
    websub_hubs: tuple[str, ...] = ()
    pages: bool = True  # PAGES: feedsvc serves a page per article (else a blog engine does)
    feed_zone: tzinfo | None = None  # a blog engine's configured zone: feeds show its offset
    engine: str = ""  # the blog engine whose site ARTICLES is ("": feedsvc's own layout)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Site:
        """Return the Site that CONFIG describes."""
        base = normalise_base_url(config["BASE_URL"])
        blog = detect.from_config(config) if "ENGINE" in config else None
        return cls(
            base_url=base,
            title=config["TITLE"],
            subtitle=config["SUBTITLE"],
            author=config["AUTHOR"],
            language=config["LANGUAGE"],
            zone=ZoneInfo(config["TIMEZONE"]),
            feed_size=config["FEED_SIZE"],
            feed_content=config["FEED_CONTENT"],
            feed_max_bytes=config["FEED_MAX_BYTES"],
            page_size=config["PAGE_SIZE"],
            cache_max_age=config["CACHE_MAX_AGE"],
            icon=config["ICON"] and _join(base, config["ICON"]),
            logo=config["LOGO"] and _join(base, config["LOGO"]),
            document_cache_bytes=config["DOCUMENT_CACHE_BYTES"],
            websub_hubs=hub_list(config.get("WEBSUB_HUBS", "")),
            pages=serves_pages(config, blog is None),
            feed_zone=blog.zone if blog else None,
            engine=blog.engine if blog else "",
        )

    @property
    def prefix(self) -> str:
        """Return the path BASE_URL puts every route under, with a trailing slash."""
        return urlsplit(self.base_url).path

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or "localhost"

    def url(self, path: str = "") -> str:
        """Return the absolute URL of PATH, relative to the site's root."""
        return self.base_url + path.lstrip("/")

    def shown(self, when: datetime) -> datetime:
        """Return WHEN as feeds show it: in the blog's zone, when its configuration names one
        (jekyll-feed, Hugo and Pelican write dates in the site's zone); else in UTC."""
        return when.astimezone(self.feed_zone) if self.feed_zone is not None else when

    def permalink(self, slug: str) -> str:
        return self.url(article_path(slug))

    def entry_url(self, article: Article) -> str:
        """Return where a feed entry links: the post's path on the blog, else our page.

        With PAGES on, feedsvc answers the post's path on the blog itself (its page),
        unless the path is one of feedsvc's own routes: then the entry links to
        /articles/SLUG.
        """
        if article.link and not (self.pages and owned(article.link)):
            return self.url(article.link)
        return self.permalink(article.slug)


# The paths feedsvc's own routes answer: a post's path on the blog never takes one.
_OWNED = re.compile(
    r"^(?:$|(?:articles|tags|authors|archive|page|static)/|feed\.|sitemap|feeds\.opml$|favicon\.ico$)"
)


def served_paths(site: Site, articles: Iterable[Article]) -> dict[str, Article]:
    """Return the posts' paths on the blog that feedsvc answers with their pages (PAGES on)."""
    if not site.pages:
        return {}
    found: dict[str, Article] = {}
    for article in articles:
        if article.link and not owned(article.link):
            found.setdefault(article.link, article)
    return found


def path_key(path: str) -> str:
    """Return a requested PATH (decoded) as posts' links and old paths are written: %-quoted."""
    return quote(path, safe="/:@!$&'()*+,;=%~")


def owned(path: str) -> bool:
    """Say whether PATH (relative to the site's root) is one of feedsvc's own routes."""
    return _OWNED.match(path.lstrip("/")) is not None


def serves_pages(config: Mapping[str, Any], own_layout: bool) -> bool:
    """Return PAGES: `on`, `off`, or `auto` (on unless a blog engine serves its pages)."""
    value = str(config.get("PAGES", "auto")).lower()
    return value == "on" if value in ("on", "off") else own_layout


def _join(base: str, url: str) -> str:
    return url if urlsplit(url).scheme else base + url.lstrip("/")


def article_path(slug: str) -> str:
    return f"articles/{quote(slug)}"


def tag_path(slug: str) -> str:
    return f"tags/{quote(slug)}/"


def author_path(slug: str) -> str:
    return f"authors/{quote(slug)}/"


def feed_path(kind: str, tag: str | None = None, author: str | None = None) -> str:
    """Return the path of the feed of KIND: the site's, TAG's or AUTHOR's (both slugs)."""
    folder = tag_path(tag) if tag else author_path(author) if author else ""
    return folder + f"feed.{kind}"
