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
import re
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from ..model import Article, Bodies, Text
from ..reading.text import shorten


def _markdown() -> MarkdownIt:
    """Return Markdown as bloggers write it: tables, strikethrough, footnotes, tasks, terms."""
    return (
        MarkdownIt("commonmark", {"html": True, "typographer": False})
        .enable(["table", "strikethrough"])
        .use(footnote_plugin)
        .use(tasklists_plugin)
        .use(deflist_plugin)
    )


_md = _markdown()
# A blog engine's Markdown ("md-blog") also gives headings the anchors its engine gives.
_md_blog = _markdown().use(anchors_plugin, min_level=2, max_level=4)
MORE = "<!--more-->"  # the summary separator of Jekyll, Hugo, Pelican, Zola and Eleventy
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,80}$")
# A task list's box becomes a character: a form control never reaches a reader.
_TASK_BOX = re.compile(r'<input class="task-list-item-checkbox"( checked="checked")?[^>]*>')


def _warm() -> None:
    """Fill mdurl's lazy lookup tables now, while one thread runs.

    mdurl publishes each table before filling it, so the first links rendered by two
    gthread workers' threads at once can raise IndexError (seen under load).
    """
    _md.render("[a](http://a.example/b%20c?d=e#f) <http://g.example/h>")


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
    "a": {"href", "hreflang"},
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
    **{tag: {"id"} for tag in ("h2", "h3", "h4", "li")},
}
ATTRIBUTES["a"] = ATTRIBUTES["a"] | {"id"}
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
    if scheme == "data":
        return url if _DATA_IMAGE.match(url) else None
    if scheme and scheme not in SCHEMES:
        return None
    if scheme == "mailto":
        return url
    return _canonical(urljoin(base, url))


def _srcset(value: str, base: str) -> str | None:
    candidates = []
    for candidate in value.split(","):
        parts = candidate.split()
        if not parts:
            continue
        url = absolute_url(parts[0], base)
        if url is None or "," in url:
            return None
        candidates.append(" ".join([url, *parts[1:]]))
    return ", ".join(candidates) or None


def sanitise(fragment: str, base: str) -> str:
    """Return FRAGMENT with only safe markup, every URL absolute against BASE."""

    def attribute_filter(element: str, attribute: str, value: str) -> str | None:
        if attribute in URL_ATTRIBUTES:
            url = absolute_url(value, base)
            if url and url.startswith("data:") and not (element == "img" and attribute == "src"):
                return None
            return url
        if attribute == "srcset":
            return _srcset(value, base)
        if attribute == "id":
            return value if _ID.match(value) else None
        return value

    return nh3.clean(
        fragment,
        tags=TAGS,
        clean_content_tags={"script", "style", "template", "noscript", "svg", "math"},
        attributes=ATTRIBUTES,
        attribute_filter=attribute_filter,
        url_schemes=SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def paragraphs(text: str) -> str:
    """Return TEXT's blank-line separated paragraphs as escaped HTML paragraphs."""
    return "".join(f"<p>{html.escape(p, quote=False)}</p>\n" for p in text.split("\n\n") if p)


def _render(fmt: str, source: str, base: str) -> str:
    if fmt in ("md", "md-blog"):
        rendered = (_md_blog if fmt == "md-blog" else _md).render(source)
        rendered = _TASK_BOX.sub(lambda m: "\u2611" if m.group(1) else "\u2610", rendered)
        return sanitise(rendered, base)
    return paragraphs(source)


class _Source:
    """A text's name and how to fetch its words: equal, and hashed, by the name alone."""

    __slots__ = ("key", "fetch")

    def __init__(self, key: bytes, fetch: Callable[[], Text]):
        self.key = key
        self.fetch = fetch

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Source) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)


def _spent() -> Text:
    raise RuntimeError("a cached rendering asked for its text again")


def _cached(
    render: Callable[[str, _Source, str], str], article: Article, bodies: Bodies, base: str
) -> str:
    """Return RENDER's cached result for ARTICLE's text, fetching the text only on a miss."""
    source = _Source(article.text_key, lambda: bodies.text(article))
    try:
        return render(article.format, source, base)
    finally:
        source.fetch = _spent  # a key kept by the cache holds no article and no source


# Keyed by the text's name, not its source: the cache holds no bodies.
@lru_cache(maxsize=2048)
def _body_html(fmt: str, source: _Source, base: str) -> str:
    return _render(fmt, source.fetch().body, base)


@lru_cache(maxsize=512)
def _bio_html(fmt: str, source: _Source, base: str) -> str:
    bio = source.fetch().bio
    return _render(fmt, bio, base) if bio else ""


def body_html(article: Article, bodies: Bodies, base: str) -> str:
    """Return ARTICLE's body as safe HTML, its URLs absolute against BASE."""
    return _cached(_body_html, article, bodies, base)


def bio_html(article: Article, bodies: Bodies, base: str) -> str:
    """Return ARTICLE's author bio as safe HTML."""
    return _cached(_bio_html, article, bodies, base)


_TAG = re.compile(r"<[^>]*>")
_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)


def plain(fragment: str) -> str:
    """Return the text of an HTML FRAGMENT."""
    return html.unescape(_TAG.sub("", fragment))


def summary(article: Article, bodies: Bodies, base: str) -> str:
    """Return ARTICLE's summary: as written, else its first paragraph, at most 300 characters."""
    if article.summary:
        return shorten(article.summary)
    if article.format in ("md", "md-blog"):
        head, more, _ = bodies.text(article).body.partition(MORE)
        if more and head.strip():
            return shorten(plain(_render("md", head, base)).strip())
    if article.format == "txt":
        return shorten(bodies.text(article).body.split("\n\n", 1)[0])
    rendered = body_html(article, bodies, base)
    match = _FIRST_PARAGRAPH.search(rendered)
    first = plain(match.group(1)).strip() if match else ""
    return shorten(first or plain(rendered))  # a body that opens with a list or an image
