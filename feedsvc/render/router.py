"""The URL space: every path the site answers, rendered from one snapshot.

``Documents.resolve(path)`` is the single place that maps a path (relative
to BASE_URL) to what it serves; the web layer and ``feedsvc build`` both call
it, so a static export serves the same bytes as the server. What it renders
it keeps (``cache``); ``render`` renders without keeping, for a build that
reads each document once. Paths never touch the file system: they are looked
up in the snapshot and in the static files loaded at start-up; a post's bundle
files (``blogpaths``) are read through the ``Files`` source handed in.

One render per path at a time: concurrent requests for a document not yet
rendered wait for the first one's render (single flight). A document whose
render raises answers with its last good version (the previous snapshot's,
when it kept one; else a 500 page) and the failure is remembered for this
snapshot, never retried per request.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from math import ceil

from ..catalog.snapshot import Snapshot
from ..model import Article, Bodies, Files
from .blogpaths import BlogPaths, kept
from .cache import Kept
from .document import Document, Result
from .feeds import FeedInfo, feed_updated, newest_update
from .formats import FORMATS, HTML, render
from .listings import OPML, Sitemaps, opml
from .pages import Pages
from .site import Site, article_path, author_path, feed_path, path_key, tag_path

_KINDS = "|".join(FORMATS)
_PAGE = re.compile(r"^page/([1-9][0-9]{0,6})/$")
_ARTICLE = re.compile(r"^articles/([a-z0-9-]+)$")
_TAG = re.compile(r"^tags/([a-z0-9-]+)/$")
_TAG_FEED = re.compile(rf"^tags/([a-z0-9-]+)/feed\.({_KINDS})$")
_AUTHOR = re.compile(r"^authors/([a-z0-9-]+)/$")
_AUTHOR_FEED = re.compile(rf"^authors/([a-z0-9-]+)/feed\.({_KINDS})$")
_ARCHIVE = re.compile(rf"^archive/([0-9]{{4}}-[0-9]{{2}})\.({_KINDS})$")
_MAIN_FEEDS = {fmt.file_name: kind for kind, fmt in FORMATS.items()}
log = logging.getLogger(__name__)


class Documents:
    """Everything one snapshot serves, rendered on demand and kept."""

    def __init__(
        self,
        site: Site,
        snapshot: Snapshot,
        pages: Pages,
        static: Mapping[str, Document],
        feed_id: str,
        bodies: Bodies,
        previous: Documents | None = None,
        files: Files | None = None,  # the posts' bundle files (images beside them), PAGES on
    ):
        self.site = site
        self.snapshot = snapshot
        self.pages = pages
        self.static = static
        self.feed_id = feed_id
        self.bodies = bodies
        self.kept = Kept(site.document_cache_bytes)
        self._errors: dict[int, Document] = {}
        self._failed: dict[str, Result] = {}  # path -> what answers instead, for good
        # The last good versions: the previous snapshot's documents (not the snapshot).
        self._previous = (previous.kept, previous._failed) if previous is not None else None
        self._flights: dict[str, threading.Lock] = {}
        self._flights_lock = threading.Lock()
        # With PAGES on, a post's path on the blog, its old paths (aliases, redirect_from: 301)
        # and its bundle's files; bundle files are kept across snapshots.
        store = previous.blog.store if previous else kept(site.document_cache_bytes)
        self.blog: BlogPaths = BlogPaths(site, snapshot.articles, snapshot.old_paths, files, store)
        self.months = snapshot.months  # "YYYY-MM" -> its articles: the archive feeds
        self.page_count = max(1, ceil(len(snapshot.articles) / site.page_size))
        self.sitemaps = Sitemaps(site, snapshot)  # one file, or an index and its parts

    def resolve(self, path: str) -> Result:
        """Return what PATH (relative to BASE_URL, no leading slash) answers, and keep it."""
        result = self.kept.get(path) or self._failed.get(path)
        if result is not None:
            return result
        with self._flights_lock:
            flight = self._flights.setdefault(path, threading.Lock())
        with flight:  # the first renders; the others wait, then find its result
            result = self.kept.get(path) or self._failed.get(path)
            if result is None:
                result = self._render_kept(path)
            with self._flights_lock:
                self._flights.pop(path, None)
        return result

    def _render_kept(self, path: str) -> Result:
        try:
            result = self.render(path)
        except Exception:  # a bug costs this document, and only once per snapshot
            log.exception("error while serving /%s: its last good version answers", path)
            result = self._last_good(path)
            self._failed[path] = result
            return result
        if result.status == 200 and result.keep:
            result = self.kept.hold(path, result)
        return result

    def _last_good(self, path: str) -> Result:
        if self._previous is not None:
            kept, failed = self._previous
            found = kept.get(path) or failed.get(path)
            if found is not None:
                return found
        return Result(500, self.error(500))

    @property
    def kept_bytes(self) -> int:
        """Return the bytes of rendered documents kept now (within DOCUMENT_CACHE_BYTES)."""
        return self.kept.bytes

    def error(self, status: int) -> Document:
        """Return the error page for STATUS; the path is never echoed, so one page serves all."""
        document = self._errors.get(status)
        if document is None:
            document = self._errors.setdefault(status, self._html(self.pages.error(status), []))
        return document

    def _html(self, body: bytes, articles: Sequence[Article]) -> Document:
        return Document(body, HTML, self._changed() if articles else None)

    def _feed(self, kind: str, info: FeedInfo, articles: Sequence[Article]) -> Document:
        link = ""
        if not info.archive and self.site.websub_hubs:
            info = replace(info, hubs=self.site.websub_hubs)
            link = ", ".join(
                [f'<{hub}>; rel="hub"' for hub in info.hubs]
                + [f'<{self.site.url(f"{info.self_path}.{kind}")}>; rel="self"']
            )
        body = render(kind, self.site, info, articles, self.bodies)
        changed = self.snapshot.changed or feed_updated(info, articles)
        return Document(body, FORMATS[kind].media_type, changed, link)

    def _main_feed(self, kind: str) -> Document:
        latest = next(reversed(self.months), None)
        info = FeedInfo(
            self.feed_id,
            self.site.title,
            "feed",
            current="feed",
            prev_archive=f"archive/{latest}" if latest else None,
            tombstones=self.snapshot.tombstones,
        )
        return self._feed(kind, info, self.snapshot.articles[: self.site.feed_size])

    def _tag_feed(self, slug: str, kind: str) -> Document:
        tag, articles = self.snapshot.tags[slug]
        info = FeedInfo(
            f"{self.feed_id.rstrip('/')}/tags/{slug}",
            f"{self.site.title}: {tag.name}",
            f"tags/{slug}/feed",
            home_path=tag_path(slug),
        )
        return self._feed(kind, info, articles[: self.site.feed_size])

    def _author_feed(self, slug: str, kind: str) -> Document:
        author, articles = self.snapshot.authors[slug]
        info = FeedInfo(
            f"{self.feed_id.rstrip('/')}/authors/{slug}",
            f"{self.site.title}: {author.name}",
            f"authors/{slug}/feed",
            home_path=author_path(slug),
        )
        return self._feed(kind, info, articles[: self.site.feed_size])

    def _archive(self, month: str, kind: str) -> Document:
        names = list(self.months)
        index = names.index(month)
        info = FeedInfo(
            f"{self.feed_id.rstrip('/')}/archive/{month}",
            f"{self.site.title}: {month}",
            f"archive/{month}",
            archive=True,
            current="feed",
            prev_archive=f"archive/{names[index - 1]}" if index > 0 else None,
        )  # no next-archive (optional in RFC 5005): it would rewrite the newest archive
        #    when the first article of a new month appears
        return self._feed(kind, info, self.months[month])

    def _changed(self) -> datetime | None:
        """Return the Last-Modified of the snapshot's documents: when the site last changed
        (a deletion, an article first seen, whatever its date, included), so a client that
        sends only If-Modified-Since never keeps a document that changed since."""
        snap = self.snapshot
        return snap.changed or (newest_update(snap.articles) if snap.articles else None)

    def _index(self, page: int) -> Document:
        size = self.site.page_size
        articles = self.snapshot.articles[(page - 1) * size : page * size]
        return self._html(self.pages.index(articles, page, self.page_count), articles)

    def render(self, path: str) -> Result:
        """Return what PATH answers, rendered now and not kept."""
        snap = self.snapshot
        if path == "":
            return Result(200, self._index(1))
        if path in _MAIN_FEEDS:
            return Result(200, self._main_feed(_MAIN_FEEDS[path]))
        if path == "favicon.ico":  # browsers ask for it, even beside a feed: not a 404
            return Result(301, location=self.site.icon or self.site.url("static/favicon.svg"))
        if path.startswith("sitemap") and (sitemap := self.sitemaps.document(path)):
            return Result(200, sitemap)
        if path == "feeds.opml":
            return Result(200, Document(opml(self.site, snap), OPML, self._changed()))
        if path.startswith("static/") and path[7:] in self.static:
            return Result(200, self.static[path[7:]])
        if match := _ARTICLE.match(path):
            slug = match.group(1)
            if slug in snap.by_slug:
                article = snap.by_slug[slug]
                if article.link and not self.site.pages:  # the blog serves the page
                    return Result(301, location=self.site.entry_url(article))
                return Result(200, self._html(self.pages.article(article), [article]))
            if slug in snap.redirects:
                return Result(301, location=self.site.permalink(snap.redirects[slug]))
            if slug in snap.held:  # its file does not parse: back once it is fixed
                return Result(503, self.error(503))
            if slug in snap.gone:
                return Result(410, self.error(410))
        elif match := _PAGE.match(path):
            page = int(match.group(1))
            if page == 1:
                return Result(301, location=self.site.url())
            if page <= self.page_count:
                return Result(200, self._index(page))
        elif match := _TAG.match(path):
            slug = match.group(1)
            if slug in snap.tags:
                tag, articles = snap.tags[slug]
                return Result(200, self._html(self.pages.tag(tag, articles), articles))
        elif match := _TAG_FEED.match(path):
            slug, kind = match.groups()
            if slug in snap.tags:
                return Result(200, self._tag_feed(slug, kind))
        elif match := _AUTHOR.match(path):
            slug = match.group(1)
            if slug in snap.authors:
                author, articles = snap.authors[slug]
                return Result(200, self._html(self.pages.author(author, articles), articles))
        elif match := _AUTHOR_FEED.match(path):
            slug, kind = match.groups()
            if slug in snap.authors:
                return Result(200, self._author_feed(slug, kind))
        elif match := _ARCHIVE.match(path):
            month, kind = match.groups()
            if month in self.months:
                return Result(200, self._archive(month, kind))
        return self._blog_path(path_key(path))

    def _blog_path(self, key: str) -> Result:
        """Return what a path of the blog answers with PAGES on: a post's page, 301, a file."""
        found = self.blog.answer(key)
        if isinstance(found, Article):
            return Result(200, self._html(self.pages.article(found), [found]))
        return found or Result(404, self.error(404))

    def paths(self) -> Iterator[str]:
        """Yield every path this snapshot serves with 200, redirect or 410."""
        yield ""
        for kind in FORMATS:
            yield feed_path(kind)
        yield from self.sitemaps.names()
        yield "feeds.opml"
        yield "favicon.ico"
        for page in range(2, self.page_count + 1):
            yield f"page/{page}/"
        for article in self.snapshot.articles:
            yield article_path(article.slug)
        for slug in self.snapshot.redirects:
            yield article_path(slug)
        yield from self.blog.paths()
        for slug in sorted(self.snapshot.gone):
            yield article_path(slug)
        for slug in self.snapshot.tags:
            yield tag_path(slug)
            for kind in FORMATS:
                yield feed_path(kind, slug)
        for slug in self.snapshot.authors:
            yield author_path(slug)
            for kind in FORMATS:
                yield feed_path(kind, author=slug)
        for month in self.months:
            for kind in FORMATS:
                yield f"archive/{month}.{kind}"
        for name in sorted(self.static):
            yield f"static/{name}"
