"""Markdown as bloggers write it, for feedsvc's own articles and blog engines' posts.

CommonMark with tables and strikethrough, plus footnotes, task lists and
definition lists (mdit-py-plugins). A blog engine's Markdown (format
``md-blog``) also gives headings the anchors its engine gives them; feedsvc's
own ``md`` does not, so its entries stay as they were. A task list's box
becomes a character, so a form control never reaches a reader.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from ..reading.divider import MORE, divider
from . import budget

MARKDOWN = ("md", "md-blog", "html")  # "html": a blog's HTML or reStructuredText, as HTML
ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,80}$")  # the ids anchors and footnotes make
ANCHOR_ATTRIBUTES = {tag: {"id"} for tag in ("h2", "h3", "h4", "li")}  # and `a`, in markup
_TASK_BOX = re.compile(r'<input class="task-list-item-checkbox"( checked="checked")?[^>]*>')


def markdown() -> MarkdownIt:
    """Return a Markdown parser: tables, strikethrough, footnotes, task lists, terms."""
    return (
        MarkdownIt(
            "commonmark", {"html": True, "typographer": False, "maxNesting": budget.MAX_NESTING}
        )
        .enable(["table", "strikethrough"])
        .use(footnote_plugin)
        .use(tasklists_plugin)
        .use(deflist_plugin)
    )


md = markdown()
md_blog = markdown().use(anchors_plugin, min_level=2, max_level=4)


def to_html(fmt: str, source: str) -> str:
    """Return Markdown SOURCE of format FMT as HTML, not yet sanitised."""
    if fmt == "html":
        return source  # HTML already: sanitised by the caller like any other
    html: str = (md_blog if fmt == "md-blog" else md).render(source)
    return _TASK_BOX.sub(lambda m: "\u2611" if m.group(1) else "\u2610", html)


def before_more(fmt: str, source: str) -> str:
    """Return the Markdown above <!--more--> in SOURCE, or "" when there is none (one in
    code is the post's text, not the divider: ``divider``)."""
    if fmt not in MARKDOWN:
        return ""
    if fmt == "html":
        found = MORE.search(source)
    else:
        found = divider(source, (md_blog if fmt == "md-blog" else md).parse)
    head = source[: found.start()] if found else ""
    return head if head.strip() else ""
