"""An upgrade never switches how a published site is read (issue 13, the BRIEF's rule).

Read as a blog engine's site, a folder publishes fewer articles (drafts, pages and
``published: false`` posts are not articles) and dates its file names in the site's
zone. A release before blog engines read every folder as feedsvc's own layout, so
ENGINE=auto keeps the reading the store's site was published under; switching is
the operator's explicit ENGINE, which ``feedsvc check`` previews.
"""

from __future__ import annotations

import logging
import re
import shutil
import sqlite3
from pathlib import Path

import feedparser
import pytest
from engine_sites import SITES, check_folder

from feedsvc import create_app
from feedsvc.reading.engines import reader

Entries = dict[str, tuple[str, str]]


def served(config: dict[str, str]) -> tuple[Entries, bytes]:
    """Return the Atom feed's entries (link -> id, published) and its bytes."""
    body = create_app(config).test_client().get("/feed.atom").data
    entries = {e.link: (e.id, e.published) for e in feedparser.parse(body).entries}
    return entries, body


def engine_row(state: Path) -> str | None:
    with sqlite3.connect(state) as db:
        row = db.execute("SELECT value FROM meta WHERE name = 'engine'").fetchone()
    return None if row is None else str(row[0])


@pytest.fixture
def published(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, str], Entries]:
    """A Jekyll blog folder whose feeds a release before blog engines published."""
    folder = tmp_path / "blog"
    shutil.copytree(SITES / "jekyll", folder)
    state = tmp_path / "s.sqlite3"
    config = {"ARTICLES": str(folder), "STATE": str(state), "BASE_URL": "https://b.example/"}
    with monkeypatch.context() as earlier:  # that release: every file an article, no engine
        earlier.setattr(reader, "NOT_ARTICLES", re.compile(r"(?!)"))
        before, _ = served({**config, "ENGINE": "none"})
    with sqlite3.connect(state) as db:
        db.execute("DELETE FROM meta WHERE name = 'engine'")  # it recorded none
    return config, before


def test_auto_keeps_reading_a_published_site_as_it_was_published(
    published: tuple[dict[str, str], Entries], caplog: pytest.LogCaptureFixture
) -> None:
    config, before = published
    assert any("/_drafts/" in link or "new-pier" in link for link in before)  # it was published
    with caplog.at_level(logging.WARNING):
        after, body = served({**config, "ENGINE": "auto"})
    # BRIEF: a deploy never makes a published article vanish or change its id or date
    assert after == before
    assert b"deleted-entry" not in body  # RFC 6721: no tombstone either
    assert engine_row(Path(config["STATE"])) == "none"  # recorded: the next start agrees
    said = [r.getMessage() for r in caplog.records if "ENGINE=auto reads" in r.getMessage()]
    assert said and "set ENGINE=jekyll" in said[0], caplog.text


def test_check_previews_the_switch_and_an_explicit_engine_makes_it(
    published: tuple[dict[str, str], Entries], tmp_path: Path
) -> None:
    config, before = published
    folder, state = Path(config["ARTICLES"]), ("FEEDSVC_STATE", config["STATE"])
    lines = check_folder(folder, tmp_path, state)
    assert any("ENGINE=auto reads" in line for line in lines), lines
    preview = check_folder(folder, tmp_path, state, ("FEEDSVC_ENGINE", "jekyll"))
    going = [line for line in preview if "serving would answer 410" in line]
    assert going, preview  # the drafts and pages this reading drops, named one by one
    assert engine_row(Path(config["STATE"])) is None  # check only looks
    after, _ = served({**config, "ENGINE": "jekyll"})  # the operator's choice
    assert len(after) < len(before)
    assert len(going) == len(before) - len(after)
    assert engine_row(Path(config["STATE"])) == "jekyll"
    again, _ = served({**config, "ENGINE": "auto"})
    assert again == after  # auto now keeps the Jekyll reading


def test_a_new_store_takes_the_reading_auto_detects(tmp_path: Path) -> None:
    folder = tmp_path / "blog"
    shutil.copytree(SITES / "jekyll", folder)
    config = {"ARTICLES": str(folder), "STATE": str(tmp_path / "s.sqlite3"), "ENGINE": "auto"}
    entries, _ = served(config)
    assert not any("new-pier" in link for link in entries)  # Jekyll: _drafts are not posts
    assert engine_row(tmp_path / "s.sqlite3") == "jekyll"


def test_a_store_restored_from_its_export_keeps_the_sites_reading(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from feedsvc.cli import main

    folder = tmp_path / "blog"
    shutil.copytree(SITES / "jekyll", folder)
    state, fresh, exported = (tmp_path / n for n in ("s.sqlite3", "new.sqlite3", "s.jsonl"))
    config = {"ARTICLES": str(folder), "STATE": str(state), "ENGINE": "auto"}
    before, _ = served(config)
    for command in (["export", str(exported)], ["import", str(exported)]):
        target = state if command[0] == "export" else fresh
        args = ["state", *command, "--articles", str(folder), "--state", str(target)]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
    assert '"engine": "jekyll"' in exported.read_text()
    # a restored store has records: without its reading it would be taken as 0.1.0's
    assert served({**config, "STATE": str(fresh)})[0] == before


def test_a_first_start_on_an_empty_folder_does_not_fix_the_reading(tmp_path: Path) -> None:
    """Nothing published yet: the site copied in later is read as what it is (Jekyll)."""
    folder = tmp_path / "blog"
    folder.mkdir()
    config = {"ARTICLES": str(folder), "STATE": str(tmp_path / "s.sqlite3"), "ENGINE": "auto"}
    assert served(config)[0] == {}
    shutil.rmtree(folder)
    shutil.copytree(SITES / "jekyll", folder)
    entries, _ = served(config)
    assert entries and not any("new-pier" in link for link in entries)  # _drafts: no post
    assert engine_row(tmp_path / "s.sqlite3") == "jekyll"
