"""Find article files under the articles folder and read them safely.

This is the only module that opens article files. Rules a reader would not
guess: symlinks are followed only while they stay inside the folder (a link
out is refused, a loop is reported); a file is never read past
MAX_ARTICLE_BYTES + 1 bytes; a file whose size or mtime moves while it is read
is reported and read again on the next scan; a file that is not UTF-8 is
decoded as cp1252 (or Latin-1 where cp1252 has holes), with a warning.
"""

from __future__ import annotations

import array
import codecs
import fcntl
import os
import re
import stat
import struct
from collections.abc import Collection, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass

from ..errors import ArticleError, Problem, warning
from .text import clean

FORMATS = {".txt": "txt", ".md": "md", ".markdown": "md", ".mdown": "md", ".mkd": "md"}
ENGINE_FORMATS = {".rst": "rst", ".html": "html", ".htm": "html"}  # a blog engine's only (Pelican)
_BAD_NAME = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Found:
    """An article file: its path relative to the folder, and what its stat said."""

    path: str
    real: str
    signature: bytes


def is_ignored(name: str, extra: Collection[str] = ()) -> bool:
    """Say whether NAME is hidden, an editor's backup or lock, or of no known format."""
    if name.startswith((".", "#")) or name.endswith(("~", ".swp")):
        return True
    extension = os.path.splitext(name)[1].lower()
    return extension not in FORMATS and extension not in extra


_SIGNATURE = struct.Struct("<QQqq")  # packed: a tuple of four ints costs 200 bytes a file


def signature(st: os.stat_result) -> bytes:
    """Return what tells that a file changed: its inode, size, mtime and ctime."""
    return _SIGNATURE.pack(st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def mtime(signature: bytes) -> float:
    """Return the mtime, in seconds, that SIGNATURE holds."""
    nanoseconds: int = _SIGNATURE.unpack(signature)[2]
    return nanoseconds / 1e9


def discover(
    root: str | os.PathLike[str], extra: Collection[str] = ()
) -> tuple[list[Found], list[Problem]]:
    """Return every article file below ROOT, sorted by path, and the problems met."""
    problems: list[Problem] = []
    return list(walk(root, problems, extra)), problems


def walk(
    root: str | os.PathLike[str],
    problems: list[Problem],
    extra: Collection[str] = (),
    changed: list[float] | None = None,
) -> Iterator[Found]:
    """Yield every article file below ROOT, sorted by path, adding the problems met to
    PROBLEMS as it goes: a rescan need not hold every file's item at once (memory).
    CHANGED: its one number becomes the last change (ctime, seconds) of a folder or file
    listed, ROOT's own included (a file removed changes its folder)."""
    root_real = os.path.realpath(root)
    seen_dirs: set[str] = set()
    if changed is not None:
        with suppress(OSError):
            changed[0] = max(changed[0], os.stat(root_real).st_ctime)

    def listed(real_dir: str, rel_dir: str) -> Iterator[Found]:
        if real_dir in seen_dirs:
            problems.append(warning(rel_dir or ".", "symlink loop: folder already read"))
            return
        seen_dirs.add(real_dir)
        try:
            entries = sorted(os.scandir(real_dir), key=lambda e: e.name)
        except OSError as e:
            where = rel_dir or "."
            problems.append(ArticleError(where, f"cannot list folder: {e.strerror}").problem)
            return
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if entry.name.startswith("."):
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:  # a link to itself: reported by the stat below
                is_dir = False
            if not is_dir and is_ignored(entry.name, extra):
                continue
            if _BAD_NAME.search(rel):
                try:
                    rel.encode()
                except UnicodeEncodeError:  # undecodable bytes: no slug, no store key
                    problems.append(
                        ArticleError(
                            rel.encode(errors="backslashreplace").decode(),
                            "name is not valid UTF-8, skipped: rename it",
                        ).problem
                    )
                    continue
                problems.append(warning(rel, "name contains control characters: rename it"))
            real = os.path.realpath(entry.path) if entry.is_symlink() else entry.path
            inside = real == root_real or real.startswith(root_real + os.sep)
            if entry.is_symlink() and not inside:
                problems.append(
                    ArticleError(rel, "symlink points outside the articles folder").problem
                )
                continue
            try:
                st = os.stat(real)
            except OSError as e:
                problems.append(ArticleError(rel, f"cannot stat: {e.strerror}").problem)
                continue
            if changed is not None:
                changed[0] = max(changed[0], st.st_ctime)
            if stat.S_ISDIR(st.st_mode):
                yield from listed(real, rel)
            elif stat.S_ISREG(st.st_mode):  # its name was checked above
                yield Found(rel, real, signature(st))
            else:  # never opened: a FIFO would block the scan
                problems.append(
                    ArticleError(
                        rel, "not a regular file (a FIFO, socket or device), skipped"
                    ).problem
                )

    if not os.path.isdir(root_real):
        problems.append(ArticleError(str(root), "articles folder does not exist").problem)
    else:
        yield from listed(root_real, "")


def unread(problems: Iterable[Problem], paths: Iterable[str]) -> set[str]:
    """Return those of PATHS that a walk's PROBLEMS say it could not look at (a folder it
    could not list, a file it could not stat, or a file it refused): not deleted, so
    their articles stay as last read (a published article never vanishes for it)."""
    refused = {p.path for p in problems if p.severity == "error"}
    if not refused:
        return set()
    return {p for p in paths if p in refused or any(p.startswith(f + "/") for f in refused)}


def unavailable(root: str | os.PathLike[str]) -> str | None:
    """Say why the folder ROOT cannot be listed now, or None when it can."""
    try:
        with os.scandir(root):
            return None
    except (FileNotFoundError, NotADirectoryError):
        return "articles folder is missing"
    except OSError as e:
        return f"articles folder cannot be read: {e.strerror}"


Identity = tuple[str, int, int, int]  # real path, device, inode number, inode generation
_GETVERSION = 0x80087601  # Linux's FS_IOC_GETVERSION, _IOR('v', 1, long): the generation


def identity(path: str | os.PathLike[str], generation: bool = True) -> Identity | None:
    """Return what names the folder PATH resolves to now (None: missing or unreadable).

    A folder deleted and created again at once gets its old inode number back on ext4,
    so GENERATION (the default) adds the inode's generation, which ext4 and XFS change
    with each new inode of a number: another folder in the same place tells apart
    without waiting for a notification. It is 0 where the file system keeps none (tmpfs),
    and when not asked for (a stat only: the watcher's frequent look at the path).
    """
    try:
        st = os.stat(path)
    except OSError:
        return None
    return os.path.realpath(path), st.st_dev, st.st_ino, _generation(path) if generation else 0


def _generation(path: str | os.PathLike[str]) -> int:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | os.O_CLOEXEC)
    except OSError:
        return 0
    try:
        number = array.array("l", [0])
        fcntl.ioctl(fd, _GETVERSION, number, True)
        return number[0]
    except OSError:  # not Linux, or a file system without generations
        return 0
    finally:
        os.close(fd)


def decode(data: bytes, path: str) -> tuple[str, list[Problem]]:
    """Return DATA as cleaned text, and a warning when it was not UTF-8."""
    try:
        text = data.decode("utf-8-sig")
        problems = []
    except UnicodeDecodeError as e:
        data = data.removeprefix(codecs.BOM_UTF8)  # a UTF-8 mark on bytes that are not
        try:
            text, encoding = data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            text, encoding = data.decode("latin-1"), "Latin-1"
        message = f"not valid UTF-8 (byte {e.start}); read as {encoding}: save it as UTF-8"
        problems = [warning(path, message)]
    return clean(text), problems


def marked(data: bytes) -> str | None:
    """Return the encoding DATA's byte order mark names, UTF-32's or UTF-16's (Notepad's
    "Unicode"); None without one (UTF-8's is read as UTF-8)."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # LE's opens as UTF-16's
        return "utf-32"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def _unicode(data: bytes, path: str, encoding: str) -> str:
    """Return DATA, in ENCODING (UTF-16 or UTF-32) after its byte order mark, cleaned."""
    try:
        return clean(data.decode(encoding))
    except UnicodeDecodeError as e:
        name = encoding.upper()
        raise ArticleError(
            path, f"not valid {name} (byte {e.start}) after its byte order mark: save it as UTF-8"
        ) from None


def read(found: Found, max_bytes: int) -> tuple[str, list[Problem]]:
    """Return the text of FOUND and warnings; raise ArticleError when it cannot be used."""
    path = found.path
    try:
        # os.open and one sized os.read: a cold load reads thousands of small files.
        fd = os.open(found.real, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            before = os.fstat(fd)
            if before.st_size > max_bytes:
                raise ArticleError(
                    path, f"file is {before.st_size} bytes, over MAX_ARTICLE_BYTES ({max_bytes})"
                )
            data = os.read(fd, before.st_size + 1)  # one byte more shows a file that grew
            after = os.fstat(fd)
        finally:
            os.close(fd)
    except FileNotFoundError:
        raise ArticleError(path, "file vanished while being read") from None
    except IsADirectoryError:
        raise ArticleError(path, "is a folder, not a file") from None
    except OSError as e:
        raise ArticleError(path, f"cannot read: {e.strerror}") from None
    if len(data) > max_bytes:
        raise ArticleError(path, f"file grew over MAX_ARTICLE_BYTES ({max_bytes}) while read")
    if signature(before) != signature(after) or signature(before) != found.signature:
        raise ArticleError(path, "file changed while being read; it is read again on next scan")
    problems: list[Problem] = []
    if encoding := marked(data):
        text = _unicode(data, path, encoding)
    elif b"\x00" in data:
        half = len(data) // 2  # ASCII text in UTF-16: every other byte is NUL, not the others
        nuls = sorted((data[0::2].count(0), data[1::2].count(0)))
        if half and nuls[1] > half * 0.9 and nuls[0] < half * 0.1:
            raise ArticleError(path, "UTF-16 text without a byte order mark: save it as UTF-8")
        raise ArticleError(path, "binary file (contains NUL bytes), not an article")
    else:
        text, problems = decode(data, path)
    if not text.strip():
        raise ArticleError(path, "empty file: write a title line and a body")
    return text, problems
