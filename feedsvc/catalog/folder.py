"""The articles folder as last read: each file's signature, article and problems.

A full scan lists and stats every file, holding the changed ones only, and reads them once
all are listed (a cold read holds them all, for its progress lines); a targeted scan
(``paths=``, from notifications) stats only those. A file younger than SETTLE seconds is
left for a later scan (``unsettled``); the first scan reads everything. A file that fails
after an edit keeps its last good version until it parses again (``store.bodies``), as does
one a first scan finds broken that the last process read clean (``STATE.parsed``); a folder
missing or that cannot be listed (or a file that cannot be stat'ed) keeps its last good
versions, while a folder present and empty has none; a replaced folder's deletions wait
until it is quiet (``replaced``), a targeted scan's too. Workers share a cold first read."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from itertools import chain

from ..errors import ArticleError, Problem
from ..model import Article, Text
from ..reading import files
from ..reading.ahead import MANY, ReadAhead
from ..reading.article import Inspect as Inspect  # the catalog hands it in
from ..reading.article import read_article, reread
from ..reading.dates import name_date
from ..reading.engines import PAGE, POST
from ..reading.engines import reader as engines
from ..reading.normalise import Defaults
from ..store import parsed
from ..store.bodies import StoredBodies
from ..store.db import StateStore
from .entries import Changes, Entries, Entry, published_paper
from .firstsight import keep_legacy_slug
from .replaced import Missing, Replaced

log = logging.getLogger(__name__)
SETTLE = 0.25
STOW_BATCH = 200  # texts written per transaction
PROGRESS_EVERY = 2_000  # files: a first read of a folder this large logs its progress
Share = Callable[["Folder", list[files.Found]], parsed.Entries]  # see ``firstread``


class Folder:
    """The files under ROOT, read into articles and kept current by ``scan``."""

    def __init__(
        self, root: str, defaults: Defaults, max_bytes: int, store: StateStore,
        settle: float = SETTLE, inspect: Inspect | None = None,
    ):  # fmt: skip
        self.root = root
        self.inspect = inspect
        self.defaults = defaults
        self.max_bytes = max_bytes
        self.settle = settle  # 0: every file counts as settled (``feedsvc check``)
        self.files = Entries()
        self.unsettled: set[str] = set()
        self.store = store
        self.bodies = StoredBodies(store, partial(reread, root, defaults, max_bytes))
        self._walk_problems: tuple[Problem, ...] = ()
        self._scanned = False
        self.targeted = False  # the last scan looked at the paths it was given only
        self._extra = engines.extensions(defaults.blog)  # formats only a blog engine reads
        self.known: parsed.Entries = {}  # what the last process read: for the first scan
        self.stale: parsed.Stale = parsed.no_stale  # its reads under other code: broken files'
        self._broken: dict[str, bytes] = {}  # path -> text key of the last good version it keeps
        self._good: dict[str, bytes] = {}  # path -> signature of that last good version
        self.replaced = Replaced()
        self.missing = Missing()
        self.changed = [0.0]  # the last change (ctime, s) of a folder or file a listing saw
        self.share: Share | None = None  # a cold first read's, with the workers starting too
        self.shared: set[str] = set()  # the paths in ``known`` that it read
        self.ahead = ReadAhead(False)  # a cold read's files, read ahead by a child

    def scan(self, now: datetime, paths: Iterable[str] | None = None) -> Changes:
        """Read what changed at NOW: in PATHS (relative), else (or given a folder, symlink) all."""
        scope = None if paths is None or self.replaced.due(now.timestamp()) else set(paths)
        if scope is not None and self.replaced.other(files.identity(self.root)):
            scope = None  # replaced (or gone) under notifications of its files: look at all
        found = None if scope is None else self.stat_paths(scope)
        self.targeted = found is not None
        if found is None:
            identity = files.identity(self.root)  # before listing: a swap meanwhile shows next
            listing: list[Problem] = []  # complete once the files are all listed
            walk = files.walk(self.root, listing, self._extra, changed=self.changed)
            listed = (i for i in walk if self._reads(i.path))
            first = next(listed, None)  # a rescan goes through the rest as they come (memory)
            why = None if first else files.unavailable(self.root)
            self.replaced.listed(None if why else identity, now.timestamp(), not self._scanned)
            if why is not None:  # an empty folder can be listed: it publishes nothing
                keep = "; the last good articles stay published" if self.files else ""
                listing = [ArticleError(self.root, why + keep).problem]
                changes = Changes(False, None)  # nothing read, nothing dropped
            else:
                items = chain((first,) if first else (), listed)
                cold = not self._scanned and not self.known  # listed first: progress lines
                every = list(items) if cold else []
                with ReadAhead(len(every) >= MANY) as self.ahead:  # files the disk may hold up
                    if cold and self.share is not None:  # read once by the workers
                        self.known = self.share(self, every)
                        self.shared = set(self.known)
                    self.ahead.add(i.real for i in every if i.path not in self.known)
                    changes = self._read_changed(every if cold else items, None, now, listing)
            if tuple(listing) != self._walk_problems:
                self._walk_problems = tuple(listing)
                changes = Changes(True, None)
        else:
            changes = self._read_changed(found, scope, now)
        self._scanned = True
        self.known, self.stale, self.shared = {}, parsed.no_stale, set()
        return changes

    def parsed(self) -> parsed.Entries:
        """Return what a restart may take as read: clean files, by path, as their reader gave them.

        A broken file that keeps a last good version is kept as that version, under its
        signature then, so a restart keeps it too (and reads the file, which differs).
        A file whose name carries a date is left out: its slug may depend on the store.
        """
        return {
            path: (self._good.get(path, entry.signature), entry.article)
            for path, entry in self.files.items()
            if entry.article is not None
            and (not entry.problems or path in self._good)
            and name_date(path, UTC) is None
        }

    def articles(self) -> Iterator[Article]:
        """Yield the article of every file that has one (its last good version)."""
        return (entry.article for entry in self.files.values() if entry.article is not None)

    def article(self, path: str) -> Article | None:
        return self.files[path].article

    def resolved(self, article: Article, done: Article) -> bool:
        """Keep DONE (ARTICLE resolved: one object, not two) in ARTICLE's place, if there."""
        entry = self.files.get(article.path)
        if found := entry is not None and entry.article is article:
            entry.article = done
        return found

    def problems(self) -> list[Problem]:
        """Return the problems of the walk and of every file, as last read."""
        return list(self._walk_problems) + self.files.problems()

    def _reads(self, path: str) -> bool:  # any file but papers, or a blog's posts only
        blog = self.defaults.blog
        if blog is None:
            role = engines.own_role(path, self.defaults.ignore)
            return role == POST or (role == PAGE and published_paper(self.files, self.store, path))
        return engines.is_read(blog, path)

    def stat_paths(self, paths: Iterable[str]) -> list[files.Found] | None:
        """Return the article files among PATHS, or None when a full scan is needed."""
        root = os.path.realpath(self.root)
        found = []
        for path in sorted(paths):
            parts = path.split("/")
            hidden = any(p.startswith(".") or p in ("", "..") for p in parts)
            if hidden or files.is_ignored(parts[-1], self._extra) or not self._reads(path):
                continue
            full = os.path.join(root, path)
            try:
                st = os.lstat(full)
            except FileNotFoundError:
                if files.unavailable(root):
                    return None  # the folder itself went: a full scan keeps the last good
                continue  # deleted: _read_changed drops it
            except OSError:
                return None
            if not stat.S_ISREG(st.st_mode):
                return None
            found.append(files.Found(path, full, files.signature(st)))
        return found

    def _read_changed(
        self, found: Iterable[files.Found], scope: set[str] | None, now: datetime,
        unread: Iterable[Problem] = (),
    ) -> Changes:  # fmt: skip
        """Read what changed in FOUND; drop known files of SCOPE (None: all) not found."""
        changed = stirred = came = False
        edited: dict[str, Article | None] | None = {}
        wall = now.timestamp()
        listed, old_found, before, back = [], 0, len(self.files), []  # back: withheld, found
        read: list[str] = []  # paths read anew
        superseded: list[bytes] = []  # the texts of their versions before, and of deleted files
        fresh: set[bytes] = set()  # the keys of the texts read now
        batch: list[tuple[str, Text]] = []  # their texts, until the store takes them
        pending: list[tuple[files.Found, Entry | None, tuple[bytes, Article] | None]] = []
        total = len(found) if isinstance(found, list) else 0  # listed first by a first read
        step = 0 if self._scanned or total < PROGRESS_EVERY else max(total // 10, PROGRESS_EVERY)
        for item in found:
            entry = self.files.get(item.path)
            had = entry.article.path if entry and entry.article else ""  # no copy kept (memory)
            listed.append(had if had == item.path else item.path)
            old_found += entry is not None
            self.unsettled.discard(item.path)
            if entry is None and self.replaced.withheld.get(item.path) == item.signature:
                back.append(item)  # a renamed file, waiting for the hold to end
                continue
            if entry is not None and entry.signature == item.signature:
                continue
            stirred = True
            if self._scanned and 0 <= wall - files.mtime(item.signature) < self.settle:
                self.unsettled.add(item.path)  # maybe still being written: read it later
                continue
            came = came or entry is None  # read now: the other half of a rename, if one
            known = self.known.pop(item.path, None) if entry is None else None
            if known is not None and known[0] == item.signature:  # read by the last process
                self.files[known[1].path] = Entry(item.signature, known[1], ())  # one path str
                changed, edited = True, None
                if item.path in self.shared:  # read now, by another worker or a chunk of ours
                    read.append(item.path)
                continue
            pending.append((item, entry, known))
        deleted: set[str] = set()  # a set of every key only if one went (4 MiB), none of LISTED
        if scope is not None:
            deleted = (scope & self.files.keys()).difference(listed)
        elif old_found < before:
            deleted = self.files.keys() - listed
        deleted -= files.unread(unread, deleted)  # the listing's problems: complete by now
        wait = 0 if came else self.settle  # a file came: a rename (or move), paired now
        missing, deleted = deleted, self.missing.settled(deleted, scope, wall, wait)
        self.unsettled = (self.unsettled | missing) - deleted  # the others: looked at again
        deleted, back = self.replaced.holds(
            deleted, missing, self.files, back, stirred, wall, scope
        )
        pending += [(item, None, None) for item in back]  # the hold is over: read them now
        for item, entry, known in pending:  # once all is listed: a swap meanwhile hides none
            # A first scan's broken file keeps what the last process read (an older signature).
            previous = entry.article if entry else (known[1] if known else None)
            article, text, problems = self._read(item, previous)
            if entry is None and text and article and self.replaced.withholds(item, article):
                continue  # read again once the hold ends, with the deletion it pairs with
            changed = True  # a file withheld is no change yet: no rebuild for it
            if edited is not None and entry is None:
                edited = None  # a new file: not an edit
            elif edited is not None:
                edited.setdefault(item.path, previous)
            if previous is not None and article is not previous:
                superseded.append(previous.text_key)
            if text is None and article is not None:  # broken: its last good version stays
                self._broken[item.path] = article.text_key
                good = entry.signature if entry else known[0] if known else parsed.NEVER
                self._good.setdefault(item.path, good)
            else:
                self._broken.pop(item.path, None)
                self._good.pop(item.path, None)
            self.files[item.path] = Entry(item.signature, article, tuple(problems))
            if step and len(self.files) % step == 0:  # a long first read says how far it is
                log.info("first read of the articles: %d of %d files", len(self.files), total)
            if text is not None:
                read.append(item.path)
                fresh.add(text.key)
                batch.append((item.path, text))
                if len(batch) == STOW_BATCH:  # a cold load never holds every body at once
                    self.bodies.stow(batch, remember=self._scanned)
                    batch = []
        self.bodies.stow(batch, remember=self._scanned)
        only_deletions = edited == {}  # no file read, edited or taken from the last process
        removed: dict[str, Article | None] = {}
        for path in deleted:
            if (gone := removed.setdefault(path, self.files.pop(path).article)) is not None:
                superseded.append(gone.text_key)
            self._broken.pop(path, None)
            self._good.pop(path, None)
            changed, edited = True, None
        if read or deleted:  # the store keeps copies of the broken files' versions only
            gone_keys = [key for key in superseded if key not in fresh]  # not a twin's, read now
            self.bodies.drop(read + sorted(deleted), set(self._broken.values()), now, gone_keys)
        return Changes(changed, edited, removed if only_deletions else {})

    def _read(
        self, item: files.Found, previous: Article | None
    ) -> tuple[Article | None, Text | None, list[Problem]]:
        """Return the article ITEM holds now (and its text), else PREVIOUS; and the problems."""
        self.ahead.done()  # one more read: one more may be asked for
        try:
            article, text, problems = read_article(
                item, self.defaults, self.max_bytes, self.inspect
            )
            return keep_legacy_slug(self.store, article), text, problems
        except Exception as e:  # a bug must cost one article, not the feed
            if not isinstance(e, ArticleError):
                log.debug("unexpected error reading %s", item.path, exc_info=True)
                why = f"unexpected error, please report it: {type(e).__name__}: {e}"
                e = ArticleError(item.path, why[:300])
            problems = [e.problem]
            previous = previous or (None if self._scanned else self.stale(item.path))
            if previous is not None:
                message = "the last good version stays published"
                if not self.bodies.keep(previous):
                    message += (", but its text was not kept: its summary (or title) stands "
                                "in for the body until the file is fixed")  # fmt: skip
                problems.append(replace(e.problem, severity="warning", message=message))
            return previous, None, problems
