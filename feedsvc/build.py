"""``feedsvc build``: the whole site as files, for any static server or CDN.

Each path is written where a static server looks for it: ``x/`` as
``x/index.html``, an extension-less permalink ``articles/s`` as
``articles/s.html`` (serve with ``try_files $uri $uri.html``), with a ``.gz``
sibling for precompressed serving. Redirects and 410s are listed in
``_redirects`` (one ``FROM TO STATUS`` line each) for the proxy or CDN.
A file is rewritten only when its bytes change, so a second build with no
change writes nothing; files of articles that are gone are removed.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from .catalog.folder import SETTLE
from .render.document import Document
from .web.publisher import Publisher
from .web.watch import utcnow

MANIFEST = ".feedsvc-build"


def file_for(path: str) -> str:
    """Return the file, relative to the output folder, that serves PATH."""
    if path == "" or path.endswith("/"):
        return path + "index.html"
    if path.startswith("articles/"):
        return path + ".html"
    return path


def _write(target: Path, data: bytes) -> bool:
    try:
        if target.read_bytes() == data:
            return False
    except OSError:
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, target)
    return True


def _write_document(out: Path, name: str, document: Document, written: set[str]) -> int:
    """Write DOCUMENT as NAME and NAME.gz under OUT; return how many files changed."""
    changed = 0
    for suffix, data in (("", document.body), (".gz", document.gzip_body)):
        written.add(name + suffix)
        changed += _write(out / (name + suffix), data)
    return changed


def run(config: Mapping[str, Any], outdir: str, progress: bool = True) -> int:
    """Write the site under OUTDIR; return how many files changed."""
    publisher = Publisher(config, utcnow())
    for _ in range(40):  # files written just now are left unread by a scan: wait for them
        if not publisher.catalog.unsettled:
            break
        time.sleep(SETTLE)
        publisher.refresh(utcnow())
    documents = publisher.documents
    out = Path(outdir)
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
    changed += _write(out / "_redirects", "".join(line + "\n" for line in redirects).encode())
    written.add(MANIFEST)
    old = set()
    manifest = out / MANIFEST
    if manifest.exists():
        old = set(manifest.read_text().splitlines())
    for stale in sorted(old - written):
        (out / stale).unlink(missing_ok=True)
        changed += 1
    _write(manifest, "".join(f"{name}\n" for name in sorted(written)).encode())
    if progress:
        click.echo(f"{len(paths)} paths, {changed} files changed in {outdir}", err=True)
    return changed
