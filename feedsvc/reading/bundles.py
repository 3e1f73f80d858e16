"""The files of a post's page bundle: images and media beside its ``index.md``.

Hugo's page bundles (a leaf bundle's ``index.md`` and its page resources), Zola's
co-located assets (a page folder's ``index.md`` and its other files) and an
Eleventy post in its own folder (copied beside it by ``addPassthroughCopy``) are
published at the post's URL plus the file's path in its folder. Only what
``MEDIA_TYPES`` names is ever handed out, by extension: never an article,
configuration file or dotfile. Files are opened from the articles folder down
with ``O_NOFOLLOW``, so no symlink below it is followed, and never read past
``RESOURCE_MAX_BYTES``.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import posixpath
import re
import stat

from .files import signature

log = logging.getLogger(__name__)
BUNDLE_ENGINES = frozenset({"hugo", "zola", "eleventy"})
RESOURCE_MAX_BYTES = 16 * 1024 * 1024  # read whole into memory: larger belongs on a static host
SVG = "image/svg+xml"
MEDIA_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".svg": SVG,  # served with a sandboxing Content-Security-Policy (web/http.py)
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".webm": "video/webm",
    ".ogv": "video/ogg",
    ".mov": "video/quicktime",
    ".pdf": "application/pdf",
}
_INDEX = re.compile(r"^index(?:\.[a-z]{2,3}(?:-[a-z0-9]+)?)?$", re.IGNORECASE)  # index.fr too
_BAD = re.compile("[\x00-\x1f\x7f\\\\%]")
_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | getattr(os, "O_NONBLOCK", 0)


def bundle_folder(engine: str, path: str) -> str | None:
    """Return the folder of the bundle whose post is the file PATH, or None (no bundle)."""
    if engine not in BUNDLE_ENGINES or "/" not in path:
        return None
    stem = posixpath.splitext(posixpath.basename(path))[0]
    return posixpath.dirname(path) if _INDEX.match(stem) else None


def media_type(name: str) -> str | None:
    """Return the media type a bundle serves NAME (a path in its folder) as, else None."""
    parts = name.split("/")
    if _BAD.search(name) or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        return None
    return MEDIA_TYPES.get(posixpath.splitext(parts[-1])[1].lower())


class BundleFiles:
    """The media files of bundles below the folder ROOT, read without following a symlink."""

    def __init__(self, root: str, max_bytes: int = RESOURCE_MAX_BYTES):
        self.root = root
        self.max_bytes = max_bytes
        self._told: set[str] = set()  # files over the bound, logged once each

    def _open_folder(self, parts: list[str]) -> int:
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        for part in parts:
            try:
                child = os.open(part, _FOLDER, dir_fd=fd)
            finally:
                os.close(fd)
            fd = child
        return fd

    def read(self, path: str, known: bytes = b"") -> tuple[bytes, bytes | None] | None:
        """Return the signature and bytes of the media file PATH (None: refused or missing).

        KNOWN: the signature the caller holds the bytes of; when it is still the file's,
        the bytes are not read again (None in their place).
        """
        folder, _, leaf = path.rpartition("/")
        if media_type(path) is None:
            return None
        try:
            parent = self._open_folder(folder.split("/") if folder else [])
            try:
                fd = os.open(leaf, _FILE, dir_fd=parent)
            finally:
                os.close(parent)
            try:
                return self._read(fd, path, known)
            finally:
                os.close(fd)
        except OSError as e:
            if e.errno not in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):
                log.warning("%s: cannot read (%s)", path, e.strerror)
            return None

    def _read(self, fd: int, path: str, known: bytes) -> tuple[bytes, bytes | None] | None:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            return None
        mark = signature(before)
        if mark == known:
            return mark, None
        if before.st_size > self.max_bytes:
            if path not in self._told:
                self._told.add(path)
                log.warning(
                    "%s: %d bytes, over the %d a bundle's file may have: not served; "
                    "serve it from a static host",
                    path,
                    before.st_size,
                    self.max_bytes,
                )
            return None
        data = os.read(fd, before.st_size + 1)
        if len(data) != before.st_size or signature(os.fstat(fd)) != mark:
            return None  # changing while read: the next request reads it whole
        return mark, data

    def listing(self, folder: str) -> list[str]:
        """Return the media files below FOLDER (paths in it), sorted; no symlink followed."""
        found: list[str] = []

        def walk(fd: int, rel: str) -> None:
            with contextlib.suppress(OSError), os.scandir(fd) as entries:
                for entry in sorted(entries, key=lambda e: e.name):
                    name = f"{rel}{entry.name}"
                    if entry.name.startswith(".") or entry.is_symlink():
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        with contextlib.suppress(OSError):
                            child = os.open(entry.name, _FOLDER, dir_fd=fd)
                            try:
                                walk(child, name + "/")
                            finally:
                                os.close(child)
                    elif entry.is_file(follow_symlinks=False) and media_type(name):
                        found.append(name)

        try:
            top = self._open_folder(folder.split("/"))
        except OSError:
            return []
        try:
            walk(top, "")
        finally:
            os.close(top)
        return found
