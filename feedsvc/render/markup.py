"""Render article bodies to HTML that is safe in every reader and browser.

Plain text becomes escaped paragraphs. Markdown is rendered by markdown-it-py
(CommonMark, with tables and strikethrough), then sanitised by nh3 in the same
pass that makes every URL-bearing attribute (href, src, srcset, poster, cite)
absolute against the article's permalink, since many readers ignore xml:base.
Rendering is pure and cached by its inputs (the text's name, not its words),
and runs only for what is served; a body is fetched from the ``Bodies``
source handed in only when its rendering is not cached.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import nh3
from markdown_it.token import Token

from ..model import Article, Bodies, Text
from ..reading.text import shorten, xml_legal
from . import blogmd, budget
from .sources import RENDERED_CHARS, kept
from .sources import NotNamed as _NotNamed
from .sources import Source as _Source
from .sources import spent as _spent

log = logging.getLogger(__name__)


def _warm() -> None:
    """Fill mdurl's lazy lookup tables now, while one thread runs.

    mdurl publishes each table before filling it, so the first links rendered by two
    gthread workers' threads at once can raise IndexError (seen under load).
    """
    blogmd.md.render("[a](http://a.example/b%20c?d=e#f) <http://g.example/h>")


_warm()

TAGS = {
    "a", "abbr", "audio", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd",
    "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "picture", "pre",
    "q", "s", "samp", "small", "source", "span", "strong", "sub", "summary", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul", "var", "video", "section",
}  # fmt: skip
ATTRIBUTES = {
    "*": {"title", "lang", "dir"},
    "a": {"href", "hreflang", "id"},
    "img": {"src", "srcset", "alt", "width", "height", "loading"},
    "source": {"src", "srcset", "type", "media"},
    "video": {"src", "poster", "controls", "width", "height"},
    "audio": {"src", "controls"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "time": {"datetime"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "ol": {"start", "reversed"},
    "code": {"class"},
    **blogmd.ANCHOR_ATTRIBUTES,
}
URL_ATTRIBUTES = {"href", "src", "poster", "cite"}
SCHEMES = {"http", "https", "mailto", "data"}
_SAFE = "/:@!$&'()*+,;=%~?#[]"  # reserved characters and existing %-escapes stay as written
_DATA_IMAGE = re.compile(r"^data:image/(png|gif|jpeg|webp|avif);", re.IGNORECASE)


def _canonical(url: str) -> str:
    """Return URL with its scheme and host in lower case and unsafe characters %-encoded."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" not in netloc:  # leave user info as written
        netloc = netloc.lower()
    return urlunsplit((
        parts.scheme.lower(), netloc, quote(parts.path, safe=_SAFE),
        quote(parts.query, safe=_SAFE), quote(parts.fragment, safe=_SAFE),
    ))  # fmt: skip


def absolute_url(url: str, base: str) -> str | None:
    """Return URL made absolute against BASE, or None when its scheme is not allowed."""
    url = url.strip()
    scheme = urlsplit(url).scheme.lower() if ":" in url else ""
    if scheme == "data":  # its scheme written in lower case, so later checks need not care
        return "data:" + url[5:] if _DATA_IMAGE.match(url) else None
    if scheme and scheme not in SCHEMES:
        return None
    if scheme == "mailto":
        return url
    return _canonical(urljoin(base, url))


_SPACE = " \t\n\r\f"


def _candidates(value: str) -> list[tuple[str, list[str]]]:
    """Return srcset VALUE's (url, descriptors), split as HTML's srcset parser splits them.

    A URL runs to white space, so a data: URL keeps its commas; a comma ending
    it ends the candidate; else its descriptors run to the next comma outside
    parentheses.
    """
    found: list[tuple[str, list[str]]] = []
    pos, end = 0, len(value)
    while True:
        while pos < end and (value[pos] in _SPACE or value[pos] == ","):
            pos += 1
        if pos >= end:
            return found
        start = pos
        while pos < end and value[pos] not in _SPACE:
            pos += 1
        url = value[start:pos]
        if url.endswith(","):
            found.append((url.rstrip(","), []))
            continue
        start, depth = pos, 0
        while pos < end and (value[pos] != "," or depth):
            if value[pos] == "(":
                depth += 1
            elif value[pos] == ")" and depth:
                depth -= 1
            pos += 1
        found.append((url, value[start:pos].split()))


def _srcset(value: str, base: str) -> str | None:
    """Return srcset VALUE with absolute URLs, leaving out unsafe and data: candidates."""
    candidates = []
    for url, descriptors in _candidates(value):
        absolute = absolute_url(url, base)
        if absolute is None or absolute.startswith("data:") or "," in absolute:
            continue  # data: URLs only in img src; a comma would split the candidate
        candidates.append(" ".join([absolute, *descriptors]))
    return ", ".join(candidates) or None


def sanitise(fragment: str, base: str) -> str:
    """Return FRAGMENT with only safe markup, every URL absolute against BASE."""

    def attribute_filter(element: str, attribute: str, value: str) -> str | None:
        if attribute in URL_ATTRIBUTES:
            url = absolute_url(value, base)
            if url and url[:5].lower() == "data:" and (element, attribute) != ("img", "src"):
                return None
            return url
        if attribute == "srcset":
            return _srcset(value, base)
        if attribute == "id":
            return value if blogmd.ID.match(value) else None
        return value

    # &#12; makes a character XML forbids (lxml refuses the whole feed): removed after nh3
    return xml_legal(
        nh3.clean(
            fragment,
            tags=TAGS,
            clean_content_tags={"script", "style", "template", "noscript", "svg", "math"},
            attributes=ATTRIBUTES,
            attribute_filter=attribute_filter,
            url_schemes=SCHEMES,
            link_rel="noopener noreferrer",
            strip_comments=True,
        )
    )


def paragraphs(text: str) -> str:
    """Return TEXT's blank-line separated paragraphs as escaped HTML paragraphs."""
    return "".join(f"<p>{html.escape(p, quote=False)}</p>\n" for p in text.split("\n\n") if p)


def parse(source: str) -> list[Token]:
    """Return the markdown-it tokens of Markdown SOURCE."""
    with budget.turn(source):
        return blogmd.md.parse(source)


def html_of(tokens: list[Token]) -> str:
    """Return TOKENS rendered to HTML, not yet sanitised."""
    rendered: str = blogmd.md.renderer.render(tokens, blogmd.md.options, {})
    return rendered


def _render(fmt: str, source: str, base: str) -> str | None:
    """Return SOURCE as safe HTML, or None when it is over the render budget or fails."""
    try:
        if fmt in blogmd.MARKDOWN:
            if budget.cost(source) > budget.MAX_RENDER_COST:
                return None
            with budget.turn(source):
                rendered = sanitise(blogmd.to_html(fmt, source), base)
        else:
            rendered = paragraphs(source)
    except Exception:  # a bug costs this text, never the document
        log.exception("rendering failed")
        return None
    return rendered if len(rendered.encode()) <= budget.MAX_HTML_BYTES else None


def _cached(
    render: Callable[[str, _Source, str], str | None], article: Article, bodies: Bodies, base: str
) -> str | None:
    """Return RENDER's cached result for ARTICLE's text, fetching the text only on a miss.

    A text that is not the one the key names (the file changed since the rescan, or
    a summary stands in) is rendered but never kept under that key.
    """

    def fetch() -> Text:
        text = bodies.text(article)
        if text.key != article.text_key:
            raise _NotNamed(text)
        return text

    source = _Source(article.text_key, fetch)
    try:
        return render(article.format, source, base)
    except _NotNamed as other:
        text = other.text
        uncached = getattr(render, "__wrapped__", render)
        return uncached(article.format, _Source(text.key, lambda: text), base)
    finally:
        source.fetch = _spent  # a key kept by the cache holds no article and no source


# Keyed by the text's name, not its source: the cache holds no bodies. A failure
# is kept too (None), so a text over budget is not rendered again per request.
@kept(RENDERED_CHARS)
def _body_html(fmt: str, source: _Source, base: str) -> str | None:
    return _render(fmt, source.fetch().body, base)


@kept(RENDERED_CHARS // 8)
def _bio_html(fmt: str, source: _Source, base: str) -> str | None:
    bio = source.fetch().bio
    return _render(fmt, bio, base) if bio else ""


def renders(article: Article, bodies: Bodies, base: str) -> bool:
    """Say whether ARTICLE's body renders within the budget (else its summary stands in)."""
    return _cached(_body_html, article, bodies, base) is not None


def body_html(article: Article, bodies: Bodies, base: str) -> str:
    """Return ARTICLE's body as safe HTML, its URLs absolute against BASE.

    A body that fails to render, or renders over the budget, is replaced by
    its summary (or its title) in a paragraph.
    """
    rendered = _cached(_body_html, article, bodies, base)
    if rendered is None:
        return paragraphs(shorten(article.summary) or article.title)
    return rendered


def bio_html(article: Article, bodies: Bodies, base: str) -> str:
    """Return ARTICLE's author bio as safe HTML, or nothing when it fails to render."""
    return _cached(_bio_html, article, bodies, base) or ""


_TAG = re.compile(r"<[^>]*>")
_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)


def plain(fragment: str) -> str:
    """Return the text of an HTML FRAGMENT."""
    return html.unescape(_TAG.sub("", fragment))


def summary(article: Article, bodies: Bodies, base: str) -> str:
    """Return ARTICLE's summary: as written, else its first paragraph, at most 300 characters."""
    if article.summary:
        return shorten(article.summary)
    if head := blogmd.before_more(article.format, bodies.text(article).body):  # as the body
        return shorten(plain(_render(article.format, head, base) or "").strip())
    if article.format == "txt":
        return shorten(bodies.text(article).body.split("\n\n", 1)[0])
    if not renders(article, bodies, base):
        return ""  # the feeds then carry the title
    rendered = body_html(article, bodies, base)
    match = _FIRST_PARAGRAPH.search(rendered)
    first = plain(match.group(1)).strip() if match else ""
    return shorten(first or plain(rendered))  # a body that opens with a list or an image


def image_url(article: Article, base: str) -> str:
    """Return ARTICLE's image as an absolute http(s) URL against BASE, or ""."""
    if not article.image:
        return ""
    url = absolute_url(article.image, base) or ""
    return url if url.startswith(("http://", "https://")) else ""
