"""The folder's files as last read, by path, knowing which of them have problems."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import Problem
from ..model import Article


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
