"""Article texts kept in the state store: out of memory, never lost, never stale for long."""

from __future__ import annotations

import logging
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from scenario import NOW, catalog, copy, settle, text

from feedsvc.catalog.catalog import Catalog
from feedsvc.model import Article, Text
from feedsvc.render import markup
from feedsvc.store.bodies import KEEP_DROPPED

NAMES = ["md_yaml_front_matter.md", "txt_seed_layout.txt", "md_no_author.md"]


def rows(state: Path) -> dict[bytes, tuple[str, str, str, str | None]]:
    """Return the text rows in STATE: key -> (path, body, bio, dropped)."""
    with sqlite3.connect(state) as db:
        query = "SELECT key, path, body, bio, dropped FROM text"
        return {row[0]: row[1:] for row in db.execute(query)}


def shown(cat: Catalog, done: Article) -> Text:
    """Return the body and bio CAT's renderers get for DONE."""
    return cat.folder.bodies.text(done)


def stored(cat: Catalog, done: Article) -> bool:
    """Say whether DONE's text is in the store rather than held in CAT's memory."""
    return done.text_key not in cat.folder.bodies.held


def edit(path: Path, old: str, new: str, when: float) -> None:
    path.write_text(path.read_text("utf-8").replace(old, new, 1), "utf-8")
    settle(path, when)


def test_published_bodies_are_read_from_the_store_not_held(tmp_path: Path) -> None:
    folder = copy(NAMES, tmp_path / "a")
    state = tmp_path / "s.sqlite3"
    cat = catalog(folder, state)
    snapshot = cat.scan(NOW)
    written = rows(state)
    assert len(snapshot.articles) == len(NAMES) == len(written)
    for done in snapshot.articles:
        assert stored(cat, done)
        expected = text(done.path)
        assert shown(cat, done) == expected
        assert written[done.text_key][:3] == (done.path, expected.body, expected.bio)
    assert any(bio for _, _, bio, _ in written.values())  # the seed layout has a bio


def test_a_broken_edit_keeps_serving_the_last_good_body(tmp_path: Path) -> None:
    folder = copy(["md_no_author.md"], tmp_path / "a")
    cat = catalog(folder, tmp_path / "s.sqlite3")
    [good] = cat.scan(NOW).articles
    body = shown(cat, good).body
    (folder / "md_no_author.md").write_text("---\ntitle: [broken\n---\n\nNew words.\n", "utf-8")
    settle(folder / "md_no_author.md", 1_100_000_000.0)
    [kept] = cat.scan(NOW + timedelta(minutes=1)).articles
    assert shown(cat, kept).body == body and "New words" not in body
    html = markup.body_html(kept, cat.folder.bodies, "https://feeds.example.org/")
    assert "New words" not in html and html


def test_an_edit_drops_the_old_text_which_goes_an_hour_later(tmp_path: Path) -> None:
    folder = copy(["md_no_author.md"], tmp_path / "a")
    state = tmp_path / "s.sqlite3"
    cat = catalog(folder, state)
    [old] = cat.scan(NOW).articles
    path = folder / "md_no_author.md"
    edit(path, "\n\n", "\n\nA new first paragraph.\n\n", 1_100_000_000.0)
    [new] = cat.scan(NOW + timedelta(minutes=1)).articles
    assert new.text_key != old.text_key
    assert rows(state)[old.text_key][3] is not None  # dropped, not yet deleted
    assert shown(cat, old) != shown(cat, new)  # a worker behind still shows its version
    edit(path, "A new first", "An edited first", 1_200_000_000.0)
    [newer] = cat.scan(NOW + KEEP_DROPPED + timedelta(minutes=2)).articles
    assert set(rows(state)) == {new.text_key, newer.text_key}
    assert "An edited first" in shown(cat, newer).body


def test_a_deleted_copy_keeps_the_text_its_twin_still_shows(tmp_path: Path) -> None:
    folder = copy(["md_no_author.md"], tmp_path / "a")
    twin = folder / "twin.md"
    twin.write_text(
        (folder / "md_no_author.md").read_text("utf-8").replace("title:", "slug: twin\ntitle:"),
        "utf-8",
    )
    settle(twin)
    state = tmp_path / "s.sqlite3"
    cat = catalog(folder, state)
    first = cat.scan(NOW).articles
    assert len(first) == 2 and first[0].text_key == first[1].text_key
    twin.unlink()
    [left] = cat.scan(NOW + KEEP_DROPPED * 3).articles
    cat.scan(NOW + KEEP_DROPPED * 6)
    assert rows(state)[left.text_key][3] is None
    assert shown(cat, left) == shown(cat, first[0])


def test_a_text_missing_from_the_store_is_read_from_the_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = copy(["txt_seed_layout.txt"], tmp_path / "a")
    state = tmp_path / "s.sqlite3"
    cat = catalog(folder, state)
    [done] = cat.scan(NOW).articles
    with sqlite3.connect(state) as db:
        db.execute("DELETE FROM text")
    assert shown(cat, done).body == text("txt_seed_layout.txt").body
    (folder / "txt_seed_layout.txt").unlink()
    with caplog.at_level(logging.ERROR):
        assert shown(cat, done).body == ""
    assert "neither in the state store nor readable" in caplog.text


def test_texts_stay_in_memory_when_the_store_cannot_be_written(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = copy(NAMES, tmp_path / "a")
    state = tmp_path / "s.sqlite3"
    cat = catalog(folder, state)
    cat.store.db.close()
    cat.store.db = sqlite3.connect(f"file:{state}?mode=ro", uri=True, check_same_thread=False)
    cat.store.db.isolation_level = None
    with caplog.at_level(logging.ERROR):
        snapshot = cat.scan(NOW)
    assert "held in memory" in caplog.text
    for done in snapshot.articles:
        assert not stored(cat, done)
        assert shown(cat, done) == text(done.path)


def test_a_lagging_worker_still_shows_its_version_after_another_rescans(tmp_path: Path) -> None:
    folder = copy(["md_no_author.md"], tmp_path / "a")
    state = tmp_path / "s.sqlite3"
    ahead, behind = catalog(folder, state), catalog(folder, state)
    ahead.scan(NOW)
    [seen] = behind.scan(NOW).articles
    edit(folder / "md_no_author.md", "\n\n", "\n\nA new first paragraph.\n\n", 1_100_000_000.0)
    [new] = ahead.scan(NOW + timedelta(minutes=1)).articles
    assert "A new first paragraph" not in shown(behind, seen).body
    [caught_up] = behind.scan(NOW + timedelta(minutes=2)).articles
    assert shown(behind, caught_up) == shown(ahead, new)


def test_request_threads_read_texts_while_the_rescan_thread_writes(tmp_path: Path) -> None:
    folder = copy(NAMES, tmp_path / "a")
    cat = catalog(folder, tmp_path / "s.sqlite3")
    moving = folder / "md_no_author.md"
    articles = [a for a in cat.scan(NOW).articles if a.path != moving.name]  # never edited
    expected = {a.slug: text(a.path).body for a in articles}
    original = moving.read_text("utf-8")
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        try:
            for _ in range(3000):
                if stop.is_set():
                    return
                for done in articles:
                    assert shown(cat, done).body == expected[done.slug]
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for thread in readers:
        thread.start()
    try:
        for round_ in range(40):  # edits: texts stowed, dropped and deleted meanwhile
            moving.write_text(original + f"\nEdit {round_}.\n", "utf-8")
            settle(moving, 1_100_000_000.0 + round_)
            cat.scan(NOW + KEEP_DROPPED * 2 * (round_ + 1))
    finally:
        stop.set()
        for thread in readers:
            thread.join(timeout=60)
    assert errors == []


def test_a_store_from_before_the_text_table_gains_it_and_keeps_its_records(
    tmp_path: Path,
) -> None:
    folder = copy(NAMES, tmp_path / "a")
    state = tmp_path / "s.sqlite3"
    first = {a.slug: (a.id, a.published) for a in catalog(folder, state).scan(NOW).articles}
    with sqlite3.connect(state) as db:
        db.execute("DROP TABLE text")  # as the store of the previous release was
    cat = catalog(folder, state)
    later = cat.scan(NOW + timedelta(days=1))
    assert {a.slug: (a.id, a.published) for a in later.articles} == first
    assert all(stored(cat, a) for a in later.articles) and len(rows(state)) == len(NAMES)
