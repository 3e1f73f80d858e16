"""Check, when a file is read, that its body and bio render within the budget.

The Folder calls ``inspect`` (handed in by the web layer and ``feedsvc
check``) for every file read, so an article over the budget is an
``ArticleError`` naming the file and line, and costs only that article.
"""

from __future__ import annotations

from ..errors import ArticleError, Problem
from ..model import Text
from . import budget, markup

# A container opened at the last level is left empty: markdown-it skips what it holds.
_CONTAINERS = frozenset(
    {"blockquote_open", "bullet_list_open", "ordered_list_open", "list_item_open"}
)


def inspect(path: str, fmt: str, text: Text, body_line: int) -> list[Problem]:
    """Raise ArticleError when TEXT (read from PATH) is over the render budget.

    BODY_LINE is the file's line where the body starts (the bio's line is not
    known). Markdown is rendered here only when its source cannot show that it
    fits, so most articles cost a scan of their source.
    """
    for source, first, what in ((text.body, body_line, "body"), (text.bio, None, "bio")):
        if not source:
            continue
        if fmt == "md":
            _inspect_markdown(path, source, first, what)
        elif len(markup.paragraphs(source).encode()) > budget.MAX_HTML_BYTES:
            raise _over_html(path, what, first)
    return []


def _line(first: int | None, line: int) -> int | None:
    return None if first is None else first + line


def _over_html(path: str, what: str, line: int | None) -> ArticleError:
    return ArticleError(
        path,
        f"{what} renders to over {budget.MAX_HTML_BYTES} bytes of HTML (the render budget): "
        "split it into several articles",
        line,
    )


def _inspect_markdown(path: str, source: str, first: int | None, what: str) -> None:
    over = budget.over_cost(source)
    if over is not None:
        raise ArticleError(
            path,
            f"{what} has more Markdown than one article may render ({budget.MAX_RENDER_COST} "
            "markup units, the render budget) from this line on: split it into several articles",
            _line(first, over),
        )
    deep = budget.may_nest_too_deep(source)
    if not deep and not budget.may_outgrow(source):
        return
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
