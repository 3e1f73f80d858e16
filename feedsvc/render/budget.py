"""The render budget: what one article may cost to render, measured from its source.

Every article body and bio must render to at most MAX_HTML_BYTES of HTML, and
Markdown must cost at most MAX_RENDER_COST markup units (a unit is a newline
or an ASCII punctuation character, a table's ``|`` counting four): markdown-it
makes at most about three tokens per unit, and a token costs about 400 bytes
while the source is rendered, so the cap bounds a render to about 100 MiB and
a few seconds. Past HEAVY_COST, the renders of one process take turns
(``turn``, the one piece of state here), so threads rendering different
costly articles peak at one render's memory. The limits are checked when a
file is read (``inspection.inspect``), so ``feedsvc check`` names the file and
the line; the rest are pure functions on the source that say whether a full
render is needed to know.
"""

from __future__ import annotations

import contextlib
import re
import threading

MAX_HTML_BYTES = 1024 * 1024
MAX_RENDER_COST = 100_000
HEAVY_COST = 10_000  # past it, a process renders one such article at a time (markup)
MAX_NESTING = 100  # markdown-it's own default preset; its CommonMark preset stops at 20
# HTML bytes one unit can add at most (a list marker opens and closes <ul><li>, a
# link gains an absolute URL and rel="noopener noreferrer"); a text byte adds one.
_GROWTH = 50
# The units, as bytes: all ASCII, so UTF-8 holds each as the one byte it is, and
# bytes.translate counts them ten times faster than a regular expression here.
_UNITS = bytes(c for c in range(128) if re.match(r"[\n!-/:-@\[-`{-~]", chr(c)))
_PIPE_WEIGHT = 3  # extra units per `|`: a table cell is four tokens
# Both are searched in "\n" + source: a pattern opening with a literal newline is found
# by a fast scan, where ``^`` under MULTILINE is tried at every character (5 to 10x slower).
_REFERENCE = re.compile(r"\n {0,3}\[[^\]\n]+\]:")
# A line's container prefix, when long enough to matter (a tab is at most two containers).
_PREFIX = re.compile(r"\n([ \t>*+\-0-9.)]{24,})")
_MARKERS = re.compile(r">|[*+\-](?=[ \t]|$)|[0-9]{1,9}[.)](?=[ \t]|$)")
_CHUNK = 4096


def cost(source: str) -> int:
    """Return the markup units of SOURCE."""
    data = source.encode(errors="surrogatepass")  # a lone surrogate is no unit either
    return len(data) - len(data.translate(None, _UNITS)) + _PIPE_WEIGHT * data.count(b"|")


# One costly Markdown render at a time per process: threads asked for different costly
# articles then peak at one render's memory, not one each.
_heavy = threading.Lock()


def turn(source: str) -> contextlib.AbstractContextManager[object]:
    """Return what to hold while SOURCE is parsed: the process's turn when it is costly."""
    return _heavy if cost(source) > HEAVY_COST else contextlib.nullcontext()


def over_cost(source: str) -> int | None:
    """Return the 0-based line of SOURCE where it passes MAX_RENDER_COST, or None."""
    if cost(source) <= MAX_RENDER_COST:
        return None
    spent, start = 0, 0
    while True:  # by chunks of whole lines, then by line within the chunk that passes
        end = source.find("\n", start + _CHUNK) + 1 or len(source)
        chunk = source[start:end]
        if spent + cost(chunk) > MAX_RENDER_COST:
            line = source.count("\n", 0, start)
            for offset, text in enumerate(chunk.splitlines(keepends=True)):
                spent += cost(text)
                if spent > MAX_RENDER_COST:
                    return line + offset
        spent += cost(chunk)
        start = end


def may_outgrow(source: str) -> bool:
    """Say whether SOURCE's HTML may pass MAX_HTML_BYTES (a render tells for sure)."""
    if _REFERENCE.search("\n" + source):  # each use of a reference repeats its URL and title
        return True
    return len(source.encode()) + _GROWTH * cost(source) > MAX_HTML_BYTES


def may_nest_too_deep(source: str) -> bool:
    """Say whether a line of SOURCE may sit more than MAX_NESTING token levels deep.

    Each container needs a marker (``>``, a list marker) on its line or two
    columns of indentation, and a list takes two levels (the list, the item).
    """
    for match in _PREFIX.finditer("\n" + source):
        prefix = match.group(1)
        blank = sum(4 if c == "\t" else 1 for c in prefix if c in " \t")
        containers = blank // 2 + len(_MARKERS.findall(prefix))
        if 2 * containers + 2 >= MAX_NESTING - 1:
            return True
    return False
