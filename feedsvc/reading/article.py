"""One article file: read safely, parsed by its format, normalised."""

from __future__ import annotations

from ..errors import Problem
from ..model import Article, Text
from . import files
from .engines import reader as engines
from .formats import READERS
from .normalise import Defaults, normalise


def read_article(
    found: files.Found, defaults: Defaults, max_bytes: int
) -> tuple[Article, Text, list[Problem]]:
    """Read, parse and normalise one file; raise ArticleError when it cannot be published."""
    text, problems = files.read(found, max_bytes)
    fmt = files.FORMATS[found.path[found.path.rfind(".") :].lower()]
    raw = READERS[fmt](found.path, text)
    if defaults.blog is not None:
        article, body, warnings, _ = engines.read(defaults.blog, raw, defaults)
        return article, body, problems + warnings
    article, body = normalise(raw, defaults)
    return article, body, problems + list(raw.warnings)
