"""Template syntax in a post's body: expanded to what it means, never run, never shown raw.

Jekyll's Liquid (``{% tag %}``, ``{{ value }}``) and Hugo's shortcodes
(``{{< name >}}``, ``{{% name %}}``) are the engine's to expand. Links the
engine resolves (Jekyll ``post_url``, ``link``, ``relative_url``,
``absolute_url``; Hugo ``ref``, ``relref``) become the target's URL; common
embeds (youtube, vimeo, gist, x and tweet, figure, highlight) become a link, a
figure or a code block; ``{% raw %}`` keeps its text, and so does a Hugo
shortcode escaped as ``{{</* name */>}}``; ``{% comment %}`` and Hugo's
``comment`` shortcode go with their text. Any other tag is removed, keeping
what a paired tag encloses, with a warning naming the file and line.
"""

from __future__ import annotations

import html
import re
import shlex
from collections.abc import Callable

from ...errors import Problem, warning

Lookup = Callable[[str], str | None]  # a reference to another post -> its URL path, or None
_RAW = re.compile(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", re.DOTALL)
_COMMENT = re.compile(
    r"\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}"  # Liquid
    r"|\{\{[<%]\s*comment\s*[>%]\}\}.*?\{\{[<%]\s*/comment\s*[>%]\}\}",  # Hugo's comment
    re.DOTALL,
)
# Hugo's escaped shortcodes, {{</* name */>}} and {{%/* name */%}}: shown as written.
_ESCAPED = re.compile(r"\{\{([<%])/\*(.*?)\*/([>%])\}\}", re.DOTALL)
_HIGHLIGHT = re.compile(
    r"(?:\{%-?\s*highlight\s+([\w+#.-]+)[^%]*%\}|\{\{[<%]\s*highlight\s+([\w+#.-]+)[^>%]*[>%]\}\})"
    r"\n?(.*?)\n?(?:\{%-?\s*endhighlight\s*-?%\}|\{\{[<%]\s*/highlight\s*[>%]\}\})",
    re.DOTALL,
)
_TAG = re.compile(
    r"\{%-?\s*(.*?)\s*-?%\}"  # Liquid tag
    r"|\{\{<\s*(.*?)\s*>\}\}"  # Hugo shortcode
    r"|\{\{%\s*(.*?)\s*%\}\}"  # Hugo shortcode, Markdown inside
    r"|\{\{-?\s*(.*?)\s*-?\}\}",  # Liquid output, or a Hugo/Eleventy variable
    re.DOTALL,
)
# Pelican's links to content: {filename} (another post), {static} and {attach} (a file).
_PELICAN_LINK = re.compile(r"[{|](filename|static|attach)[}|]([^\s)\"'<>]+)")
_TERA_CALL = re.compile(r"^(\w+)\((.*)\)$", re.DOTALL)
# Zola's internal links: [text](@/section/page.md#anchor) -> the page's URL.
_ZOLA_LINK = re.compile(r"\]\(@/([^)\s#]+)(#[^)\s]*)?\)")
_URL_FILTER = re.compile(r"""^["']([^"']*)["']\s*\|\s*(relative_url|absolute_url)\s*$""")
_SAFE_TOKEN = re.compile(r"^[\w./@:-]+$")


def _arguments(text: str) -> tuple[list[str], dict[str, str]]:
    """Return a tag's positional and named arguments: `a "b c" key="v"`."""
    try:
        parts = shlex.split(text)
    except ValueError:
        parts = text.split()
    positional, named = [], {}
    for part in parts:
        key, equals, value = part.partition("=")
        if equals and re.fullmatch(r"[A-Za-z_]\w*", key):
            named[key.lower()] = value
        else:
            positional.append(part)
    return positional, named


def _link(url: str, text: str) -> str:
    return f'<p><a href="{html.escape(url)}">{html.escape(text)}</a></p>'


def _embed(name: str, args: list[str], named: dict[str, str]) -> str | None:
    """Return the plain HTML meaning of a common embed, or None."""
    first = named.get("id") or (args[0] if args else "")
    if name == "youtube" and _SAFE_TOKEN.match(first):
        return _link(f"https://www.youtube.com/watch?v={first}", f"Video on YouTube ({first})")
    if name == "vimeo" and _SAFE_TOKEN.match(first):
        return _link(f"https://vimeo.com/{first}", f"Video on Vimeo ({first})")
    if name == "gist":
        user = named.get("user") or (args[0] if args else "")
        gist = named.get("id") or (args[1] if len(args) > 1 else "")
        path = f"{user}/{gist}" if gist else user
        if path and _SAFE_TOKEN.match(path):
            return _link(f"https://gist.github.com/{path}", f"Gist {path}")
    if name in ("tweet", "x"):  # Hugo: x (since v0.141.0) is what tweet was
        user = named.get("user", "")
        tweet = named.get("id") or (args[-1] if args else "")
        if tweet.isdigit():
            where = f"https://x.com/{user or 'i/web'}/status/{tweet}"
            return _link(where, f"Post on X by @{user}" if user else "Post on X")
    if name == "figure" and (named.get("src") or args):
        src = html.escape(named.get("src") or args[0])
        alt = html.escape(named.get("alt", named.get("title", "")))
        caption = named.get("caption") or named.get("title")
        below = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
        return f'<figure><img src="{src}" alt="{alt}">{below}</figure>'
    return None


def site_url(filter_name: str, value: str, baseurl: str, url: str) -> str:
    """Return VALUE through Jekyll's URL filter (Liquid filters, url_filters.rb).

    relative_url: baseurl, then VALUE, each given a leading slash; absolute_url: the
    site's url before that, or relative_url when _config.yml has no url. A URL with a
    scheme is left as it is.
    """
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", value):
        return value
    relative = "".join("/" + part.strip("/") for part in (baseurl, value) if part.strip("/"))
    relative += "/" if value.endswith("/") and value.strip("/") else ""
    relative = relative or "/"
    return url.rstrip("/") + relative if filter_name == "absolute_url" and url else relative


def expand(
    path: str, body: str, first_line: int, lookup: Lookup, baseurl: str = "", url: str = ""
) -> tuple[str, list[Problem], int]:
    """Return BODY with its template syntax expanded, the warnings, and how many tags went."""
    problems: list[Problem] = []
    kept: list[str] = []

    def keep(text: str, span: str = "") -> str:  # a placeholder no later step rewrites,
        kept.append(text)  # with SPAN's line breaks: later tags' warnings name their line
        return f"\x00{len(kept) - 1}" + "\n" * span.count("\n") + "\x00"

    def line_of(position: int, text: str) -> int:
        return first_line + text.count("\n", 0, position)

    body = _ESCAPED.sub(lambda m: keep("{{" + "".join(m.groups()) + "}}", m.group(0)), body)
    body = _RAW.sub(lambda m: keep(m.group(1), m.group(0)), body)
    body = _COMMENT.sub(lambda m: keep("", m.group(0)), body)
    body = _HIGHLIGHT.sub(
        lambda m: keep(f"```{m.group(1) or m.group(2)}\n{m.group(3)}\n```", m.group(0)), body
    )
    removed = 0

    def one(match: re.Match[str]) -> str:
        nonlocal removed
        liquid, shortcode, markdown_code, output = match.groups()
        text = (liquid or shortcode or markdown_code or output or "").strip()
        name, _, rest = text.partition(" ")
        name = name.lower()
        tera = _TERA_CALL.match(text)  # Zola's shortcodes: {{ name(key="v") }}, {% name() %}
        if tera:
            name, rest, output = tera.group(1).lower(), tera.group(2).replace(",", " "), None
        if name == "end" and liquid is not None:
            return ""  # the end of Zola's shortcode with a body: its content stays
        if output is not None:
            filtered = _URL_FILTER.match(text)
            if filtered:
                return site_url(filtered.group(2), filtered.group(1), baseurl, url)
        elif name.startswith("/"):
            return ""  # the closing tag of a paired shortcode: its content stays
        else:
            args, named = _arguments(rest)
            if name in ("post_url", "link", "ref", "relref") and (args or named):
                target = lookup(named.get("path") or args[0])
                if target is not None:
                    return "/" + target
            else:
                embedded = _embed(name, args, named)
                if embedded is not None:
                    return keep(embedded)
        removed += 1
        where = line_of(match.start(), body)
        problems.append(
            warning(
                path, f"template tag {match.group(0)[:60]!r} removed: {name or 'value'}", where
            )
        )
        return ""

    body = _TAG.sub(one, body)

    def content_link(match: re.Match[str]) -> str:
        target = match.group(2).lstrip("/")
        found = lookup(target) if match.group(1) == "filename" else None
        return "/" + (found if found is not None else target)

    body = _PELICAN_LINK.sub(content_link, body)

    def zola_link(match: re.Match[str]) -> str:
        found = lookup(match.group(1))
        return f"](/{found if found is not None else ''}{match.group(2) or ''})"

    body = _ZOLA_LINK.sub(zola_link, body)
    body = re.sub(r"\x00(\d+)\n*\x00", lambda m: kept[int(m.group(1))], body)
    return body, problems, removed
