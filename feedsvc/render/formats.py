"""The one registry of output formats: kind, media type, file name and renderer.

Everything that names a feed format (the router's paths, the pages'
autodiscovery links, the web layer's browser view, ``feedsvc build``) reads
it here, so a format is added in one place. ``render`` keeps a feed within
the site's byte budget: over FEED_MAX_BYTES, the oldest entries fall back to
their summaries, then the oldest are dropped, until the document fits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..model import Article, Bodies
from .feeds import ATOM, RSS, FeedInfo, atom, rss
from .jsonfeed import JSON_FEED, json_feed
from .site import Site

HTML = "text/html"
Renderer = Callable[[Site, FeedInfo, Sequence[Article], int, Bodies], bytes]


@dataclass(frozen=True)
class Format:
    kind: str  # the extension: feed.atom
    media_type: str
    name: str  # as readers call it
    renderer: Renderer
    browser_xml: bool  # browsers get it as application/xml, so they apply feed.css

    @property
    def file_name(self) -> str:
        return f"feed.{self.kind}"


FORMATS: dict[str, Format] = {
    f.kind: f
    for f in (
        Format("atom", ATOM, "Atom", atom, browser_xml=True),
        Format("rss", RSS, "RSS", rss, browser_xml=True),
        Format("json", JSON_FEED, "JSON Feed", json_feed, browser_xml=False),
    )
}
BROWSER_XML = frozenset(f.media_type for f in FORMATS.values() if f.browser_xml)


def render(
    kind: str, site: Site, info: FeedInfo, articles: Sequence[Article], bodies: Bodies
) -> bytes:
    """Return the feed of KIND within the site's byte budget and content setting.

    Over FEED_MAX_BYTES, the oldest entries fall back to their summaries, then
    the oldest are dropped, until the document fits: the most that fit.
    """
    renderer = FORMATS[kind].renderer
    budget = site.feed_max_bytes
    full = len(articles) if site.feed_content == "full" else 0
    body = renderer(site, info, articles, full, bodies)
    if len(body) <= budget:
        return body
    if full:
        summaries = renderer(site, info, articles, 0, bodies)
        if len(summaries) <= budget:  # the most full entries that fit
            return _most_that_fit(
                lambda n: renderer(site, info, articles, n, bodies),
                (0, summaries),
                (full, body),
                budget,
            )
        body = summaries
    empty = renderer(site, info, articles[:0], 0, bodies)  # the most summary-only entries
    return _most_that_fit(
        lambda n: renderer(site, info, articles[:n], 0, bodies),
        (0, empty),
        (len(articles), body),
        budget,
    )


def _most_that_fit(
    make: Callable[[int], bytes],
    low: tuple[int, bytes],
    high: tuple[int, bytes],
    budget: int,
) -> bytes:
    """Return make(n) for the largest n that fits BUDGET, between LOW (fits) and HIGH (not).

    Sizes grow with n, and entries are alike, so each probe is guessed from the
    sizes at both ends: a few renders, where halving takes log2(n). A guess that
    does not halve the range is followed by a halving step.
    """
    (lo, lo_body), (hi, hi_body) = low, high
    guess = True
    while hi - lo > 1:
        width = hi - lo
        if guess and len(hi_body) > len(lo_body):
            step = (budget - len(lo_body)) * width // (len(hi_body) - len(lo_body))
            mid = min(max(lo + step, lo + 1), hi - 1)
        else:
            mid = (lo + hi) // 2
        body = make(mid)
        if len(body) <= budget:
            lo, lo_body = mid, body
        else:
            hi, hi_body = mid, body
        guess = (hi - lo) * 2 <= width
    return lo_body
