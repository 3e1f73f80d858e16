"""What ``feedsvc check`` tells about a folder besides its articles: what was skipped.

A file that is not read is never skipped silently: every visible file of a
format feedsvc does not read is counted by its extension, for check's summary.
Hidden files and folders and editors' backups are not counted: nobody wrote
them as articles.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Container

from ..errors import ArticleError
from .engines import DRAFT, POST, Blog
from .engines import reader as engines
from .engines.common import not_understood
from .files import FORMATS, discover, read

_ROLE_NAMES = {"page": "pages", "ignored": "not content", "ignored by IGNORE": "ignored"}
MAX_FILES = 100_000  # a survey of a huge tree stops counting, it never hangs check


def skipped_by_extension(root: str | os.PathLike[str], blog: Blog | None = None) -> Counter[str]:
    """Return how many files below ROOT are skipped for their extension, by extension."""
    counts: Counter[str] = Counter()
    seen = 0
    for _folder, folders, names in os.walk(root):
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        for name in names:
            seen += 1
            if seen > MAX_FILES:
                return counts
            if name.startswith((".", "#")) or name.endswith(("~", ".swp")):
                continue
            extension = os.path.splitext(name)[1].lower()
            if extension not in FORMATS and extension not in engines.extensions(blog):
                counts[extension or "(none)"] += 1
    return counts


def describe(counts: Counter[str]) -> str:
    """Return COUNTS as `3 (.rst 2, .html 1)`, most common first."""
    total = sum(counts.values())
    parts = ", ".join(
        f"{ext} {n}" for ext, n in sorted(counts.items(), key=lambda i: (-i[1], i[0]))
    )
    return f"{total} ({parts})" if total else "0"


def roles(
    root: str | os.PathLike[str],
    blog: Blog | None,
    ignore: tuple[str, ...] = (),
    read: Container[str] = (),
) -> Counter[str]:
    """Return how many files of a known format are not read as articles, by role.

    Files in READ are read all the same: papers an earlier release published.
    """
    found, _ = discover(root, engines.extensions(blog))
    counts: Counter[str] = Counter()
    for item in found:
        if item.path in read:
            continue
        if blog is None:
            kind = engines.own_role(item.path, ignore)
        else:
            kind = engines.role(blog, item.path)
        if kind not in (POST, DRAFT):
            counts[_ROLE_NAMES.get(kind, kind)] += 1
    return counts


def keys_not_understood(root: str | os.PathLike[str], blog: Blog, max_bytes: int) -> Counter[str]:
    """Return how many posts carry each front matter key that nothing gives a meaning."""
    found, _ = discover(root)
    counts: Counter[str] = Counter()
    for item in found:
        if not engines.is_read(blog, item.path):
            continue
        try:
            text, _ = read(item, max_bytes)
            raw = engines.parse(blog, item.path, text)
        except ArticleError:
            continue  # reported with the articles
        counts.update(not_understood(raw.meta, engines.module(blog).understood()))
    return counts


def engine_line(blog: Blog | None, setting: str) -> str:
    """Return check's line naming the engine and where it was recognised."""
    if blog is None:
        why = "ENGINE=none" if setting == "none" else "no blog engine's configuration file"
        return f"engine: none ({why}; feedsvc's own layout)"
    if blog.source:
        return f"engine: {blog.engine} (recognised from {blog.source})"
    return f"engine: {blog.engine} (set by ENGINE; no configuration file read)"
