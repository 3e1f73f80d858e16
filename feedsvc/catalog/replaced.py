"""A replaced articles folder: files not found count as deleted once it has been quiet.

Deploys replace the folder: it is deleted, created again and filled by a copy
(``rm -rf articles && cp -r new articles``), or a symlink is swapped to
another release. A scan in the middle of such a copy finds only the files
copied so far, and taking the others for deleted would answer 410 for them,
put them in the feeds' tombstones and ping the hubs, until the copy brings
them back. So once a full scan finds that the folder's path names another
folder than the last one did (another inode, the same inode number in a new
generation, another symlink target, or back after being missing), files not
found keep their articles until no file has come or changed in the folder for
QUIET seconds; then the next scan is a full one and the deletions still due
apply. A new file that is a kept article renamed in the new release (another slug, the
same content or pinned id) waits with them (``withholds``): read in the scan that applies
the deletion, it is paired with its record by the store, as a rename in place is, and
keeps its id, date and old URL. The clock comes in as ``wall`` (seconds, from the scan's
``now``).
"""

from __future__ import annotations

import logging

from ..model import Article, written
from ..reading.files import Found, Identity
from .entries import Entries

log = logging.getLogger(__name__)
QUIET = 2.0  # seconds: longer than the pause between two files of any copy we know


class Replaced:
    """Whether deletions wait for a replaced folder to settle, and since when it is quiet."""

    def __init__(self) -> None:
        self.seen: Identity | None = None  # the folder the last full scan listed
        self.stirred: float | None = None  # a replaced folder's last change; None: no hold
        self.held = 0  # files not found that the last scan kept
        self.marked = False  # told the folder was replaced (its inode number may be the old one)
        self.kept: dict[str, Article | None] = {}  # path -> article: the files a hold keeps
        self._renamed: dict[bytes | str, str] | None = None  # their hashes, pinned ids -> slug
        self.withheld: dict[str, bytes] = {}  # path -> signature: new files that wait

    def mark(self) -> None:
        """Take the next folder a full scan lists for a replaced one."""
        self.marked = True

    def listed(self, identity: Identity | None, wall: float, first: bool) -> None:
        """Note the folder a full scan at WALL listed (None: it could not); FIRST: no hold."""
        if identity is None:
            self.seen = None
            return
        if (identity != self.seen or self.marked) and not first:
            log.info("the articles folder was replaced: deletions wait until it is quiet")
            self.stirred = wall
        self.seen, self.marked = identity, False

    def other(self, identity: Identity | None) -> bool:
        """Say whether the folder is another than the last full scan listed (IDENTITY now),
        or was told replaced: a targeted scan must then be a full one, which holds."""
        return self.marked or identity != self.seen

    def due(self, wall: float) -> bool:
        """Say whether a hold ends at WALL: the scan must then look at the whole folder."""
        return self.stirred is not None and wall - self.stirred >= QUIET

    def holds(
        self,
        deleted: set[str],
        missing: set[str],
        entries: Entries,
        back: list[Found],
        stirred: bool,
        wall: float,
        scope: set[str] | None,
    ) -> tuple[set[str], list[Found]]:
        """Return which of DELETED (MISSING, the files of ENTRIES a scan at WALL of SCOPE,
        None: all, did not find, less those missing for under SETTLE; STIRRED: others came or
        changed) are deleted now, and which of BACK (withheld files it found as they were)
        to read now: all once the hold ends.

        A full scan of a quiet folder ends the hold.
        """
        if self.stirred is not None:
            if stirred:
                self.stirred = wall
            if wall - self.stirred < QUIET:
                if deleted and not self.held:
                    log.info(
                        "%d files not in the replaced folder (yet): kept for now", len(deleted)
                    )
                self.held = max(self.held, len(deleted))
                self._keep({path: entries[path].article for path in missing}, back, scope)
                return set(), []
            if scope is None:
                self.stirred, self.held = None, 0
        if self.stirred is None:
            self.kept, self._renamed, self.withheld = {}, None, {}
        return deleted, back if self.stirred is None else []

    def _keep(
        self, kept: dict[str, Article | None], back: list[Found], scope: set[str] | None
    ) -> None:
        """Note KEPT, the files a scan of SCOPE did not find, and BACK, those withheld that it
        found unchanged, while the hold lasts."""
        if scope is None or len(scope) > len(self.kept):
            self.kept = kept | {p: a for p, a in self.kept.items() if scope and p not in scope}
        else:  # a few paths (a tick: none): what the others keep stands
            for path in scope:
                self.kept.pop(path, None)
            self.kept |= kept
        if self.withheld:
            found = {item.path for item in back}
            self.withheld = {
                path: signature
                for path, signature in self.withheld.items()
                if path in found or (scope is not None and path not in scope)
            }
        self._renamed = None  # made again when a new file is read (``withholds``)

    def withholds(self, item: Found, article: Article) -> bool:
        """Say whether ARTICLE, read from the new file ITEM during a hold, is a kept article
        renamed: another slug, the same content or pinned id. It then waits, as ITEM's path
        and signature, for the hold to end (``holds``)."""
        if self._renamed is None:  # once per scan at most, and only for a scan that reads
            self._renamed = {}
            for kept in filter(None, self.kept.values()):
                self._renamed[kept.content_hash] = kept.slug
                if (id_ := written(kept)[0]) is not None:
                    self._renamed[id_] = kept.slug
        pinned = written(article)[0]
        slugs = (self._renamed.get(article.content_hash), self._renamed.get(pinned or ""))
        if not any(slug is not None and slug != article.slug for slug in slugs):
            return False
        self.withheld[item.path] = item.signature
        return True


class Missing:
    """Files not found, since when: a file counts as deleted once missing for SETTLE seconds.

    A scan may run while a folder is being removed (``rm -rf``, a few milliseconds): it
    lists the old folder half emptied, before the folder's own deletion shows it replaced
    (a scan woken by other events, the start-up scan, a full scan in poll mode). A file
    not found therefore waits for a scan SETTLE later (the watcher looks at it again),
    which sees the folder replaced if it was, as a file still being written waits. A scan
    that finds a new file too (a rename) takes its deletions at once (Folder passes 0),
    so the store pairs the two in one sync and the article keeps its record.
    """

    def __init__(self) -> None:
        self.since: dict[str, float] = {}  # path -> when a scan first did not find it

    def settled(
        self, missing: set[str], scope: set[str] | None, wall: float, settle: float
    ) -> set[str]:
        """Return which of MISSING (not found by a scan at WALL of SCOPE, None: all) were
        missing SETTLE seconds ago too (with SETTLE 0, all)."""
        self.since = {
            path: when
            for path, when in self.since.items()
            if path in missing or (scope is not None and path not in scope)
        }
        since = {path: self.since.setdefault(path, wall) for path in missing}  # with 0 too
        return {path for path in missing if not settle or wall - since[path] >= settle}
