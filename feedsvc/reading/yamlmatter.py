"""YAML front matter (between ``---`` lines), loaded safely and within bounds.

Safe loading, no anchors, aliases or tags of other schemas, at most
FRONT_MATTER_MAX bytes, so a bomb is refused before it is built. Most articles'
front matter is plain ``key: text`` lines, read without YAML's per-node cost
(``_simple_front_matter``), exactly as YAML would. Keys whose values are words
(TEXT_KEYS) keep them as written: YAML would type ``title: 3.10`` as 3.1. A key
given twice is refused with both lines (YAML's loaders keep the last: ``_Once``).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from ..errors import ArticleError
from .matter import FRONT_MATTER_MAX, once

KNOWN_KEYS = {
    "title", "subtitle", "date", "updated", "author", "authors", "tags", "categories",
    "slug", "summary", "lang", "draft", "status", "id", "aliases", "enclosure", "bio",
}  # fmt: skip
# Keys whose values are words, never numbers, booleans or dates (the engines' too).
TEXT_KEYS = frozenset(
    {"title", "subtitle", "summary", "description", "excerpt", "slug", "lang", "id", "author",
     "authors", "tags", "categories", "category", "aliases", "keywords", "bio"}
)  # fmt: skip
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _KeyTwice(yaml.YAMLError):
    """A mapping gives a key twice: KEYS, each (key, line), for ``matter.once``."""

    def __init__(self, keys: list[tuple[object, int]]):
        super().__init__("a key given twice")
        self.keys = keys


class _Once:
    """A loader's mixin refusing a mapping that gives a key twice, which YAML's loaders
    settle by keeping the last: the document's own keys in any letter case (they are read
    so), nested keys exactly as written."""

    _root: Any = None

    def construct_document(self, node: Any) -> Any:
        self._root = node
        return super().construct_document(node)  # type: ignore[misc]

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            keys = [(k.value, k.start_mark.line + 2) for k, _ in node.value]
            names = [str(k).lower() if node is self._root else k for k, _ in keys]
            if len(set(map(str, names))) < len(names):
                raise _KeyTwice(keys if node is self._root else [(str(k), n) for k, n in keys])
        return super().construct_mapping(node, deep)  # type: ignore[misc]


class _Loader(_Once, _YAML_LOADER):  # type: ignore[misc, valid-type]
    pass


class _Untyped(_Once, yaml.BaseLoader):
    pass


# One line `key: value` whose value YAML reads as a plain scalar: no indicator
# first, no `: ` or ` #` inside, no tab, not ending in `:`.
_SIMPLE_LINE = re.compile(
    r"([A-Za-z][A-Za-z_-]*): +([^\s\-?:,\[\]{}#&*!|>'\"%@`](?:[^\t#:]|:(?! |$))*?) *$"
)
_RESOLVER = yaml.resolver.Resolver()
_RESOLVER_FIRST = frozenset(k for k in _RESOLVER.yaml_implicit_resolvers if k)
_STR, _TIMESTAMP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"


def _refuse_aliases_and_tags(path: str, source: str) -> None:
    """Raise ArticleError when SOURCE uses YAML anchors, aliases or non-standard tags."""
    for event in yaml.parse(source, Loader=_YAML_LOADER):
        line = event.start_mark.line + 2 if event.start_mark else None
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise ArticleError(
                path, "YAML anchors and aliases are not allowed in front matter", line
            )
        tag = getattr(event, "tag", None)
        if tag and not tag.startswith("tag:yaml.org,2002:"):
            raise ArticleError(path, f"YAML tag {tag} is not allowed in front matter", line)


def _simple_front_matter(source: str) -> dict[str, Any] | None:
    """Return SOURCE's mapping when every line is `key: plain text`, else None.

    Exactly what YAML would return for such lines (each value is checked with
    YAML's own implicit resolver, so `yes`, `0123` or `~` go to YAML), without
    YAML's per-node cost, which dominates a cold load of many articles. A
    timestamp is kept as written for `date` and `updated`: parse_date reads it
    to the same instant.
    """
    meta: dict[str, Any] = {}
    for line in source.split("\n"):
        if not line:
            continue
        match = _SIMPLE_LINE.match(line)
        if match is None:
            return None
        key, value = match.group(1).lower(), match.group(2)
        if key not in KNOWN_KEYS or key in meta:  # a key twice: YAML's path says so
            return None
        if value[0] in _RESOLVER_FIRST:  # else no implicit type can match: a string
            tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
            if tag != _STR and not (tag == _TIMESTAMP and key in ("date", "updated")):
                return None
        meta[key] = value
    return meta


def load_front_matter(path: str, source: str) -> dict[str, Any]:
    """Return the mapping in YAML SOURCE, loaded safely and within bounds."""
    if len(source.encode()) > FRONT_MATTER_MAX:
        raise ArticleError(path, f"front matter is over {FRONT_MATTER_MAX} bytes", 1)
    simple = _simple_front_matter(source)
    if simple is not None:
        return simple
    try:
        if "&" in source or "*" in source or "!" in source:
            _refuse_aliases_and_tags(path, source)
        data = _load(path, source, _Loader)
    except yaml.MarkedYAMLError as e:
        line = e.problem_mark.line + 2 if e.problem_mark else 1
        raise ArticleError(path, f"YAML front matter: {e.problem or e}", line) from None
    except (ValueError, OverflowError):
        # A value YAML cannot make (`date: 2024-02-30`): read as written, so the key's own
        # rule says what is wrong, with its line (a title is then the words it shows).
        data = _load(path, source, _Untyped)
    except (yaml.YAMLError, RecursionError) as e:
        raise ArticleError(path, f"YAML front matter: {type(e).__name__}: {e}"[:300], 1) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ArticleError(path, "front matter must be a mapping of `key: value` lines", 2)
    if any(not _all_text(v) for k, v in data.items() if str(k).lower() in TEXT_KEYS):
        # YAML types `title: 3.10` as 3.1 and `title: yes` as True: text keys keep the
        # words as written (nothing a user wrote is changed), read again untyped.
        written = _load(path, source, _Untyped)
        for key in data:
            if isinstance(key, str) and key.lower() in TEXT_KEYS and key in written:
                data[key] = written[key]
    return {str(key).lower(): value for key, value in data.items()}


def _load(path: str, source: str, loader: Any) -> Any:
    """Return SOURCE loaded by LOADER; ArticleError when a mapping gives a key twice."""
    try:
        return yaml.load(source, Loader=loader)
    except _KeyTwice as e:
        once(path, e.keys)
        raise  # not reached: once raises


def _all_text(value: Any) -> bool:
    """Say whether VALUE holds text only (a string, or a list or mapping of them)."""
    if isinstance(value, list | dict):
        return all(map(_all_text, value.values() if isinstance(value, dict) else value))
    return value is None or isinstance(value, str)
