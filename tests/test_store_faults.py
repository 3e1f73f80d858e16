"""The state store under contention and loss: busy is waited for, a lost store is rebuilt whole.

Issue 12: a lock not granted at start-up once set a store full of minted ids
aside; a store deleted under a running server left workers disagreeing on
dates and on 404 versus 410 for good; after a full disk the store was never
written again.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import Server, app_config, start_server, stop_server, write_bulk

from feedsvc import create_app
from feedsvc.catalog.catalog import Catalog
from feedsvc.reading.normalise import Defaults
from feedsvc.store import mending, walfile
from feedsvc.store import sqlite as sqlite_module
from feedsvc.store.db import StateStore
from feedsvc.store.records import Seen
from feedsvc.web.watch import utcnow

PUBLIC = "https://feeds.example.org/"
HOUR_AGO = time.time() - 3600

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SQLITE_LOGS = ("-wal", "-shm")


def settle(folder: Path) -> None:
    for path in folder.rglob("*"):
        os.utime(path, (HOUR_AGO, HOUR_AGO))


def _start(config: dict[str, object], barrier, results) -> None:  # in a child process
    barrier.wait(timeout=60)
    try:
        app = create_app(config)
        publisher = app.extensions["feedsvc"]
        snapshot = publisher.catalog.snapshot
        ids = {a.slug: (a.id, a.published.isoformat()) for a in snapshot.articles}
        results.put((os.getpid(), ids, list(publisher.store.problems)))
        publisher.close()
    except BaseException as e:  # reported to the test, which fails
        results.put((os.getpid(), None, [f"{type(e).__name__}: {e}"]))
        raise


def _burn(seconds: float) -> None:  # CPU load, bounded in time
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sum(range(10_000))


def start_at_once(config: dict[str, object], count: int) -> list[tuple[int, dict, list]]:
    """Start COUNT processes creating the app at the same instant, under CPU load."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(count)
    results = context.Queue()
    burners = [context.Process(target=_burn, args=(20.0,)) for _ in range(2)]
    workers = [
        context.Process(target=_start, args=(config, barrier, results)) for _ in range(count)
    ]
    for process in burners + workers:
        process.start()
    try:
        found = [results.get(timeout=120) for _ in range(count)]
        for process in workers:
            process.join(timeout=60)
            assert process.exitcode == 0, f"a process died: exit code {process.exitcode}"
    finally:
        for process in burners + workers:
            if process.is_alive():
                process.kill()
            process.join(timeout=10)
    return found


@pytest.mark.slow
def test_eight_processes_starting_at_once_share_one_store_and_set_nothing_aside(
    articles: Path, tmp_path: Path
) -> None:
    write_bulk(articles, 300)
    (articles / "undated.md").write_text("# Undated\n\nNo date: the store gives one.\n")
    settle(articles)
    config = app_config(articles, BASE_URL=PUBLIC)
    state = Path(str(config["STATE"]))
    expected = sum(1 for path in articles.rglob("*") if path.is_file())
    for round_ in ("new store", "store full of records"):
        found = start_at_once(config, 8)
        problems = [p for _, _, ps in found for p in ps]
        assert not problems, f"{round_}: {problems}"
        views = [ids for _, ids, _ in found]
        assert all(v == views[0] for v in views), f"{round_}: processes disagree"
        assert len(views[0]) == expected
        assert not list(tmp_path.glob("*.corrupt-*")), f"{round_}: a store was set aside"
        with sqlite3.connect(state) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert db.execute("SELECT COUNT(*) FROM article").fetchone()[0] == expected
        if round_ == "new store":
            first = views[0]
    assert views[0] == first  # every record kept: the second round minted nothing new


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def view(server, slugs: list[str]) -> tuple[tuple[str, int, str], ...]:
    """Return (slug, status, published date shown) for SLUGS, as one request each sees them."""
    seen = []
    for slug in slugs:
        status, _, body = server.get(f"articles/{slug}")
        text = body.decode("utf-8", "replace")
        start = text.find('datetime="')
        seen.append((slug, status, text[start + 10 : start + 35] if start >= 0 else ""))
    return tuple(seen)


@pytest.mark.server
def test_store_deleted_under_a_server_then_a_worker_killed_gives_one_answer(
    articles: Path, tmp_path: Path
) -> None:
    (articles / "undated.md").write_text("# Undated\n\nIts date is only in the store.\n")
    (articles / "gone.md").write_text("# Gone\n\nDeleted before the store is.\n")
    settle(articles)
    state = tmp_path / "state.sqlite3"
    env = {"FEEDSVC_STATE": str(state), "FEEDSVC_RESCAN_INTERVAL": "0.2"}
    server = start_server(articles, env=env)
    try:
        (articles / "gone.md").unlink()
        slugs = ["undated", "gone", "never-published"]
        # Both workers say so (one still loading answered 503 when six answers of the
        # other were taken for both: a failure seen under load).
        before = served_alike(server, slugs, "gone", 410)
        assert [status for _, status, _ in before] == [200, 410, 404]
        for suffix in ("", "-wal", "-shm"):
            Path(f"{state}{suffix}").unlink(missing_ok=True)
        workers = children(server.process.pid)
        os.kill(workers[0], signal.SIGKILL)  # gunicorn starts another, on no store at all
        deadline = time.monotonic() + 20
        while len(set(children(server.process.pid)) - {workers[0]}) < 2:
            assert time.monotonic() < deadline, "no worker respawned"
            time.sleep(0.1)
        deadline = time.monotonic() + 20  # a rescan interval, a tick, a respawned start-up
        while "under the running server; this process moved" not in server.log.read_text():
            assert time.monotonic() < deadline, "no worker moved to the store made anew"
            time.sleep(0.1)
        deadline = time.monotonic() + 20  # then the respawned worker reads every record
        while (answers := {view(server, slugs) for _ in range(20)}) != {before}:
            if time.monotonic() > deadline:  # a respawned worker loading answers 503
                break
            time.sleep(0.2)
        assert answers == {before}, answers  # one date per article, the first one; 410 stays
        assert state.exists()
    finally:
        stop_server(server)


@contextlib.contextmanager
def tiny_disk(target: Path) -> Iterator[None]:
    target.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(target)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"cannot mount a tmpfs under CI ({done.stderr.strip()})")
        pytest.skip(f"cannot mount here ({done.stderr.strip()})")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(target)], capture_output=True, timeout=30)


def test_after_a_full_disk_records_go_back_to_the_file_once_there_is_room(
    articles: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("feedsvc.store.db.WRITE_BACK_EVERY", 0.0)  # try at every scan
    disk = tmp_path / "tiny"
    with tiny_disk(disk):
        state = disk / "state.sqlite3"
        settle(articles)
        app = create_app(app_config(articles, BASE_URL=PUBLIC, STATE=str(state)))
        publisher = app.extensions["feedsvc"]
        filler = disk / "filler"
        with open(filler, "wb", buffering=0) as f:
            for _ in range(10_000):
                try:
                    f.write(b"\0" * 4096)
                except OSError:
                    break
        for index in range(40):
            (articles / f"after-full-{index}.md").write_text(
                f"# After Full {index}\n\n" + "Body text. " * 200 + "\n"
            )
        settle(articles)
        publisher.refresh(utcnow())
        problems = publisher.store.problems
        assert any("disk is full" in p for p in problems), problems
        assert app.test_client().get("/articles/after-full-7").status_code == 200
        filler.unlink()  # room again
        publisher.refresh(utcnow())  # a rescan tick
        assert not any("disk is full" in p for p in publisher.store.problems)
        publisher.close()
        with sqlite3.connect(state) as db:
            slugs = {row[0] for row in db.execute("SELECT slug FROM article")}
        assert {f"after-full-{i}" for i in range(40)} <= slugs
        shutil.copyfile(state, tmp_path / "copy.sqlite3")
        again = StateStore(str(tmp_path / "copy.sqlite3"), utcnow())
        assert len(again.records()) == len(slugs)
        again.close()


def test_a_store_locked_at_start_up_is_waited_for_never_set_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lock held past SQLite's busy timeout: waited for, and the store's records kept."""
    state = tmp_path / "state.sqlite3"
    store = StateStore(str(state), utcnow())
    store.sync([Seen("kept", "kept.md", "h", None)], [], "feeds.example.org", utcnow())
    minted = store.records()["kept"]
    store.close()
    monkeypatch.setattr("feedsvc.store.sqlite.BUSY_TIMEOUT_MS", 100)  # lock outlasts it
    holder = sqlite3.connect(state, isolation_level=None, check_same_thread=False)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")  # another process's long write, or a backup tool
    release = threading.Timer(1.5, holder.close)  # exclusive locking mode: held until closed
    release.start()
    started = time.monotonic()
    try:
        store = StateStore(str(state), utcnow())
    finally:
        release.join()
    assert time.monotonic() - started >= 1.0  # it waited
    assert store.problems == []
    assert store.records()["kept"] == minted
    assert not list(tmp_path.glob("*.corrupt-*"))
    store.close()


HOLD = """
import sys, time
from datetime import datetime, UTC
from feedsvc.store.db import StateStore
store = StateStore(sys.argv[1], datetime.now(UTC))  # a worker of the same server, holding it
print("held", flush=True)
sys.stdin.readline()
store.close()
"""


def test_a_corrupt_store_another_process_holds_is_not_set_aside(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite3"
    store = StateStore(str(state), utcnow())
    store.sync([Seen("kept", "kept.md", "h", None)], [], "feeds.example.org", utcnow())
    store.close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(state)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        with open(state, "r+b") as f:  # damaged in place: the holder keeps the same file
            f.seek(100)
            f.write(b"\xff" * 4000)
        damaged = state.read_bytes()
        other = StateStore(str(state), utcnow())
        assert any("another process holds it" in p for p in other.problems), other.problems
        assert not list(tmp_path.glob("*.corrupt-*"))
        assert state.read_bytes() == damaged  # neither moved nor rebuilt
        other.sync([Seen("new", "new.md", "h2", None)], [], "feeds.example.org", utcnow())
        assert "new" in other.records()  # it serves from memory meanwhile
        other.close()
    finally:
        holder.communicate(b"\n", timeout=30)
    alone = StateStore(str(state), utcnow())  # nobody holds it now: set aside, rebuilt
    assert any("set aside" in p for p in alone.problems), alone.problems
    aside = [p for p in tmp_path.glob("state.sqlite3.corrupt-*") if p.name[-4:] not in SQLITE_LOGS]
    assert [p.read_bytes() for p in aside] == [damaged]  # its -wal and -shm beside it, if any
    alone.close()


def served_alike(
    server: Server, slugs: list[str], new: str, status: int = 200
) -> tuple[tuple[str, int, str], ...]:
    """Return how SERVER answers for SLUGS once both workers answer NEW with STATUS: 12
    views in a row agree (each may reach either worker); 15 s at most."""
    deadline = time.monotonic() + 15
    while len(views := {view(server, slugs) for _ in range(12)}) > 1 or (
        next(iter(views))[slugs.index(new)][1] != status
    ):
        assert time.monotonic() < deadline, f"{new} did not answer {status}"
        time.sleep(0.1)
    return next(iter(views))


@contextlib.contextmanager
def served_with_a_backup(articles: Path, tmp_path: Path) -> Iterator[tuple[Server, Path, Path]]:
    """Serve ARTICLES (an undated one among them) with a 2-worker server on STATE; yield it,
    STATE and an online backup of STATE taken once it was served."""
    (articles / "undated.md").write_text("# Undated\n\nIts date is only in the store.\n")
    settle(articles)
    state = tmp_path / "state.sqlite3"
    env = {"FEEDSVC_STATE": str(state), "FEEDSVC_RESCAN_INTERVAL": "0.2"}
    server = start_server(articles, env=env)
    try:
        backup = tmp_path / "backup.sqlite3"
        with sqlite3.connect(state) as live, sqlite3.connect(backup) as copy:
            live.backup(copy)  # an online backup, taken before the next article
        yield server, state, backup
    finally:
        stop_server(server)


@pytest.mark.server
def test_a_backup_copied_over_the_store_under_a_server_is_followed_and_merged(
    articles: Path, tmp_path: Path
) -> None:
    with served_with_a_backup(articles, tmp_path) as (server, state, backup):
        (articles / "after-backup.md").write_text("# After Backup\n\nNot in the backup.\n")
        slugs = ["undated", "after-backup", "never-published"]
        before = served_alike(server, slugs, "after-backup")
        assert [status for _, status, _ in before] == [200, 200, 404]
        restored = tmp_path / "restored.sqlite3"
        shutil.copyfile(backup, restored)  # the operator restores the backup over STATE
        for suffix in ("-wal", "-shm"):
            Path(f"{state}{suffix}").unlink(missing_ok=True)
        os.replace(restored, state)
        time.sleep(3.0)  # the settle time: a rescan interval and a tick for each worker
        answers = {view(server, slugs) for _ in range(20)}
        assert answers == {before}, answers  # one date per article, as before the restore
        with sqlite3.connect(state) as db:  # the backup's records and the ones made since
            found = {row[0] for row in db.execute("SELECT slug FROM article")}
        assert {"undated", "after-backup"} <= found
        assert "replaced under the running server" in server.log.read_text()


def test_a_backup_restored_after_a_slug_was_reused_keeps_both_articles(tmp_path: Path) -> None:
    """Rule (brief): a lost store never changes a published article's id or date. A post
    was deleted and an unrelated one took its name (the store set the old record aside);
    a backup from before is then restored over the store under the running catalog. The
    records this process wrote back merge with it: the new post keeps its id and date, the
    old one stays aside (gone, 404), and neither takes the other's record."""
    articles = tmp_path / "articles"
    articles.mkdir()
    post = articles / "post.md"
    post.write_text("---\ntitle: Harbour Opens\n---\n\nThe harbour opens at dawn.\n")
    os.utime(post, (time.time() - 3600,) * 2)
    state = tmp_path / "state.sqlite3"
    store = StateStore(str(state), NOW)
    catalog = Catalog(str(articles), Defaults("A", "en", UTC), store, "example.org", 2**21)
    old_id = catalog.scan(NOW).by_slug["post"].id
    backup = tmp_path / "backup.sqlite3"
    with sqlite3.connect(state) as live, sqlite3.connect(backup) as copy:
        live.backup(copy)
    post.unlink()
    catalog.scan(NOW + timedelta(days=1))
    assert catalog.scan(NOW + timedelta(days=1, seconds=1)).gone == {"post"}  # SETTLE later
    post.write_text("---\ntitle: Library Night\n---\n\nThe library stays open late.\n")
    os.utime(post, (time.time() - 3600,) * 2)
    new = catalog.scan(NOW + timedelta(days=2)).by_slug["post"]
    assert new.id != old_id
    restored = tmp_path / "restored.sqlite3"
    shutil.copyfile(backup, restored)
    for suffix in ("-wal", "-shm"):
        Path(f"{state}{suffix}").unlink(missing_ok=True)
    os.replace(restored, state)  # the operator restores the backup over STATE
    after = catalog.scan(NOW + timedelta(days=3))
    assert (after.by_slug["post"].id, after.by_slug["post"].published) == (new.id, new.published)
    store.close()
    again = StateStore(str(state), NOW + timedelta(days=4))  # and so in the store itself
    records = again.records()
    assert (records["post"].id, records["post"].first_seen) == (new.id, new.published)
    assert old_id not in {r.id for r in records.values() if r.gone is None}
    again.close()


def whole_slugs(state: Path) -> set[str]:
    """Check that the store file at STATE is whole (integrity_check); return its slugs."""
    with contextlib.closing(sqlite3.connect(state)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {row[0] for row in db.execute("SELECT slug FROM article")}


_ROW = (
    "INSERT INTO article (slug, path, hash, id, first_seen) "
    "VALUES (?, ? || '.md', randomblob(32), 'tag:example.org,2026:' || ?, "
    "'2026-01-02T00:00:00+00:00')"
)
_CRASH = """
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA wal_autocheckpoint = 0")  # what it wrote stays in the log
db.execute("BEGIN")
db.executemany(sys.argv[2], [(f"last-{i}",) * 3 for i in range(3000)])
db.execute("COMMIT")
db.execute("UPDATE article SET path = path || '2' WHERE key % 5 = 0")
os._exit(9)  # killed: no checkpoint, the log stays beside the file
"""


def backup_beside_a_crashed_log(tmp_path: Path) -> tuple[Path, Path, dict, bytes]:
    """Return (articles, STATE, its articles' ids and dates, the log) once the server
    crashed, leaving its write-ahead log, and a backup from before was renamed onto STATE
    with the log left beside it: a log of pages the backup does not have."""
    articles = tmp_path / "articles"
    articles.mkdir()
    for name in ("harbour", "ferry", "bridge"):
        (articles / f"{name}.md").write_text(f"# {name.title()}\n\nThe {name} story.\n")
    settle(articles)
    state = tmp_path / "state.sqlite3"
    store = StateStore(str(state), NOW)
    catalog = Catalog(str(articles), Defaults("A", "en", UTC), store, "example.org", 2**21)
    before = {a.slug: (a.id, a.published) for a in catalog.scan(NOW).articles}
    store.close()  # a clean stop: the file is whole alone
    backup = tmp_path / "backup.sqlite3"
    shutil.copyfile(state, backup)
    with contextlib.closing(sqlite3.connect(state, isolation_level=None)) as db:
        db.execute("BEGIN")  # the site grew, then the log was written into the file
        db.executemany(_ROW, [(f"later-{i}",) * 3 for i in range(3000)])
        db.execute("COMMIT")
        db.execute("DELETE FROM article WHERE key % 3 = 0 AND slug LIKE 'later-%'")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    subprocess.run([sys.executable, "-c", _CRASH, str(state), _ROW], check=False, timeout=60)
    stale_log = Path(f"{state}-wal").read_bytes()
    assert stale_log, "the crash left no log"
    restored = tmp_path / "restored.sqlite3"
    shutil.copyfile(backup, restored)
    os.replace(restored, state)  # the -wal and -shm left beside it
    return articles, state, before, stale_log


def test_a_backup_restored_after_a_crash_beside_its_log_keeps_its_records(tmp_path: Path) -> None:
    """Rule (brief): a lost store never changes a published article's id or date. The
    server crashed, leaving its write-ahead log; the operator renamed a backup onto STATE
    and left the log beside it. SQLite would apply that log to the backup, whose pages it
    does not fit: the file then failed its check and the records were lost (kept in memory
    only, empty). Now the log is set aside, and the backup's records are used."""
    articles, state, before, stale_log = backup_beside_a_crashed_log(tmp_path)
    later = NOW + timedelta(days=1)
    store = StateStore(str(state), later)
    catalog = Catalog(str(articles), Defaults("A", "en", UTC), store, "example.org", 2**21)
    after = {a.slug: (a.id, a.published) for a in catalog.scan(later).articles}
    assert after == before  # the backup's ids and dates
    assert any("write-ahead log does not fit" in p for p in store.problems), store.problems
    (aside,) = tmp_path.glob("state.sqlite3.stale-*-wal")
    assert aside.read_bytes() == stale_log  # set aside, never deleted
    assert len(store.records()) == 3
    store.close()
    whole_slugs(state)


def test_processes_starting_at_once_beside_a_foreign_log_mend_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers start together on a backup beside a crashed server's log: one sets the log
    aside, the others find the store mended (the folder's lock). None writes the log into
    the file, none serves from memory, and every one shows the backup's ids and dates.
    Each one's look at whether others hold the store is slowed down: without the lock,
    each saw the others looking, took the log for a live one, and applied it."""
    articles, state, before, stale_log = backup_beside_a_crashed_log(tmp_path)
    alone = sqlite_module.Holder.alone

    def slowly(self: sqlite_module.Holder) -> bool:
        time.sleep(0.3)  # holding its shared lock, as every opener's check does
        return alone(self)

    monkeypatch.setattr(sqlite_module.Holder, "alone", slowly)  # the forks inherit it
    config = app_config(articles, STATE=str(state), BASE_URL="http://example.org/")
    found = start_at_once(config, 4)
    for _, ids, problems in found:
        assert ids == {
            slug: (id_, published.isoformat()) for slug, (id_, published) in before.items()
        }
        assert not [p for p in problems if "memory" in p or "set aside as" in p and "corrupt" in p]
    assert sum("write-ahead log does not fit" in p for _, _, ps in found for p in ps) == 1
    (aside,) = tmp_path.glob("state.sqlite3.stale-*-wal")
    assert aside.read_bytes() == stale_log
    assert not list(tmp_path.glob("state.sqlite3.corrupt-*"))
    whole_slugs(state)


@pytest.mark.parametrize("fault", ["read-only folder", "full disk"])
def test_a_backup_beside_a_log_that_cannot_be_mended_is_left_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    """Mending fails (the log cannot be renamed, or the file alone cannot be opened for
    another reason than damage): the backup and the log stay as they are, for the next
    start, and the process serves from memory. Never set aside as corrupt and rebuilt."""
    _, state, _, stale_log = backup_beside_a_crashed_log(tmp_path)
    backup_bytes = state.read_bytes()
    if fault == "read-only folder":

        def refused(*args: object) -> str:
            raise PermissionError(13, "Permission denied", f"{state}-wal")

        monkeypatch.setattr(walfile, "set_aside", refused)
    else:
        real = mending.connect_checked

        def full(path: str):
            if not Path(f"{path}-wal").exists():  # the file alone: the disk fills up
                raise sqlite3.OperationalError("database or disk is full")
            return real(path)

        monkeypatch.setattr(mending, "connect_checked", full)
    store = StateStore(str(state), NOW + timedelta(days=1))
    assert any("cannot be mended" in p for p in store.problems), store.problems
    assert len(store.records()) == 3  # the backup's, from memory: the file alone, copied
    store.close()
    assert state.read_bytes() == backup_bytes  # neither mended nor set aside
    assert Path(f"{state}-wal").read_bytes() == stale_log
    assert not list(tmp_path.glob("state.sqlite3.corrupt-*"))
    assert not list(tmp_path.glob("state.sqlite3.stale-*"))


@pytest.mark.server
def test_a_backup_renamed_onto_the_store_under_a_server_never_takes_its_log(
    articles: Path, tmp_path: Path
) -> None:
    """The workers' write-ahead log is the file's they opened. A backup renamed onto STATE
    with that log left beside it (after the live file moved on: a checkpoint, then more
    records) took the log's pages, and the file the workers moved to became corrupt
    ("wrong # of entries in index"). The first worker to move now sets the log aside."""
    with served_with_a_backup(articles, tmp_path) as (server, state, backup):
        for i in range(40):
            (articles / f"after-{i}.md").write_text(f"# After {i}\n\n" + "More. " * 200)
        slugs = ["undated", "after-0", "after-39", "never-published"]
        served_alike(server, slugs, "after-39")
        with contextlib.closing(sqlite3.connect(state)) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the live file moves on
        (articles / "late.md").write_text("# Late\n\nRecorded in the log only.\n")
        slugs.append("late")
        before = served_alike(server, slugs, "late")
        assert Path(f"{state}-wal").stat().st_size > 0
        restored = tmp_path / "restored.sqlite3"
        shutil.copyfile(backup, restored)
        os.replace(restored, state)  # the -wal and -shm left beside it
        deadline = time.monotonic() + 15
        while server.log.read_text().count("this process moved") < 2:
            assert time.monotonic() < deadline, "the workers did not move"
            time.sleep(0.1)
        assert {view(server, slugs) for _ in range(20)} == {before}
        assert len(list(tmp_path.glob("state.sqlite3.stale-*-wal"))) == 1
        assert "it was replaced under the server; its write-ahead log" in server.log.read_text()
        found = whole_slugs(state)
        assert {"undated", "after-0", "after-39", "late"} <= found


_WRITE_ONE = (
    "import sys; from datetime import UTC, datetime; from feedsvc.store.db import StateStore; "
    "from feedsvc.store.records import Seen; now = datetime(2026, 1, 3, tzinfo=UTC); "
    "s = StateStore(sys.argv[1], now); "
    "s.sync([Seen(sys.argv[2], sys.argv[2] + '.md', 'h-' + sys.argv[2], None)], [], "
    "'example.org', now); s.close()"
)


def test_a_mended_store_keeps_its_locks_for_the_processes_after_it(tmp_path: Path) -> None:
    """Mending looked at the file through a descriptor of its own and closed it after the
    writable connection opened: that dropped SQLite's locks (POSIX locks are per process).
    The next process to close a connection then took itself for the last one, and deleted
    the log this one was writing: its records were lost. Every record stays now."""
    _, state, _, _ = backup_beside_a_crashed_log(tmp_path)
    later = NOW + timedelta(days=1)
    store = StateStore(str(state), later)
    assert any("write-ahead log does not fit" in p for p in store.problems), store.problems
    mine = ["mine-1", "mine-2", "mine-3"]
    for index, theirs in enumerate(["theirs-1", "theirs-2"]):  # a `feedsvc state` command, say
        store.sync([Seen(mine[index], f"{mine[index]}.md", f"h{index}", None)], [], "x", later)
        subprocess.run([sys.executable, "-c", _WRITE_ONE, str(state), theirs], check=True)
    store.sync([Seen("mine-3", "mine-3.md", "h3", None)], [], "x", later)
    store.close()
    found = whole_slugs(state)
    assert {"harbour", *mine, "theirs-1", "theirs-2"} <= found


def test_a_crash_log_beside_a_file_with_bad_indexes_is_kept(tmp_path: Path) -> None:
    """A file whose only damage is in an index (which quick_check does not see) crashed
    with a log that fits it. The log is not to blame: it is applied, not set aside, and
    the indexes are rebuilt from the records (REINDEX): nothing lost."""
    state = tmp_path / "state.sqlite3"
    store = StateStore(str(state), NOW)
    store.sync([Seen(f"old-{i}", f"old-{i}.md", f"h{i}", None) for i in range(50)], [], "x", NOW)
    store.close()
    with contextlib.closing(sqlite3.connect(state, isolation_level=None)) as db:
        db.execute("PRAGMA writable_schema = ON")  # an index that no longer matches its rows
        db.execute(
            "UPDATE sqlite_master SET sql = replace(sql, '(first_seen)', '(path)') "
            "WHERE name = 'article_first_seen'"
        )
    crash = _WRITE_ONE.replace("s.close()", "import os; os._exit(9)")
    subprocess.run([sys.executable, "-c", crash, str(state), "crashed"], check=False)
    assert Path(f"{state}-wal").stat().st_size > 0
    store = StateStore(str(state), NOW + timedelta(days=1))
    assert "crashed" in store.records()  # the crash's log kept
    assert any("REINDEX" in p for p in store.problems), store.problems
    assert not list(tmp_path.glob("state.sqlite3.stale-*"))
    assert not list(tmp_path.glob("state.sqlite3.corrupt-*"))
    store.close()
    whole_slugs(state)


def test_a_store_that_only_could_not_be_looked_at_keeps_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed stat of STATE (NFS, a permission) looks like a deleted store, and the
    process moves to the file at STATE, the same one: the log the other processes write
    is not the old file's, and stays. Every process's records stay in the one file."""
    state = tmp_path / "state.sqlite3"
    other = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(state)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert other.stdout is not None and other.stdout.readline() == b"held\n"
        store = StateStore(str(state), NOW)
        real, failed = sqlite_module.identity, []

        def once(path: str) -> tuple[int, int] | None:  # twice: the move looks again
            if path == str(state) and len(failed) < 2:
                failed.append(path)
                return None
            return real(path)

        monkeypatch.setattr(sqlite_module, "identity", once)
        assert store.follow()  # taken for deleted: it moves, to the same file
        monkeypatch.setattr(sqlite_module, "identity", real)
        assert not store.follow()  # and it still knows the file it holds
        assert not list(tmp_path.glob("state.sqlite3.stale-*"))
        other.communicate(b"\n", timeout=30)  # this process is now the only one holding it
        mine = ["mine-1", "mine-2", "mine-3"]  # and keeps SQLite's locks (the move's holder)
        for index, theirs in enumerate(["theirs-1", "theirs-2"]):
            store.sync([Seen(mine[index], f"{mine[index]}.md", f"h{index}", None)], [], "x", NOW)
            subprocess.run([sys.executable, "-c", _WRITE_ONE, str(state), theirs], check=True)
        store.sync([Seen("mine-3", "mine-3.md", "h3", None)], [], "x", NOW)
        assert {"theirs-1", "theirs-2", *mine} <= set(store.records())
        store.close()
    finally:
        if other.poll() is None:
            other.communicate(b"\n", timeout=30)
    assert {"theirs-1", "theirs-2", *mine} <= whole_slugs(state)


def test_a_store_restarted_cleanly_sets_its_log_aside_when_replaced(tmp_path: Path) -> None:
    """After a clean stop there is no log: the first process to start made it by opening
    the file, and must still know it for its own when a backup is renamed onto STATE."""
    state = tmp_path / "state.sqlite3"
    store = StateStore(str(state), NOW)
    store.sync([Seen(f"old-{i}", f"old-{i}.md", f"h{i}", None) for i in range(5)], [], "x", NOW)
    store.close()
    backup = tmp_path / "backup.sqlite3"
    shutil.copyfile(state, backup)
    store = StateStore(str(state), NOW)  # no log until this process opened the file
    seen = [Seen(f"new-{i}", f"new-{i}.md", "x" * 64 + str(i), None) for i in range(300)]
    store.sync(seen, [], "x", NOW)
    with contextlib.closing(sqlite3.connect(state)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the live file moves on
    seen = [Seen(f"late-{i}", f"late-{i}.md", "y" * 64 + str(i), None) for i in range(300)]
    store.sync(seen, [], "x", NOW)
    restored = tmp_path / "restored.sqlite3"
    shutil.copyfile(backup, restored)
    os.replace(restored, state)  # the log left beside it
    assert store.follow()
    assert len(list(tmp_path.glob("state.sqlite3.stale-*-wal"))) == 1
    assert len(store.records()) == 605  # the backup's and every one written back
    store.close()
    assert len(whole_slugs(state)) == 605


def test_a_crash_log_beside_indexes_that_cannot_be_rebuilt_is_served_as_before(
    tmp_path: Path,
) -> None:
    """An index entry lost (which quick_check does not see) let an earlier release record a
    slug twice; REINDEX then fails (UNIQUE). The store is served as it is, as before, with
    the crash's log: never set aside and rebuilt for it."""
    state = tmp_path / "state.sqlite3"
    store = StateStore(str(state), NOW)
    seen = [Seen(f"post-{i:03}", f"post-{i:03}.md", f"h{i}", None) for i in range(30)]
    store.sync(seen, [], "x", NOW)
    store.close()
    with contextlib.closing(sqlite3.connect(state)) as db:
        root = db.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_article_1'"
        ).fetchone()[0]
        size = db.execute("PRAGMA page_size").fetchone()[0]
    with open(state, "r+b") as f:  # the slug index's entry of post-007 says post-006
        f.seek((root - 1) * size)
        page = bytearray(f.read(size))
        at = page.find(b"post-007")
        page[at : at + 8] = b"post-006"
        f.seek((root - 1) * size)
        f.write(page)
    later = NOW + timedelta(days=1)
    store = StateStore(str(state), later)  # as an earlier release did: a second post-007
    store.sync([Seen("post-007", "post-007.md", "h7-changed", None)], [], "x", later)
    store.close()
    crash = _WRITE_ONE.replace("s.close()", "import os; os._exit(9)")
    subprocess.run([sys.executable, "-c", crash, str(state), "crashed"], check=False)
    store = StateStore(str(state), NOW + timedelta(days=3))
    assert any("served as it is" in p for p in store.problems), store.problems
    assert "crashed" in store.records() and len(store.records()) >= 30
    assert not list(tmp_path.glob("state.sqlite3.corrupt-*"))
    store.close()
