"""Article texts: read from the files, out of memory and out of the store, but never lost.

The store names every text (its key, path and opening words) and keeps a body
only as the last good version of a file an edit broke (issue 14, Build item 4:
"Bodies are read from the article files when rendered, not copied into the
store, except a last good version that must be kept").
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from scenario import NOW, catalog, copy, settle, text

from feedsvc.catalog.catalog import Catalog
from feedsvc.model import Article, Text
from feedsvc.render import markup
from feedsvc.store import firstwords
from feedsvc.store.bodies import KEEP_DROPPED
from feedsvc.store.firstwords import opening_words

NAMES = ["md_yaml_front_matter.md", "txt_seed_layout.txt", "md_no_author.md"]


def rows(state: Path) -> dict[bytes, tuple[str, str, str, str | None]]:
    """Return the text rows in STATE (the last good copies): key -> (path, body, bio, dropped)."""
    with sqlite3.connect(state) as db:
        query = "SELECT key, path, body, bio, dropped FROM text"
        return {row[0]: row[1:] for row in db.execute(query)}


def forget(cat: Catalog) -> None:
    """Empty CAT's texts read last, as a long-running worker's are for an old article."""
    cat.folder.bodies._recent.clear()
    cat.folder.bodies._recent_bytes = 0


def shown(cat: Catalog, done: Article) -> Text:
    """Return the body and bio CAT's renderers get for DONE."""
    return cat.folder.bodies.text(done)


def stored(cat: Catalog, done: Article) -> bool:
    """Say whether DONE's text is in the store rather than held in CAT's memory."""
    return done.text_key not in cat.folder.bodies.held


def edit(path: Path, old: str, new: str, when: float) -> None:
    path.write_text(path.read_text("utf-8").replace(old, new, 1), "utf-8")
    settle(path, when)


def test_published_bodies_are_read_from_the_files_and_not_copied_into_the_store(
    tmp_path: Path,
) -> None:
    folder = copy(NAMES, tmp_path / "a")
    state = tmp_path / "s.sqlite3"
    cat = catalog(folder, state)
    snapshot = cat.scan(NOW)
    assert len(snapshot.articles) == len(NAMES)
    assert rows(state) == {}  # no copy of any body
    for done in snapshot.articles:
        expected = text(done.path)
        assert shown(cat, done) == expected
        # What the same-article rule needs of the body: its opening words, coded.
        with sqlite3.connect(state) as db:
            [(opening,)] = db.execute(
                "SELECT l.opening FROM likeness l JOIN article a ON a.key = l.key "
                "WHERE a.slug = ?",
                (done.slug,),
            )
        assert opening == opening_words(expected.body) and len(opening) <= 201
    assert any(text(a.path).bio for a in snapshot.articles)  # the seed layout has a bio


def test_an_opening_is_coded_word_by_word_as_stored_however_many_words_came_before() -> None:
    # The codes compared with those stored by every earlier release: a word's CRC-32, low
    # byte. The process remembers the codes of at most _Codes.WORDS words, then starts over.
    words = [f"w{n}" for n in range(3 * firstwords._Codes.WORDS)]
    for start in range(0, len(words), 150):
        some = words[start : start + 150]
        expected = bytes(zlib.crc32(w.encode()) & 0xFF for w in some)
        assert opening_words(" ".join(w.upper() for w in some)) == firstwords.CODES + expected


def test_a_twin_that_takes_a_slug_later_still_gets_the_opening_its_text_was_read_with(
    tmp_path: Path,
) -> None:
    # s2a shares its text with t1, whose record already has it, and loses slug s2 to s2b;
    # once s2b goes, s2a takes s2 without being read again: its likeness needs the opening
    # noted when it was read (the sync that saw t1 unchanged recorded none of it).
    folder, when = tmp_path / "a", [1_000_000_000.0]
    folder.mkdir()
    same = "Alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron."

    def write(name: str, title: str, slug: str, date: str, body: str) -> None:
        path = folder / name
        path.write_text(f"---\ntitle: {title}\nslug: {slug}\ndate: {date}\n---\n\n{body}\n")
        when[0] += 10
        settle(path, when[0])

    write("t1.md", "T1", "t1", "2024-01-01", same)
    write("s2b.md", "S2B", "s2", "2024-01-01", "Other words about ships leaving at dawn.")
    cat = catalog(folder, tmp_path / "s.sqlite3")
    cat.scan(NOW)
    (folder / "t1.md").rename(folder / "t1r.md")
    settle(folder / "t1r.md", when[0] + 5)
    write("s2a.md", "S2A", "s2", "2024-06-01", same)
    cat.scan(NOW + timedelta(minutes=5))
    (folder / "s2b.md").unlink()
    cat.scan(NOW + timedelta(minutes=10))
    [(opening,)] = cat.store.db.execute(
        "SELECT l.opening FROM likeness l JOIN article a ON a.key = l.key WHERE a.slug = 's2'"
    ).fetchall()
    assert opening == opening_words(same)


def test_a_broken_edit_keeps_serving_the_last_good_body_from_the_store(tmp_path: Path) -> None:
    folder = copy(["md_no_author.md"], tmp_path / "a")
    state = tmp_path / "s.sqlite3"
    cat = catalog(folder, state)
    [good] = cat.scan(NOW).articles
    body = shown(cat, good).body  # a render fetched it: this worker has it
    (folder / "md_no_author.md").write_text("---\ntitle: [broken\n---\n\nNew words.\n", "utf-8")
    settle(folder / "md_no_author.md", 1_100_000_000.0)
    snapshot = cat.scan(NOW + timedelta(minutes=1))
    [kept] = snapshot.articles
    assert rows(state)[kept.text_key][1] == body  # the one copy: the last good version
    forget(cat)  # and it is read back from the store, not from this worker's memory
    assert shown(cat, kept).body == body and "New words" not in body
    html = markup.body_html(kept, cat.folder.bodies, "https://feeds.example.org/")
    assert "New words" not in html and html
    warnings = [p.message for p in snapshot.problems if p.severity == "warning"]
    assert warnings == ["the last good version stays published"]
    (folder / "md_no_author.md").write_text("---\ntitle: Fixed\n---\n\nMended.\n", "utf-8")
    settle(folder / "md_no_author.md", 1_200_000_000.0)
    [fixed] = cat.scan(NOW + timedelta(minutes=2)).articles
    assert fixed.title == "Fixed"
    assert rows(state)[kept.text_key][3] is not None  # the copy is dropped with its version


def test_a_broken_edit_of_a_text_no_longer_at_hand_shows_its_summary_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = copy(["md_no_author.md"], tmp_path / "a")
    state = tmp_path / "s.sqlite3"
    cat = catalog(folder, state)
    [good] = cat.scan(NOW).articles
    forget(cat)  # read at start-up, never rendered since
    (folder / "md_no_author.md").write_bytes(b"\0\0binary now")
    settle(folder / "md_no_author.md", 1_100_000_000.0)
    snapshot = cat.scan(NOW + timedelta(minutes=1))
    [kept] = snapshot.articles
    assert kept is good
    [warning] = [p for p in snapshot.problems if p.severity == "warning"]
    assert warning.path == "md_no_author.md" and "its text was not kept" in warning.message
    with caplog.at_level(logging.ERROR):
        assert shown(cat, kept).body == (good.summary or good.title)
    assert "md_no_author.md: its last good text was not kept" in caplog.text


def test_a_kept_copy_is_dropped_once_the_file_parses_and_deleted_an_hour_later(
    tmp_path: Path,
) -> None:
    folder = copy(["md_no_author.md"], tmp_path / "a")
    state = tmp_path / "s.sqlite3"
    cat = catalog(folder, state)
    [good] = cat.scan(NOW).articles
    shown(cat, good)
    path = folder / "md_no_author.md"
    original = path.read_text("utf-8")
    path.write_text("---\ntitle: [broken\n---\n", "utf-8")
    settle(path, 1_100_000_000.0)
    cat.scan(NOW + timedelta(minutes=1))
    assert rows(state)[good.text_key][3] is None  # kept while it stands in
    path.write_text(original + "\nA new last paragraph.\n", "utf-8")
    settle(path, 1_200_000_000.0)
    [new] = cat.scan(NOW + timedelta(minutes=2)).articles
    assert rows(state)[good.text_key][3] is not None  # dropped, not yet deleted
    edit(path, "A new last", "An edited last", 1_300_000_000.0)
    [newer] = cat.scan(NOW + KEEP_DROPPED + timedelta(minutes=3)).articles
    assert rows(state) == {}
    assert "An edited last" in shown(cat, newer).body and new.text_key != newer.text_key


def test_a_file_deleted_before_the_rescan_still_shows_the_text_read_last(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = copy(["txt_seed_layout.txt"], tmp_path / "a")
    state = tmp_path / "s.sqlite3"
    cat = catalog(folder, state)
    [done] = cat.scan(NOW).articles
    assert shown(cat, done).body == text("txt_seed_layout.txt").body  # read from the file
    (folder / "txt_seed_layout.txt").unlink()
    assert shown(cat, done).body == text("txt_seed_layout.txt").body  # the text read last
    forget(cat)
    with caplog.at_level(logging.ERROR):
        assert shown(cat, done).body == (done.summary or done.title)
    assert "its last good text was not kept and the file cannot be read" in caplog.text


def test_an_unwritable_store_costs_no_body(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = copy(NAMES, tmp_path / "a")
    state = tmp_path / "s.sqlite3"
    cat = catalog(folder, state)
    cat.store.db.close()
    cat.store.db = sqlite3.connect(f"file:{state}?mode=ro", uri=True, check_same_thread=False)
    cat.store.db.isolation_level = None
    snapshot = cat.scan(NOW)
    for done in snapshot.articles:
        assert shown(cat, done) == text(done.path)


def test_a_lagging_worker_shows_the_file_as_it_is_and_agrees_after_its_rescan(
    tmp_path: Path,
) -> None:
    folder = copy(["md_no_author.md"], tmp_path / "a")
    state = tmp_path / "s.sqlite3"
    ahead, behind = catalog(folder, state), catalog(folder, state)
    ahead.scan(NOW)
    [seen] = behind.scan(NOW).articles
    edit(folder / "md_no_author.md", "\n\n", "\n\nA new first paragraph.\n\n", 1_100_000_000.0)
    [new] = ahead.scan(NOW + timedelta(minutes=1)).articles
    assert "A new first paragraph" in shown(behind, seen).body  # never a stale copy
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
        db.execute("DROP TABLE text")  # as the store of an earlier release was
    cat = catalog(folder, state)
    later = cat.scan(NOW + timedelta(days=1))
    assert {a.slug: (a.id, a.published) for a in later.articles} == first
    assert rows(state) == {}
    assert all(shown(cat, a) == text(a.path) for a in later.articles)


def test_a_store_that_kept_bodies_keeps_serving_them_as_last_good_copies(tmp_path: Path) -> None:
    folder = copy(["md_no_author.md"], tmp_path / "a")
    state = tmp_path / "s.sqlite3"
    [good] = catalog(folder, state).scan(NOW).articles
    body = text("md_no_author.md")
    with sqlite3.connect(state) as db:  # as an earlier release wrote every text
        db.execute(
            "INSERT INTO text (key, path, body, bio) VALUES (?, ?, ?, ?)",
            (good.text_key, good.path, body.body, body.bio),
        )
    cat = catalog(folder, state)
    [done] = cat.scan(NOW + timedelta(days=1)).articles
    (folder / "md_no_author.md").unlink()
    assert shown(cat, done) == body


def test_a_kept_copy_stays_while_the_file_is_broken_whatever_else_changes(tmp_path: Path) -> None:
    folder = copy(["md_no_author.md", "md_yaml_front_matter.md"], tmp_path / "a")
    state = tmp_path / "s.sqlite3"
    cat = catalog(folder, state)
    good = {a.path: a for a in cat.scan(NOW).articles}["md_no_author.md"]
    body = shown(cat, good)
    (folder / "md_no_author.md").write_text("---\ntitle: [broken\n---\n", "utf-8")
    settle(folder / "md_no_author.md", 1_100_000_000.0)
    cat.scan(NOW + timedelta(minutes=1))
    other = folder / "md_yaml_front_matter.md"
    for round_ in range(3):  # other files change and go, hours apart
        edit(other, "\n\n", f"\n\nEdit {round_}.\n\n", 1_200_000_000.0 + round_)
        cat.scan(NOW + KEEP_DROPPED * 2 * (round_ + 1))
    other.unlink()
    cat.scan(NOW + KEEP_DROPPED * 8)
    assert rows(state)[good.text_key][3] is None
    forget(cat)
    assert shown(cat, good) == body


def test_a_deleted_twin_costs_its_twin_nothing(tmp_path: Path) -> None:
    folder = copy(["md_no_author.md"], tmp_path / "a")
    twin = folder / "twin.md"
    twin.write_text(
        (folder / "md_no_author.md").read_text("utf-8").replace("title:", "slug: twin\ntitle:"),
        "utf-8",
    )
    settle(twin)
    cat = catalog(folder, tmp_path / "s.sqlite3")
    first = cat.scan(NOW).articles
    assert len(first) == 2 and first[0].text_key == first[1].text_key
    twin.unlink()
    [left] = cat.scan(NOW + KEEP_DROPPED * 3).articles
    forget(cat)
    assert shown(cat, left) == text("md_no_author.md")


def test_a_text_read_before_the_rescan_is_never_cached_under_the_old_key(tmp_path: Path) -> None:
    folder = copy(["md_no_author.md"], tmp_path / "a")
    cat = catalog(folder, tmp_path / "s.sqlite3")
    [done] = cat.scan(NOW).articles
    base = "https://feeds.example.org/"
    path = folder / "md_no_author.md"
    original = path.read_text("utf-8")
    forget(cat)
    markup._body_html.cache_clear()  # as a fresh worker's: other tests rendered this text
    path.write_text(original + "\nAn unsaved thought.\n", "utf-8")  # not rescanned yet
    assert "unsaved thought" in markup.body_html(done, cat.folder.bodies, base)
    path.write_text(original, "utf-8")  # reverted: the key's own text again
    forget(cat)
    assert "unsaved thought" not in markup.body_html(done, cat.folder.bodies, base)
