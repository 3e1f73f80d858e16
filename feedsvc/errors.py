"""The one exception family for bad articles, and the problems we report.

An ``ArticleError`` always names the file (relative to the articles folder),
the line where known, and what to do about it. It skips that one article;
nothing else. ``Problem`` is the printable form shared by ``feedsvc check``
and the server log: ``PATH[:LINE]: error|warning: message``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CONTROL = re.compile("[\x00-\x1f\x7f]")


class FeedsvcError(Exception):
    """Base of every error feedsvc raises on purpose."""


class ConfigError(FeedsvcError):
    """A configuration value is missing, malformed or out of range."""


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    severity: str  # "error" or "warning"
    message: str

    def __lt__(self, other: Problem) -> bool:
        # By path, then line (a problem of the whole file, line None, first).
        return self._key() < other._key()

    def _key(self) -> tuple[str, int, str, str]:
        return (self.path, -1 if self.line is None else self.line, self.severity, self.message)

    def __str__(self) -> str:
        path = _CONTROL.sub(lambda m: repr(m.group())[1:-1], self.path)  # one problem, one line
        where = path if self.line is None else f"{path}:{self.line}"
        return f"{where}: {self.severity}: {self.message}"


class ArticleError(FeedsvcError):
    """An article file cannot be published; it names the file and the fix."""

    def __init__(self, path: str, message: str, line: int | None = None):
        super().__init__(message)
        self.path = path
        self.line = line
        self.message = message

    @property
    def problem(self) -> Problem:
        return Problem(self.path, self.line, "error", self.message)

    def __str__(self) -> str:
        return str(self.problem)


def warning(path: str, message: str, line: int | None = None) -> Problem:
    """Return a warning about PATH."""
    return Problem(path, line, "warning", message)
