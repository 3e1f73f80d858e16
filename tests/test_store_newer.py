"""A store a later release rewrote in another record layout is refused, never misread.

A later release may keep records more compactly (hashes as bytes, for one). Read
by this release, such hashes would differ from every file's and re-date every
article as changed: a rollback would rewrite the feeds' dates. So every command
that opens the store for a site refuses it, naming the store and what to do,
and writes nothing to it.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import app_config

from feedsvc import create_app
from feedsvc.cli import main
from feedsvc.store.db import StoreNewer

PUBLIC = "https://feeds.example.org/"


def settled(folder: Path) -> Path:
    hour_ago = time.time() - 3600
    for path in folder.rglob("*"):
        os.utime(path, (hour_ago, hour_ago))
    return folder


def run(*args: str, env: dict[str, str]):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def store_of_layout(articles: Path, layout: str) -> Path:
    """Return the site's store, written by this release, then marked as of LAYOUT."""
    app = create_app(app_config(settled(articles), BASE_URL=PUBLIC))
    app.extensions["feedsvc"].close()
    state = Path(app.config["STATE"])
    with sqlite3.connect(state) as db:
        db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('layout', ?)", (layout,))
    db.close()
    return state


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("layout", ["3", "10", "compact"])
def test_every_command_refuses_a_store_of_a_later_layout_and_writes_nothing(
    articles: Path, tmp_path: Path, layout: str
) -> None:
    state = store_of_layout(articles, layout)
    before = digest(state)
    env = {"FEEDSVC_STATE": str(state), "FEEDSVC_BASE_URL": PUBLIC}
    with pytest.raises(StoreNewer, match="later release of feedsvc"):
        create_app(app_config(articles, BASE_URL=PUBLIC, STATE=str(state)))
    for args in (
        ("build", str(tmp_path / "out"), "--articles", str(articles), "-q"),
        ("state", "export", "--articles", str(articles)),
        ("state", "adopt", "--articles", str(articles)),
    ):
        result = run(*args, env=env)
        assert result.exit_code == 1, (args, result.output)
        assert str(state) in result.output and f"record layout {layout}" in result.output
        assert "restore a backup" in result.output
        assert not (tmp_path / "out" / "feed.atom").exists()
    checked = run("check", "--articles", str(articles), env=env)
    assert "later release of feedsvc" in checked.output
    assert "checked as if it were empty" in checked.output
    assert digest(state) == before  # nothing written, nothing set aside
    assert sorted(p.name for p in state.parent.glob("*.corrupt-*")) == []


def test_serve_refuses_it_before_starting(articles: Path) -> None:
    state = store_of_layout(articles, "3")
    env = {**os.environ, "FEEDSVC_STATE": str(state), "FEEDSVC_BASE_URL": PUBLIC}
    result = subprocess.run(
        [sys.executable, "-m", "feedsvc", "serve", "--articles", str(articles),
         "--host", "127.0.0.1", "--port", "0", "--workers", "1"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "record layout 3; this release reads layout 2" in result.stderr


@pytest.mark.parametrize("layout", ["1", "0"])
def test_a_store_of_this_layout_or_an_earlier_one_opens(articles: Path, layout: str) -> None:
    state = store_of_layout(articles, layout)
    app = create_app(app_config(articles, BASE_URL=PUBLIC, STATE=str(state)))
    try:
        assert app.test_client().get("/feed.atom").status_code == 200
    finally:
        app.extensions["feedsvc"].close()


def test_a_later_layout_with_another_schema_is_refused_not_opened_empty(articles: Path) -> None:
    """A later layout may rename a column this release's schema indexes: the store is
    refused before any statement of that schema runs, never opened empty in memory."""
    state = store_of_layout(articles, "3")
    with sqlite3.connect(state) as db:
        db.execute("DROP INDEX article_first_seen")
        db.execute("ALTER TABLE article RENAME COLUMN first_seen TO seen_at")
    db.close()
    before = digest(state)
    with pytest.raises(StoreNewer, match="record layout 3"):
        create_app(app_config(articles, BASE_URL=PUBLIC, STATE=str(state)))
    env = {"FEEDSVC_STATE": str(state), "FEEDSVC_BASE_URL": PUBLIC}
    assert "later release of feedsvc" in run("check", "--articles", str(articles), env=env).output
    assert digest(state) == before  # no index or table added to it
