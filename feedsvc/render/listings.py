"""The site's listings for machines: ``/sitemap.xml`` and ``/feeds.opml``.

The sitemap follows the sitemaps.org protocol: every page that answers 200
(index pages, permalinks, tag and author pages), each with ``lastmod``, the
newest ``updated`` among the articles it shows. A sitemap may list 50,000 URLs
and hold 50 MiB (uncompressed) at most: past either, ``/sitemap.xml`` is a
sitemap index of ``/sitemap-1.xml``, ``/sitemap-2.xml``, ... (the URLs in the
same order, each part filled to a limit), and only the parts' boundaries are
kept, never the URLs. The OPML 2.0 document lists
every feed of the site (the site's, each tag's, each author's) once, in Atom,
as an outline of ``type="rss"`` with ``xmlUrl`` and ``htmlUrl``, as feed
readers import them: listing each format would subscribe a reader three times.
Both are pure: their bytes depend only on the snapshot and the site.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from lxml import etree

from ..catalog.snapshot import Snapshot
from ..model import Article
from .document import Document
from .feeds import EPOCH, newest_update
from .site import Site, author_path, feed_path, tag_path

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
SITEMAP = "application/xml"
OPML = "text/x-opml"
MAX_URLS = 50_000  # the protocol's limits for one sitemap (and for an index)
MAX_BYTES = 50 * 1024 * 1024  # 52,428,800 bytes, uncompressed
_PART = re.compile(r"^sitemap-([1-9][0-9]{0,5})\.xml$")


def _w3c(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, encoding="utf-8", xml_declaration=True, pretty_print=True)


def _pages(site: Site, snap: Snapshot) -> Iterator[tuple[str, Sequence[Article]]]:
    size = site.page_size
    for start in range(0, max(1, len(snap.articles)), size):
        page = start // size + 1
        yield site.url("" if page == 1 else f"page/{page}/"), snap.articles[start : start + size]
    for article in snap.articles:  # the pages feedsvc serves: none when a blog serves them
        if site.pages or not article.link:
            yield site.entry_url(article), (article,)
    for slug, (_, articles) in snap.tags.items():
        yield site.url(tag_path(slug)), articles
    for slug, (_, articles) in snap.authors.items():
        yield site.url(author_path(slug)), articles


def _entries(site: Site, snap: Snapshot) -> Iterator[tuple[str, datetime | None]]:
    for url, articles in _pages(site, snap):
        yield url, newest_update(articles) if articles else None


def _urlset(entries: Iterator[tuple[str, datetime | None]]) -> bytes:
    root = etree.Element(f"{{{SITEMAP_NS}}}urlset", nsmap={None: SITEMAP_NS})  # type: ignore[dict-item]
    for url, changed in entries:
        item = etree.SubElement(root, f"{{{SITEMAP_NS}}}url")
        etree.SubElement(item, f"{{{SITEMAP_NS}}}loc").text = url
        if changed is not None:
            etree.SubElement(item, f"{{{SITEMAP_NS}}}lastmod").text = _w3c(changed)
    return _xml(root)


def sitemap(site: Site, snap: Snapshot) -> bytes:
    """Return the sitemaps.org sitemap of every page SNAP serves, in one file."""
    return _urlset(_entries(site, snap))


# The bytes _urlset writes around the entries, for each entry, and for a lastmod,
# measured on lxml's own output (an entry's loc adds its escaped URL's bytes).
_ONE = len(_urlset(iter([("", None)])))
_ENTRY = len(_urlset(iter([("", None), ("", None)]))) - _ONE
_ENVELOPE = _ONE - _ENTRY
_LASTMOD = len(_urlset(iter([("", EPOCH)]))) - _ONE


@dataclass(frozen=True)
class Part:
    """One sitemap file of an index: entries START to STOP, and their newest lastmod."""

    start: int
    stop: int
    lastmod: datetime | None


def parts(site: Site, snap: Snapshot) -> list[Part]:
    """Split SNAP's sitemap entries into files within MAX_URLS and MAX_BYTES each."""
    found: list[Part] = []
    start, size, newest = 0, _ENVELOPE, None
    index = -1
    for index, (url, changed) in enumerate(_entries(site, snap)):
        entry = _ENTRY + len(escape(url).encode()) + (_LASTMOD if changed else 0)
        if index > start and (index - start >= MAX_URLS or size + entry > MAX_BYTES):
            found.append(Part(start, index, newest))
            start, size, newest = index, _ENVELOPE, None
        size += entry
        if changed is not None and (newest is None or changed > newest):
            newest = changed
    found.append(Part(start, index + 1, newest))
    return found


class Sitemaps:
    """A snapshot's sitemap: one file, or past the limits an index and its parts."""

    def __init__(self, site: Site, snap: Snapshot):
        self.site = site
        self.snap = snap
        self._parts: list[Part] | None = None
        self._lock = threading.Lock()

    @property
    def parts(self) -> list[Part]:
        with self._lock:
            if self._parts is None:
                self._parts = parts(self.site, self.snap)
            return self._parts

    def names(self) -> list[str]:
        """Return the paths of the sitemap and of its parts, when it has parts."""
        count = len(self.parts)
        return ["sitemap.xml"] + ([f"sitemap-{n}.xml" for n in range(1, count + 1)] * (count > 1))

    def document(self, path: str) -> Document | None:
        """Return the sitemap, index or part at PATH, or None when PATH is none of them."""
        every = self.parts
        if path == "sitemap.xml":
            newest = max((p.lastmod for p in every if p.lastmod), default=None)
            body = sitemap(self.site, self.snap) if len(every) == 1 else self._index(every)
            return Document(body, SITEMAP, newest)
        match = _PART.match(path)
        if match is None or len(every) == 1 or int(match.group(1)) > len(every):
            return None
        part = every[int(match.group(1)) - 1]
        entries = itertools.islice(_entries(self.site, self.snap), part.start, part.stop)
        return Document(_urlset(entries), SITEMAP, part.lastmod)

    def _index(self, every: list[Part]) -> bytes:
        root = etree.Element(f"{{{SITEMAP_NS}}}sitemapindex", nsmap={None: SITEMAP_NS})  # type: ignore[dict-item]
        for number, part in enumerate(every, 1):
            item = etree.SubElement(root, f"{{{SITEMAP_NS}}}sitemap")
            etree.SubElement(item, f"{{{SITEMAP_NS}}}loc").text = self.site.url(
                f"sitemap-{number}.xml"
            )
            if part.lastmod is not None:
                etree.SubElement(item, f"{{{SITEMAP_NS}}}lastmod").text = _w3c(part.lastmod)
        return _xml(root)


def _outline(parent: etree._Element, site: Site, title: str, home: str, **where: str) -> None:
    # One outline per feed, its Atom format: a reader that imports the list subscribes
    # once to each (OPML 2.0 has type="rss" for every feed; its formats differ only in
    # their bytes, and the other two are found from htmlUrl's autodiscovery links).
    etree.SubElement(
        parent,
        "outline",
        {
            "type": "rss",
            "text": title,
            "title": title,
            "xmlUrl": site.url(feed_path("atom", **where)),
            "htmlUrl": site.url(home),
        },
    )


def opml(site: Site, snap: Snapshot) -> bytes:
    """Return an OPML 2.0 list of the site's feeds, then each tag's and each author's."""
    root = etree.Element("opml", {"version": "2.0"})
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = f"{site.title}: feeds"
    changed = newest_update(snap.articles)
    if changed > EPOCH:
        etree.SubElement(head, "dateModified").text = changed.strftime("%a, %d %b %Y %H:%M:%S GMT")
    etree.SubElement(head, "ownerName").text = site.author
    body = etree.SubElement(root, "body")
    _outline(body, site, site.title, "")
    for label, groups, path, key in (
        ("Tags", snap.tags, tag_path, "tag"),
        ("Authors", snap.authors, author_path, "author"),
    ):
        if groups:
            group = etree.SubElement(body, "outline", {"text": label, "title": label})
            for slug, (item, _) in groups.items():
                _outline(group, site, f"{site.title}: {item.name}", path(slug), **{key: slug})
    return _xml(root)
