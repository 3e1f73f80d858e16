"""What feeds carry beyond feedgen's reach: entry images, tombstones and WebSub hub links.

Images are Media RSS (``media:content`` and ``media:thumbnail``), which Atom
and RSS readers both read, as jekyll-feed and Ghost write them. Tombstones are
RFC 6721 ``at:deleted-entry`` elements, an Atom extension: RSS and JSON Feed
have no convention for a deletion, so there the entry simply goes. Hub links
are WebSub's ``rel="hub"`` links, beside the ``rel="self"`` the feed has.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from datetime import UTC
from urllib.parse import urlsplit

from lxml import etree

from ..catalog.snapshot import Tombstone

MEDIA_NS = "http://search.yahoo.com/mrss/"
TOMBSTONE_NS = "http://purl.org/atompub/tombstones/1.0"


def image_type(url: str) -> str:
    """Return the media type an image URL's extension names, or ""."""
    guessed = mimetypes.guess_type(urlsplit(url).path)[0] or ""
    return guessed if guessed.startswith("image/") else ""


def add_image(entry: etree._Element, url: str) -> None:
    """Add URL as ENTRY's image: media:content (with its type when known) and media:thumbnail."""
    kind = image_type(url)
    attrs = {"url": url, "medium": "image", **({"type": kind} if kind else {})}
    etree.SubElement(entry, f"{{{MEDIA_NS}}}content", attrs)
    etree.SubElement(entry, f"{{{MEDIA_NS}}}thumbnail", {"url": url})


def add_tombstones(feed: etree._Element, tombstones: Sequence[Tombstone]) -> None:
    """Append an RFC 6721 at:deleted-entry to FEED for each of TOMBSTONES."""
    for stone in tombstones:
        when = stone.when.astimezone(UTC).isoformat().replace("+00:00", "Z")
        etree.SubElement(feed, f"{{{TOMBSTONE_NS}}}deleted-entry", {"ref": stone.id, "when": when})


def hub_links(parent: etree._Element, ns: str, hubs: Sequence[str], at: int) -> None:
    """Insert a rel="hub" link under PARENT at AT for each of HUBS (NS: Atom's namespace)."""
    for offset, hub in enumerate(hubs):
        parent.insert(at + offset, etree.Element(f"{{{ns}}}link", {"rel": "hub", "href": hub}))
