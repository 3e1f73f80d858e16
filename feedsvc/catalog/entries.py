"""The folder's files as last read, by path, knowing which of them have problems.

A file that is there but gives no article (it does not parse, and no last good
version of it is at hand) is not a deletion: ``held`` names the live records
last seen at such files, which a sync must not mark gone. ``absent`` names those
whose files are not there at all, which may be waited for (``Catalog._wait``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import Problem
from ..model import Article
from ..store.db import StateStore
from ..store.parts import parts


@dataclass(frozen=True, slots=True)
class Changes:
    """What a scan found: whether anything changed, which files were edited, which went."""

    changed: bool
    edited: dict[str, Article | None] | None  # path -> article before; None: files came or went
    # Path -> the article of each deleted file (None: none), when the scan found nothing else.
    removed: dict[str, Article | None] = field(default_factory=dict)


@dataclass(slots=True)
class Entry:
    """A file as last read: its signature, its article (None: none yet) and problems."""

    signature: bytes
    article: Article | None
    problems: tuple[Problem, ...]


class Entries(dict[str, Entry]):
    """Files by path that know which of them have problems: listing those costs those only."""

    def __init__(self) -> None:
        super().__init__()
        self.troubled: dict[str, None] = {}  # paths whose entry has problems, in order

    def __setitem__(self, path: str, entry: Entry) -> None:
        super().__setitem__(path, entry)
        if entry.problems:
            self.troubled[path] = None
        else:
            self.troubled.pop(path, None)

    def __delitem__(self, path: str) -> None:
        super().__delitem__(path)
        self.troubled.pop(path, None)

    def problems(self) -> list[Problem]:
        """Return the problems of every file, as last read."""
        problems: list[Problem] = []
        for path in list(self.troubled):
            if (entry := self.get(path)) is None:  # deleted by dict.pop (no __delitem__)
                del self.troubled[path]
            else:
                problems.extend(entry.problems)
        return problems

    def unreadable(self) -> list[str]:
        """Return the files that are there but give no article, sorted."""
        return sorted(p for p in self.troubled if (e := self.get(p)) is not None and not e.article)


def held(entries: Entries, store: StateStore, slugs: list[str]) -> frozenset[str]:
    """Return the SLUGS whose live records were last seen at a file that gives no article."""
    paths = entries.unreadable() if slugs else []
    there: set[str] = set()
    for start in range(0, len(paths), 500):  # a few, usually; SQLite takes 32,766 at most
        there |= store.live_at(paths[start : start + 500])
    return frozenset(slugs) & there


def published_paper(entries: Entries, store: StateStore, path: str) -> bool:
    """Say whether PATH, a folder's paper by its name (README, LICENSE, robots.txt), is an
    article all the same: one a release before papers were told apart published (its
    record is live, or it is read now). A published article never vanishes."""
    return path in entries or bool(store.live_at([path]))


def absent(store: StateStore, slugs: list[str], waits: Callable[[str], bool]) -> dict[str, str]:
    """Return the SLUGS whose live records were last seen at a path that WAITS says is not
    there yet (slug -> path)."""
    found = {}
    for part, marks in parts(slugs):
        query = f"SELECT slug, path FROM article WHERE gone IS NULL AND slug IN ({marks})"
        found.update(store.db.execute(query, part).fetchall())
    return {slug: path for slug, path in found.items() if path and waits(path)}
