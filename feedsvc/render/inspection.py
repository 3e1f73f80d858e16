"""Check, when a file is read, that its body and bio render within the budget.

The Folder calls ``inspect`` (handed in by the web layer and ``feedsvc
check``) for every file read, so an article over the budget is an
``ArticleError`` naming the file and line, and costs only that article.
Nothing is dropped in silence: Markdown nested past markdown-it's limit is an
error, and raw HTML that sanitising removes with all it holds (script, style,
svg, math, iframe, ...) is a warning with its line.
"""

from __future__ import annotations

import re

from markdown_it.token import Token

from ..errors import ArticleError, Problem, warning
from ..model import Text
from . import budget, markup

# A container opened at the last level is left empty: markdown-it skips what it holds.
_CONTAINERS = frozenset(
    {"blockquote_open", "bullet_list_open", "ordered_list_open", "list_item_open"}
)

# Raw HTML that sanitising removes (markup.sanitise): with all it holds, or an embed.
_REMOVED = re.compile(
    r"<(script|style|template|noscript|svg|math|iframe|object|embed)\b", re.IGNORECASE
)
_EMBEDS = frozenset({"iframe", "object", "embed"})


def inspect(path: str, fmt: str, text: Text, body_line: int) -> list[Problem]:
    """Return warnings about TEXT (read from PATH); raise ArticleError when over budget.

    BODY_LINE is the file's line where the body starts (the bio's line is not
    known). Markdown is parsed here only when its source cannot show that it
    fits or holds nothing to report, so most articles cost a scan of their source.
    """
    problems: list[Problem] = []
    for source, first, what in ((text.body, body_line, "body"), (text.bio, None, "bio")):
        if not source:
            continue
        if fmt == "md":
            problems += _inspect_markdown(path, source, first, what)
        elif fmt == "html":  # a blog's HTML (Pelican's .html, .rst): sanitised the same way
            problems += _removed_in_html(path, source, first, what)
        elif len(markup.paragraphs(source).encode()) > budget.MAX_HTML_BYTES:
            raise _over_html(path, what, first)
    return problems


def _line(first: int | None, line: int) -> int | None:
    return None if first is None else first + line


def _over_html(path: str, what: str, line: int | None) -> ArticleError:
    return ArticleError(
        path,
        f"{what} renders to over {budget.MAX_HTML_BYTES} bytes of HTML (the render budget): "
        "split it into several articles",
        line,
    )


def _inspect_markdown(path: str, source: str, first: int | None, what: str) -> list[Problem]:
    over = budget.over_cost(source)
    if over is not None:
        raise ArticleError(
            path,
            f"{what} has more Markdown than one article may render ({budget.MAX_RENDER_COST} "
            "markup units, the render budget) from this line on: split it into several articles",
            _line(first, over),
        )
    deep = budget.may_nest_too_deep(source)
    html = _REMOVED.search(source) is not None
    if not deep and not html and not budget.may_outgrow(source):
        return []
    tokens = markup.parse(source)
    if deep:
        for token in tokens:
            if token.level >= budget.MAX_NESTING - 1 and token.type in _CONTAINERS:
                raise ArticleError(
                    path,
                    f"{what} nests lists or quotes too deep here ({budget.MAX_NESTING} levels, "
                    "a list counting two): Markdown would drop what is deeper and what "
                    "follows: flatten it",
                    _line(first, token.map[0] if token.map else 0),
                )
    if len(markup.sanitise(markup.html_of(tokens), "").encode()) > budget.MAX_HTML_BYTES:
        raise _over_html(path, what, first)
    return _removed_html(path, tokens, first, what) if html else []


def _removed_in_html(path: str, source: str, first: int | None, what: str) -> list[Problem]:
    """Return a warning for each element of HTML SOURCE that sanitising removes, by line."""
    found = [
        (source.count("\n", 0, m.start()), m.group(1).lower()) for m in _REMOVED.finditer(source)
    ]
    return [warning(path, _removed_message(what, tag), _line(first, line)) for line, tag in found]


def _removed_message(what: str, tag: str) -> str:
    if tag in _EMBEDS:
        return f"{what}: raw HTML <{tag}> is removed (feeds and pages embed nothing): " + (
            "link to what it shows instead"
        )
    return f"{what}: raw HTML <{tag}> is removed with all it holds (feeds and pages allow " + (
        "none): use Markdown, an image or a link instead"
    )


def _removed_html(path: str, tokens: list[Token], first: int | None, what: str) -> list[Problem]:
    """Return a warning for each raw HTML element that sanitising removes with its content."""
    problems = []
    for token in tokens:
        line = token.map[0] if token.map else 0
        pieces = [token] if token.type == "html_block" else token.children or []
        for piece in pieces:
            if piece.type not in ("html_block", "html_inline"):
                continue
            for match in _REMOVED.finditer(piece.content):
                message = _removed_message(what, match.group(1).lower())
                problems.append(warning(path, message, _line(first, line)))
    return problems
