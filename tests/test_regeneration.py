"""Regeneration in one process: targeted scans and patched snapshots equal full rebuilds."""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import SAMPLES

from feedsvc.catalog.catalog import Catalog
from feedsvc.catalog.snapshot import Snapshot
from feedsvc.reading.normalise import Defaults
from feedsvc.store.db import StateStore

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
MARKET = "night-market-guide.md"


def catalog(articles: Path, settle: float = 0.0) -> Catalog:
    """Return a catalog of ARTICLES that sees every file as settled (unless SETTLE)."""
    store = StateStore(str(articles.parent / "state.sqlite3"), NOW)
    return Catalog(
        str(articles),
        Defaults("Anonymous", "en", ZoneInfo("UTC")),
        store,
        "example.org",
        1 << 20,
        settle=settle,
    )


def same(left: Snapshot, right: Snapshot) -> None:
    for name in (
        "articles",
        "by_slug",
        "redirects",
        "gone",
        "tags",
        "next_due",
        "version",
        "problems",
        "unpublished",
        "months",
        "old_paths",
    ):
        assert getattr(left, name) == getattr(right, name), name


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "articles"
    shutil.copytree(SAMPLES, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [
        ("body edit", "every Thursday", "every Friday"),
        ("title edit", "What to Eat First", "What to Eat Last"),
        ("tags edit", "tags: [food, city]", "tags: [food]"),
        ("date edit", "2026-11-05T19:00:00+01:00", "2026-11-06T19:00:00+01:00"),
        ("slug edit", "title:", "slug: night-market\ntitle:"),
        ("made a draft", "title:", "draft: true\ntitle:"),
    ],
)
@pytest.mark.parametrize("targeted", [True, False], ids=["targeted", "full"])
def test_an_edit_gives_the_snapshot_a_full_rebuild_gives(
    folder: Path, name: str, old: str, new: str, targeted: bool
) -> None:
    live = catalog(folder)
    before = live.scan(NOW)
    edit(folder / MARKET, old, new)
    later = NOW.replace(hour=13)
    after = live.scan(later, [MARKET] if targeted else None)
    same(after, catalog(folder).scan(later))
    assert after.version != before.version


@pytest.mark.parametrize("targeted", [True, False], ids=["targeted", "full"])
def test_a_broken_edit_keeps_the_last_good_version(folder: Path, targeted: bool) -> None:
    live = catalog(folder)
    before = live.scan(NOW)
    edit(folder / MARKET, "---\ntitle:", "---\ntitle: [unclosed\nx:")
    after = live.scan(NOW, [MARKET] if targeted else None)
    assert after.articles == before.articles and after.version == before.version
    assert any(p.path == MARKET and p.severity == "error" for p in after.problems)


def test_a_touch_keeps_the_snapshot(folder: Path) -> None:
    live = catalog(folder)
    before = live.scan(NOW)
    os.utime(folder / MARKET)
    assert live.scan(NOW, [MARKET]).version == before.version
    assert live.scan(NOW).version == before.version


@pytest.mark.parametrize("change", ["add", "delete", "rename"])
def test_targeted_scans_see_added_deleted_and_renamed_files(folder: Path, change: str) -> None:
    live = catalog(folder)
    live.scan(NOW)
    if change == "add":
        (folder / "new.md").write_text("---\ntitle: New\n---\n\nNew.\n", encoding="utf-8")
        paths = ["new.md"]
    elif change == "delete":
        (folder / MARKET).unlink()
        paths = [MARKET]
    else:
        (folder / MARKET).rename(folder / "market.md")
        paths = [MARKET, "market.md"]
    same(live.scan(NOW, paths), catalog(folder).scan(NOW))


def test_a_file_written_just_now_waits_until_it_settles(folder: Path) -> None:
    live = catalog(folder, settle=0.25)
    live.scan(NOW)
    edit(folder / MARKET, "What to Eat First", "What to Eat Last")
    now = datetime.fromtimestamp(time.time(), UTC)
    titles = {a.title for a in live.scan(now, [MARKET]).articles}
    assert any("First" in t for t in titles) and live.unsettled == {MARKET}
    titles = {a.title for a in live.scan(now + timedelta(seconds=1), [MARKET]).articles}
    assert any("Last" in t for t in titles) and not live.unsettled


@pytest.mark.parametrize("path", ["../outside.md", ".hidden.md", "notes.txt~", "sub/.x.md"])
def test_targeted_scans_ignore_what_a_full_scan_ignores(folder: Path, path: str) -> None:
    live = catalog(folder)
    before = live.scan(NOW)
    assert live.scan(NOW, [path]).version == before.version
