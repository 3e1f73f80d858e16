"""The summary divider, ``<!--more-->``, found as the blog engines find it.

Jekyll, Hugo, Pelican, Zola and Eleventy end a post's summary at ``<!--more-->``
(Zola writes ``<!-- more -->``). Hugo's "Content summaries" count it outside code
only: a post that explains the divider shows it in a code span or block, and that
is text, not the end of a summary. ``divider`` finds the first one markdown-it reads
as markup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from markdown_it import MarkdownIt

MORE = re.compile(r"<!--\s*more\s*-->")
_CODE = ("fence", "code_block", "code_inline")
_MARKUP = ("html_block", "html_inline")
_PARSE = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).parse


def divider(
    source: str, parse: Callable[[str], Sequence[Any]] | None = None
) -> re.Match[str] | None:
    """Return the first divider of Markdown SOURCE outside code, parsed by PARSE (the
    renderer's own, else CommonMark's); None when there is none."""
    found = list(MORE.finditer(source))
    if not found:
        return None
    if not any(c in source for c in "`~") and "\n    " not in source and "\n\t" not in source:
        return found[0]  # no code at all: the first one
    passed = 0  # dividers met in code so far, in the order of FOUND
    for token in (parse or _PARSE)(source):
        for part in token.children or [token]:
            if part.type in _CODE:
                passed += len(MORE.findall(part.content))
            elif part.type in _MARKUP and MORE.search(part.content):
                return found[passed] if passed < len(found) else found[0]
    return None
