"""Each article's feed entry, as feedgen holds it, and what Atom, RSS and JSON Feed show of it.

A built entry is kept for the next render of a feed that shows the same article:
after one change, every other entry of the feed is as it was, and building the
entries is most of a feed's render (feedgen's setters, the summary). An entry is
kept under the article object, which a change replaces, and for the site it was
built for; never when its text was a stand-in (the file could not give it), so a
document rendered again once the folder is back shows the text.
"""

from __future__ import annotations

import threading

from cachetools import LRUCache
from feedgen.entry import FeedEntry

from ..model import Article, Bodies
from . import markup
from .site import Site
from .sources import RENDERED_CHARS


def enclosure_url(article: Article, site: Site) -> str:
    assert article.enclosure is not None
    url = markup.absolute_url(article.enclosure.url, site.entry_url(article)) or ""
    return "" if url.startswith("data:") else url  # data: URLs only in img src


def content(article: Article, site: Site, bodies: Bodies, full: bool) -> tuple[str, str]:
    """Return ARTICLE's summary and, when FULL, its body as HTML."""
    permalink = site.entry_url(article)
    summary = markup.summary(article, bodies, permalink)
    return summary, (markup.body_html(article, bodies, permalink) if full else "")


# Bounded in characters, as the rendered bodies are (an entry holds its body's HTML).
_ENTRIES: LRUCache[tuple[int, bool], tuple[Article, Site, FeedEntry]] = LRUCache(
    RENDERED_CHARS // 4, lambda kept: _chars(kept[2])
)
_LOCK = threading.Lock()


def _chars(entry: FeedEntry) -> int:
    """Return what ENTRY weighs: its summary's and content's characters, and the object."""
    summary = (entry.summary() or {}).get("summary", "")
    return len(summary) + len((entry.content() or {}).get("content", "")) + 4096


def entry(article: Article, site: Site, bodies: Bodies, full: bool) -> FeedEntry:
    """Return ARTICLE's entry, with its body when FULL: built, or kept from the last render."""
    key = (id(article), full)
    with _LOCK:
        kept = _ENTRIES.get(key)
    if kept is not None and kept[0] is article and kept[1] is site:
        return kept[2]
    stand_ins = getattr(bodies, "stand_ins", 0)
    summary, body = content(article, site, bodies, full)
    fe = FeedEntry()
    fe.id(article.id)
    fe.guid(article.id, permalink=article.id == site.entry_url(article))
    fe.title(article.title)
    fe.link(href=site.entry_url(article), rel="alternate")
    fe.published(site.shown(article.published))  # type: ignore[arg-type]
    fe.updated(site.shown(article.updated))  # type: ignore[arg-type]
    fe.author(
        [{"name": a.name, **({"email": a.email} if a.email else {})} for a in article.authors]
    )
    for tag in article.tags:
        fe.category(term=tag.name)
    fe.summary(summary or article.title)
    if body:
        fe.content(body, type="html")
    if article.enclosure and enclosure_url(article, site):
        fe.enclosure(
            enclosure_url(article, site),
            str(article.enclosure.length),
            article.enclosure.type,
        )
    if getattr(bodies, "stand_ins", 0) == stand_ins:  # never keep a stand-in's text
        with _LOCK:
            _ENTRIES[key] = (article, site, fe)
    return fe
