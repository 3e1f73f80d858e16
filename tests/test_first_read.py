"""A cold first read shared by the workers that start together (``catalog/firstread``).

In-process, two workers are two folders on one store, each scanning in its own
thread: the chunks' locks are per open file, so they exclude each other as two
processes' do. The server test starts two real workers of ``feedsvc serve``.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import stop_server
from test_polling import start_ready

from feedsvc.catalog import firstread
from feedsvc.catalog.firstread import FirstRead
from feedsvc.catalog.folder import Folder
from feedsvc.reading.normalise import Defaults
from feedsvc.store.db import StateStore

NOW = datetime(2026, 1, 1, tzinfo=UTC)
N = 1_200
HOUR_AGO = time.time() - 3600


def write_articles(articles: Path, count: int = N, first: int = 0) -> None:
    articles.mkdir(exist_ok=True)
    for i in range(first, first + count):
        path = articles / f"a-{i:04d}.md"
        body = f"Body {i}: " + " ".join(f"w{i}x{n}" for n in range(40))
        path.write_text(
            f"---\ntitle: Article {i}\ndate: 2024-02-{1 + i % 28:02d}\n---\n\n{body}\n"
        )
        os.utime(path, (HOUR_AGO, HOUR_AGO))


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(firstread, "SHARE_FROM", 200)
    monkeypatch.setattr(firstread, "CHUNK", 100)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count the files each thread reads for the shared read (by thread name)."""
    counts: Counter[str] = Counter()
    real = firstread.read_article

    def counted(*args: Any, **kwargs: Any) -> Any:
        counts[threading.current_thread().name] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(firstread, "read_article", counted)
    return counts


def folder_on(articles: Path, state: Path, share: bool = True) -> Folder:
    store = StateStore(str(state), NOW)
    folder = Folder(str(articles), Defaults("A", "en", UTC), 2**21, store, settle=0)
    if share:
        folder.share = FirstRead(f"{state}.reading", "f" * 64)
    return folder


def where(state: Path) -> Path:
    return Path(f"{state}.reading") / f"{firstread._token(os.getppid())}-{'f' * 16}"


def as_read(folder: Folder) -> dict[str, tuple[Any, ...]]:
    return {
        path: (
            e.signature,
            e.article.slug,
            e.article.title,
            e.article.text_key,
            e.article.published,
        )
        for path, e in folder.files.items()
        if e.article is not None
    }


def scan_together(folders: list[Folder]) -> None:
    """Scan FOLDERS at once, one thread each; each holds its first chunk until all have one."""
    meet = threading.Barrier(len(folders), timeout=20)
    real, met = firstread._read, set()

    def read(folder: Folder, chunk: Any) -> Any:
        if threading.current_thread().name not in met:  # both are sharing before any ends
            met.add(threading.current_thread().name)
            meet.wait()
        return real(folder, chunk)

    errors: list[BaseException] = []

    def scan(folder: Folder) -> None:
        try:
            folder.scan(NOW)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    firstread._read = read  # type: ignore[assignment]
    try:
        threads = [
            threading.Thread(target=scan, args=(f,), name=f"w{i}") for i, f in enumerate(folders)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        firstread._read = real  # type: ignore[assignment]
    assert not errors, errors


def test_two_workers_read_each_file_once_and_hold_what_one_reading_all_holds(
    tmp_path: Path, small_chunks: None, reads: Counter[str]
) -> None:
    articles = tmp_path / "articles"
    write_articles(articles)
    state = tmp_path / "s.sqlite3"
    workers = [folder_on(articles, state), folder_on(articles, state)]
    scan_together(workers)
    assert sum(reads.values()) == N and set(reads) == {"w0", "w1"}, reads
    alone = folder_on(articles, tmp_path / "alone.sqlite3", share=False)
    alone.scan(NOW)
    assert as_read(workers[0]) == as_read(workers[1]) == as_read(alone)
    assert len(as_read(alone)) == N and workers[0].problems() == []
    # The openings came with the articles, noted for the sync: each body's words.
    for folder in workers:
        assert sum(len(words) > 40 for _, words in folder.store.noted.left()) == N
    assert not Path(f"{state}.reading").exists()  # the last worker out removed the chunks


def test_equal_tags_are_one_tuple_in_the_articles_another_worker_read(
    tmp_path: Path, small_chunks: None
) -> None:
    """The chunks another worker read come back pickled, and pickle shares objects only
    within one: their equal tuples of tags are made one with this worker's (memory)."""
    articles = tmp_path / "articles"
    write_articles(articles)
    for path in sorted(articles.iterdir()):
        path.write_text(path.read_text().replace("---\n\n", "tags: [ferry, night]\n---\n\n", 1))
        os.utime(path, (HOUR_AGO, HOUR_AGO))
    state = tmp_path / "s.sqlite3"
    workers = [folder_on(articles, state), folder_on(articles, state)]
    scan_together(workers)
    for folder in workers:
        tags = [e.article.tags for e in folder.files.values() if e.article is not None]
        assert len(tags) == N and [t.name for t in tags[0]] == ["ferry", "night"]
        assert len({id(t) for t in tags}) == 1


def test_the_catalog_records_the_same_ids_and_dates_as_a_read_not_shared(
    tmp_path: Path, small_chunks: None
) -> None:
    from feedsvc import create_app

    articles = tmp_path / "articles"
    write_articles(articles)
    config = {"ARTICLES": str(articles), "BASE_URL": "http://example.org/"}
    shared = create_app({**config, "STATE": str(tmp_path / "shared.sqlite3")})
    firstread.SHARE_FROM = 10**9  # restored by the fixture
    alone = create_app({**config, "STATE": str(tmp_path / "alone.sqlite3")})

    def view(app: Any) -> list[tuple[Any, ...]]:
        articles = app.extensions["feedsvc"].documents.snapshot.articles
        return sorted((a.slug, a.id, a.published, a.updated, a.content_hash) for a in articles)

    assert view(shared) == view(alone) and len(view(alone)) == N
    likeness = "SELECT count(*) FROM likeness WHERE length(opening) > 40"
    for app in (shared, alone):
        assert app.extensions["feedsvc"].store.db.execute(likeness).fetchone()[0] == N


def test_a_chunk_another_worker_holds_past_the_wait_is_read_here(
    tmp_path: Path,
    small_chunks: None,
    reads: Counter[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(firstread, "WAIT", 0.3)
    names = iter(range(10**6))
    monkeypatch.setattr(firstread, "_name", lambda chunk: f"c{next(names)}")
    articles = tmp_path / "articles"
    write_articles(articles)
    state = tmp_path / "s.sqlite3"
    place = where(state)
    place.mkdir(parents=True)
    held = os.open(place / "c3.lock", os.O_CREAT | os.O_RDWR)  # a worker stuck on chunk 3
    fcntl.flock(held, fcntl.LOCK_EX)
    (place / "c5").write_bytes(b"not a pickle")  # a chunk written wrong
    try:
        folder = folder_on(articles, state)
        with caplog.at_level(logging.INFO, "feedsvc"):
            started = time.monotonic()
            folder.scan(NOW)
        assert time.monotonic() - started >= 0.3
    finally:
        os.close(held)
    assert len(as_read(folder)) == N and folder.problems() == []
    assert sum(reads.values()) == N  # c3 after the wait, c5 once found unreadable
    assert "c3: read by another worker for over 0.3 s: read here" in caplog.text
    assert "c5: cannot be read" in caplog.text


def test_files_with_problems_or_dated_names_are_read_and_reported_by_each_worker(
    tmp_path: Path, small_chunks: None, reads: Counter[str]
) -> None:
    articles = tmp_path / "articles"
    write_articles(articles, 300)
    (articles / "broken.md").write_text("---\ntitle: Broken\n---\n\n")  # no body
    (articles / "odd.md").write_text("---\ntitle: Odd\ncolour: red\n---\n\nA body.\n")
    (articles / "2024-03-05-news.md").write_text("---\ntitle: News\n---\n\nNews body.\n")
    for path in articles.iterdir():
        os.utime(path, (HOUR_AGO, HOUR_AGO))
    state = tmp_path / "s.sqlite3"
    workers = [folder_on(articles, state), folder_on(articles, state)]
    scan_together(workers)
    for folder in workers:
        problems = {(p.path, p.severity) for p in folder.problems()}
        assert problems == {("broken.md", "error"), ("odd.md", "warning")}
        slugs = {e.article.slug for e in folder.files.values() if e.article is not None}
        assert {"odd", "news"} <= slugs and len(slugs) == 302
    # The shared read tried the troubled files in one worker, and skips the dated name.
    assert sum(reads.values()) == 302


def test_a_kept_last_good_text_is_dropped_when_a_shared_read_finds_its_file_fixed(
    tmp_path: Path, small_chunks: None
) -> None:
    """As when one worker reads the fixed file: its kept copy is marked dropped."""
    articles = tmp_path / "articles"
    write_articles(articles, 250)
    state = tmp_path / "s.sqlite3"
    first = folder_on(articles, state, share=False)
    first.scan(NOW)
    path = articles / "a-0007.md"
    path.write_text("---\ntitle: Article 7\n---\n\nAn edit, read by a rescan.\n")
    first.scan(datetime(2026, 1, 1, 0, 0, 5, tzinfo=UTC))
    path.write_text("---\ntitle: Article 7\n---\n\n")  # broken: no body
    first.scan(datetime(2026, 1, 1, 0, 0, 10, tzinfo=UTC))
    kept = "SELECT count(*) FROM text WHERE path = 'a-0007.md' AND dropped IS NULL"
    assert first.store.db.execute(kept).fetchone()[0] == 1
    path.write_text("---\ntitle: Article 7\n---\n\nFixed while no server ran.\n")
    workers = [folder_on(articles, state), folder_on(articles, state)]
    scan_together(workers)
    assert workers[0].problems() == [] and "a-0007.md" in as_read(workers[0])
    assert workers[0].store.db.execute(kept).fetchone()[0] == 0


def test_chunks_of_a_gone_server_are_removed_and_a_small_folder_shares_nothing(
    tmp_path: Path, small_chunks: None
) -> None:
    state = tmp_path / "s.sqlite3"
    root = Path(f"{state}.reading")
    gone = root / "999999999-5-abc"  # no such process
    gone.mkdir(parents=True)
    (gone / "c0").write_bytes(b"x")
    live = root / f"{firstread._token(os.getpid())}-abc"  # this process: still running
    live.mkdir()
    articles = tmp_path / "articles"
    write_articles(articles, 250)
    folder_on(articles, state).scan(NOW)
    assert not gone.exists() and live.exists()
    shutil.rmtree(root)
    small = tmp_path / "small"
    write_articles(small, 150)  # under SHARE_FROM: each worker reads all, nothing shared
    folder = folder_on(small, tmp_path / "small.sqlite3")
    folder.scan(NOW)
    assert len(as_read(folder)) == 150 and not Path(f"{tmp_path}/small.sqlite3.reading").exists()


@pytest.mark.server
def test_two_workers_of_serve_share_a_cold_first_read(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    write_articles(articles, 3_000)
    server = start_ready(articles, timeout=60.0)
    try:
        log = server.log.read_text()
        counts = re.findall(r"shared: (\d+) read here, (\d+) taken from other workers", log)
        assert len(counts) == 2, log[-2000:]
        assert sum(int(here) for here, _ in counts) == 3_000, counts
        tags = {server.get("/feed.atom")[1]["ETag"] for _ in range(8)}  # both workers
        assert len(tags) == 1
        assert not Path(f"{articles.parent}/state.sqlite3.reading").exists()
    finally:
        stop_server(server)
