"""Faults: kill -9 mid-write, corrupt or missing state store, read-only folders, full disk.

The guarantee under test: after any of these, the service serves, says what
happened, and no id or date of an existing article changes. Read-only folders
and the full disk are real (a read-only bind mount, a 64 KiB tmpfs); those
tests are skipped where mounting is not allowed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from conftest import Server, app_config, start_server, stop_server
from feed_view import client_get, read_feeds, server_get

from feedsvc import create_app
from feedsvc.cli import main

HOUR_AGO = time.time() - 3600


def settle(folder: Path) -> None:
    for path in folder.rglob("*"):
        os.utime(path, (HOUR_AGO, HOUR_AGO))


def identities(entries) -> dict[str, tuple[str, str]]:
    """Return slug -> (id, published) of parsed feed ENTRIES (links change with the port)."""
    return {entry.link.rsplit("/", 1)[1]: (entry.id, entry.published) for entry in entries}


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def kill_hard(server: Server) -> None:
    """SIGKILL the gunicorn master, then its workers: nobody gets to clean up."""
    workers = children(server.process.pid)
    server.process.send_signal(signal.SIGKILL)
    for pid in workers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    server.process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in workers):
        time.sleep(0.05)


def wait_for(condition, timeout: float = 15.0, step: float = 0.1):
    """Return CONDITION()'s first truthy value within TIMEOUT seconds, else fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"not true within {timeout} s")


# ---- kill -9 -------------------------------------------------------------------------


class Churn(threading.Thread):
    """Add and edit articles every 40 ms, atomically and in place, until stopped."""

    def __init__(self, folder: Path):
        super().__init__(daemon=True)
        self.folder = folder
        self.stop = threading.Event()
        self.count = 0

    def run(self) -> None:
        for step in range(10_000):
            if self.stop.wait(0.04):
                return
            number = (step // 2) % 25
            path = self.folder / f"churn-{number}.md"
            # A third carry a pinned date; the others get theirs from the state store.
            date = f"date: 2026-03-{1 + number:02d} 08:00 UTC\n" if number % 3 == 0 else ""
            text = f"---\ntitle: Churn {number}\n{date}---\n\nEdit {step}.\n"
            if step % 2:
                temp = self.folder / f".churn-{number}.tmp"
                temp.write_text(text)
                os.replace(temp, path)  # atomic
            else:
                with open(path, "w") as f:  # in place
                    f.write(text)
            self.count += 1


@pytest.mark.server
def test_kill_9_while_writing_keeps_store_intact_and_ids_and_dates(articles: Path) -> None:
    state = articles.parent / "state.sqlite3"
    env = {"FEEDSVC_FEED_SIZE": "500", "FEEDSVC_RESCAN_INTERVAL": "0.05"}
    server = start_server(articles, env=env)
    churn = Churn(articles)
    seen: dict[str, tuple[str, str]] = {}
    try:
        churn.start()
        deadline = time.monotonic() + 3.0
        polls = 0
        while time.monotonic() < deadline:
            status, _, body = server.get("feed.atom")
            assert status == 200
            parsed = feedparser.parse(body)
            assert parsed.bozo == 0
            for link, identity in identities(parsed.entries).items():
                assert seen.setdefault(link, identity) == identity, link
            polls += 1
        kill_hard(server)  # mid-churn: the writer is still running
    finally:
        churn.stop.set()
        churn.join(timeout=5)
        if server.process.poll() is None:
            stop_server(server)
    assert polls > 5 and churn.count > 20 and len(seen) > 10
    assert integrity(state) == "ok"

    settle(articles)
    restarted = start_server(articles, env=env)
    try:
        on_disk = {p.stem for p in articles.glob("*.*") if not p.name.startswith(".")}
        after = wait_for(
            lambda: (
                (found := identities(read_feeds(server_get(restarted))["atom"]))
                and set(found) >= on_disk
                and found
            )
        )
    finally:
        stop_server(restarted)
    for link, identity in seen.items():
        assert after[link] == identity, link
    log = restarted.log.read_text()
    assert "set aside" not in log and "cannot be" not in log


# ---- corrupt and missing store ---------------------------------------------------------

PINNED = (
    "---\ntitle: Pinned Forever\nid: tag:example.org,2020:pinned\n"
    "date: 2020-05-01 12:00 UTC\n---\n\nPinned body.\n"
)


def served(app) -> dict[str, tuple[str, str]]:
    return identities(read_feeds(client_get(app.test_client()))["atom"])


def served_then_stopped(articles: Path) -> tuple[Path, dict[str, tuple[str, str]]]:
    """Serve ARTICLES plus a pinned one once, close the store; return it and what was served."""
    (articles / "pinned.md").write_text(PINNED)
    settle(articles)
    app = create_app(app_config(articles))
    before = served(app)
    app.extensions["feedsvc"].store.close()
    return articles.parent / "state.sqlite3", before


@pytest.mark.parametrize("damage", ["garbage", "truncated", "zeroed header", "empty"])
def test_corrupt_store_is_reported_set_aside_and_rebuilt(
    articles: Path, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    state, before = served_then_stopped(articles)
    data = state.read_bytes()
    for suffix in ("-wal", "-shm"):
        Path(f"{state}{suffix}").unlink(missing_ok=True)
    damaged = {
        "garbage": b"this is not a database, it is a shopping list\n" * 200,
        "truncated": data[: len(data) // 2 + 100],
        "zeroed header": b"\0" * 100 + data[100:],
        "empty": b"",
    }[damage]
    state.write_bytes(damaged)

    caplog.set_level(logging.WARNING, logger="feedsvc")
    result = CliRunner().invoke(
        main,
        ["check", "--articles", str(articles)],
        env={"FEEDSVC_STATE": str(state), "FEEDSVC_BASE_URL": "http://feeds.example.org/"},
    )
    app = create_app(app_config(articles))
    after = served(app)
    aside = sorted(articles.parent.glob("state.sqlite3.corrupt-*"))
    if damage == "empty":
        # An empty file is a valid empty database to SQLite: nothing to set aside.
        assert not aside
    else:
        # check reports the damage and leaves the file alone; the server sets it aside.
        assert "cannot be read" in result.stdout, result.stdout
        assert any("set aside" in r.getMessage() for r in caplog.records)
        assert [p for p in aside if p.read_bytes() == damaged], "the damaged store was not kept"
    assert integrity(state) == "ok"
    pinned = [link for link in before if link == "pinned"]
    assert pinned and after[pinned[0]] == before[pinned[0]]
    assert set(after) == set(before)  # every article still served


def test_missing_store_is_reported_and_rebuilt(
    articles: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state, before = served_then_stopped(articles)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{state}{suffix}").unlink(missing_ok=True)
    caplog.set_level(logging.WARNING, logger="feedsvc")
    after = served(create_app(app_config(articles)))
    assert any("did not exist" in r.getMessage() for r in caplog.records)
    assert state.exists() and integrity(state) == "ok"
    pinned = "pinned"
    assert after[pinned] == before[pinned]
    assert set(after) == set(before)


# ---- read-only folders and a full disk -------------------------------------------------


@contextmanager
def mount(*args: str, target: Path) -> Iterator[None]:
    target.mkdir(exist_ok=True)
    done = subprocess.run(["mount", *args, str(target)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here ({done.stderr.strip()})")
    try:
        yield
    finally:
        if subprocess.run(["umount", str(target)], capture_output=True, timeout=30).returncode:
            subprocess.run(["umount", "-l", str(target)], capture_output=True, timeout=30)


@pytest.mark.server
def test_read_only_articles_folder_is_served(articles: Path, tmp_path: Path) -> None:
    target = tmp_path / "read-only-articles"
    with mount("--bind", "-o", "ro", str(articles), target=target):
        with pytest.raises(OSError):
            (target / "probe.txt").write_text("x")  # really read-only, even for root
        result = CliRunner().invoke(main, ["check", "--articles", str(target)])
        assert result.exit_code == 0, result.output
        server = start_server(target, env={"FEEDSVC_STATE": str(tmp_path / "s.sqlite3")})
        try:
            feeds = read_feeds(server_get(server))
        finally:
            stop_server(server)
        assert all(len(entries) == 4 for entries in feeds.values())
        assert "Traceback" not in server.log.read_text()


def store_with_records(articles: Path, state: Path) -> dict[str, tuple[str, str]]:
    """Serve ARTICLES once with the store at STATE; return what was served."""
    app = create_app(app_config(articles, STATE=str(state)))
    identity = served(app)
    app.extensions["feedsvc"].store.close()
    return identity


def test_read_only_state_location_serves_and_keeps_ids(
    articles: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settle(articles)
    source = tmp_path / "state-source"
    source.mkdir()
    before = store_with_records(articles, source / "state.sqlite3")
    target = tmp_path / "state-ro"
    with mount("--bind", "-o", "ro", str(source), target=target):
        caplog.set_level(logging.WARNING, logger="feedsvc")
        (articles / "new-after-mount.md").write_text("# New After Mount\n\nBody.\n")
        settle(articles)
        app = create_app(app_config(articles, STATE=str(target / "state.sqlite3")))
        after = served(app)
        app.extensions["feedsvc"].store.close()
    assert any("cannot be" in r.getMessage() for r in caplog.records)
    for link, identity in before.items():
        assert after[link] == identity, link
    assert any(link == "new-after-mount" for link in after)


@pytest.mark.server
def test_full_disk_while_writing_the_store_does_not_stop_serving(
    articles: Path, tmp_path: Path
) -> None:
    disk = tmp_path / "tiny"
    with mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", target=disk):
        state = disk / "state.sqlite3"
        settle(articles)
        server = start_server(
            articles, env={"FEEDSVC_STATE": str(state), "FEEDSVC_RESCAN_INTERVAL": "0.1"}
        )
        try:
            before = identities(read_feeds(server_get(server))["atom"])
            with open(disk / "filler", "wb", buffering=0) as f:  # fill to the last block
                for _ in range(10_000):
                    try:
                        f.write(b"\0" * 4096)
                    except OSError:
                        break
            assert shutil.disk_usage(disk).free < 4096
            for index in range(40):  # enough new records to need new pages
                (articles / f"after-full-{index}.md").write_text(
                    f"# After Full {index}\n\n" + "Body text. " * 200 + "\n"
                )
            settle(articles)
            after = wait_for(
                lambda: (
                    (found := identities(read_feeds(server_get(server))["atom"]))
                    and sum("after-full" in link for link in found) == 40
                    and found
                )
            )
            # Each worker rescans on its own: the feed above may come from the first to do so.
            wait_for(lambda: server.get("articles/after-full-7")[0] == 200)
        finally:
            stop_server(server)
    for link, identity in before.items():
        assert after[link] == identity, link
    log = server.log.read_text()
    assert "cannot be written" in log and "full" in log
    assert "Traceback" not in log


# ---- several workers -------------------------------------------------------------------


def test_record_renamed_by_another_worker_mid_scan_does_not_fail_the_scan(
    articles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from feedsvc.catalog.catalog import Catalog
    from feedsvc.reading import files
    from feedsvc.reading.normalise import Defaults
    from feedsvc.store.db import StateStore

    now = datetime.now(UTC)
    state = str(articles.parent / "state.sqlite3")

    def catalog() -> Catalog:
        return Catalog(
            str(articles),
            Defaults("A", "en", UTC),
            StateStore(state, now),
            "example.org",
            2**21,
            settle=0.0,
        )

    (articles / "moving.md").write_text("# Moving\n\nBody.\n")
    first = catalog()
    minted = first.scan(now).by_slug["moving"].id
    (articles / "fresh.md").write_text("# Fresh\n\nBody.\n")
    (articles / "river-cleanup-volunteers.txt").unlink()  # a deletion makes it reload records
    stale = files.discover(articles)  # the first worker lists the folder ...
    (articles / "moving.md").rename(articles / "moved.md")  # ... the file moves ...
    assert catalog().scan(now).by_slug["moved"].id == minted  # ... another worker records it
    real_walk = files.walk
    monkeypatch.setattr(files, "walk", lambda root, problems, *extra, **changed: iter(stale[0]))
    snapshot = first.scan(now)  # the first worker builds from its stale listing
    assert "fresh" in snapshot.by_slug and "moving" not in snapshot.by_slug
    monkeypatch.setattr(files, "walk", real_walk)
    assert first.scan(now).by_slug["moved"].id == minted


def test_markdown_links_render_from_many_threads_on_first_use() -> None:
    """Threads rendering their first links at once (a fresh gthread worker) never fail."""
    import mdurl._decode
    import mdurl._encode

    from feedsvc.render import markup

    mdurl._encode.encode_cache.clear()
    mdurl._decode.decode_cache.clear()
    markup._warm()  # what importing markup does
    assert all(len(table) == 128 for table in mdurl._encode.encode_cache.values())
    assert mdurl._encode.encode_cache and mdurl._decode.decode_cache
    errors: list[BaseException] = []

    def render(index: int) -> None:
        try:
            for round_ in range(20):
                markup.blogmd.md.render(
                    f"[x{index}-{round_}](http://e.example/{index}%20{round_}) "
                    f"![y](i/{index}.png) <http://e.example/{round_}>"
                )
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=render, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
