"""The site's listings for machines: ``/sitemap.xml`` and ``/feeds.opml``.

The sitemap follows the sitemaps.org protocol: every page that answers 200
(index pages, permalinks, tag and author pages), each with ``lastmod``, the
newest ``updated`` among the articles it shows. The OPML 2.0 document lists
every feed of the site (the site's, each tag's, each author's) as outlines of
``type="rss"`` with ``xmlUrl`` and ``htmlUrl``, as feed readers import them.
Both are pure: their bytes depend only on the snapshot and the site.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from lxml import etree

from ..catalog.snapshot import Snapshot
from ..model import Article
from .feeds import EPOCH, newest_update
from .formats import FORMATS
from .site import Site, author_path, feed_path, tag_path

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
SITEMAP = "application/xml"
OPML = "text/x-opml"


def _w3c(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, encoding="utf-8", xml_declaration=True, pretty_print=True)


def _pages(site: Site, snap: Snapshot) -> Iterator[tuple[str, Sequence[Article]]]:
    size = site.page_size
    for start in range(0, max(1, len(snap.articles)), size):
        page = start // size + 1
        yield site.url("" if page == 1 else f"page/{page}/"), snap.articles[start : start + size]
    for article in snap.articles:
        yield site.permalink(article.slug), (article,)
    for slug, (_, articles) in snap.tags.items():
        yield site.url(tag_path(slug)), articles
    for slug, (_, articles) in snap.authors.items():
        yield site.url(author_path(slug)), articles


def sitemap(site: Site, snap: Snapshot) -> bytes:
    """Return the sitemaps.org sitemap of every page SNAP serves."""
    root = etree.Element(f"{{{SITEMAP_NS}}}urlset", nsmap={None: SITEMAP_NS})  # type: ignore[dict-item]
    for url, articles in _pages(site, snap):
        item = etree.SubElement(root, f"{{{SITEMAP_NS}}}url")
        etree.SubElement(item, f"{{{SITEMAP_NS}}}loc").text = url
        if articles:
            etree.SubElement(item, f"{{{SITEMAP_NS}}}lastmod").text = _w3c(newest_update(articles))
    return _xml(root)


def _outline(parent: etree._Element, site: Site, title: str, home: str, **where: str) -> None:
    for kind, fmt in FORMATS.items():
        etree.SubElement(
            parent,
            "outline",
            {
                "type": "rss",
                "text": f"{title} ({fmt.name})",
                "title": f"{title} ({fmt.name})",
                "xmlUrl": site.url(feed_path(kind, **where)),
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
