"""TOML (``+++``) and JSON (``{ ... }``) front matter, as Hugo and Zola write it.

Hugo reads front matter in YAML between ``---`` lines, TOML between ``+++``
lines, and JSON as one object at the top of the file; Zola reads TOML between
``+++`` lines. Values are returned as their format gives them (TOML dates as
datetimes), keys lower-cased, for ``normalise`` to give them meaning. A key given
twice (``Title`` and ``title`` too) is refused, never settled by keeping one (``once``).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable
from typing import Any

from ..errors import ArticleError

FRONT_MATTER_MAX = 64 * 1024
_DEEP = "values nested too deep to read: flatten them into keys of their own"
_TOML_OPEN = re.compile(r"\A\+\+\+[ \t]*\n")
_JSON_OPEN = re.compile(r'\A\{\s*"')
_TOML_CLOSE = re.compile(r"\n\+\+\+[ \t]*(?:\n|\Z)")


def kind(text: str) -> str | None:
    """Return "toml" or "json" when TEXT opens with that front matter, else None."""
    if _TOML_OPEN.match(text):
        return "toml"
    if _JSON_OPEN.match(text):
        return "json"
    return None


def once(path: str, keys: Iterable[tuple[object, int | None]]) -> None:
    """Raise ArticleError when KEYS (key, line if known) give a key twice, case aside."""
    seen: dict[str, int | None] = {}
    for key, line in keys:
        name = str(key).lower()
        if name in seen:
            first = seen[name]
            where = f" (lines {first} and {line})" if line and first != line else ""
            where = f" (line {line})" if line and first == line else where
            raise ArticleError(
                path, f"front matter gives `{name}` twice{where}: keep the one you mean", line or 1
            )
        seen[name] = line


def _mapping(path: str, data: Any, line: int) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ArticleError(path, "front matter must be a mapping of keys to values", line)
    once(path, ((key, None) for key in data))
    return {str(key).lower(): value for key, value in data.items()}


def read_toml(path: str, text: str) -> tuple[dict[str, Any], str]:
    """Return the mapping between TEXT's +++ lines, and the body after them."""
    opening = _TOML_OPEN.match(text)
    assert opening is not None
    closing = _TOML_CLOSE.search(text, opening.end() - 1)
    if closing is None:
        raise ArticleError(path, "front matter opened with +++ is never closed", 1)
    source = text[opening.end() : closing.start() + 1]
    if len(source.encode()) > FRONT_MATTER_MAX:
        raise ArticleError(path, f"front matter is over {FRONT_MATTER_MAX} bytes", 1)
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as e:
        found = re.search(r"line (\d+)", str(e))
        line = int(found.group(1)) + 1 if found else 1
        raise ArticleError(path, f"TOML front matter: {e}", line) from None
    except RecursionError:
        raise ArticleError(path, f"TOML front matter: {_DEEP}", 2) from None
    return _mapping(path, data, 1), text[closing.end() :]


def read_json(path: str, text: str) -> tuple[dict[str, Any], str]:
    """Return the JSON object TEXT opens with, and the body after it."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        found = dict(items)
        if len(found) < len(items):  # a key twice in one object, which JSON keeps the last of
            once(path, ((key, None) for key, _ in items))  # JSON gives no line of a key
        return found

    try:
        data, end = json.JSONDecoder(object_pairs_hook=pairs).raw_decode(
            text[: FRONT_MATTER_MAX + 1]
        )
    except json.JSONDecodeError as e:
        raise ArticleError(path, f"JSON front matter: {e.msg}", e.lineno) from None
    except RecursionError:
        raise ArticleError(path, f"JSON front matter: {_DEEP}", 1) from None
    return _mapping(path, data, 1), text[end:].lstrip(" \t").removeprefix("\n")


def split(path: str, text: str) -> tuple[dict[str, Any], str, int] | None:
    """Return TOML or JSON front matter's mapping, the body, and its first line; else None."""
    opened = kind(text)
    if opened is None:
        return None
    meta, body = (read_toml if opened == "toml" else read_json)(path, text)
    return meta, body, text.count("\n", 0, len(text) - len(body)) + 1
