"""Structural checks on served feeds, as a strict reader would make them.

Shared by the feed, archive and JSON Feed tests. Every check parses the
document (lxml, feedparser, json) and looks at elements, never at strings.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

ATOM = "http://www.w3.org/2005/Atom"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
DC = "http://purl.org/dc/elements/1.1/"
FH = "http://purl.org/syndication/history/1.0"
NS = {"a": ATOM, "content": CONTENT, "dc": DC, "fh": FH}

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
RFC822 = re.compile(
    r"^(?P<dow>Mon|Tue|Wed|Thu|Fri|Sat|Sun), (?P<day>\d{2}) "
    r"(?P<month>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (?P<year>\d{4}) "
    r"\d{2}:\d{2}:\d{2} ([+-]\d{4}|GMT|UT)$"
)
DANGEROUS_ELEMENTS = {
    "script", "style", "iframe", "object", "embed", "form", "meta", "link", "base", "svg",
    "math", "input", "frame", "frameset", "applet", "template",
}  # fmt: skip
URL_ATTRIBUTES = ("href", "src", "poster", "cite")
DATA_IMAGE = re.compile(r"^data:image/(png|gif|jpeg|webp|avif);", re.IGNORECASE)


def xml(body: bytes) -> etree._Element:
    """Parse BODY as XML with no network and no entity expansion."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.fromstring(body, parser)


def rfc3339(value: str) -> datetime:
    assert RFC3339.match(value), f"not an RFC 3339 date-time: {value!r}"
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def rfc822(value: str) -> datetime:
    match = RFC822.match(value)
    assert match, f"not an RFC 822 date with a four-digit year: {value!r}"
    moment = parsedate_to_datetime(value)
    weekday = date(moment.year, moment.month, moment.day).strftime("%a")
    assert match["dow"] == weekday, f"{value!r}: the weekday is {weekday}"
    return moment


def _urls(element: lxml.html.HtmlElement) -> list[str]:
    urls = [element.get(name) for name in URL_ATTRIBUTES if element.get(name) is not None]
    for candidate in (element.get("srcset") or "").split(","):
        if candidate.strip():
            urls.append(candidate.split()[0])
    return urls


def check_html(fragment: str) -> None:
    """Assert FRAGMENT has only absolute, safe URLs and no dangerous markup."""
    if not fragment.strip():
        return
    for element in lxml.html.fragments_fromstring(f"<div>{fragment}</div>")[0].iter():
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions
        assert element.tag.lower() not in DANGEROUS_ELEMENTS, element.tag
        for name in element.attrib:
            assert not name.lower().startswith("on"), f"{element.tag} has {name}"
            assert name.lower() != "style", f"{element.tag} has a style attribute"
        for url in _urls(element):
            scheme = urlsplit(url).scheme.lower()
            assert scheme in {"http", "https", "mailto", "data"}, f"not absolute: {url!r}"
            if scheme in {"http", "https"}:
                assert urlsplit(url).netloc, f"no host: {url!r}"
            if scheme == "data":
                assert element.tag == "img" and DATA_IMAGE.match(url), url
            assert " " not in url, f"unencoded space: {url!r}"


def check_atom(root: etree._Element, self_url: str, home_url: str) -> None:
    """Assert the structural rules of one Atom document."""
    assert root.tag == f"{{{ATOM}}}feed"
    selfs = root.findall("a:link[@rel='self']", NS)
    assert [(s.get("href"), s.get("type")) for s in selfs] == [(self_url, "application/atom+xml")]
    alternates = root.findall("a:link[@rel='alternate']", NS)
    assert [a.get("href") for a in alternates] == [home_url]
    for name in ("id", "title", "subtitle", "author/a:name", "generator"):
        assert (root.findtext(f"a:{name}", namespaces=NS) or "").strip(), name
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang")
    updated = rfc3339(root.findtext("a:updated", namespaces=NS))
    entries = root.findall("a:entry", NS)
    ids = [e.findtext("a:id", namespaces=NS) for e in entries]
    assert len(ids) == len(set(ids)), "two entries with the same id"
    if entries:
        newest = max(rfc3339(e.findtext("a:updated", namespaces=NS)) for e in entries)
        assert updated == newest, "feed updated must be the newest entry's updated"
    for entry in entries:
        assert entry.findtext("a:id", namespaces=NS)
        assert entry.findtext("a:title", namespaces=NS)
        assert entry.get("{http://www.w3.org/XML/1998/namespace}lang")
        published = rfc3339(entry.findtext("a:published", namespaces=NS))
        assert rfc3339(entry.findtext("a:updated", namespaces=NS)) >= published
        links = entry.findall("a:link", NS)
        alternates = [link for link in links if link.get("rel", "alternate") == "alternate"]
        assert len(alternates) == 1, "exactly one alternate link per entry"
        kinds = [(link.get("rel", "alternate"), link.get("type")) for link in links]
        assert len(kinds) == len(set(kinds)), "two links with the same rel and type"
        for link in links:
            assert urlsplit(link.get("href")).scheme in {"http", "https"}
        assert entry.findall("a:author/a:name", NS)
        for content in entry.findall("a:content", NS):
            assert content.get("type") == "html"
            check_html(content.text or "")
        summary = entry.find("a:summary", NS)
        assert summary is not None and summary.get("type", "text") == "text"


def check_rss(root: etree._Element, self_url: str, home_url: str) -> None:
    """Assert the structural rules of one RSS 2.0 document."""
    assert root.tag == "rss" and root.get("version") == "2.0"
    for prefix, uri in (("atom", ATOM), ("content", CONTENT), ("dc", DC)):
        assert root.nsmap.get(prefix) == uri, f"namespace {prefix} not declared on <rss>"
    channel = root.find("channel")
    assert channel.findtext("link") == home_url
    selfs = channel.findall("a:link[@rel='self']", NS)
    assert [(s.get("href"), s.get("type")) for s in selfs] == [(self_url, "application/rss+xml")]
    for name in ("title", "description", "generator", "language", "ttl"):
        assert (channel.findtext(name) or "").strip(), name
    items = channel.findall("item")
    guids = [i.findtext("guid") for i in items]
    assert len(guids) == len(set(guids)), "two items with the same guid"
    built = rfc822(channel.findtext("lastBuildDate"))
    if items:  # lastBuildDate is the newest updated, so never before any pubDate
        assert built >= max(rfc822(i.findtext("pubDate")) for i in items)
    for item in items:
        link = item.findtext("link")
        assert urlsplit(link).scheme in {"http", "https"}
        guid = item.find("guid")
        assert guid is not None and guid.text
        if guid.get("isPermaLink", "true") == "true":
            assert guid.text == link, "a permalink guid must be the item's link"
        else:
            assert guid.get("isPermaLink") == "false"
        rfc822(item.findtext("pubDate"))
        assert item.findtext("title")
        assert item.findall("author") or item.findall("dc:creator", NS)
        assert len(item.findall("author")) <= 1
        assert not (item.findall("author") and item.findall("dc:creator", NS))
        check_html(item.findtext("description") or "")
        for encoded in item.findall("content:encoded", NS):
            check_html(encoded.text or "")
        for enclosure in item.findall("enclosure"):
            assert urlsplit(enclosure.get("url")).scheme in {"http", "https"}
            assert int(enclosure.get("length")) >= 0 and enclosure.get("type")
