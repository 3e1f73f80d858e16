"""Several nodes, one PostgreSQL store: every id, date, alias and deletion agreed.

Against a real PostgreSQL server (``postgres.cluster``), never a mock. Two
``feedsvc serve`` processes in different working directories, on different
ports, each with its own copy of the articles (two machines behind a load
balancer), must serve the same bytes and ETags, also for an article both see
for the first time at once.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import app_config, free_port, start_server, stop_server
from postgres import cluster, database, halt
from test_store_faults import start_at_once

from feedsvc import create_app
from feedsvc.cli import main
from feedsvc.store import opening
from feedsvc.store.db import StateStore
from feedsvc.store.identity import ID_IS, id_is
from feedsvc.store.records import Seen

PUBLIC = "https://feeds.example.org/"
T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
HOUR_AGO = time.time() - 3600


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[str]:
    with cluster(free_port()) as url:
        yield url


@pytest.fixture
def pg(postgres_server: str) -> Iterator[str]:
    with database(postgres_server) as url:
        yield url


def settle(folder: Path) -> None:
    for path in folder.rglob("*"):
        os.utime(path, (HOUR_AGO, HOUR_AGO))


def test_records_renames_and_deletions_live_in_postgresql(pg: str) -> None:
    store = StateStore(pg, T0)
    assert store.problems == []
    store.sync([Seen("a", "a.md", "h1", None), Seen("b", "b.md", "h2", None)], [], "x.org", T0)
    later = T0 + timedelta(days=3)
    store.sync([Seen("a2", "a.md", "h1", None)], ["a", "b"], "x.org", later)  # a renamed
    store.close()
    again = StateStore(pg, later)
    records = again.records()
    assert records["a2"].id == "tag:x.org,2026-01-02:a"  # the rename kept its record
    assert records["a2"].first_seen == T0
    assert records["b"].gone == later
    assert again.old_slugs() == {"a": "a2"}
    again.close()


def test_postgresql_finds_a_record_by_its_id_through_the_index(pg: str) -> None:
    """``ID_IS`` matches the index of ids' tails in PostgreSQL too (its ``substr``)."""
    store = StateStore(pg, T0)
    store.sync([Seen("a", "a.md", b"h", None), Seen("b", "b.md", b"i", None)], [], "x.org", T0)
    for id_ in ("tag:x.org,2026-01-02:a-long-slug", "urn:x", "urn:x:12", "urn:isbn:12345"):
        store.db.execute("UPDATE article SET id = ? WHERE slug = 'a'", (id_,))
        query = f"SELECT slug FROM article WHERE {ID_IS}"
        assert store.db.execute(query, id_is(id_)).fetchall() == [("a",)]
        assert store.db.execute(query, id_is(id_ + "x")).fetchall() == []
    store.db.execute("SET enable_seqscan = off")  # a table this small is read whole otherwise
    literal = query.replace("?", "'{}'").format(*id_is(id_))
    plan = " ".join(str(row[0]) for row in store.db.execute(f"EXPLAIN {literal}").fetchall())
    store.close()
    assert "article_id_end" in plan, plan


def test_a_store_written_by_the_previous_release_keeps_every_id_date_and_likeness(
    pg: str, tmp_path: Path
) -> None:
    import psycopg
    from test_store_layout import OLD_SCHEMA, twelve_bit

    from feedsvc.store import firstwords, identity, portable

    body = " ".join(f"word{n}" for n in range(120))
    with psycopg.connect(pg, autocommit=True) as conn:
        for statement in OLD_SCHEMA.format(serial="BIGSERIAL", blob="BYTEA").split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("INSERT INTO meta VALUES ('authority', 'x.org')")
        for key, slug, gone in ((1, "kept", None), (2, "post", "2026-01-03T00:00:00+00:00")):
            conn.execute(
                "INSERT INTO article VALUES (%s, %s, %s, %s, %s, %s, NULL, %s)",
                (key, slug, f"{slug}.md", f"{key:064x}", f"tag:x.org,2026-01-02:{slug}",
                 "2026-01-02T03:04:05+00:00", gone),
            )  # fmt: skip
            conn.execute(
                "INSERT INTO likeness VALUES (%s, %s, NULL, %s)", (key, slug, twelve_bit(body))
            )
        odd = "imported, and no SHA-256: 32 ch"  # 31 letters, as a hand-edited import may
        conn.execute(
            "INSERT INTO article VALUES (3, 'odd', 'odd.md', %s, 'tag:x.org,2026-01-02:odd', "
            "'2026-01-02T03:04:05+00:00', NULL, '2026-01-03T00:00:00+00:00')",
            (odd + "!",),
        )
    # An export (a read-only command, as before an upgrade) reads it in this release's
    # layout and writes nothing: the previous release's nodes may still be serving it.
    exported = tmp_path / "before-upgrade.jsonl"
    result = CliRunner().invoke(main, ["state", "export", str(exported), "--state", pg])
    assert result.exit_code == 0, result.output
    assert f'"hash": "{2:064x}"' in exported.read_text()
    with psycopg.connect(pg) as conn:
        layout = "SELECT value FROM meta WHERE name = 'layout'"
        column = (
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = 'article' AND column_name = 'hash'"
        )
        assert conn.execute(layout).fetchone() is None  # not migrated
        assert conn.execute(column).fetchone() == ("text",)
    store = StateStore(pg, T0)
    assert store.problems == []
    records = store.records()
    assert {s: (r.id, r.first_seen, r.gone is None) for s, r in records.items()} == {
        "kept": ("tag:x.org,2026-01-02:kept", T0, True),
        "post": ("tag:x.org,2026-01-02:post", T0, False),
        "odd": ("tag:x.org,2026-01-02:odd", T0, False),
    }
    assert list(store.heard()) == [("kept", (1).to_bytes(32), "kept.md")]  # as articles hold it
    store.sync([Seen("kept", "kept.md", f"{1:064x}", None)], [], "x.org", T0 + timedelta(1))
    assert store.records()["kept"].changed is None  # the same content, though stored anew
    assert identity.same(
        identity.recorded(store.db, 2),
        identity.Likeness("post", None, firstwords.opening_words(body + " and more")),
    )
    [post] = [item for item in portable.dump(store.db) if item.get("slug") == "post"]
    assert post["hash"] == f"{2:064x}"
    [item] = [item for item in portable.dump(store.db) if item.get("slug") == "odd"]
    assert item["hash"] == odd + "!"  # 32 letters, read back as written
    assert post["likeness"]["opening"] == firstwords.exported(firstwords.opening_words(body))
    store.close()


def test_a_password_never_shows_in_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(opening, "WAIT_FOR_DATABASE", 0.2)
    with pytest.raises(opening.StoreUnreachable) as raised:
        StateStore("postgresql://feeds:s3cret@127.0.0.1:1/none", T0)
    assert "s3cret" not in str(raised.value)
    assert "postgresql://feeds:***@127.0.0.1:1/none cannot be reached" in str(raised.value)


def test_nothing_is_served_or_built_while_the_database_does_not_answer(
    articles: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An empty store in memory would give every undated article a new id and date, and
    # pollers would see them again as new: a start waits for the database, then fails.
    monkeypatch.setattr(opening, "WAIT_FOR_DATABASE", 1.5)
    down = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    (articles / "undated.md").write_text("# Undated\n\nIts date comes from the store.\n")
    settle(articles)
    started = time.monotonic()
    with pytest.raises(opening.StoreUnreachable, match="start again once the database answers"):
        create_app(app_config(articles, BASE_URL=PUBLIC, STATE=down))
    assert 1.4 < time.monotonic() - started < 10  # it tried again meanwhile
    out = tmp_path / "site"
    monkeypatch.setenv("FEEDSVC_STATE", down)
    result = CliRunner().invoke(main, ["build", str(out), "--articles", str(articles)])
    assert result.exit_code == 1 and "cannot be reached" in result.output, result.output
    assert not (out / "feed.atom").exists()


# `feedsvc serve` with the wait for the database cut to 6 s (granian forks the workers):
# over granian's 5.5 s, under which a worker failing again counts as a crash loop.
SERVE_WAITING_6_S = (
    "from feedsvc.store import opening; opening.WAIT_FOR_DATABASE = 6.0; "
    "from feedsvc.cli import main; main()"
)


@pytest.mark.server
def test_a_reload_while_the_database_is_down_keeps_the_old_worker_serving(
    articles: Path,
) -> None:
    # A new worker that cannot reach the store never answers: granian's reload keeps the
    # old one (it holds the records) instead of stopping it for a worker that never came.
    settle(articles)
    port = free_port()
    log = articles.parent / "reload.log"
    with cluster(free_port()) as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDSVC_")}
        env.update(FEEDSVC_STATE=url, FEEDSVC_BASE_URL=PUBLIC)
        where = ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
        command = [sys.executable, "-c", SERVE_WAITING_6_S, "serve", "--articles", str(articles)]
        with open(log, "wb") as out:
            server = subprocess.Popen(
                [*command, *where], stdout=out, stderr=subprocess.STDOUT, env=env
            )
        feed = f"http://127.0.0.1:{port}/feed.atom"
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not _answers(feed):
                time.sleep(0.2)
            before = urllib.request.urlopen(feed, timeout=5).read()
            halt(url)
            server.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 15  # two new workers tried and given up meanwhile
            while time.monotonic() < deadline:
                assert urllib.request.urlopen(feed, timeout=5).read() == before
                time.sleep(0.5)
            assert log.read_text().count("did not become ready;") >= 2, log.read_text()
            assert server.poll() is None
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


def test_a_start_takes_the_database_once_it_answers_within_the_wait(
    postgres_server: str, articles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    monkeypatch.setattr(opening, "WAIT_FOR_DATABASE", 20.0)
    name = f"late_{os.getpid()}"
    url = postgres_server.rsplit("/", 1)[0] + "/" + name

    def comes_up() -> None:
        time.sleep(1.5)
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")

    settle(articles)
    thread = threading.Thread(target=comes_up)
    thread.start()
    try:
        app = create_app(app_config(articles, BASE_URL=PUBLIC, STATE=url))
        thread.join()
        assert app.test_client().get("/feed.atom").status_code == 200
        publisher = app.extensions["feedsvc"]
        assert not publisher.store.problems
        count = publisher.store.db.execute("SELECT count(*) FROM article").fetchone()[0]
        assert count == len(publisher.catalog.snapshot.articles) > 0  # in PostgreSQL
        publisher.close()
    finally:
        thread.join()
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_eight_processes_seeing_new_articles_at_once_agree(pg: str, articles: Path) -> None:
    (articles / "undated.md").write_text("# Undated\n\nIts date comes from the store.\n")
    settle(articles)
    found = start_at_once(app_config(articles, BASE_URL=PUBLIC, STATE=pg), 8)
    assert not [p for _, _, problems in found for p in problems]
    views = [ids for _, ids, _ in found]
    assert all(v == views[0] for v in views)
    assert "undated" in views[0]


def test_export_from_postgresql_and_import_into_sqlite_keeps_the_feeds(
    postgres_server: str, pg: str, articles: Path, tmp_path: Path
) -> None:
    settle(articles)
    app = create_app(app_config(articles, BASE_URL=PUBLIC, STATE=pg))
    before = app.test_client().get("/feed.atom").data
    app.extensions["feedsvc"].close()
    exported = tmp_path / "state.jsonl"
    result = CliRunner().invoke(
        main, ["state", "export", str(exported), "--articles", str(articles), "--state", pg]
    )
    assert result.exit_code == 0, result.output
    assert exported.read_text().count('"kind": "article"') == len(  # read from PostgreSQL
        app.extensions["feedsvc"].catalog.snapshot.articles
    )

    def served_once_imported_into(state: str) -> bytes:
        result = CliRunner().invoke(
            main, ["state", "import", str(exported), "--articles", str(articles), "--state", state]
        )
        assert result.exit_code == 0, result.output
        app = create_app(app_config(articles, BASE_URL=PUBLIC, STATE=state))
        try:
            return app.test_client().get("/feed.atom").data
        finally:
            app.extensions["feedsvc"].close()

    assert served_once_imported_into(str(tmp_path / "moved.sqlite3")) == before
    # and back into PostgreSQL, an empty database (each import counts a generation: meta's)
    with database(postgres_server) as empty:
        assert served_once_imported_into(empty) == before


def test_an_export_the_database_breaks_off_fails_and_writes_no_file(
    pg: str, articles: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A backup must never be a part of the records that exits 0: the read is copied
    # into memory first, and a read broken off midway is an error, not a shorter copy.
    import psycopg

    settle(articles)
    app = create_app(app_config(articles, BASE_URL=PUBLIC, STATE=pg))
    app.extensions["feedsvc"].close()
    from feedsvc.store import portable

    real = portable.dump

    def server_drops_the_session(db: object) -> Iterator[dict[str, object]]:
        items = real(db)  # type: ignore[arg-type]
        yield next(items)
        pid = db.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[attr-defined]
        with psycopg.connect(pg, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        yield from items

    monkeypatch.setattr(portable, "dump", server_drops_the_session)
    exported = tmp_path / "state.jsonl"
    result = CliRunner().invoke(main, ["state", "export", str(exported), "--state", pg])
    assert result.exit_code == 1, (result.output, result.exception)
    assert "cannot be read (" in result.output
    assert not exported.exists()


def test_a_node_serving_from_memory_writes_its_records_back_to_postgresql(pg: str) -> None:
    """A node whose writes failed serves from memory, then writes back what it recorded
    meanwhile (docs/several-machines.md): an article first seen then keeps its id and date.
    Before, the write-back's count of a generation was ambiguous SQL in PostgreSQL."""
    store = StateStore(pg, T0)
    store.sync([Seen("b", "b.md", "h-b", None)], [], "x.org", T0)
    store._degrade(sqlite3.OperationalError("a write failed"))
    store.sync([Seen("c", "c.md", "h-c", None)], [], "x.org", T0 + timedelta(hours=1))
    minted = store.records()["c"]
    store._retry_at = 0.0
    store.follow()
    store.close()
    again = StateStore(pg, T0 + timedelta(days=1))
    assert again.records()["c"].id == minted.id
    assert again.records()["c"].first_seen == minted.first_seen
    again.close()


PATHS = ("/feed.atom", "/feed.rss", "/feed.json", "/", "/articles/both-at-once")


def snapshot_of(server) -> dict[str, tuple[int, str | None, bytes]]:
    answers = {}
    for path in PATHS:
        status, headers, body = server.get(path)
        answers[path] = (status, headers.get("ETag"), body)
    return answers


def shows(answers: dict[str, tuple[int, str | None, bytes]], text: bytes) -> bool:
    """Say whether every document of ANSWERS shows TEXT: the paths are fetched one by one,
    and each worker of a node rescans on its own, so one may answer before the others."""
    return all(status == 200 and text in body for status, _, body in answers.values())


def wait_same(left, right, check, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        a, b = snapshot_of(left), snapshot_of(right)
        if a == b and check(a):
            return a
        if time.monotonic() > deadline:
            differ = [p for p in PATHS if a[p] != b[p]]
            raise AssertionError(f"the nodes differ on {differ} after {timeout} s")
        time.sleep(0.2)


@pytest.mark.server
def test_two_nodes_on_one_database_serve_the_same_bytes_and_etags(
    pg: str, articles: Path, tmp_path: Path
) -> None:
    nodes = []
    for name in ("node-a", "node-b"):  # two machines: own working directory, own copy
        home = tmp_path / name
        home.mkdir()
        shutil.copytree(articles, home / "articles")
        settle(home / "articles")
        nodes.append(home / "articles")
    env = {"FEEDSVC_STATE": pg, "FEEDSVC_BASE_URL": PUBLIC, "FEEDSVC_RESCAN_INTERVAL": "0.2"}
    servers: list = [None, None]

    def start(index: int) -> None:
        servers[index] = start_server(nodes[index], env=env)

    threads = [threading.Thread(target=start, args=(i,)) for i in range(2)]
    for thread in threads:  # started together
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert all(servers), "a node did not start"
        left, right = servers
        wait_same(left, right, lambda a: a["/feed.atom"][0] == 200)
        # An article both nodes see for the first time at the same moment.
        for folder in nodes:
            (folder / "both-at-once.md").write_text("# Both At Once\n\nNew on every node.\n")
        first = wait_same(left, right, lambda a: shows(a, b"Both At Once"))
        assert b"Both At Once" in first["/feed.atom"][2]
        # And an edit of it on both.
        for folder in nodes:
            (folder / "both-at-once.md").write_text("# Both At Once\n\nEdited on every node.\n")
        edited = wait_same(left, right, lambda a: shows(a, b"Edited"))
        assert edited["/feed.atom"][1] != first["/feed.atom"][1]
        for server in servers:
            log = server.log.read_text()
            assert "Traceback" not in log and "state store" not in log, log
        store = StateStore(pg, T0)  # the records are in the database, not in a node
        assert store.records()["both-at-once"].changed is not None
        store.close()
    finally:
        for server in servers:
            if server is not None:
                stop_server(server)


@pytest.mark.server
def test_build_on_the_shared_database_writes_the_bytes_a_serve_node_serves(
    pg: str, articles: Path, tmp_path: Path
) -> None:
    """`feedsvc build` on another machine (own folder copy, own directory) agrees with a node."""
    (articles / "undated.md").write_text("# Undated\n\nIts date comes from the database.\n")
    settle(articles)
    env = {"FEEDSVC_STATE": pg, "FEEDSVC_BASE_URL": PUBLIC, "FEEDSVC_RESCAN_INTERVAL": "0.2"}
    server = start_server(articles, env=env)
    try:
        served = {name: server.get(name)[2] for name in ("feed.atom", "feed.rss", "feed.json")}
    finally:
        stop_server(server)
    builder = tmp_path / "builder"
    builder.mkdir()
    shutil.copytree(articles, builder / "articles")
    settle(builder / "articles")
    out = builder / "out"
    result = CliRunner().invoke(
        main, ["build", str(out), "--articles", str(builder / "articles"), "-q"], env=env
    )
    assert result.exit_code == 0, result.output
    assert b"Undated" in served["feed.atom"]
    for name, body in served.items():
        assert (out / name).read_bytes() == body, name
