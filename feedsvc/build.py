"""``feedsvc build``: the whole site as files, for any static server or CDN.

Each path is written where a static server looks for it: ``x/`` as
``x/index.html``, an extension-less permalink ``articles/s`` as
``articles/s.html`` (serve with ``try_files $uri $uri.html``), with a ``.gz``
sibling for precompressed serving. Redirects and 410s are listed in
``_redirects`` (one ``FROM TO STATUS`` line each) for the proxy or CDN.
A file is rewritten only when its bytes change, so a second build with no
change writes nothing; files of articles that are gone are removed.
Nothing is written through a symlink found under OUT (a symlinked folder is an
error; a symlink where a file goes is replaced), and a manifest entry is
deleted only when it names a file below OUT reached without a symlink.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

import click

from .catalog.folder import SETTLE
from .errors import FeedsvcError
from .render.document import Document
from .web.publisher import Publisher
from .web.watch import utcnow

MANIFEST = ".feedsvc-build"


def file_for(path: str) -> str:
    """Return the file, relative to the output folder, that serves PATH.

    A blog's path is %-quoted in URLs (``2024/%C3%A9t%C3%A9/``); static servers decode
    it, so its file is named decoded (``2024/été/index.html``), unless decoding would
    make a part of it that is no file name (``..``, an empty one, a NUL byte).
    """
    decoded = unquote(path)
    parts = decoded.rstrip("/").split("/")
    if "\x00" not in decoded and all(p not in ("", ".", "..") for p in parts):
        path = decoded
    if path == "" or path.endswith("/"):
        return path + "index.html"
    if path.startswith("articles/"):
        return path + ".html"
    return path


class UnsafeOutput(FeedsvcError):
    """A path under the output folder is a symlink or not a folder: nothing is written there."""


_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class Output:
    """The output folder, opened once: every write and delete goes through its descriptor.

    Each folder below it is opened with O_NOFOLLOW and each file is created with
    O_EXCL and renamed into place, so nothing is written through a symlink (a
    symlink where a file goes is replaced, never followed), and only names that
    stay below the folder are ever deleted.
    """

    def __init__(self, path: str):
        self.path = path
        os.makedirs(path, exist_ok=True)
        self.fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)

    def close(self) -> None:
        os.close(self.fd)

    def _folder(self, parts: list[str], create: bool) -> int:
        """Return a descriptor of the folder PARTS below the output folder."""
        fd = os.dup(self.fd)
        for index, part in enumerate(parts):
            try:
                if create:
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(part, dir_fd=fd)
                child = os.open(part, _DIRECTORY, dir_fd=fd)
            except OSError as e:
                os.close(fd)
                if e.errno in (errno.ELOOP, errno.ENOTDIR):
                    where = os.path.join(self.path, *parts[: index + 1])
                    raise UnsafeOutput(
                        f"{where} is a symlink or not a folder: feedsvc build never writes "
                        "through one; remove it"
                    ) from None
                raise
            os.close(fd)
            fd = child
        return fd

    def read(self, name: str) -> bytes | None:
        """Return the bytes of the regular file NAME, or None (missing, a symlink, ...)."""
        *parts, leaf = name.split("/")
        try:
            folder = self._folder(parts, create=False)
        except (OSError, UnsafeOutput):
            return None
        try:
            fd = os.open(leaf, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder)
        except OSError:
            return None
        finally:
            os.close(folder)
        with os.fdopen(fd, "rb") as file:
            return file.read()

    def write(self, name: str, data: bytes) -> bool:
        """Write DATA as NAME unless it holds DATA already; say whether it changed."""
        if self.read(name) == data:
            return False
        *parts, leaf = name.split("/")
        folder = self._folder(parts, create=True)
        try:
            temporary = leaf + ".tmp"
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary, dir_fd=folder)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            with os.fdopen(os.open(temporary, flags, 0o666, dir_fd=folder), "wb") as file:
                file.write(data)
            os.replace(temporary, leaf, src_dir_fd=folder, dst_dir_fd=folder)
        finally:
            os.close(folder)
        return True

    def delete(self, name: str) -> bool:
        """Delete NAME when it names a file or symlink below the folder; say whether it did."""
        parts = name.split("/")
        if name.startswith("/") or any(p in ("", ".", "..") for p in parts):
            click.echo(f"{MANIFEST}: {name!r} is not below {self.path}; not deleted", err=True)
            return False
        try:
            folder = self._folder(parts[:-1], create=False)
        except (OSError, UnsafeOutput):
            return False  # gone already, or behind a symlink: never followed
        try:
            os.unlink(parts[-1], dir_fd=folder)  # a symlink goes, not what it points to
        except OSError:
            return False
        finally:
            os.close(folder)
        return True


def _write_document(out: Output, name: str, document: Document, written: set[str]) -> int:
    """Write DOCUMENT as NAME (and NAME.gz when it compresses) under OUT; return files changed."""
    changed = 0
    variants = [("", document.body)]
    if document.compress:  # an image or a video gains nothing from gzip
        variants.append((".gz", document.gzip_body))
    for suffix, data in variants:
        written.add(name + suffix)
        changed += out.write(name + suffix, data)
    return changed


def run(config: Mapping[str, Any], outdir: str, progress: bool = True) -> int:
    """Write the site under OUTDIR; return how many files changed."""
    publisher = Publisher(config, utcnow())
    try:
        for _ in range(40):  # files written just now are left unread by a scan: wait for them
            if not publisher.catalog.unsettled:
                break
            time.sleep(SETTLE)
            publisher.refresh(utcnow())
        out = Output(outdir)
        try:
            count, changed = _build(out, publisher, progress)
        finally:
            out.close()
    finally:  # the store is checkpointed, a database connection closed
        publisher.close()
    if progress:
        click.echo(f"{count} paths, {changed} files changed in {outdir}", err=True)
    return changed


def _build(out: Output, publisher: Publisher, progress: bool) -> tuple[int, int]:
    """Write every document under OUT; return how many paths and how many files changed."""
    documents = publisher.documents
    prefix = publisher.site.prefix
    written: set[str] = set()
    redirects: list[str] = []
    changed = 0
    paths = list(documents.paths())
    with contextlib.ExitStack() as stack:
        sink = None if progress else stack.enter_context(open(os.devnull, "w"))
        # Each document is rendered, written and let go: keeping them would hold the site.
        rendered = ((path, documents.render(path)) for path in paths)
        bar = stack.enter_context(
            click.progressbar(rendered, length=len(paths), label="building", file=sink)
        )
        for path, result in bar:
            if result.location is not None:
                redirects.append(f"{prefix}{path} {result.location} {result.status}")
                continue
            if result.status != 200:
                redirects.append(f"{prefix}{path} {prefix}{path} {result.status}")
                continue
            assert result.document is not None
            changed += _write_document(out, file_for(path), result.document, written)
    changed += _write_document(out, "404.html", documents.error(404), written)
    written.add("_redirects")
    changed += out.write("_redirects", "".join(line + "\n" for line in redirects).encode())
    written.add(MANIFEST)
    listed = out.read(MANIFEST) or b""
    old = set(listed.decode("utf-8", "replace").splitlines())
    for stale in sorted(old - written):
        changed += out.delete(stale)
    out.write(MANIFEST, "".join(f"{name}\n" for name in sorted(written)).encode())
    return len(paths), changed
