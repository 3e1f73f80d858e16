"""Render HTML pages with Jinja templates, a theme's overriding ours.

Templates receive plain values (see the README's template table); every URL
in them is absolute under BASE_URL. A theme folder's ``templates/`` is
searched before the package's, so a theme may replace any one template.
Rendering is pure: the clock never enters, dates are shown in the site's zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    select_autoescape,
)
from markupsafe import Markup

from .. import __version__
from ..catalog.snapshot import author_slug
from ..model import Article, Author, Bodies, Tag
from . import markup
from .formats import FORMATS
from .site import Site, author_path, feed_path, tag_path

ERRORS = {
    404: ("Page not found", "There is no page at this address. It may have been mistyped."),
    410: ("This article was removed", "The article that was here has been deleted by its author."),
    500: ("Something went wrong", "The server could not answer this request."),
    503: (
        "This article is being fixed",
        "The article that is here cannot be shown for now. Please try again later.",
    ),
}


@dataclass(frozen=True)
class Entry:
    """An article as templates see it."""

    article: Article
    bodies: Bodies
    url: str
    title: str
    subtitle: str
    summary: str
    authors: str
    published: datetime
    updated: datetime
    tags: tuple[tuple[str, str], ...]  # (name, url)
    author_links: tuple[tuple[str, str], ...] = ()  # (name, url of the author's page)
    image: str = ""  # absolute URL of the entry's image, or ""

    @property
    def body(self) -> Markup:
        return Markup(markup.body_html(self.article, self.bodies, self.url))

    @property
    def bio(self) -> Markup:
        return Markup(markup.bio_html(self.article, self.bodies, self.url))


def environment(theme: str = "") -> Environment:
    """Return the Jinja environment, THEME's templates first."""
    loaders: list[BaseLoader] = []
    if theme:
        loaders.append(FileSystemLoader(str(Path(theme) / "templates")))
    loaders.append(PackageLoader("feedsvc", "templates"))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["isodate"] = lambda d: d.isoformat(timespec="seconds")
    env.filters["day"] = lambda d: f"{d.day} {d:%B %Y}"
    env.filters["daytime"] = lambda d: f"{d.day} {d:%B %Y, %H:%M} {d.tzname() or ''}".rstrip()
    return env


class Pages:
    """Render the site's pages; BODIES gives the articles' bodies."""

    def __init__(self, site: Site, bodies: Bodies, theme: str = ""):
        self.site = site
        self.bodies = bodies
        self.env = environment(theme)

    def entry(self, article: Article) -> Entry:
        site = self.site
        url = site.entry_url(article)  # the page feedsvc serves, or the blog's (PAGES off)
        assert article.published is not None and article.updated is not None  # resolved
        return Entry(
            article=article,
            bodies=self.bodies,
            url=url,
            title=article.title,
            subtitle=article.subtitle,
            summary=markup.summary(article, self.bodies, url),
            authors=", ".join(a.name for a in article.authors),
            published=article.published.astimezone(site.zone),
            updated=article.updated.astimezone(site.zone),
            tags=tuple((t.name, site.url(tag_path(t.slug))) for t in article.tags),
            author_links=tuple(
                (a.name, site.url(author_path(author_slug(a))))
                for a in article.authors
                if author_slug(a)
            ),
            image=markup.image_url(article, url),
        )

    def feeds(self, tag: Tag | None = None, author: Author | None = None) -> list[dict[str, str]]:
        """Return the autodiscovery links: the site's feeds, then TAG's or AUTHOR's."""
        links = []
        targets: list[tuple[str, str, str | None, str | None]] = [("", "", None, None)]
        if tag:
            targets.append((tag.name, "", tag.slug, None))
        if author and author_slug(author):
            targets.append(("", author.name, None, author_slug(author)))
        for tag_name, author_name, tag_slug, slug in targets:
            for kind, fmt in FORMATS.items():
                target = tag_name or author_name
                name = f"{self.site.title}: {target}" if target else self.site.title
                links.append(
                    {
                        "href": self.site.url(feed_path(kind, tag_slug, slug)),
                        "type": fmt.media_type,
                        "title": f"{name} ({fmt.name})",
                        "kind": kind,
                        "name": fmt.name,
                        "tag": tag_name,
                        "author": author_name,
                    }
                )
        return links

    def render(
        self,
        template: str,
        *,
        canonical: str | None,
        description: str,
        lang: str = "",
        tag: Tag | None = None,
        author: Author | None = None,
        **values: Any,
    ) -> bytes:
        """Return TEMPLATE rendered with the values every page receives."""
        page = self.env.get_template(template).render(
            site=self.site,
            lang=lang or self.site.language,
            canonical=canonical,
            description=description,
            feeds=self.feeds(tag, author),
            static=lambda name: self.site.url(f"static/{name}"),
            home=self.site.url(),
            version=__version__,
            tag=tag,
            author=author,
            sitemap=self.site.url("sitemap.xml"),
            opml=self.site.url("feeds.opml"),
            **values,
        )
        return page.encode()

    def snippet(self) -> str:
        """Return the autodiscovery tags and subscribe block for another site's template."""
        return self.env.get_template("snippet.html").render(
            site=self.site, feeds=self.feeds(), home=self.site.url()
        )

    def index(self, articles: Sequence[Article], page: int, pages: int) -> bytes:
        site = self.site
        canonical = site.url() if page == 1 else site.url(f"page/{page}/")
        return self.render(
            "index.html",
            canonical=canonical,
            description=site.subtitle or site.title,
            entries=[self.entry(a) for a in articles],
            page=page,
            pages=pages,
            newer=None if page == 1 else site.url("" if page == 2 else f"page/{page - 1}/"),
            older=site.url(f"page/{page + 1}/") if page < pages else None,
        )

    def article(self, article: Article) -> bytes:
        entry = self.entry(article)
        return self.render(
            "article.html",
            canonical=entry.url,
            description=entry.summary,
            lang=article.lang,
            entry=entry,
        )

    def tag(self, tag: Tag, articles: Sequence[Article]) -> bytes:
        return self.render(
            "tag.html",
            canonical=self.site.url(tag_path(tag.slug)),
            description=f"Articles tagged {tag.name}",
            tag=tag,
            entries=[self.entry(a) for a in articles],
        )

    def author(self, author: Author, articles: Sequence[Article]) -> bytes:
        return self.render(
            "author.html",
            canonical=self.site.url(author_path(author_slug(author))),
            description=f"Articles by {author.name}",
            author=author,
            entries=[self.entry(a) for a in articles],
        )

    def error(self, status: int) -> bytes:
        # One page per status, never echoing the request: it has no canonical URL.
        return self.render(
            "error.html",
            canonical=None,
            description=ERRORS.get(status, ERRORS[500])[1],
            status=status,
            error_title=ERRORS.get(status, ERRORS[500])[0],
        )
