"""Deploys: the articles folder replaced, re-created or swapped through a symlink.

Against a real server in notify mode: a swap (``ln -sfn release current.tmp
&& mv -T current.tmp current``) or a re-created folder is served within 1 s,
and the watches follow it (a later edit shows as fast). A folder that goes
missing keeps the last good site and is reported; a present, empty folder
publishes an empty site.
"""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import feedparser
import pytest
from conftest import SAMPLES, Server, app_config, stop_server, write_bulk
from test_polling import start_ready, wait_for

from feedsvc import create_app
from feedsvc.catalog import replaced
from feedsvc.catalog.catalog import Catalog
from feedsvc.catalog.folder import SETTLE, Folder
from feedsvc.reading import files
from feedsvc.reading.normalise import Defaults
from feedsvc.render import markup
from feedsvc.store import bodies
from feedsvc.store.db import StateStore

HOUR_AGO = time.time() - 3600
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def release(parent: Path, name: str, extra: dict[str, str]) -> Path:
    """Return a release folder NAME: the samples and EXTRA files, written an hour ago."""
    folder = parent / name
    shutil.copytree(SAMPLES, folder)
    for file_name, title in extra.items():
        (folder / file_name).write_text(f"---\ntitle: {title}\n---\n\nBody of {title}.\n")
    for path in folder.iterdir():
        os.utime(path, (HOUR_AGO, HOUR_AGO))
    return folder


def titles(server: Server) -> set[str] | None:
    """Return the titles in the Atom feed, or None when it does not answer 200."""
    status, _, body = server.get("/feed.atom")
    if status != 200:
        return None
    return {entry.title for entry in feedparser.parse(body).entries}


def shown(server: Server, title: str, times: int = 1) -> bool:
    """Say whether TIMES requests in a row show TITLE (each may reach another worker)."""
    return all(title in (titles(server) or ()) for _ in range(times))


def swap(link: Path, target: Path) -> None:
    """Point LINK at TARGET the way deploy tools do: a new link renamed over the old."""
    subprocess.run(["ln", "-sfn", str(target), f"{link}.tmp"], check=True)
    subprocess.run(["mv", "-T", f"{link}.tmp", str(link)], check=True)


@pytest.fixture
def notify_server(tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    current = tmp_path / "current"
    os.symlink(release(tmp_path, "release-1", {}), current)
    server = start_ready(current, env={"FEEDSVC_WATCH": "notify"})
    assert "changes noticed by notify" in server.log.read_text()
    yield server, current
    stop_server(server)


@pytest.mark.server
def test_a_symlink_swap_is_served_within_a_second_and_watched(
    notify_server: tuple[Server, Path], tmp_path: Path
) -> None:
    server, current = notify_server
    second = release(tmp_path, "release-2", {"swapped.md": "Swapped in"})
    swap(current, second)
    assert wait_for(lambda: shown(server, "Swapped in"), 5) < 1.0
    wait_for(lambda: shown(server, "Swapped in", times=6), 2)
    # The watches moved to release-2: a file added there shows as fast.
    (second / "later.md").write_text("---\ntitle: Added later\n---\n\nLater.\n")
    assert wait_for(lambda: shown(server, "Added later"), 5) < 1.0
    # And back: the old release is served again, without the new articles once the
    # swapped-in folder has been quiet (deletions wait: it might still be filling).
    swap(current, tmp_path / "release-1")
    took = wait_for(lambda: not shown(server, "Swapped in") and titles(server) is not None, 5)
    assert took >= replaced.QUIET - 0.5


@pytest.mark.server
def test_a_post_renamed_in_a_swapped_release_stays_the_same_entry(
    notify_server: tuple[Server, Path], tmp_path: Path
) -> None:
    """Rule (brief): a deploy never changes a published article's id or date. A release
    swapped in under `feedsvc serve` has a post under another file name: a reader polling
    the Atom feed never sees a new entry; once the folder is quiet the entry (same id, same
    date) links to the new URL, and the old URL answers 301 to it."""
    server, current = notify_server

    def entries() -> dict[str, tuple[str, str]]:
        status, _, body = server.get("/feed.atom")
        assert status == 200
        return {e.id: (e.link, e.published) for e in feedparser.parse(body).entries}

    before = entries()
    [(entry_id, (link, published))] = [
        (i, e) for i, e in before.items() if e[0].endswith("/night-market-guide")
    ]
    second = release(tmp_path, "release-2", {})
    (second / "night-market-guide.md").rename(second / "night-market-tonight.md")
    swap(current, second)
    moved = (link.replace("night-market-guide", "night-market-tonight"), published)
    deadline = time.monotonic() + 10 + replaced.QUIET
    while True:  # until 12 polls in a row (each may reach either worker) link the new URL
        polls = [entries() for _ in range(12)]
        for after in polls:
            assert after.keys() == before.keys()  # no new entry, none gone, meanwhile
            assert after[entry_id] in ((link, published), moved)  # the same date throughout
        if all(after[entry_id] == moved for after in polls):
            break
        assert time.monotonic() < deadline, server.log.read_text()[-3000:]
        time.sleep(0.1)
    assert server.get("/articles/night-market-tonight")[0] == 200
    host, port = server.url.split("//")[1].rstrip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", "/articles/night-market-guide")
    response = connection.getresponse()
    assert response.status == 301
    assert response.getheader("Location", "").endswith("/articles/night-market-tonight")
    connection.close()


@pytest.mark.server
def test_a_folder_deleted_keeps_the_site_and_re_created_is_served(
    notify_server: tuple[Server, Path], tmp_path: Path
) -> None:
    server, current = notify_server
    before = titles(server)
    assert before and len(before) == 4
    target = current.resolve()
    shutil.rmtree(target)
    time.sleep(1.0)  # several checks and scans see the folder missing
    for _ in range(6):
        assert titles(server) == before  # the last good site stays
        assert server.get("/articles/night-market-guide")[0] == 200
    assert "articles folder is missing; the last good articles stay" in server.log.read_text()
    shutil.copytree(SAMPLES, target)
    (target / "recreated.md").write_text("---\ntitle: Re-created\n---\n\nBack.\n")
    assert wait_for(lambda: shown(server, "Re-created"), 5) < 1.0
    (target / "after.md").write_text("---\ntitle: After re-creation\n---\n\nWatched.\n")
    assert wait_for(lambda: shown(server, "After re-creation"), 5) < 1.0
    # Present and empty: an empty site.
    for path in target.iterdir():
        path.unlink()
    wait_for(lambda: titles(server) == set(), 3 + replaced.QUIET)  # after the hold


class Hub(BaseHTTPRequestHandler):
    """A WebSub hub that notes the URL of each publish request (``server.pings``)."""

    def do_POST(self) -> None:
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        self.server.pings.extend(form.get("hub.url", []))  # type: ignore[attr-defined]
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hub() -> Iterator[tuple[str, list[str]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    server.pings = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hub", server.pings  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.mark.server
def test_a_folder_re_created_by_a_slow_copy_never_answers_410_or_leaves_tombstones(
    tmp_path: Path, hub: tuple[str, list[str]]
) -> None:
    hub_url, pings = hub
    articles = release(tmp_path, "articles", {})
    write_bulk(articles, 30)
    new = tmp_path / "new"
    shutil.copytree(articles, new)
    (new / "bulk-029.md").unlink()  # the one article this deploy really deletes
    env = {"FEEDSVC_WATCH": "notify", "FEEDSVC_WEBSUB_HUBS": hub_url}
    server = start_ready(articles, env=env)
    try:
        assert server.get("/articles/bulk-028")[0] == 200
        copied = sorted(new.iterdir())
        # rm -rf articles && cp -r new articles, one file at a time over about 2 s, at
        # its own pace while a poller asks: a slow answer must not slow the copy (a pause
        # of QUIET seconds is the end of a copy; measured: a slow machine paused it so)
        statuses, tombstones, copying = set(), [0], threading.Event()

        def poll() -> None:
            while copying.is_set():
                statuses.add(server.get("/articles/bulk-028")[0])  # copied last but one
                tombstones[0] += server.get("/feed.atom")[2].count(b"deleted-entry")

        removal = time.monotonic()
        shutil.rmtree(articles)
        removal = time.monotonic() - removal
        articles.mkdir()
        copying.set()
        poller = threading.Thread(target=poll)
        poller.start()
        pause, last = 0.0, time.monotonic()  # the copy's longest pause between two files
        try:
            for path in copied:
                shutil.copyfile(path, articles / path.name)  # a new mtime, as cp -r gives
                pause, last = max(pause, time.monotonic() - last), time.monotonic()
                time.sleep(2.0 / len(copied))
        finally:
            copying.clear()
            poller.join(30)
        copy_end = time.monotonic()
        identity = files.identity(articles)
        if 410 in statuses:  # the limits docs/deploying.md names, when this run met them
            if identity is not None and identity[3] == 0:
                pytest.xfail(
                    "no inode generation here: a scan listed the new folder, with the old "
                    "one's inode number, before the notification of its deletion came"
                )
            if pause >= replaced.QUIET or removal >= SETTLE:
                pytest.xfail(
                    f"a loaded machine: the copy paused {pause:.2f} s (a pause of QUIET is "
                    f"the end of a copy), or the removal took {removal:.2f} s (seen file by "
                    "file past SETTLE)"
                )
        log = server.log.read_text()[-4000:]
        assert statuses == {200} and tombstones == [0], (statuses, pause, removal, log)
        # Once the folder has been quiet, what the deploy deleted is deleted.
        wait_for(lambda: server.get("/articles/bulk-029")[0] == 410, replaced.QUIET + 5)
        assert time.monotonic() - copy_end >= replaced.QUIET - 0.5
        for path in copied:
            assert server.get(f"/articles/{path.stem}")[0] == 200, path.name
        atom = server.get("/feed.atom")[2]
        assert atom.count(b"deleted-entry") == 1  # bulk-029's
        wait_for(lambda: server.url + "feed.atom" in pings, 10)  # the one deletion, pinged
        time.sleep(2)  # and nothing more is pinged: no tombstone came and went
        assert pings.count(server.url + "feed.atom") == 1, pings
        assert "articles folder was replaced" in server.log.read_text()
    finally:
        stop_server(server)


def test_an_unreadable_folder_keeps_the_last_good_articles(
    articles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = StateStore(str(articles.parent / "s.sqlite3"), NOW)
    folder = Folder(str(articles), Defaults("A", "en", UTC), 2**21, store, settle=0)
    folder.scan(NOW)
    known = {a.slug for a in folder.articles()}
    assert len(known) == 4
    real = os.scandir

    def refuse(path):  # what a folder with mode 000 answers to anyone but root
        if os.fspath(path) in (str(articles), os.path.realpath(articles)):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(files.os, "scandir", refuse)
    folder.scan(NOW + timedelta(seconds=1))
    assert {a.slug for a in folder.articles()} == known
    [problem] = folder.problems()
    assert problem.path == str(articles) and "cannot be read: Permission denied" in problem.message
    monkeypatch.setattr(files.os, "scandir", real)
    for path in articles.iterdir():
        path.unlink()
    # Back, and empty: its files count as deleted once it has been quiet for a while.
    folder.scan(NOW + timedelta(seconds=2))
    assert {a.slug for a in folder.articles()} == known and folder.problems() == []
    folder.scan(NOW + timedelta(seconds=2 + replaced.QUIET), paths=[])  # a tick: a full scan
    assert list(folder.articles()) == [] and folder.problems() == []


def test_a_folder_re_created_with_its_old_inode_number_holds_deletions_before_notice(
    articles: Path,
) -> None:
    """ext4 hands a freed inode number out again at once: the inode's generation tells the
    re-created folder from the old one, so a scan that comes before the notification of
    the old folder's deletion (targeted at the files it deleted, or full) holds them."""
    store = StateStore(str(articles.parent / "s.sqlite3"), NOW)
    folder = Folder(str(articles), Defaults("A", "en", UTC), 2**21, store, settle=0)
    folder.scan(NOW)
    known = {a.slug for a in folder.articles()}
    assert len(known) == 4
    saved = {path.name: path.read_bytes() for path in articles.iterdir()}
    before = files.identity(articles)
    assert before is not None
    for _ in range(20):  # ext4 hands the number back at once, unless other work took it
        shutil.rmtree(articles)
        articles.mkdir()
        after = files.identity(articles)
        assert after is not None
        if after[2] == before[2]:
            break
    if after[2] != before[2]:
        pytest.skip("this file system gave the new folder another inode number: no race")
    if after[3] == before[3]:
        pytest.skip("this file system keeps no inode generations (tmpfs): see deploying.md")
    first = sorted(saved)[0]
    (articles / first).write_bytes(saved[first])  # the copy has just begun
    folder.scan(NOW + timedelta(seconds=1), paths=sorted(set(saved) - {first}))  # rm's events
    assert {a.slug for a in folder.articles()} == known
    folder.scan(NOW + timedelta(seconds=1.5))  # a full scan, mid-copy
    assert {a.slug for a in folder.articles()} == known
    for name, data in saved.items():
        (articles / name).write_bytes(data)
    folder.scan(NOW + timedelta(seconds=2 + replaced.QUIET), paths=[])  # quiet: a full scan
    assert {a.slug for a in folder.articles()} == known and folder.problems() == []


def test_a_missing_folder_at_start_serves_an_empty_site_and_says_so(tmp_path: Path) -> None:
    app = create_app(app_config(tmp_path / "nowhere"))
    response = app.test_client().get("/feed.atom")
    assert response.status_code == 200
    assert feedparser.parse(response.data).entries == []
    [problem] = app.extensions["feedsvc"].documents.snapshot.problems
    assert problem.message == "articles folder is missing"  # nothing published to keep


def test_a_missing_folder_logs_each_text_it_cannot_show_once(
    articles: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_bulk(articles, 40)  # the first read keeps no text: none is at hand afterwards
    markup._body_html.cache_clear()  # as a fresh worker's: other tests rendered these texts
    app = create_app(app_config(articles))
    client = app.test_client()
    shutil.rmtree(articles)
    for _ in range(3):  # renders again: a feed per format, each with the same entries
        for path in ("/feed.atom", "/feed.rss", "/feed.json", "/articles/bulk-001"):
            assert client.get(path).status_code == 200
    page = client.get("/articles/bulk-001").data
    assert b"word1-299" not in page and b"Bulk 1" in page  # the title stands in
    errors = [r for r in caplog.records if "summary stands in" in r.getMessage()]
    paths = [r.getMessage().split(":")[0] for r in errors]
    assert len(paths) == len(set(paths)) and "bulk-001.md" in paths


@pytest.mark.server
def test_a_folder_renamed_into_place_is_served_within_a_second(tmp_path: Path) -> None:
    articles = release(tmp_path, "articles", {})
    server = start_ready(articles, env={"FEEDSVC_WATCH": "notify"})
    try:
        new = release(tmp_path, "new", {"renamed.md": "Renamed in"})
        os.rename(articles, tmp_path / "articles.old")  # a real folder, not a symlink
        os.rename(new, articles)
        assert wait_for(lambda: shown(server, "Renamed in"), 5) < 1.0
        wait_for(lambda: shown(server, "Renamed in", times=6), 2)
        (articles / "later.md").write_text("---\ntitle: Added later\n---\n\nLater.\n")
        assert wait_for(lambda: shown(server, "Added later"), 5) < 1.0  # watched too
        assert server.get("/articles/night-market-guide")[0] == 200
    finally:
        stop_server(server)


@pytest.mark.server
def test_texts_shown_as_summaries_while_the_folder_was_missing_come_back_with_it(
    tmp_path: Path,
) -> None:
    articles = release(tmp_path, "articles", {})
    write_bulk(articles, 40)  # bulk-001 is old: outside the feeds, its text is never read
    backup = tmp_path / "backup"
    shutil.copytree(articles, backup)
    server = start_ready(articles, env={"FEEDSVC_WATCH": "notify", "FEEDSVC_FEED_SIZE": "10"})
    try:
        shutil.rmtree(articles)
        wait_for(lambda: "articles folder is missing" in server.log.read_text(), 5)
        for _ in range(4):  # each worker renders it with its title standing in, and keeps it
            status, _, page = server.get("/articles/bulk-001")
            assert status == 200 and b"Bulk 1" in page and b"word1-299" not in page
        shutil.copytree(backup, articles)  # the same files, as a restore from a backup

        def whole(times: int = 1) -> bool:
            return all(b"word1-299" in server.get("/articles/bulk-001")[2] for _ in range(times))

        wait_for(whole, 5)  # notify mode: as fast as any change (0.4-0.5 s here)
        wait_for(lambda: whole(times=6), 5)  # every worker (another may still be rescanning)
        assert "its summary stands in" in server.log.read_text()
    finally:
        stop_server(server)


@pytest.mark.server
def test_a_missing_folder_shows_summaries_for_texts_past_what_a_worker_keeps(
    tmp_path: Path,
) -> None:
    """More text than a worker keeps (RECENT_BYTES): with the folder gone, the texts it
    read last show whole, every other article its summary, and all stay published.

    Nothing is rendered before the folder goes: a body once rendered is kept as HTML
    (``render.markup``, by text) and would show whole whatever RECENT_BYTES holds.
    """
    articles = release(tmp_path, "articles", {})
    server = start_ready(articles, env={"FEEDSVC_WATCH": "notify"})
    try:
        count, words = 30, 12_000  # 120,000 characters of text each, 3.6 MB in all
        for index in range(count):  # added after the first read: each rescan keeps what it read
            text = " ".join(f"b{index:02d}w{n:05d}" for n in range(words))
            path = articles / f"big-{index:02d}.md"
            path.write_text(
                f"---\ntitle: Big {index}\ndate: 2024-02-{1 + index % 28:02d}\n"
                f"summary: Summary of big {index}.\n---\n\n{text}\n"
            )
            os.utime(path, (HOUR_AGO, HOUR_AGO))  # settled: read at once
        wait_for(lambda: server.log.read_text().count(f"changed: {count + 4} published") >= 2, 10)
        shutil.rmtree(articles)
        wait_for(lambda: server.log.read_text().count("articles folder is missing") >= 2, 5)
        whole = set()
        for index in range(count):
            for _ in range(2):  # either worker: both read the same files in the same order
                status, _, page = server.get(f"/articles/big-{index:02d}")
                assert status == 200 and f"<h1>Big {index}</h1>".encode() in page
                if f"b{index:02d}w{words - 1:05d}".encode() in page:
                    whole.add(index)
                else:
                    assert f"Summary of big {index}.".encode() in page
        assert len(whole) == bodies.RECENT_BYTES // len(text)  # 17 of the 30
        log = server.log.read_text()
        for index in set(range(count)) - whole:
            assert f"big-{index:02d}.md: its last good text was not kept" in log
        feed = titles(server)
        assert feed is not None and len(feed) == count + 4  # every article stays in the feed
        assert {f"Big {i}" for i in range(count)} <= feed
    finally:
        stop_server(server)


def test_a_folder_removed_while_a_rescan_reads_loses_no_article(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deploy's `rm -rf articles` lands while a rescan reads the files it changed: the
    files not yet read are listed already, so none is taken for deleted (review, 41a01ca)."""
    from feedsvc.catalog import folder as folder_module

    articles = tmp_path / "articles"
    for sub in ("a", "b"):
        (articles / sub).mkdir(parents=True)
        for i in range(3):
            path = articles / sub / f"{sub}{i}.md"
            path.write_text(f"---\ntitle: {sub}{i}\ndate: 2025-01-0{i + 1}\n---\n\nBody.\n")
            os.utime(path, (HOUR_AGO, HOUR_AGO))
    store = StateStore(str(tmp_path / "s.sqlite3"), NOW)
    folder = Folder(str(articles), Defaults("A", "en", UTC), 2**21, store, settle=0)
    folder.scan(NOW)
    for path in articles.rglob("*.md"):  # the deploy's copy wrote them anew
        os.utime(path, (HOUR_AGO + 10, HOUR_AGO + 10))
    read, calls = folder_module.read_article, []

    def read_then_removed(item: files.Found, *args: object, **kwargs: object) -> object:
        calls.append(item.path)
        if len(calls) == 1:  # the next deploy removes the folder while this one is read
            shutil.move(str(articles), str(tmp_path / "gone"))
        return read(item, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(folder_module, "read_article", read_then_removed)
    folder.scan(NOW + timedelta(seconds=5))
    assert len(calls) == 6  # every changed file was listed before the first was read
    assert sorted(a.slug for a in folder.articles()) == [f"{s}{i}" for s in "ab" for i in range(3)]
    store.close()


def test_a_scan_of_a_folder_half_removed_drops_nothing_and_the_replacement_holds(
    articles: Path,
) -> None:
    """Rule (docs/deploying.md, "Deploying new articles"): a file not found counts
    as deleted once it has been missing for SETTLE seconds. A scan can land in the middle
    of `rm -rf articles` (a few milliseconds; a worker's start-up scan, 0.25 s after it is
    ready, can): it lists the old folder half emptied, under its old identity. Its missing
    files wait; the look SETTLE later finds the folder replaced, and holds them."""
    store = StateStore(str(articles.parent / "s.sqlite3"), NOW)
    folder = Folder(str(articles), Defaults("A", "en", UTC), 2**21, store, settle=SETTLE)
    folder.scan(NOW)
    known = {a.slug for a in folder.articles()}
    saved = {path.name: path.read_bytes() for path in sorted(articles.iterdir())}
    first, *others = sorted(saved)
    for name in others[:2]:  # rm -rf, half way
        (articles / name).unlink()
    folder.scan(NOW + timedelta(seconds=1))  # a full scan lists what is left
    assert {a.slug for a in folder.articles()} == known
    assert folder.unsettled == set(others[:2])  # the watcher looks at them again
    shutil.rmtree(articles)  # the removal ends; the copy begins
    articles.mkdir()
    (articles / first).write_bytes(saved[first])
    later = NOW + timedelta(seconds=1) + timedelta(seconds=SETTLE)
    folder.scan(later, paths=sorted(folder.unsettled))
    assert {a.slug for a in folder.articles()} == known  # held: the folder was replaced
    for name, data in saved.items():
        (articles / name).write_bytes(data)
    folder.scan(later + timedelta(seconds=replaced.QUIET), paths=[])
    assert {a.slug for a in folder.articles()} == known and folder.problems() == []
    store.close()


def test_a_file_deleted_goes_when_a_scan_settle_seconds_later_still_misses_it(
    articles: Path,
) -> None:
    """A deletion is applied by the scan that finds the file missing SETTLE after the first
    one did (the watcher's second look); a file back meanwhile (deleted and written anew by
    an editor) never went."""
    store = StateStore(str(articles.parent / "s.sqlite3"), NOW)
    folder = Folder(str(articles), Defaults("A", "en", UTC), 2**21, store, settle=SETTLE)
    folder.scan(NOW)
    count = len(list(folder.articles()))
    gone, back = sorted(articles.iterdir())[:2]
    data = back.read_bytes()
    gone.unlink()
    back.unlink()
    folder.scan(NOW + timedelta(seconds=1), paths=[gone.name, back.name])
    assert len(list(folder.articles())) == count
    back.write_bytes(data)
    os.utime(back, (HOUR_AGO, HOUR_AGO))
    changes = folder.scan(NOW + timedelta(seconds=1.1), paths=[gone.name, back.name])
    assert len(list(folder.articles())) == count and not changes.removed
    changes = folder.scan(NOW + timedelta(seconds=1 + SETTLE), paths=sorted(folder.unsettled))
    assert len(list(folder.articles())) == count - 1 and list(changes.removed) == [gone.name]
    assert folder.unsettled == set()  # nothing left to look at: the watcher rests
    store.close()


def test_a_rename_is_paired_at_once_and_keeps_its_id(articles: Path) -> None:
    """A file renamed (the old path missing, a new one in the same scan) is not kept
    waiting for SETTLE: its deletion and the new file go into one sync, where the store
    pairs them (docs/writing-articles.md, "Ids": a rename keeps the id)."""
    store = StateStore(str(articles.parent / "s.sqlite3"), datetime.now(UTC))
    catalog = Catalog(str(articles), Defaults("A", "en", UTC), store, "example.org", 2**21)
    now = datetime.now(UTC)  # the samples are published by now
    before = {a.path: a for a in catalog.scan(now).articles}
    old = sorted(p for p in before if p.endswith(".md"))[0]
    os.replace(articles / old, articles / "renamed.md")  # mv keeps the mtime: settled
    snapshot = catalog.scan(now + timedelta(seconds=1), paths=[old, "renamed.md"])
    after = {a.path: a for a in snapshot.articles}
    assert old not in after and after["renamed.md"].id == before[old].id
    assert snapshot.redirects.get(before[old].slug) == "renamed"
    store.close()


def test_a_file_moved_by_a_copy_waits_for_its_copy_and_keeps_its_id(articles: Path) -> None:
    """A file moved by a copy, then a delete (across file systems, or "save as"): the
    copy is too new to read (SETTLE), so the deletion is not applied at once either,
    which would answer 410 and put a tombstone in the feeds until the copy was read.
    Both are taken by the look SETTLE later, and paired (a rename keeps the id)."""
    store = StateStore(str(articles.parent / "s.sqlite3"), datetime.now(UTC))
    catalog = Catalog(str(articles), Defaults("A", "en", UTC), store, "example.org", 2**21)
    now = datetime.now(UTC)
    before = {a.path: a for a in catalog.scan(now).articles}
    old = sorted(p for p in before if p.endswith(".md"))[0]
    (articles / "copied.md").write_bytes((articles / old).read_bytes())  # mtime: now
    (articles / old).unlink()
    snapshot = catalog.scan(datetime.now(UTC), paths=[old, "copied.md"])
    assert {a.path for a in snapshot.articles} == set(before)  # nothing went yet
    assert snapshot.tombstones == () and catalog.folder.unsettled == {old, "copied.md"}
    later = datetime.now(UTC) + timedelta(seconds=SETTLE)
    snapshot = catalog.scan(later, paths=sorted(catalog.folder.unsettled))
    after = {a.path: a for a in snapshot.articles}
    assert old not in after and after["copied.md"].id == before[old].id
    assert snapshot.redirects.get(before[old].slug) == "copied" and snapshot.tombstones == ()
    store.close()


def restart(articles: Path, state: Path) -> tuple[Catalog, StateStore]:
    """Return a new worker's catalog of ARTICLES on the store STATE, and the store."""
    store = StateStore(str(state), datetime.now(UTC))
    return Catalog(str(articles), Defaults("A", "en", UTC), store, "example.org", 2**21), store


def published(articles: Path, state: Path) -> tuple[dict[str, str | None], dict[str, bytes]]:
    """Scan ARTICLES once into STATE; return each article's id by slug, and the files."""
    catalog, store = restart(articles, state)
    ids = {a.slug: a.id for a in catalog.scan(datetime.now(UTC)).articles}
    store.close()
    files_ = {p.name: p.read_bytes() for p in articles.iterdir() if p.suffix in (".md", ".txt")}
    return ids, files_


def test_a_first_scan_during_a_deploy_marks_no_record_gone_and_the_copy_brings_all_back(
    articles: Path, tmp_path: Path
) -> None:
    """Rule (brief, docs/deploying.md): a deploy never makes a published article vanish. A
    worker that starts while `rm -rf articles && cp -r new articles` runs lists the folder
    half removed. The records of the files it misses are held (503: no 410, no tombstone,
    not gone in the store) while the folder changed less than QUIET before, the watcher
    looks at their paths, and the copy brings every article back with its id."""
    state = tmp_path / "s.sqlite3"
    before, saved = published(articles, state)
    half = sorted(saved)[: len(saved) // 2]
    for name in half:  # rm -rf, half way: the folder changed just now
        (articles / name).unlink()
    catalog, store = restart(articles, state)
    snapshot = catalog.scan(datetime.now(UTC))
    missing = before.keys() - snapshot.by_slug.keys()
    assert missing and missing <= snapshot.held and not snapshot.gone
    assert not any(record.gone for record in store.records().values())
    assert catalog.unsettled == set(half)  # looked at again
    for name in half:  # the copy
        (articles / name).write_bytes(saved[name])
    later = datetime.now(UTC) + timedelta(seconds=replaced.QUIET)
    snapshot = catalog.scan(later, paths=sorted(catalog.unsettled))
    assert {a.slug: a.id for a in snapshot.articles} == before
    assert not snapshot.held and not snapshot.gone and catalog.unsettled == set()
    store.close()


def test_files_a_first_scan_misses_go_once_the_folder_is_quiet(
    articles: Path, tmp_path: Path
) -> None:
    """What a first scan held goes when the look QUIET later (a full scan: the hold ends)
    still misses it; nothing is left for the watcher to look at."""
    state = tmp_path / "s.sqlite3"
    before, saved = published(articles, state)
    deleted = sorted(saved)[:2]
    for name in deleted:
        (articles / name).unlink()
    catalog, store = restart(articles, state)
    now = datetime.now(UTC)
    missing = before.keys() - catalog.scan(now).by_slug.keys()
    later = now + timedelta(seconds=replaced.QUIET)
    snapshot = catalog.scan(later, paths=sorted(catalog.unsettled))
    assert snapshot.gone == missing and not snapshot.held and catalog.unsettled == set()
    assert {s for s, r in store.records().items() if r.gone} == missing
    store.close()


def test_a_first_scan_of_a_quiet_folder_takes_its_deletions_at_once(
    articles: Path, tmp_path: Path
) -> None:
    """Files deleted while no worker ran, QUIET or more before the start: gone at once."""
    state = tmp_path / "s.sqlite3"
    before, saved = published(articles, state)
    (articles / sorted(saved)[0]).unlink()
    catalog, store = restart(articles, state)
    snapshot = catalog.scan(datetime.now(UTC) + timedelta(seconds=replaced.QUIET))
    assert snapshot.gone == before.keys() - snapshot.by_slug.keys() and len(snapshot.gone) == 1
    assert not snapshot.held and catalog.unsettled == set()
    store.close()


def test_a_rename_just_before_a_start_is_paired_and_keeps_its_id(
    articles: Path, tmp_path: Path
) -> None:
    """`mv old.md new.md && restart`: the folder changed just now, so the first scan holds
    the old path's record, but the sync hands it to the store with the others, which pairs
    the two (a rename keeps the id, docs/writing-articles.md); the rest stays held."""
    (articles / "old-name.md").write_text("---\ntitle: Moved Soon\n---\n\nIts body, moved.\n")
    state = tmp_path / "s.sqlite3"
    before, saved = published(articles, state)
    os.replace(articles / "old-name.md", articles / "new-name.md")
    (articles / sorted(saved)[0]).unlink()  # and one file not copied yet
    catalog, store = restart(articles, state)
    snapshot = catalog.scan(datetime.now(UTC))
    assert snapshot.by_slug["new-name"].id == before["old-name"]
    assert snapshot.redirects.get("old-name") == "new-name"
    assert len(snapshot.held) == 1 and not snapshot.gone
    store.close()


def swapped_under_a_catalog(
    tmp_path: Path, posts: dict[str, str], copies: dict[str, str]
) -> tuple[Catalog, StateStore, Path, Path, dict[str, str | None]]:
    """Publish release-1 (the samples and POSTS) through a catalog on a symlink, then swap
    in release-2: the samples and COPIES (new name -> the file of release-1 copied to it).
    Return the catalog, its store, both releases and the ids by slug before the swap."""
    first = release(tmp_path, "release-1", posts)
    link = tmp_path / "current"
    link.symlink_to(first)
    catalog, store = restart(link, tmp_path / "s.sqlite3")
    before = {a.slug: a.id for a in catalog.scan(NOW).articles}
    second = release(tmp_path, "release-2", {})
    for name, old in copies.items():
        (second / name).write_bytes((first / old).read_bytes())
    swap(link, second)
    return catalog, store, first, second, before


def test_a_post_renamed_in_a_release_swapped_under_a_running_catalog_keeps_its_id(
    tmp_path: Path,
) -> None:
    """Rule (brief): a deploy never changes a published article's id or date, here for a
    running worker's scans: the release swapped in has one post under another name and
    another post not copied yet. While the swap is held, the renamed file waits (the post
    stays published under its old name) and the other stays published; once the folder is
    quiet, the renamed file takes its record (same id, a redirect from the old name) in the
    scan that applies the deletions, the file not there goes (410), and nothing else does."""
    posts = {"kept.md": "Kept", "dropped.md": "Dropped"}
    catalog, store, _, _, before = swapped_under_a_catalog(
        tmp_path, posts, {"kept-renamed.md": "kept.md"}
    )  # no dropped.md, and kept.md as kept-renamed.md
    held = catalog.scan(NOW + timedelta(seconds=1))
    assert {a.slug: a.id for a in held.articles} == before  # nothing new, nothing gone yet
    assert not held.gone and "kept" not in held.redirects
    catalog.scan(NOW + timedelta(seconds=1.5), paths=[])  # a tick in the hold: still waiting
    assert catalog.snapshot is not None and "kept-renamed" not in catalog.snapshot.by_slug
    quiet = catalog.scan(NOW + timedelta(seconds=2 + replaced.QUIET), paths=[])  # a tick: ends
    assert {a.slug: a.id for a in quiet.articles} == {
        ("kept-renamed" if slug == "kept" else slug): id_
        for slug, id_ in before.items()
        if slug != "dropped"
    }
    assert quiet.redirects["kept"] == "kept-renamed" and quiet.gone == {"dropped"}
    again = catalog.scan(NOW + timedelta(seconds=3 + replaced.QUIET))  # and SETTLE later
    assert {a.slug: a.id for a in again.articles} == {a.slug: a.id for a in quiet.articles}
    store.close()


def test_the_scan_that_reads_a_renamed_file_still_waits_for_a_file_just_gone(
    tmp_path: Path,
) -> None:
    """Rule (brief): a deploy never makes a published article vanish. The scan that ends a
    hold and reads the renamed file that waited must not take a file missing for less than
    SETTLE for deleted (a next deploy's rm -rf under way): it waits, as any scan does."""
    catalog, store, _, second, _ = swapped_under_a_catalog(
        tmp_path, {"kept.md": "Kept"}, {"kept-renamed.md": "kept.md"}
    )
    catalog.scan(NOW + timedelta(seconds=1))
    (second / "night-market-guide.md").unlink()  # just now: the next deploy's rm -rf
    quiet = catalog.scan(NOW + timedelta(seconds=2 + replaced.QUIET), paths=[])
    assert quiet.redirects["kept"] == "kept-renamed"  # paired, in the scan that ends the hold
    assert "night-market-guide" in {a.slug for a in quiet.articles + quiet.unpublished}
    later = catalog.scan(NOW + timedelta(seconds=3 + replaced.QUIET))  # SETTLE later: gone
    assert later.gone == {"night-market-guide"}
    store.close()


def test_a_renamed_file_that_waits_rebuilds_nothing(tmp_path: Path) -> None:
    """A renamed post's file that comes during a hold, and waits, changes nothing yet: the
    scan that reads it (targeted, from its notification) rebuilds no snapshot (at 100,000
    articles a rebuild costs seconds, and a release may rename many posts)."""
    catalog, store, first, second, _ = swapped_under_a_catalog(tmp_path, {"kept.md": "Kept"}, {})
    held = catalog.scan(NOW + timedelta(seconds=1))
    (second / "kept-renamed.md").write_bytes((first / "kept.md").read_bytes())
    assert catalog.scan(NOW + timedelta(seconds=1.2), paths=["kept-renamed.md"]) is held
    quiet = catalog.scan(NOW + timedelta(seconds=2 + replaced.QUIET), paths=[])
    assert quiet.redirects["kept"] == "kept-renamed"
    store.close()


def test_a_copy_of_a_post_not_copied_yet_takes_nothing_from_it(tmp_path: Path) -> None:
    """Rule (brief): a deploy never changes a published article's id: a new file with the
    same content as a post the copy has not brought back yet waits with the hold; the post
    comes back, and the new file is then a new article of its own (its own id), read once
    the folder is quiet; the post keeps its id and nothing answers 410."""
    catalog, store, first, second, before = swapped_under_a_catalog(
        tmp_path, {"kept.md": "Kept"}, {"kept-copy.md": "kept.md"}
    )  # kept.md not copied yet; kept-copy.md has its content
    held = catalog.scan(NOW + timedelta(seconds=1))
    assert {a.slug: a.id for a in held.articles} == before and not held.gone
    (second / "kept.md").write_bytes((first / "kept.md").read_bytes())  # the copy goes on
    catalog.scan(NOW + timedelta(seconds=1.5), paths=["kept.md"])
    quiet = catalog.scan(NOW + timedelta(seconds=2 + replaced.QUIET), paths=[])  # a tick: ends
    ids = {a.slug: a.id for a in quiet.articles}
    assert {slug: ids[slug] for slug in before} == before and not quiet.gone
    assert ids["kept-copy"] not in before.values()
    store.close()


def test_a_renamed_file_deleted_while_it_waits_is_never_published(tmp_path: Path) -> None:
    """A renamed post's new file that waits with the hold and is deleted before the folder
    is quiet was never there: the post it would have renamed goes (410) with the hold."""
    catalog, store, _, second, _ = swapped_under_a_catalog(
        tmp_path, {"kept.md": "Kept"}, {"kept-renamed.md": "kept.md"}
    )
    catalog.scan(NOW + timedelta(seconds=1))
    (second / "kept-renamed.md").unlink()
    catalog.scan(NOW + timedelta(seconds=1.5), paths=["kept-renamed.md"])
    catalog.scan(NOW + timedelta(seconds=2 + replaced.QUIET), paths=[])  # a tick: the hold ends
    quiet = catalog.scan(NOW + timedelta(seconds=3 + replaced.QUIET))  # and SETTLE later
    assert quiet.gone == {"kept"} and "kept-renamed" not in quiet.by_slug
    assert "kept" not in quiet.redirects
    store.close()


def held_after_a_start_mid_deploy(
    articles: Path, tmp_path: Path
) -> tuple[Catalog, StateStore, dict[str, str | None], dict[str, bytes], list[str]]:
    """Publish ARTICLES, remove half its files (a deploy's rm -rf), start a new worker's
    catalog; return it, its store, the ids by slug, the files and the names removed."""
    state = tmp_path / "s.sqlite3"
    before, saved = published(articles, state)
    half = sorted(saved)[: len(saved) // 2]
    for name in half:
        (articles / name).unlink()
    catalog, store = restart(articles, state)
    assert catalog.scan(datetime.now(UTC)).held
    return catalog, store, before, saved, half


def test_a_new_article_during_the_hold_releases_no_held_record(
    articles: Path, tmp_path: Path
) -> None:
    """A deploy that adds a post: the new file is read while the others wait, which stay
    held (not gone) until the copy brings them back."""
    catalog, store, before, saved, half = held_after_a_start_mid_deploy(articles, tmp_path)
    (articles / "brand-new.md").write_text("---\ntitle: Brand New\n---\n\nFresh.\n")
    settled = datetime.now(UTC) + timedelta(seconds=SETTLE)  # old enough to read: written
    snapshot = catalog.scan(settled)  # a full scan (poll mode, or a look that needs one)
    assert "brand-new" in snapshot.by_slug and not snapshot.gone
    assert before.keys() - snapshot.by_slug.keys() <= snapshot.held
    for name in half:
        (articles / name).write_bytes(saved[name])
    later = datetime.now(UTC) + timedelta(seconds=replaced.QUIET)
    snapshot = catalog.scan(later, paths=sorted(catalog.unsettled))
    assert {a.slug: a.id for a in snapshot.articles if a.slug in before} == before
    assert not snapshot.gone and not snapshot.held
    store.close()


def test_a_held_file_back_too_young_to_read_stays_held_until_read(
    articles: Path, tmp_path: Path
) -> None:
    """A file the copy wrote a moment ago is left for a later look (SETTLE): its record
    stays held, and its path stays looked at, until it is read."""
    catalog, store, before, saved, half = held_after_a_start_mid_deploy(articles, tmp_path)
    (articles / half[1]).write_bytes(saved[half[1]])  # back and settled: read, a rebuild
    os.utime(articles / half[1], (HOUR_AGO, HOUR_AGO))
    (articles / half[0]).write_bytes(saved[half[0]])  # just now: too young to read
    snapshot = catalog.scan(datetime.now(UTC), paths=sorted(catalog.unsettled))
    assert not snapshot.gone and half[0] in catalog.unsettled
    later = datetime.now(UTC) + timedelta(seconds=replaced.QUIET)
    snapshot = catalog.scan(later, paths=sorted(catalog.unsettled))
    assert {a.path for a in snapshot.articles} >= {half[0]}
    assert not any(r.gone for s, r in store.records().items() if r.slug in snapshot.by_slug)
    store.close()


def test_a_rename_during_the_hold_is_paired_and_keeps_its_id(
    articles: Path, tmp_path: Path
) -> None:
    """An author's `mv` while records wait: the sync gives the store the moved file's old
    record with the held ones, and the store pairs it; the id is kept."""
    (articles / "zz-moving.md").write_text("---\ntitle: Moving\n---\n\nMoving body.\n")
    os.utime(articles / "zz-moving.md", (HOUR_AGO, HOUR_AGO))  # mv keeps it: settled
    catalog, store, before, _, _ = held_after_a_start_mid_deploy(articles, tmp_path)
    os.replace(articles / "zz-moving.md", articles / "zz-moved.md")
    snapshot = catalog.scan(datetime.now(UTC), paths=["zz-moving.md", "zz-moved.md"])
    assert snapshot.by_slug["zz-moved"].id == before["zz-moving"]
    assert snapshot.redirects.get("zz-moving") == "zz-moved" and not snapshot.gone
    store.close()


def test_a_held_file_still_too_young_when_the_folder_would_be_quiet_keeps_it_held(
    articles: Path, tmp_path: Path
) -> None:
    """A copy that resumes just before the quiet time ends: its file is there but too young
    to read, which counts as a change (the quiet clock starts again), not as a deletion."""
    catalog, store, before, saved, half = held_after_a_start_mid_deploy(articles, tmp_path)
    later = datetime.now(UTC) + timedelta(seconds=replaced.QUIET + 0.1)
    (articles / half[0]).write_bytes(saved[half[0]])
    written = later.timestamp() - 0.1  # written 0.1 s before that scan: too young to read
    os.utime(articles / half[0], (written, written))
    snapshot = catalog.scan(later, paths=sorted(catalog.unsettled))
    assert not snapshot.gone and not any(r.gone for r in store.records().values())
    readable = later + timedelta(seconds=SETTLE)
    snapshot = catalog.scan(readable, paths=sorted(catalog.unsettled))
    back = {a.path: a for a in snapshot.articles}[half[0]]
    assert back.id == before[back.slug] and not snapshot.gone
    store.close()


def test_a_held_record_another_worker_marked_gone_in_the_same_second_stays_gone(
    articles: Path, tmp_path: Path
) -> None:
    """KEEP revives only the records that were live when the sync began, by key: a record
    another worker's sync marked gone a moment before (its hold ended) is not brought back,
    whatever the second of its stamp."""
    state = tmp_path / "s.sqlite3"
    ids, _ = published(articles, state)
    slug = sorted(ids)[0]
    first, second = StateStore(str(state), NOW), StateStore(str(state), NOW)
    at = datetime(2026, 12, 2, 5, 0, 0, 100000, tzinfo=UTC)
    first.sync([], [slug], "example.org", at)
    second.sync([], [slug], "example.org", at + timedelta(milliseconds=600), keep=[slug])
    assert first.records()[slug].gone is not None
    live = sorted(ids)[1]  # and one live at the start of the sync comes back live
    second.sync([], [live], "example.org", at + timedelta(seconds=1), keep=[live])
    assert first.records()[live].gone is None
    first.close()
    second.close()


def test_a_held_path_whose_file_is_no_article_now_goes_and_is_no_longer_looked_at(
    articles: Path, tmp_path: Path
) -> None:
    """A held file back under a setting that makes it no article (IGNORE): its record goes
    when the folder is quiet, and the watcher has nothing left to look at."""
    state = tmp_path / "s.sqlite3"
    before, saved = published(articles, state)
    name = sorted(saved)[0]
    (articles / name).unlink()
    store = StateStore(str(state), datetime.now(UTC))
    defaults = Defaults("A", "en", UTC, ignore=(name,))
    catalog = Catalog(str(articles), defaults, store, "example.org", 2**21)
    assert catalog.scan(datetime.now(UTC)).held
    (articles / name).write_bytes(saved[name])
    later = datetime.now(UTC) + timedelta(seconds=replaced.QUIET)
    snapshot = catalog.scan(later, paths=sorted(catalog.unsettled))
    assert len(snapshot.gone) == 1 and not snapshot.held and catalog.unsettled == set()
    store.close()


def test_a_start_while_the_folder_is_missing_keeps_every_record_until_it_is_back(
    articles: Path, tmp_path: Path
) -> None:
    """A worker that starts between `rm -rf articles` and the copy finds no folder: it marks
    no record gone while the folder is missing, however long, and the copy brings every
    article back with its id."""
    state = tmp_path / "s.sqlite3"
    before, saved = published(articles, state)
    shutil.rmtree(articles)
    catalog, store = restart(articles, state)
    now = datetime.now(UTC)
    assert catalog.scan(now).held == before.keys()
    snapshot = catalog.scan(now + timedelta(seconds=60), paths=sorted(catalog.unsettled))
    assert snapshot.held == before.keys() and not snapshot.gone
    articles.mkdir()
    for name, data in saved.items():
        (articles / name).write_bytes(data)
    later = datetime.now(UTC) + timedelta(seconds=61 + replaced.QUIET)
    snapshot = catalog.scan(later, paths=sorted(catalog.unsettled))
    assert {a.slug: a.id for a in snapshot.articles} == before and not snapshot.gone
    store.close()
