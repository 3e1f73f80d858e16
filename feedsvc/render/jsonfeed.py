"""Render a list of articles as JSON Feed 1.1, with the ids, titles and dates of the others."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ..model import Article, Bodies
from . import markup
from .entries import content, enclosure_url
from .feeds import FeedInfo
from .site import Site

JSON_FEED = "application/feed+json"


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def json_feed(
    site: Site, info: FeedInfo, articles: Sequence[Article], full_count: int, bodies: Bodies
) -> bytes:
    """Return ARTICLES as a JSON Feed 1.1 document; the first FULL_COUNT carry their content."""
    items = []
    for index, article in enumerate(articles):
        assert article.published is not None and article.updated is not None  # resolved
        summary, body = content(article, site, bodies, index < full_count)
        item: dict[str, Any] = {
            "id": article.id,
            "url": site.entry_url(article),
            "title": article.title,
            **({"summary": summary} if summary else {}),
            "content_html": body or f"<p>{html.escape(summary or article.title)}</p>",
            "date_published": _rfc3339(site.shown(article.published)),
            "date_modified": _rfc3339(site.shown(article.updated)),
            "authors": [{"name": a.name} for a in article.authors],
            **({"tags": [t.name for t in article.tags]} if article.tags else {}),
            "language": article.lang,
        }
        image = markup.image_url(article, site.entry_url(article))
        if image:
            item["image"] = image
        if article.enclosure and enclosure_url(article, site):
            item["attachments"] = [
                {
                    "url": enclosure_url(article, site),
                    "mime_type": article.enclosure.type,
                    "size_in_bytes": article.enclosure.length,
                }
            ]
        items.append(item)
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": info.title,
        "home_page_url": site.url(info.home_path),
        "feed_url": site.url(f"{info.self_path}.json"),
        "description": site.subtitle or site.title,
        "authors": [{"name": site.author}],
        "language": site.language,
        **({"icon": site.logo} if site.logo else {}),
        **({"favicon": site.icon} if site.icon else {}),
        **({"next_url": site.url(f"{info.prev_archive}.json")} if info.prev_archive else {}),
        **({"hubs": [{"type": "WebSub", "url": hub} for hub in info.hubs]} if info.hubs else {}),
        "items": items,
    }
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode()
