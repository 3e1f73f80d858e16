"""One article file: read safely, parsed by its format, normalised."""

from __future__ import annotations

import os
from collections.abc import Callable

from ..errors import ArticleError, Problem
from ..model import Article, Text
from . import files
from .engines import reader as engines
from .formats import READERS
from .normalise import Defaults, normalise_warned

# (path, format, text, the file's line where the body starts) -> problems; may raise
# ArticleError. Handed in from a later stage: the render budget (render.inspection).
Inspect = Callable[[str, str, Text, int], list[Problem]]


def read_article(
    found: files.Found, defaults: Defaults, max_bytes: int, inspect: Inspect | None = None
) -> tuple[Article, Text, list[Problem]]:
    """Read, parse and normalise one file; raise ArticleError when it cannot be published."""
    text, problems = files.read(found, max_bytes)
    if defaults.blog is not None:
        raw = engines.parse(defaults.blog, found.path, text)
        fmt = raw.format
        article, body, warnings, _ = engines.read(defaults.blog, raw, defaults)
        problems += warnings
    else:
        fmt = files.FORMATS[found.path[found.path.rfind(".") :].lower()]
        raw = READERS[fmt](found.path, text)
        article, body, warnings = normalise_warned(raw, defaults)
        problems += raw.warnings
        problems += warnings
    if defaults.permalink:  # the site's own rule (PERMALINK) wins over the engine's
        article = engines.with_permalink(article, defaults)
    if inspect is not None:
        problems += inspect(found.path, fmt, body, raw.body_line)
    return article, body, problems


def reread(root: str, defaults: Defaults, max_bytes: int, path: str) -> Text | None:
    """Return the text of ROOT/PATH as the file says now; None when it cannot be read."""
    full = os.path.join(root, path)
    try:
        found = files.Found(path, full, files.signature(os.stat(full)))
        _, text, _ = read_article(found, defaults, max_bytes)
    except (OSError, ArticleError):
        return None
    return text
