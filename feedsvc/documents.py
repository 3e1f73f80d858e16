"""The URL space: every path the site answers, rendered from one snapshot.

``Documents.resolve(path)`` is the single place that maps a path (relative
to BASE_URL) to what it serves; the web layer and ``feedsvc build`` both call
it, so a static export serves the same bytes as the server. A rendered
document is kept, least recently served first out, until the kept bodies pass
the site's DOCUMENT_CACHE_BYTES; one dropped is rendered again when asked,
to the same bytes. So a crawl of every permalink costs CPU, not memory, and
the feeds that pollers hit stay rendered. Paths never touch the file system:
they are looked up in the snapshot and in the static files loaded at start-up.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from math import ceil

from . import feeds
from .feeds import FeedInfo
from .normalise import Article
from .pages import Pages
from .site import FEED_TYPES, HTML, Document, Site, article_path, feed_path, tag_path
from .snapshot import Snapshot

_PAGE = re.compile(r"^page/([1-9][0-9]{0,6})/$")
_ARTICLE = re.compile(r"^articles/([a-z0-9-]+)$")
_TAG = re.compile(r"^tags/([a-z0-9-]+)/$")
_TAG_FEED = re.compile(r"^tags/([a-z0-9-]+)/feed\.(atom|rss|json)$")
_ARCHIVE = re.compile(r"^archive/([0-9]{4}-[0-9]{2})\.(atom|rss|json)$")


@dataclass(frozen=True)
class Result:
    status: int
    document: Document | None = None
    location: str | None = None


class Documents:
    """Everything one snapshot serves, rendered on demand and kept."""

    def __init__(
        self,
        site: Site,
        snapshot: Snapshot,
        pages: Pages,
        static: Mapping[str, Document],
        feed_id: str,
    ):
        self.site = site
        self.snapshot = snapshot
        self.pages = pages
        self.static = static
        self.feed_id = feed_id
        self._errors: dict[int, Document] = {}
        # path -> its 200 Result, least recently served first: a poll is one look-up
        self._found: OrderedDict[str, Result] = OrderedDict()
        self._kept_bytes = 0
        self._lock = threading.Lock()
        self._keep = True
        months: dict[tuple[int, int], list[Article]] = {}
        for article in snapshot.articles:  # strftime per article is slow at 10,000
            published = article.published
            months.setdefault((published.year, published.month), []).append(article)
        self.months = {f"{y:04d}-{m:02d}": items for (y, m), items in sorted(months.items())}
        self.page_count = max(1, ceil(len(snapshot.articles) / site.page_size))

    def _html(self, body: bytes, articles: tuple[Article, ...] | list[Article]) -> Document:
        return Document(body, HTML, feeds.newest_update(articles) if articles else None)

    def _feed(
        self, kind: str, info: FeedInfo, articles: tuple[Article, ...] | list[Article]
    ) -> Document:
        body = feeds.render(kind, self.site, info, articles)
        return Document(body, FEED_TYPES[kind], feeds.newest_update(articles))

    def _main_feed(self, kind: str) -> Document:
        latest = next(reversed(self.months), None)
        info = FeedInfo(
            self.feed_id,
            self.site.title,
            "feed",
            current="feed",
            prev_archive=f"archive/{latest}" if latest else None,
        )
        return self._feed(kind, info, self.snapshot.articles[: self.site.feed_size])

    def _tag_feed(self, slug: str, kind: str) -> Document:
        tag, articles = self.snapshot.tags[slug]
        info = FeedInfo(
            f"{self.feed_id}/tags/{slug}",
            f"{self.site.title}: {tag.name}",
            f"tags/{slug}/feed",
            home_path=tag_path(slug),
        )
        return self._feed(kind, info, articles[: self.site.feed_size])

    def _archive(self, month: str, kind: str) -> Document:
        names = list(self.months)
        index = names.index(month)
        info = FeedInfo(
            f"{self.feed_id}/archive/{month}",
            f"{self.site.title}: {month}",
            f"archive/{month}",
            archive=True,
            current="feed",
            prev_archive=f"archive/{names[index - 1]}" if index > 0 else None,
        )  # no next-archive (optional in RFC 5005): it would rewrite the newest archive
        #    when the first article of a new month appears
        return self._feed(kind, info, self.months[month])

    def _index(self, page: int) -> Document:
        size = self.site.page_size
        articles = self.snapshot.articles[(page - 1) * size : page * size]
        return self._html(self.pages.index(articles, page, self.page_count), articles)

    def error(self, status: int, path: str) -> Document:
        """Return the error page for STATUS; PATH is never echoed, so one page serves all."""
        document = self._errors.get(status)
        if document is None:
            document = self._errors.setdefault(status, self._html(self.pages.error(status), []))
        return document

    def resolve(self, path: str) -> Result:
        """Return what PATH (relative to BASE_URL, no leading slash) answers."""
        found = self._found
        result = found.get(path)
        if result is not None:
            with contextlib.suppress(KeyError):  # dropped by another thread meanwhile
                found.move_to_end(path)
            return result
        result = self._resolve(path)
        if result.status == 200 and self._keep:  # 404s are endless, so never kept
            result = self._hold(path, result)
        return result

    def _hold(self, path: str, result: Result) -> Result:
        """Keep RESULT for PATH, dropping the least recently served past the budget.

        Return the result kept: another thread's, when it rendered PATH first.
        """
        budget = self.site.document_cache_bytes
        with self._lock:
            if path in self._found:
                return self._found[path]
            self._found[path] = result
            self._kept_bytes += self._size(path, result)
            while self._kept_bytes > budget and len(self._found) > 1:
                old_path, old = self._found.popitem(last=False)
                self._kept_bytes -= self._size(old_path, old)
        return result

    @property
    def kept_bytes(self) -> int:
        """Return the bytes of rendered documents kept now (within DOCUMENT_CACHE_BYTES)."""
        return self._kept_bytes

    def _size(self, path: str, result: Result) -> int:
        """Return what keeping RESULT costs: nothing for static files, loaded once anyway."""
        if result.document is None or path.startswith("static/"):
            return 0
        return len(result.document.body)

    def each(self, paths: Iterable[str]) -> Iterator[tuple[str, Result]]:
        """Yield each of PATHS with what it answers, rendered and then let go.

        For ``feedsvc build``, which reads each document once: keeping them all
        would hold the whole site in memory. Not for use beside ``resolve``.
        """
        keep, self._keep = self._keep, False
        try:
            for path in paths:
                yield path, self.resolve(path)
        finally:
            self._keep = keep

    def _resolve(self, path: str) -> Result:
        snap = self.snapshot
        if path == "":
            return Result(200, self._index(1))
        if path in ("feed.atom", "feed.rss", "feed.json"):
            kind = path.rsplit(".", 1)[1]
            return Result(200, self._main_feed(kind))
        if path.startswith("static/") and path[7:] in self.static:
            return Result(200, self.static[path[7:]])
        if match := _ARTICLE.match(path):
            slug = match.group(1)
            if slug in snap.by_slug:
                article = snap.by_slug[slug]
                return Result(200, self._html(self.pages.article(article), [article]))
            if slug in snap.redirects:
                return Result(301, location=self.site.permalink(snap.redirects[slug]))
            if slug in snap.gone:
                return Result(410, self.error(410, path))
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
        elif match := _ARCHIVE.match(path):
            month, kind = match.groups()
            if month in self.months:
                return Result(200, self._archive(month, kind))
        return Result(404, self.error(404, path))

    def paths(self) -> Iterator[str]:
        """Yield every path this snapshot serves with 200, redirect or 410."""
        yield ""
        for kind in FEED_TYPES:
            yield feed_path(kind)
        for page in range(2, self.page_count + 1):
            yield f"page/{page}/"
        for article in self.snapshot.articles:
            yield article_path(article.slug)
        for slug in self.snapshot.redirects:
            yield article_path(slug)
        for slug in sorted(self.snapshot.gone):
            yield article_path(slug)
        for slug in self.snapshot.tags:
            yield tag_path(slug)
            for kind in FEED_TYPES:
                yield feed_path(kind, slug)
        for month in self.months:
            for kind in FEED_TYPES:
                yield f"archive/{month}.{kind}"
        for name in sorted(self.static):
            yield f"static/{name}"


def max_age(site: Site, snapshot: Snapshot, now: datetime) -> int:
    """Return the seconds a response may be cached: never past the next scheduled article."""
    if snapshot.next_due is None:
        return site.cache_max_age
    return max(0, min(site.cache_max_age, int((snapshot.next_due - now).total_seconds())))
