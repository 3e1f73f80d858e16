"""The catalog: the articles folder, read incrementally, as immutable snapshots.

A full scan stats every file; a targeted scan (``paths=``, from file-system
notifications) stats only those; either reads only new and changed files. A
file whose mtime is younger than SETTLE seconds is left for a later scan (and
listed in ``unsettled``), so a file caught half-written is not published; the
first scan reads everything. A
file that fails after an edit keeps its last good version until it parses
again. A rebuild reuses each unchanged article's resolved form and digest, so
one change costs little at any corpus size. Duplicate slugs and ids: the
earlier date wins, then the path. History comes from the state store; the
clock comes in as ``now``.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, tzinfo
from operator import attrgetter
from typing import Any

from . import files
from .errors import ArticleError, Problem, warning
from .normalise import Article, Defaults, Text, normalise
from .readers import READERS
from .snapshot import Snapshot, assemble, digest, version
from .state import Record, Seen, StateStore
from .texts import Texts

log = logging.getLogger(__name__)
SETTLE = 0.25
STOW_BATCH = 200  # texts written per transaction: a cold load never holds every body
FAR_FUTURE = datetime.max.replace(tzinfo=UTC)
_ARTICLE_FIELDS = tuple(f.name for f in fields(Article))


@dataclass(slots=True)
class _File:
    signature: bytes
    article: Article | None
    problems: tuple[Problem, ...]


def read_article(
    found: files.Found, defaults: Defaults, max_bytes: int
) -> tuple[Article, list[Problem]]:
    """Read, parse and normalise one file; raise ArticleError when it cannot be published."""
    text, problems = files.read(found, max_bytes)
    fmt = files.FORMATS[found.path[found.path.rfind(".") :].lower()]
    raw = READERS[fmt](found.path, text)
    return normalise(raw, defaults), problems + list(raw.warnings)


class Catalog:
    """Scan an articles folder and keep the latest snapshot of it."""

    def __init__(
        self,
        root: str,
        defaults: Defaults,
        store: StateStore,
        authority: str,
        max_bytes: int,
        wall: Callable[[], float] = time.time,
        authority_pinned: bool = False,
    ):
        self.root = root
        self.authority_pinned = authority_pinned  # ID_AUTHORITY set: mint new ids with it
        self._logged: frozenset[Problem] = frozenset()
        self.defaults = defaults
        self.store = store
        self.authority = authority
        self.max_bytes = max_bytes
        self.wall = wall
        self.files: dict[str, _File] = {}
        self.synced: dict[str, tuple[str, str]] = {}
        self.records: dict[str, Record] = store.records()
        self.snapshot: Snapshot | None = None
        self.unsettled: set[str] = set()
        self._walk_problems: tuple[Problem, ...] = ()
        self._resolved: dict[str, tuple[Article, Record, Article, bytes]] = {}
        self._digests: dict[str, bytes] = {}
        self._touched: dict[str, Article | None] | None = {}  # path -> before; None: rebuild
        self._dupes: list[Problem] = []
        self.texts = Texts(store, self._reread)

    @classmethod
    def from_config(
        cls,
        config: Mapping[str, Any],
        zone: tzinfo,
        host: str,
        store: StateStore,
        wall: Callable[[], float] = time.time,
    ) -> Catalog:
        """Return the catalog CONFIG describes; ZONE and HOST come from the site."""
        return cls(
            config["ARTICLES"],
            Defaults(config["AUTHOR"], config["LANGUAGE"], zone),
            store,
            config["ID_AUTHORITY"] or host,
            config["MAX_ARTICLE_BYTES"],
            wall=wall,
            authority_pinned=bool(config["ID_AUTHORITY"]),
        )

    def scan(self, now: datetime, paths: Iterable[str] | None = None) -> Snapshot:
        """Return the snapshot of the folder at NOW, re-reading only what changed.

        With PATHS (relative to the folder), only those are looked at; a path that
        is a folder or a symlink makes it a full scan.
        """
        found = self._stat_paths(paths) if paths is not None else None
        if found is None:
            found, walk_problems = files.discover(self.root)
            changed = self._read_changed(found, None, now)
            if tuple(walk_problems) != self._walk_problems:
                self._walk_problems = tuple(walk_problems)
                for problem in walk_problems:
                    log.warning("%s", problem)
                changed, self._touched = True, None
        else:
            changed = self._read_changed(found, set(paths), now)
        if changed or self.snapshot is None or not self.snapshot.is_current(now):
            self.snapshot = self._patch(now) or self._build(now)
        self._touched = {}
        return self.snapshot

    def _stat_paths(self, paths: Iterable[str]) -> list[files.Found] | None:
        """Return the article files among PATHS, or None when a full scan is needed."""
        root = os.path.realpath(self.root)
        found = []
        for path in sorted(paths):
            parts = path.split("/")
            if any(p.startswith(".") or p in ("", "..") for p in parts) or files.is_ignored(
                parts[-1]
            ):
                continue
            full = os.path.join(root, path)
            try:
                st = os.lstat(full)
            except FileNotFoundError:
                continue  # deleted: _read_changed drops it
            except OSError:
                return None
            if not stat.S_ISREG(st.st_mode):
                return None
            found.append(files.Found(path, full, files.signature(st)))
        return found

    def _read_changed(
        self, found: list[files.Found], scope: set[str] | None, now: datetime
    ) -> bool:
        """Read what changed in FOUND; drop known files of SCOPE (None: all) not found."""
        changed = False
        wall = self.wall()
        paths = set()
        read: list[Article] = []  # read anew: their texts go to the store
        for item in found:
            paths.add(item.path)
            self.unsettled.discard(item.path)
            entry = self.files.get(item.path)
            if entry is not None and entry.signature == item.signature:
                continue
            if self.snapshot is not None and 0 <= wall - files.mtime(item.signature) < SETTLE:
                self.unsettled.add(item.path)  # maybe still being written: read it later
                continue
            changed = True
            previous = entry.article if entry else None
            if self._touched is not None:
                if entry is None:
                    self._touched = None  # a new file: not a patch
                else:
                    self._touched.setdefault(item.path, previous)
            try:
                article, problems = read_article(item, self.defaults, self.max_bytes)
            except Exception as e:  # noqa: BLE001 - a bug must cost one article, not the feed
                if not isinstance(e, ArticleError):
                    log.exception("unexpected error reading %s", item.path)
                    e = ArticleError(
                        item.path,
                        f"unexpected error, please report it: {type(e).__name__}: {e}"[:300],
                    )
                article, problems = previous, [e.problem]
                if previous is not None:
                    problems.append(
                        replace(
                            e.problem,
                            severity="warning",
                            message="the last good version stays published",
                        )
                    )
            for problem in problems:
                log.warning("%s", problem)
            self.files[item.path] = _File(item.signature, article, tuple(problems))
            if article is not None and article is not previous:
                read.append(article)
                if len(read) % STOW_BATCH == 0:
                    self.texts.stow(read[-STOW_BATCH:])
        self.texts.stow(read[len(read) - len(read) % STOW_BATCH :])
        deleted = (set(self.files) if scope is None else scope & set(self.files)) - paths
        for path in deleted:
            del self.files[path]
            changed, self._touched = True, None
        if read or deleted:
            kept = {e.article.text.key for e in self.files.values() if e.article is not None}
            self.texts.drop([a.path for a in read] + sorted(deleted), kept, now)
        return changed

    def _reread(self, path: str) -> Text | None:
        """Return the text of PATH as the file says now, or None when it cannot be read."""
        full = os.path.join(self.root, path)
        try:
            found = files.Found(path, full, files.signature(os.stat(full)))
            article, _ = read_article(found, self.defaults, self.max_bytes)
        except (OSError, ArticleError):
            return None
        return article.text

    def _first_date(self, article: Article) -> datetime | None:
        record = self.records.get(article.slug)
        return article.published or (record.first_seen if record else None)

    def _winners(
        self, articles: Iterable[Article], key: Callable[[Article], str], what: str
    ) -> tuple[list[Article], list[Problem]]:
        articles = list(articles)
        keys = [key(a) for a in articles]
        if len(set(keys)) == len(keys):
            return articles, []  # no duplicates: the usual case, kept cheap
        groups: dict[str, list[Article]] = {}
        for article in articles:
            groups.setdefault(key(article), []).append(article)
        winners, problems = [], []
        for name, group in groups.items():
            if len(group) == 1:
                winners.append(group[0])
                continue
            group.sort(key=lambda a: (self._first_date(a) or FAR_FUTURE, a.path))  # undated last
            winners.append(group[0])
            others = ", ".join(a.path for a in group[1:])
            problems.append(
                warning(
                    group[0].path,
                    f"{what} {name!r} is also claimed by {others}; this file wins "
                    "(the earlier date, then the path)",
                )
            )
            for loser in group[1:]:
                problems.append(
                    ArticleError(
                        loser.path,
                        f"duplicate {what} {name!r}, also in {group[0].path} which wins "
                        "(the earlier date, then the path): change one of them",
                    ).problem
                )
        return winners, problems

    def _build(self, now: datetime) -> Snapshot:
        candidates: list[Article] = []
        drafts: list[Article] = []
        for entry in self.files.values():
            if entry.article is not None:
                (drafts if entry.article.draft else candidates).append(entry.article)
        winners, dupes = self._winners(candidates, attrgetter("slug"), "slug")
        self._sync(winners, now)
        resolved = self._resolve_all(self._recorded(winners))
        resolved, id_dupes = self._winners(resolved, lambda a: a.id or "", "id")
        self._dupes = dupes + id_dupes
        for problem in sorted(set(self._dupes) - self._logged):  # once per change, not per scan
            log.warning("%s", problem)
        self._logged = frozenset(self._dupes)
        return assemble(
            resolved,
            drafts,
            now,
            old_slugs=self.store.old_slugs(),
            gone={slug for slug, record in self.records.items() if record.gone is not None},
            digests=self._digests,
            problems=self._problems(),
        )

    def _patch(self, now: datetime) -> Snapshot | None:
        """Return the snapshot with edited articles swapped in, or None when a rebuild is due.

        Only edits that keep an article's place qualify: same slug, written date,
        id, aliases and tags, published before and after. Everything else (new,
        deleted, renamed, re-dated, drafted files, duplicates) takes ``_build``.
        """
        before, touched = self.snapshot, self._touched
        if before is None or not touched or not before.is_current(now):
            return None
        edits = []
        for path, old in touched.items():
            new = self.files[path].article
            if old is None or new is None or new is old:
                if new is old and old is not None:
                    continue  # a failed edit kept the last good version
                return None
            entry = self._resolved.get(old.slug)
            if (
                new.draft
                or old.draft
                or entry is None
                or entry[0] is not old
                or old.slug not in before.by_slug
                or (
                    new.slug,
                    new.published,
                    new.id,
                    new.aliases,
                    new.tags,
                    new.date_pinned,
                    new.id_pinned,
                )
                != (
                    old.slug,
                    old.published,
                    old.id,
                    old.aliases,
                    old.tags,
                    old.date_pinned,
                    old.id_pinned,
                )
            ):
                return None
            edits.append(new)
        if not edits:
            return replace(before, problems=self._problems())
        seen = [
            Seen(a.slug, a.path, a.content_hash, a.published)
            for a in edits
            if self.synced.get(a.slug) != (a.content_hash, a.path)
        ]
        if seen:
            self.store.sync(seen, [], self.authority, now, pinned=self.authority_pinned)
            self.records.update(self.store.records([a.slug for a in seen]))
        live, by_slug, tags = list(before.articles), dict(before.by_slug), dict(before.tags)
        position = {a.slug: i for i, a in enumerate(live)}
        for new in edits:
            self.synced[new.slug] = (new.content_hash, new.path)
            old_done = by_slug[new.slug]
            done = self._resolve(new)
            if (done.published, done.id) != (old_done.published, old_done.id):
                return None  # _build starts from the state just recorded
            self._resolved[new.slug] = (new, self.records[new.slug], done, digest(done))
            self._digests[new.slug] = self._resolved[new.slug][3]
            live[position[new.slug]] = done
            by_slug[new.slug] = done
            for tag in done.tags:
                tag_, items = tags[tag.slug]
                tags[tag.slug] = (tag_, tuple(done if a is old_done else a for a in items))
        return replace(
            before,
            articles=tuple(live),
            by_slug=by_slug,
            tags=tags,
            version=version(live, before.redirects, before.gone, self._digests),
            problems=self._problems(),
        )

    def _problems(self) -> tuple[Problem, ...]:
        """Return the problems of the files, the walk and the last rebuild's duplicates."""
        problems = list(self._walk_problems) + self._dupes
        for entry in self.files.values():
            if entry.problems:
                problems.extend(entry.problems)
        return tuple(sorted(set(problems))) + tuple(
            Problem(self.store.path, None, "error", m) for m in self.store.problems
        )

    def _sync(self, winners: list[Article], now: datetime) -> None:
        current = {a.slug: (a.content_hash, a.path) for a in winners}
        seen = [
            Seen(a.slug, a.path, a.content_hash, a.published)
            for a in winners
            if self.synced.get(a.slug) != current[a.slug]
        ]
        gone = [slug for slug in self.synced if slug not in current]
        gone += [
            slug
            for slug, record in self.records.items()
            if slug not in current and record.gone is None and slug not in gone
        ]
        if seen or gone:
            self.store.sync(seen, gone, self.authority, now, pinned=self.authority_pinned)
            if gone or any(s.slug not in self.records for s in seen):
                self.records = self.store.records()  # renames may move other records
            else:
                self.records.update(self.store.records([s.slug for s in seen]))
        self.synced = current

    def _recorded(self, winners: list[Article]) -> list[Article]:
        """Return WINNERS that have a record in the store.

        Another worker may rename a record between our folder listing and our sync (the
        file moved meanwhile); that article waits for the next scan instead of failing it.
        """
        missing = [a.slug for a in winners if a.slug not in self.records]
        if not missing:
            return winners
        self.records.update(self.store.records(missing))
        for slug in missing:
            if slug not in self.records:
                log.info("%s: record changed by another process; read again on next scan", slug)
                self.synced.pop(slug, None)
        return [a for a in winners if a.slug in self.records]

    def _resolve_all(self, winners: list[Article]) -> list[Article]:
        """Return WINNERS resolved against their records, reusing unchanged ones."""
        cache, fresh, resolved, digests = self._resolved, {}, [], {}
        for article in winners:
            record = self.records[article.slug]
            entry = cache.get(article.slug)
            if (
                entry is None
                or entry[0] is not article
                or (entry[1] is not record and entry[1] != record)
            ):
                done = self._resolve(article)
                entry = (article, record, done, digest(done))
            fresh[article.slug] = entry
            digests[article.slug] = entry[3]
            resolved.append(entry[2])
        self._resolved, self._digests = fresh, digests
        return resolved

    def _resolve(self, article: Article) -> Article:
        record = self.records[article.slug]
        published = article.published or record.first_seen
        updated = article.updated or max(record.changed or published, published)
        # Not dataclasses.replace, which inspects the class on every call.
        values = {name: getattr(article, name) for name in _ARTICLE_FIELDS}
        values.update(
            id=article.id or record.id, published=published, updated=max(updated, published)
        )
        return Article(**values)
