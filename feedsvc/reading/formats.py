"""Turn the text of an article file into raw metadata and a body, per format.

``.txt``: an optional ``Key: value`` header block, the title line, an optional
subtitle, paragraphs, then an ``Author: NAME`` line followed by the bio. ``.md``:
YAML front matter (``yamlmatter``), TOML or JSON (``matter``) or the header block,
then CommonMark. Values are returned as written; ``normalise`` gives them meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import ArticleError, Problem, warning
from . import matter
from .text import collapse_spaces
from .yamlmatter import KNOWN_KEYS, load_front_matter

SUBTITLE_MAX = 150
_HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z_-]*)[ \t]*:[ \t]*(.*)$")
_AUTHOR_LINE = re.compile(r"^Authors?:\s*(\S.*)$", re.IGNORECASE)
_ATX_H1 = re.compile(r"^#[ \t]+(.+?)[ \t#]*$")
_CLOSING = re.compile(r"\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)")
_OPENS_FRONT_MATTER = re.compile(r"\A---[ \t]*(?:\n|\Z)")
_YAML_KEY = re.compile(r"^([A-Za-z][A-Za-z_-]*)[ \t]*:", re.MULTILINE)


@dataclass(frozen=True)
class RawArticle:
    path: str
    format: str
    meta: dict[str, Any]
    body: str
    bio: str = ""
    warnings: tuple[Problem, ...] = field(default=())
    lines: dict[str, int] = field(default_factory=dict)  # key -> line number in the file
    front_matter: str = ""  # YAML source, whose key lines are found only when asked for
    body_line: int = 1  # the file's line where the body starts

    def line(self, key: str) -> int | None:
        """Return the line KEY was written on, when known."""
        if self.front_matter and not self.lines:
            self.lines.update(_yaml_lines(self.front_matter))
        return self.lines.get(key)


@dataclass
class _Paragraph:
    line: int
    lines: list[str]


def _paragraphs(lines: list[str], first_line: int) -> list[_Paragraph]:
    paragraphs: list[_Paragraph] = []
    current: _Paragraph | None = None
    for number, line in enumerate(lines, start=first_line):
        if line.strip():
            if current is None:
                current = _Paragraph(number, [])
                paragraphs.append(current)
            current.lines.append(line)
        else:
            current = None
    return paragraphs


def _joined(paragraph: _Paragraph) -> str:
    return " ".join(collapse_spaces(line) for line in paragraph.lines)


def _header_block(
    path: str, lines: list[str]
) -> tuple[dict[str, Any], int, list[Problem], dict[str, int]]:
    """Return the header block's values, how many lines it took (0 when absent), and lines.

    The block ends at the first blank line, or at the first line that is not
    ``Key: value`` shaped (a title written right below the header).
    """
    first = _HEADER_LINE.match(lines[0]) if lines else None
    if not first or first.group(1).lower() not in KNOWN_KEYS:
        return {}, 0, [], {}
    meta: dict[str, Any] = {}
    where: dict[str, int] = {}
    problems = []
    count = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            count = number
            break
        match = _HEADER_LINE.match(line)
        if match is None:
            break
        count = number
        key = match.group(1).lower()
        if key not in KNOWN_KEYS:
            problems.append(warning(path, f"header key {key!r} is unknown; line ignored", number))
            continue
        if key in meta:
            problems.append(warning(path, f"{key} given twice; the last one is used", number))
        meta[key] = match.group(2).strip()
        where[key] = number
    return meta, count, problems, where


def read_txt(path: str, text: str) -> RawArticle:
    """Read the seed's plain-text layout, with an optional header block."""
    lines = text.split("\n")
    meta, used, problems, where = _header_block(path, lines)
    paragraphs = _paragraphs(lines[used:], used + 1)
    if "title" not in meta:
        if not paragraphs:
            raise ArticleError(path, "no title: the first line must be the title", used + 1)
        head = paragraphs[0]
        meta["title"] = collapse_spaces(head.lines[0])
        rest = head.lines[1:]
        paragraphs[0:1] = [_Paragraph(head.line + 1, rest)] if rest else []
        if (
            "subtitle" not in meta
            and len(paragraphs) > 1
            and len(paragraphs[0].lines) == 1
            and not _AUTHOR_LINE.match(paragraphs[0].lines[0])
            and len(collapse_spaces(paragraphs[0].lines[0])) <= SUBTITLE_MAX
            and not paragraphs[0].lines[0].rstrip().endswith(".")
        ):
            meta["subtitle"] = _joined(paragraphs.pop(0))
    body: list[str] = []
    bio: list[str] = []
    for index, paragraph in enumerate(paragraphs):
        match = _AUTHOR_LINE.match(paragraph.lines[0].strip())
        if match:
            name = collapse_spaces(match.group(1))
            if "author" in meta or "authors" in meta:
                given = meta.get("author") or meta.get("authors")
                if given != name:
                    problems.append(
                        warning(
                            path,
                            f"Author line {name!r} differs from header; header used",
                            paragraph.line,
                        )
                    )
            else:
                meta["author"] = name
                where["author"] = paragraph.line
            rest = paragraph.lines[1:]
            tail = [_Paragraph(paragraph.line + 1, rest)] if rest else []
            tail += paragraphs[index + 1 :]
            bio = [_joined(p) for p in tail]
            listed = str(meta.get("author") or meta.get("authors") or name)
            named = {n.strip().casefold() for n in re.split("[;,]", listed)}
            problems += [
                warning(
                    path,
                    "a second Author line is read as part of the bio: name every author "
                    "on the first (`Authors: Ana Lima, Ben Okafor`)",
                    p.line,
                )
                for p in tail
                if (more := _AUTHOR_LINE.match(p.lines[0].strip()))
                and collapse_spaces(more.group(1)).casefold() not in named
            ]
            break
        body.append(_joined(paragraph))
    if not body:
        raise ArticleError(path, "no body: write at least one paragraph after the title")
    first = next((p.line for p in paragraphs if p.lines), used + 1)
    return RawArticle(
        path, "txt", meta, "\n\n".join(body), "\n\n".join(bio), tuple(problems), where,
        body_line=first,
    )  # fmt: skip


def _front_matter(path: str, text: str) -> tuple[str, int]:
    """Return the YAML between the opening --- line and the closing --- or ..., and its end."""
    start = text.find("\n") + 1
    match = _CLOSING.search(text, start - 1) if start else None
    if match is None:
        raise ArticleError(path, "front matter opened with --- is never closed", 1)
    return text[start : match.start() + 1], match.end()


def _yaml_lines(source: str) -> dict[str, int]:
    """Return the line of each top-level key in front matter SOURCE (the file's line 1 is ---)."""
    where: dict[str, int] = {}
    for match in _YAML_KEY.finditer(source):
        where.setdefault(match.group(1).lower(), source.count("\n", 0, match.start()) + 2)
    return where


def read_markdown(path: str, text: str) -> RawArticle:
    """Read Markdown with YAML front matter or a `Key: value` header block."""
    problems: list[Problem] = []
    source = ""
    where: dict[str, int] = {}
    if parsed := matter.split(path, text):
        meta, body, body_line = parsed
    elif _OPENS_FRONT_MATTER.match(text):
        source, end = _front_matter(path, text)
        meta = load_front_matter(path, source)
        body = text[end:]
        body_line = text.count("\n", 0, end) + 1
    else:
        lines = text.split("\n")
        meta, used, problems, where = _header_block(path, lines)
        body = "\n".join(lines[used:])
        body_line = used + 1
    unknown = sorted(set(meta) - KNOWN_KEYS)
    if unknown and source:
        where = _yaml_lines(source)
    for key in unknown:
        problems.append(warning(path, f"unknown front matter key {key!r} ignored", where.get(key)))
    if not meta.get("title"):
        lines = body.lstrip("\n").split("\n")
        heading = _ATX_H1.match(lines[0]) if lines else None
        if not heading:
            raise ArticleError(
                path, "no title: add `title:` to the front matter or a `# ` heading"
            )
        meta["title"] = heading.group(1)
        body_line += len(body) - len(body.lstrip("\n")) + 1
        body = "\n".join(lines[1:])
    bio = meta.pop("bio", "")
    if not body.strip():
        raise ArticleError(path, "no body: write the article below the front matter")
    bio = bio if isinstance(bio, str) else ""
    body_line += len(body) - len(body.lstrip("\n"))
    return RawArticle(
        path, "md", meta, body.strip("\n") + "\n", bio, tuple(problems), where, source,
        body_line,
    )  # fmt: skip


READERS = {"txt": read_txt, "md": read_markdown}
