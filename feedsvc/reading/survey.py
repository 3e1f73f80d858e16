"""What ``feedsvc check`` tells about a folder besides its articles: what was skipped.

A file that is not read is never skipped silently: every visible file of a
format feedsvc does not read is counted by its extension, for check's summary.
Hidden files and folders and editors' backups are not counted: nobody wrote
them as articles.
"""

from __future__ import annotations

import os
from collections import Counter

from .files import FORMATS

MAX_FILES = 100_000  # a survey of a huge tree stops counting, it never hangs check


def skipped_by_extension(root: str | os.PathLike[str]) -> Counter[str]:
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
            if extension not in FORMATS:
                counts[extension or "(none)"] += 1
    return counts


def describe(counts: Counter[str]) -> str:
    """Return COUNTS as `3 (.rst 2, .html 1)`, most common first."""
    total = sum(counts.values())
    parts = ", ".join(
        f"{ext} {n}" for ext, n in sorted(counts.items(), key=lambda i: (-i[1], i[0]))
    )
    return f"{total} ({parts})" if total else "0"
