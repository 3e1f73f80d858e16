"""Render a list of articles as Atom 1.0 and RSS 2.0 (``jsonfeed``: JSON Feed 1.1).

With ``entries``, which builds each entry, the only module that imports feedgen.
Its traps are closed here: every date comes from the articles (feedgen defaults
``updated`` and ``lastBuildDate`` to now), entries are appended in order
(``add_entry`` prepends), entry links are rewritten with their ``rel`` (feedgen
drops it), the RSS channel link is
the home page, authors become ``dc:creator`` unless an item has exactly one
author with an email (feedgen drops the others from RSS, and RSS allows one
``author``), and content is escaped text, never CDATA. RSS ``description``
is HTML, so the plain-text summary is escaped once more for it. The three
formats carry the same ids, titles and dates, so switching formats makes no
duplicates. Output bytes depend only on the articles and the site.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator
from lxml import etree

from .. import __version__
from ..catalog.snapshot import Tombstone
from ..model import Article, Bodies
from . import entries, markup
from .extras import MEDIA_NS, TOMBSTONE_NS, add_image, add_tombstones, hub_links
from .site import Site

ATOM = "application/atom+xml"
RSS = "application/rss+xml"

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
FH_NS = "http://purl.org/syndication/history/1.0"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
GENERATOR_URI = "https://pypi.org/project/feedsvc/"


@dataclass(frozen=True)
class FeedInfo:
    """What distinguishes one feed document from another."""

    id: str
    title: str
    self_path: str  # path of this document under BASE_URL, without extension
    home_path: str = ""
    archive: bool = False
    prev_archive: str | None = None  # path of the next older archive, without extension
    current: str | None = None
    tombstones: tuple[Tombstone, ...] = ()  # deleted articles to announce (Atom only)
    hubs: tuple[str, ...] = ()  # WebSub hubs to advertise


def feed_updated(info: FeedInfo, articles: Sequence[Article]) -> datetime:
    """Return when the feed last changed: its newest entry's update, or a later deletion."""
    return max([newest_update(articles), *(t.when for t in info.tombstones)])


def newest_update(articles: Sequence[Article]) -> datetime:
    """Return the latest ``updated`` of ARTICLES, or the epoch when there are none."""
    return max((a.updated for a in articles if a.updated is not None), default=EPOCH)


def _generator(site: Site, info: FeedInfo, articles: Sequence[Article]) -> FeedGenerator:
    fg = FeedGenerator()
    fg.id(info.id)
    fg.title(info.title)
    fg.subtitle(site.subtitle or site.title)
    fg.author({"name": site.author})
    fg.generator("feedsvc", __version__, GENERATOR_URI)
    fg.language(site.language)
    fg.link(href=site.url(info.home_path), rel="alternate", type="text/html")
    updated = feed_updated(info, articles)
    fg.updated(site.shown(updated))
    fg.lastBuildDate(site.shown(updated))
    fg.ttl(max(1, site.cache_max_age // 60))
    if site.icon:
        fg.icon(site.icon)
    if site.logo:
        fg.logo(site.logo)
    if site.logo or site.icon:
        fg.image(site.logo or site.icon, info.title, site.url(info.home_path))
    return fg


def _add_entries(
    fg: FeedGenerator,
    site: Site,
    articles: Sequence[Article],
    full_count: int,
    bodies: Bodies,
) -> None:
    for index, article in enumerate(articles):
        fg.add_entry(entries.entry(article, site, bodies, index < full_count), order="append")


def _link(
    parent: etree._Element,
    ns: str,
    rel: str,
    href: str,
    kind: str | None = None,
    index: int | None = None,
    **extra: str,
) -> None:
    attrs = {"rel": rel, "href": href, **({"type": kind} if kind else {}), **extra}
    element = etree.Element(f"{{{ns}}}link" if ns else "link", attrs)
    if index is None:
        parent.append(element)
    else:
        parent.insert(index, element)


def _history(
    parent: etree._Element, site: Site, info: FeedInfo, ext: str, kind: str, at: int
) -> None:
    """Add RFC 5005 archive links and the fh:archive marker under PARENT at AT."""
    ns = ATOM_NS
    links = [("self", info.self_path)]
    if info.current:
        links.append(("current", info.current))
    if info.prev_archive:
        links.append(("prev-archive", info.prev_archive))
    for offset, (rel, path) in enumerate(links):
        _link(parent, ns, rel, site.url(f"{path}.{ext}"), kind, index=at + offset)
    if info.archive:
        parent.insert(at + len(links), etree.Element(f"{{{FH_NS}}}archive"))


def _stylesheet(site: Site) -> bytes:
    # CSS on the XML itself, not XSLT, which browsers are removing. Under BASE_URL like every
    # URL we write: the feed's own origin.
    href = site.url("static/feed.css")
    return f'<?xml-stylesheet type="text/css" href="{href}"?>\n'.encode()


_RSS_ESCAPE = re.compile(rb"&(lt|amp);")
_HEX = {b"lt": b"&#x3C;", b"amp": b"&#x26;"}


def _serialise(root: etree._Element, site: Site, hex_escapes: bool = False) -> bytes:
    body = etree.tostring(root, encoding="unicode").encode()
    if hex_escapes:  # the RSS Best Practices Profile: "<" and "&" as hexadecimal references
        body = _RSS_ESCAPE.sub(lambda m: _HEX[m.group(1)], body)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + _stylesheet(site) + body + b"\n"


def atom(
    site: Site, info: FeedInfo, articles: Sequence[Article], full_count: int, bodies: Bodies
) -> bytes:
    """Return ARTICLES as an Atom 1.0 document; the first FULL_COUNT carry their content."""
    fg = _generator(site, info, articles)
    _add_entries(fg, site, articles, full_count, bodies)
    images = [markup.image_url(a, site.entry_url(a)) for a in articles]
    nsmap: dict[str | None, str] = {
        None: ATOM_NS,
        **({"fh": FH_NS} if info.archive else {}),
        **({"media": MEDIA_NS} if any(images) else {}),
        **({"at": TOMBSTONE_NS} if info.tombstones else {}),
    }
    parsed = etree.fromstring(fg.atom_str())
    root = etree.Element(parsed.tag, nsmap=nsmap)  # type: ignore[arg-type]  # None: the default namespace
    root.set(XML_LANG, site.language)
    root.extend(parsed)
    first_entry = next(iter(root.iterfind(f"{{{ATOM_NS}}}entry")), None)
    at = root.index(first_entry) if first_entry is not None else len(root)
    hub_links(root, ATOM_NS, info.hubs, at)
    _history(root, site, info, "atom", ATOM, at + len(info.hubs))
    shown = zip(root.iterfind(f"{{{ATOM_NS}}}entry"), articles, images, strict=True)
    for entry, article, image in shown:
        for link in entry.findall(f"{{{ATOM_NS}}}link"):
            entry.remove(link)
        entry.set(XML_LANG, article.lang)
        _link(entry, ATOM_NS, "alternate", site.entry_url(article), "text/html")
        if article.enclosure and entries.enclosure_url(article, site):
            _link(
                entry,
                ATOM_NS,
                "enclosure",
                entries.enclosure_url(article, site),
                article.enclosure.type,
                length=str(article.enclosure.length),
            )
        if image:
            add_image(entry, image)
    add_tombstones(root, info.tombstones)
    return _serialise(root, site)


def _child(parent: etree._Element, tag: str) -> etree._Element:
    """Return PARENT's child TAG, which feedgen always writes."""
    child = parent.find(tag)
    assert child is not None, tag
    return child


def rss(
    site: Site, info: FeedInfo, articles: Sequence[Article], full_count: int, bodies: Bodies
) -> bytes:
    """Return ARTICLES as an RSS 2.0 document; the first FULL_COUNT carry their content."""
    fg = _generator(site, info, articles)
    _add_entries(fg, site, articles, full_count, bodies)
    parsed = etree.fromstring(fg.rss_str())
    images = [markup.image_url(a, site.entry_url(a)) for a in articles]
    nsmap = {
        "atom": ATOM_NS,
        "content": CONTENT_NS,
        "dc": DC_NS,
        **({"fh": FH_NS} if info.archive else {}),
        **({"media": MEDIA_NS} if any(images) else {}),
    }
    root = etree.Element("rss", {"version": "2.0"}, nsmap=nsmap)
    channel = etree.SubElement(root, "channel")
    channel.extend(_child(parsed, "channel"))
    home = _child(channel, "link")
    home.text = site.url(info.home_path)
    for link in channel.findall(f"{{{ATOM_NS}}}link"):
        channel.remove(link)
    hub_links(channel, ATOM_NS, info.hubs, channel.index(home) + 1)
    _history(channel, site, info, "rss", RSS, channel.index(home) + 1 + len(info.hubs))
    for item, article, image in zip(channel.iterfind("item"), articles, images, strict=True):
        if image:
            add_image(item, image)
        description = _child(item, "description")
        # The summary is plain text, but readers render RSS descriptions as HTML.
        description.text = html.escape(description.text or "", quote=False)
        if len(article.authors) == 1 and article.authors[0].email:
            continue  # feedgen wrote <author>email (name)</author>
        for author in item.findall("author"):
            item.remove(author)
        at = item.index(_child(item, "guid"))
        for offset, a in enumerate(article.authors):
            creator = etree.Element(f"{{{DC_NS}}}creator")
            creator.text = a.name
            item.insert(at + offset, creator)
    return _serialise(root, site, hex_escapes=True)
