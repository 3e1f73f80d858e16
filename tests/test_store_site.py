"""The state store belongs to one site, survives a clean stop alone, and moves as JSON lines.

Issue 12: backing up STATE must keep every minted id; another folder served
from the same working directory must not mark this site's articles deleted;
ids minted on a local try-out must not stay under 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from conftest import app_config, free_port, start_server, stop_server
from feed_view import client_get, read_feeds, server_get

from feedsvc import create_app
from feedsvc.catalog.replaced import QUIET
from feedsvc.cli import main
from feedsvc.errors import ConfigError

PUBLIC = "https://feeds.example.org/"


def settle(folder: Path) -> None:
    hour_ago = time.time() - 3600
    for path in folder.rglob("*"):
        os.utime(path, (hour_ago, hour_ago))


def feeds_of(app) -> dict[str, bytes]:
    client = app.test_client()
    return {path: client.get(path).data for path in ("/feed.atom", "/feed.rss", "/feed.json", "/")}


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


# ---- a clean stop leaves a complete file --------------------------------------------------


@pytest.mark.server
def test_store_file_copied_alone_after_sigterm_holds_every_record(
    articles: Path, tmp_path: Path
) -> None:
    settle(articles)
    state = tmp_path / "state.sqlite3"
    server = start_server(articles, env={"FEEDSVC_STATE": str(state)})
    try:
        served = read_feeds(server_get(server))["atom"]
    finally:
        stop_server(server)  # SIGTERM: gunicorn stops its workers cleanly
    assert served
    alone = tmp_path / "copy" / "state.sqlite3"
    alone.parent.mkdir()
    shutil.copyfile(state, alone)  # the file only: no -wal, no -shm
    with sqlite3.connect(alone) as db:
        ids = {row[0] for row in db.execute("SELECT id FROM article")}
    assert {entry.id for entry in served} <= ids


# ---- export and import -------------------------------------------------------------------


def test_export_then_import_into_a_fresh_store_gives_byte_identical_feeds(
    articles: Path, tmp_path: Path
) -> None:
    settle(articles)
    (articles / "gone.md").write_text("# Gone Soon\n\nBody.\n")
    settle(articles)
    create_app(app_config(articles, BASE_URL=PUBLIC)).extensions["feedsvc"].close()
    (articles / "gone.md").unlink()
    time.sleep(QUIET)  # a start sooner holds it (503) until the folder is quiet (deploys)
    app = create_app(app_config(articles, BASE_URL=PUBLIC))
    before = feeds_of(app)
    assert app.test_client().get("/articles/gone").status_code == 410
    app.extensions["feedsvc"].close()

    state = str(articles.parent / "state.sqlite3")
    exported = tmp_path / "state.jsonl"
    env = {"FEEDSVC_BASE_URL": PUBLIC}
    result = run("state", "export", str(exported), "--articles", str(articles), "--state", state)
    assert result.exit_code == 0, result.output
    lines = exported.read_text().splitlines()
    kinds = [json.loads(line)["kind"] for line in lines]
    assert kinds[0] == "store" and "article" in kinds
    again = run("state", "export", "--articles", str(articles), "--state", state)
    assert again.stdout.splitlines() == lines  # a stable order: diff-friendly

    fresh = str(tmp_path / "fresh.sqlite3")
    result = run(
        "state", "import", str(exported), "--articles", str(articles), "--state", fresh, env=env
    )
    assert result.exit_code == 0, result.output
    round_trip = run("state", "export", "--articles", str(articles), "--state", fresh)
    assert round_trip.stdout.splitlines() == lines  # hashes and the likeness come back as sent
    result = run(
        "state", "import", str(exported), "--articles", str(articles), "--state", fresh, env=env
    )
    assert result.exit_code == 0, result.output  # the same records again: no conflict
    app = create_app(app_config(articles, BASE_URL=PUBLIC, STATE=fresh))
    assert feeds_of(app) == before
    assert app.test_client().get("/articles/gone").status_code == 410  # deletions travel
    app.extensions["feedsvc"].close()


def test_import_refuses_conflicts_and_writes_nothing(articles: Path, tmp_path: Path) -> None:
    settle(articles)
    create_app(app_config(articles, BASE_URL=PUBLIC)).extensions["feedsvc"].close()
    state = str(articles.parent / "state.sqlite3")
    exported = tmp_path / "state.jsonl"
    run("state", "export", str(exported), "--articles", str(articles), "--state", state)
    items = [json.loads(line) for line in exported.read_text().splitlines()]
    for item in items:
        if item["kind"] == "article":
            item["id"] = "tag:other.example,2020-01-01:" + item["slug"]
    changed = tmp_path / "changed.jsonl"
    changed.write_text("".join(json.dumps(item) + "\n" for item in items))
    with sqlite3.connect(state) as db:
        before = db.execute("SELECT slug, id FROM article ORDER BY slug").fetchall()
    result = run("state", "import", str(changed), "--articles", str(articles), "--state", state)
    assert result.exit_code == 1
    assert "nothing imported" in result.output and "differ" in result.output
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT slug, id FROM article ORDER BY slug").fetchall() == before
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "store", "format": 1}\nnot json\n')
    result = run("state", "import", str(bad), "--articles", str(articles), "--state", state)
    assert result.exit_code == 1 and "bad.jsonl:2" in result.output


def test_export_of_a_store_that_does_not_exist_fails_naming_it(
    articles: Path, tmp_path: Path
) -> None:
    """A mistyped --state must not give a backup holding nothing."""
    missing = tmp_path / "no-such-state.sqlite3"
    out = tmp_path / "backup.jsonl"
    result = run("state", "export", str(out), "--articles", str(articles), "--state", str(missing))
    assert result.exit_code == 1
    assert str(missing) in result.output and "does not exist" in result.output
    assert not out.exists() and not missing.exists()
    stdout = run("state", "export", "--articles", str(articles), "--state", str(missing))
    assert stdout.exit_code == 1 and '"kind"' not in stdout.output


# ---- one site per store ---------------------------------------------------------------------


def test_a_second_folder_in_the_same_working_directory_is_refused(
    articles: Path, tmp_path: Path
) -> None:
    """`feedsvc build` of another folder with the default store: refused, naming both."""
    settle(articles)
    first = create_app(app_config(articles, BASE_URL=PUBLIC))
    slugs = {a.slug for a in first.extensions["feedsvc"].catalog.snapshot.articles}
    first.extensions["feedsvc"].close()
    other = tmp_path / "other"
    other.mkdir()
    (other / "elsewhere.md").write_text("# Elsewhere\n\nBody.\n")
    settle(other)
    state = str(articles.parent / "state.sqlite3")
    result = run("build", str(tmp_path / "out"), "--articles", str(other), "-q",
                 env={"FEEDSVC_STATE": state})  # fmt: skip
    assert result.exit_code == 1
    assert str(articles) in result.output and str(other) in result.output
    assert "feedsvc state adopt" in result.output
    with pytest.raises(ConfigError, match="belongs to the articles folder"):
        create_app(app_config(other, BASE_URL=PUBLIC, STATE=state))
    checked = run("check", "--articles", str(other), env={"FEEDSVC_STATE": state})
    assert "checked as if it were empty" in checked.output
    app = create_app(app_config(articles, BASE_URL=PUBLIC))
    client = app.test_client()
    for slug in slugs:  # the first site's URLs never answer 410
        assert client.get(f"/articles/{slug}").status_code == 200
    assert client.get("/articles/elsewhere").status_code == 404
    app.extensions["feedsvc"].close()


def test_adopt_moves_the_store_to_a_folder_that_moved(articles: Path, tmp_path: Path) -> None:
    settle(articles)
    app = create_app(app_config(articles, BASE_URL=PUBLIC))
    before = feeds_of(app)["/feed.atom"]
    app.extensions["feedsvc"].close()
    moved = tmp_path / "moved"
    shutil.move(articles, moved)
    state = str(articles.parent / "state.sqlite3")
    result = run("state", "adopt", "--articles", str(moved), "--state", state)
    assert result.exit_code == 0, result.output
    app = create_app(app_config(moved, BASE_URL=PUBLIC, STATE=state))
    assert feeds_of(app)["/feed.atom"] == before
    app.extensions["feedsvc"].close()


# ---- ids: never under localhost ------------------------------------------------------------


def entry_ids(app) -> dict[str, str]:
    atom = read_feeds(client_get(app.test_client()))["atom"]
    return {entry.link.rsplit("/", 1)[1]: entry.id for entry in atom}


def test_quick_start_on_loopback_then_a_public_base_url_mints_every_id_under_it(
    articles: Path,
) -> None:
    (articles / "pinned-elsewhere.md").write_text(
        "---\ntitle: Pinned Elsewhere\nid: urn:example:pinned-elsewhere\n---\n\nBody.\n"
    )
    settle(articles)
    local = create_app(app_config(articles, BASE_URL="http://127.0.0.1:8000/"))
    provisional = entry_ids(local)
    minted = {s: i for s, i in provisional.items() if s != "pinned-elsewhere"}
    assert all(i.startswith("urn:uuid:") for i in minted.values()), provisional
    assert entry_ids(local) == provisional  # stable while provisional
    local.extensions["feedsvc"].close()
    other = create_app(app_config(articles, BASE_URL="http://localhost:9000/"))
    assert entry_ids(other) == provisional
    other.extensions["feedsvc"].close()

    public = create_app(app_config(articles, BASE_URL=PUBLIC))
    final = entry_ids(public)
    assert set(final) == set(provisional)
    snapshot = public.extensions["feedsvc"].catalog.snapshot
    pinned = {a.slug for a in snapshot.articles if a.id_pinned}  # what the files say
    assert len(pinned) < len(final)  # some ids were minted, or this test checks nothing
    for slug, id_ in final.items():
        if slug in pinned:
            assert id_ == provisional[slug]  # a pinned id was never provisional
        else:
            assert id_.startswith("tag:feeds.example.org,"), id_
    public.extensions["feedsvc"].close()
    # Once final, a later run on loopback keeps them.
    back = create_app(app_config(articles, BASE_URL="http://127.0.0.1:8000/"))
    assert entry_ids(back) == final
    back.extensions["feedsvc"].close()


def test_check_never_offers_a_provisional_id_for_pinning(articles: Path) -> None:
    """Pinning a quick start's `urn:uuid:` id would freeze it: check says it is provisional."""
    settle(articles)
    state = str(articles.parent / "state.sqlite3")
    local = {"FEEDSVC_BASE_URL": "http://127.0.0.1:8000/", "FEEDSVC_STATE": state}
    create_app(app_config(articles, BASE_URL="http://127.0.0.1:8000/")).extensions[
        "feedsvc"
    ].close()
    output = run("check", "--articles", str(articles), env=local).output
    about_ids = [line for line in output.splitlines() if ": warning: id " in line]
    assert about_ids, output  # the sample articles do not all pin their ids
    for line in about_ids:
        assert "urn:uuid:" in line and "is provisional" in line, line
        assert "public BASE_URL" in line and "ID_AUTHORITY" in line, line
        assert "Id: urn:uuid:" not in line and "pin it with" not in line, line
    env = {"FEEDSVC_BASE_URL": PUBLIC, "FEEDSVC_STATE": state}
    public = run("check", "--articles", str(articles), env=env).output
    assert "pin it with `Id: tag:feeds.example.org," in public  # final ids are offered


def test_feed_id_is_stable_across_days_and_stores_and_can_be_set(
    articles: Path, tmp_path: Path
) -> None:
    settle(articles)
    feeds = []
    for name in ("a", "b"):  # two machines with stores of their own, minted on other days
        app = create_app(app_config(articles, BASE_URL=PUBLIC, STATE=str(tmp_path / name)))
        feeds.append(feedparser.parse(app.test_client().get("/feed.atom").data).feed)
        app.extensions["feedsvc"].close()
    assert [feed.id for feed in feeds] == ["https://feeds.example.org/"] * 2
    app = create_app(app_config(articles, BASE_URL=PUBLIC, FEED_ID="urn:uuid:1234"))
    assert feedparser.parse(app.test_client().get("/feed.atom").data).feed.id == "urn:uuid:1234"
    tag = next(iter(app.extensions["feedsvc"].catalog.snapshot.tags))
    tag_feed = feedparser.parse(app.test_client().get(f"/tags/{tag}/feed.atom").data).feed
    assert tag_feed.id == f"urn:uuid:1234/tags/{tag}"
    app.extensions["feedsvc"].close()


@pytest.mark.parametrize("authority", ["localhost", "127.0.0.1", "[::1]", "a.localhost"])
def test_id_authority_cannot_be_local(articles: Path, authority: str) -> None:
    with pytest.raises(ConfigError, match="ID_AUTHORITY"):
        create_app(app_config(articles, ID_AUTHORITY=authority))


def test_feed_id_must_be_a_uri_fit_for_ids(articles: Path) -> None:
    with pytest.raises(ConfigError, match="FEED_ID"):
        create_app(app_config(articles, FEED_ID="javascript:alert(1)"))


@pytest.mark.server
def test_serve_refuses_a_store_bound_to_another_folder(articles: Path, tmp_path: Path) -> None:
    settle(articles)
    state = str(articles.parent / "state.sqlite3")
    create_app(app_config(articles, BASE_URL=PUBLIC, STATE=state)).extensions["feedsvc"].close()
    other = tmp_path / "other"
    other.mkdir()
    (other / "elsewhere.md").write_text("# Elsewhere\n\nBody.\n")
    settle(other)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDSVC_")}
    env["FEEDSVC_STATE"] = state
    command = [sys.executable, "-m", "feedsvc", "serve", "--articles", str(other)]
    command += ["--host", "127.0.0.1", "--port", str(free_port()), "--workers", "2"]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired as e:  # it served: run() killed it
        raise AssertionError(f"serve started on a store of another site: {e.stderr}") from e
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert str(articles) in output and str(other) in output, output
    assert "feedsvc state adopt" in output
    with sqlite3.connect(state) as db:  # the first site's records are untouched
        assert db.execute("SELECT COUNT(*) FROM article WHERE gone IS NOT NULL").fetchone() == (0,)
