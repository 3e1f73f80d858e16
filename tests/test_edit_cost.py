"""What one changed file costs does not grow with the number of articles (Build item 5).

Counted, not timed: the lines of feedsvc's own Python and the SQLite virtual
machine's steps that one targeted rescan runs (the edited or added file read,
the snapshot patched, new documents made and /feed.atom rendered again), on a
folder of 200 articles and on one of 2,000. Any pass over every article (a
comprehension, a sort, a copy made item by item in Python, a query that scans
a table) adds at least one line or a dozen steps per article, so 1,800 more
articles show; a bisection or an index look-up does not.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from conftest import app_config

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from _support import save  # as editors save; bench/one_change.py times the same saves

import feedsvc
from feedsvc import create_app
from feedsvc.catalog.folder import SETTLE
from feedsvc.web.publisher import Publisher
from feedsvc.web.watch import utcnow

PACKAGE = os.path.dirname(feedsvc.__file__)
WORDS = ["harbour", "bridge", "market", "river", "library", "night", "tram", "depot"]
NEWEST = datetime(2025, 6, 1, 12, tzinfo=UTC)
SCHEDULED = datetime(2100, 1, 1, tzinfo=UTC)
EDITED = "000/article-00000.md"  # the newest: first in the feed
GONE = "000/article-00001.md"  # deleted before the change, in the "deleted" cases
NOT_YET: set[tuple[str, str]] = set()  # (module, function) not counted: none now


def write_corpus(root: Path, count: int) -> None:
    """Write COUNT dated, tagged Markdown articles under ROOT, settled (a minute old).

    One in four is scheduled (dated in 2100): a new article's tags must agree with theirs.
    """
    past = time.time() - 60
    for i in range(count):
        path = root / f"{i // 500:03d}" / f"article-{i:05d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        tags = ", ".join(sorted({WORDS[i % 8], WORDS[i * 3 % 7]}))
        date = NEWEST - timedelta(hours=i) if i % 4 != 3 else SCHEDULED + timedelta(hours=i)
        path.write_text(
            f"---\ntitle: Article {i}\ndate: {date:%Y-%m-%dT%H:%M:%SZ}\ntags: [{tags}]\n---\n\n"
            f"About the {WORDS[i % 8]}, article {i}.\n",
            encoding="utf-8",
        )
        os.utime(path, (past, past))


def edit(root: Path, n: int, marker: str) -> list[str]:
    """Put MARKER in the body of the newest article; return its path."""
    text = (root / EDITED).read_text(encoding="utf-8")
    save(root / EDITED, text.replace("About", f"{marker} About", 1))
    return [EDITED]


def add(root: Path, n: int, marker: str) -> list[str]:
    """Write a new newest article (dated, tagged), MARKER in its body; return its path."""
    path = f"000/added-{n}.md"
    date = NEWEST + timedelta(hours=n + 1)
    save(
        root / path,
        f"---\ntitle: Added {n}\ndate: {date:%Y-%m-%dT%H:%M:%SZ}\ntags: [tram, ferry]\n---\n\n"
        f"{marker} About the tram.\n",
    )
    return [path]


def add_undated(root: Path, n: int, marker: str) -> list[str]:
    """Write a new undated article (the time of first sight dates it); return its path."""
    path = f"000/undated-{n}.md"
    save(root / path, f"---\ntitle: Undated {n}\ntags: [tram]\n---\n\n{marker} The tram.\n")
    return [path]


def rename(root: Path, n: int, marker: str) -> list[str]:
    """Move a published article to a new name, MARKER added to its body; return both paths.

    The same title and mostly the same body: the record follows it to its new slug.
    """
    old, new = f"000/article-{2 + 4 * n:05d}.md", f"000/renamed-{n}.md"
    text = (root / old).read_text(encoding="utf-8")
    (root / old).unlink()
    save(root / new, text.replace("About", f"{marker} About", 1))
    return [old, new]


def delete(root: Path, n: int, marker: str) -> list[str]:
    """Delete a published article (its slug leaves the feed); return its path."""
    path = f"000/article-{4 + 4 * n:05d}.md"
    (root / path).unlink()
    return [path]


class Counter:
    """Count the lines of feedsvc's Python run, and SQLite's steps, while it is on."""

    def __init__(self) -> None:
        self.lines = 0
        self.steps = 0

    def _local(self, frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        if event == "line":
            self.lines += 1
        return self._local

    def _global(self, frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        name = frame.f_code.co_filename
        if not name.startswith(PACKAGE):
            return None
        where = os.path.relpath(name, PACKAGE).replace(os.sep, "/")
        return None if (where, frame.f_code.co_name) in NOT_YET else self._local

    def _step(self) -> int:
        self.steps += 1
        return 0  # go on

    def count(self, publisher: Publisher, action: Callable[[], bytes]) -> bytes:
        """Return what ACTION returns, counting what it runs."""
        publisher.store.db.set_progress_handler(self._step, 10)
        sys.settrace(self._global)
        try:
            return action()
        finally:
            sys.settrace(None)
            publisher.store.db.set_progress_handler(None, 10)


def change_cost(
    tmp_path: Path,
    count: int,
    change: Callable[[Path, int, str], list[str]],
    deleted: bool = False,
) -> Counter:
    """Return what the second of two CHANGEs of one file costs among COUNT articles.

    DELETED: an article was deleted first, so the store holds a gone record (a new
    article's id is then checked against every record's, which may have had its slug).
    """
    root = tmp_path / str(count) / "articles"
    write_corpus(root, count)
    app = create_app(app_config(root))
    publisher: Publisher = app.extensions["feedsvc"]
    try:
        publisher.documents.resolve("feed.atom")
        if deleted:
            (root / GONE).unlink()
            publisher.refresh(utcnow(), {GONE})
            time.sleep(SETTLE)  # a file not found counts as deleted SETTLE later
            publisher.refresh(utcnow(), {GONE})
            assert publisher.documents.resolve("feed.atom").document is not None
        counter = Counter()
        for n in range(2):  # the first warms what any first change fills once
            marker = f"changed{n}"
            paths = change(root, n, marker)

            def rescan(paths: list[str] = paths) -> bytes:
                documents = publisher.refresh(utcnow(), set(paths))
                document = documents.resolve("feed.atom").document
                assert document is not None
                return document.body

            if change is delete:  # the first look notes it missing; the counted one drops it
                publisher.refresh(utcnow(), set(paths))
                time.sleep(SETTLE)
            body = rescan() if n == 0 else counter.count(publisher, rescan)
            if change is delete:  # the change is served: its entry goes (a tombstone stays)
                assert f":{Path(paths[0]).stem}</id>".encode() not in body
            else:
                assert marker.encode() in body
        return counter
    finally:
        publisher.close()


@pytest.mark.parametrize(
    ("change", "deleted"),
    [
        (edit, False),
        (add, False),
        (add_undated, False),
        (add, True),
        (add_undated, True),
        (rename, False),
        (delete, False),
    ],
    ids=[
        "edit",
        "add",
        "undated",
        "add-after-a-deletion",
        "undated-after-a-deletion",
        "rename",
        "delete",
    ],
)
def test_the_work_of_a_one_file_change_does_not_grow_with_the_number_of_articles(
    tmp_path: Path, change: Callable[[Path, int, str], list[str]], deleted: bool
) -> None:
    small = change_cost(tmp_path, 200, change, deleted)
    large = change_cost(tmp_path, 2_000, change, deleted)
    more = 2_000 - 200
    assert small.lines > 1_000 and small.steps >= 10  # it counts something
    # Fewer than one line of Python per 10 more articles, one SQLite step (10 VM
    # instructions) per 50: a bisection's few lines, not a pass over the articles.
    assert large.lines - small.lines < more / 10, (small.lines, large.lines)
    assert large.steps - small.steps < more / 50, (small.steps, large.steps)


def test_records_from_before_the_likeness_table_are_described_when_next_seen(
    tmp_path: Path,
) -> None:
    """A sync describes the seen records that have no likeness, however few it sees."""
    root = tmp_path / "articles"
    write_corpus(root, 3)
    create_app(app_config(root)).extensions["feedsvc"].close()
    store = tmp_path / "state.sqlite3"
    with sqlite3.connect(store) as db:
        db.execute("DELETE FROM likeness")  # as a store made before the table
    publisher = create_app(app_config(root)).extensions["feedsvc"]  # a new process: sees all
    try:
        edit(root, 0, "edited")
        publisher.refresh(utcnow(), {EDITED})
    finally:
        publisher.close()
    with sqlite3.connect(store) as db:
        described = db.execute("SELECT count(*) FROM likeness").fetchone()[0]
    assert described == 3
