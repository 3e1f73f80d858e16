"""The blog's own paths, with PAGES on: the posts' pages, their old paths, their bundles.

A post is served at its path on the blog; its old paths (aliases, redirect_from)
answer 301 to it. A post whose file heads a page bundle (``reading.bundles``) has
its images and media beside it: a relative ``![](pier.png)`` resolves to the
post's path plus ``pier.png``, and that URL answers the bundle's file, read
through the ``Files`` source handed in (render opens no file). Bundle documents
are kept by path with the file's signature, checked at each request, so an image
edited in place is served anew without a new snapshot; they are never held in the
router's cache, which would keep them stale. What is kept stays within the
document cache's budget, and outlives a snapshot.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from functools import cached_property
from urllib.parse import unquote

from cachetools import LRUCache

from ..model import Article, Files
from ..reading.bundles import SVG, bundle_folder, media_type
from .document import Document, Result
from .site import Site, path_key, served_paths

Kept = LRUCache[str, tuple[bytes, Document]]


def _weight(value: tuple[bytes, Document]) -> int:
    return len(value[1].body) + 256


def kept(budget: int) -> Kept:
    """Return an empty store of bundle documents within BUDGET bytes."""
    return LRUCache(max(1, budget), _weight)


class BlogPaths:
    """What the blog's paths answer for ARTICLES, with OLD_PATHS and bundle FILES."""

    def __init__(
        self,
        site: Site,
        articles: Iterable[Article],
        old_paths: Mapping[str, Article],
        files: Files | None,
        store: Kept,
    ):
        self.site = site
        self.articles = articles
        self.old_paths = old_paths if site.pages else {}
        self.files = files if site.engine else None
        self.store = store  # shared with the next snapshot's: the files outlive a snapshot
        self._lock = threading.Lock()

    @cached_property
    def served(self) -> dict[str, Article]:
        """Return the posts' paths on the blog we answer with their pages."""
        return served_paths(self.site, self.articles)

    def answer(self, key: str) -> Result | Article | None:
        """Return what KEY (a %-quoted path) answers: a post (its page), a result, or None."""
        if key in self.old_paths:
            return Result(301, location=self.site.entry_url(self.old_paths[key]))
        if key in self.served:
            return self.served[key]
        if key + "/" in self.served:  # as a static host answers a folder without its slash
            return Result(301, location=self.site.entry_url(self.served[key + "/"]))
        return self._bundle_file(key) if self.files is not None and self.served else None

    def _owners(self, key: str) -> Iterator[tuple[str, str]]:
        """Yield (bundle folder, name in it) for KEY, the longest post path first."""
        end = len(key)
        while (end := key.rfind("/", 0, end)) >= 0:
            article = self.served.get(key[: end + 1])
            folder = bundle_folder(self.site.engine, article.path) if article else None
            if folder is not None:
                yield folder, unquote(key[end + 1 :])

    def _bundle_file(self, key: str) -> Result | None:
        assert self.files is not None
        for folder, name in self._owners(key):
            mimetype = media_type(name)
            if mimetype is None:
                continue
            with self._lock:
                known = self.store.get(key)
            read = self.files.read(f"{folder}/{name}", known[0] if known else b"")
            if read is None:
                continue
            mark, data = read
            if data is None and known is not None:
                return Result(200, known[1], keep=False)
            document = Document(data or b"", mimetype, None, compress=mimetype == SVG)
            if _weight((mark, document)) <= self.store.maxsize:
                with self._lock:
                    self.store[key] = (mark, document)
            return Result(200, document, keep=False)
        return None

    def paths(self) -> Iterator[str]:
        """Yield the old paths, the posts' paths and their bundles' files (for a build)."""
        yield from sorted(self.old_paths)
        yield from self.served
        if self.files is None:
            return
        seen: set[str] = set()
        for link, article in self.served.items():
            folder = bundle_folder(self.site.engine, article.path)
            for name in self.files.listing(folder) if folder is not None else ():
                path = link + path_key(name)
                if path not in seen and path not in self.served:
                    seen.add(path)
                    yield path
