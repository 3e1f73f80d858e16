"""The store's compact layout: stores written by earlier releases open with every id and
date, compare as before, and export the same lines.

An earlier release kept content hashes as 64 hex letters and likeness openings as text:
the words themselves, then a 12-bit code per word as two base64 letters after "\\x01".
``OLD_SCHEMA`` is that release's SQL, verbatim; the stores here are written with it.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import zlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scenario import NOW, catalog, defaults, found, settle

from feedsvc.reading.article import read_article
from feedsvc.store import firstwords, identity, layout, portable
from feedsvc.store.db import StateStore
from feedsvc.store.identity import Likeness
from feedsvc.store.records import Seen

# The previous release's schema (feedsvc/store/sqlite.py and identity.py), verbatim.
OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS article (
    key {serial} PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    hash TEXT NOT NULL,
    id TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    changed TEXT,
    gone TEXT
);
CREATE INDEX IF NOT EXISTS article_gone ON article (gone) WHERE gone IS NOT NULL;
CREATE TABLE IF NOT EXISTS old_slug (slug TEXT PRIMARY KEY, key BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS text (
    key {blob} PRIMARY KEY,
    path TEXT NOT NULL,
    body TEXT NOT NULL,
    bio TEXT NOT NULL,
    dropped TEXT
);
CREATE INDEX IF NOT EXISTS text_path ON text (path);
CREATE INDEX IF NOT EXISTS text_dropped ON text (dropped) WHERE dropped IS NOT NULL;
CREATE TABLE IF NOT EXISTS likeness (key BIGINT PRIMARY KEY, title TEXT NOT NULL, id TEXT, opening TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS likeness_id ON likeness (id) WHERE id IS NOT NULL;
"""  # noqa: E501
LATER = NOW + timedelta(days=30)
BODY = " ".join(f"word{n}" for n in range(120))


def twelve_bit(body: str) -> str:
    """Return BODY's opening as the previous release coded it."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    codes = []
    for word in body[:2000].lower().split()[:200]:
        h = zlib.crc32(word.encode()) & 0xFFF
        codes.append(letters[h >> 6] + letters[h & 63])
    return "\x01" + "".join(codes)


OLD_FORMS = {"codes": twelve_bit, "words": lambda body: body[:2000]}


def undated(title: str, body: str) -> str:
    return f"---\ntitle: {title}\n---\n\n{body}\n"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    settle(path)


def old_rows(store: StateStore, bodies: dict[str, str], form: str) -> dict[str, list[Any]]:
    """Return STORE's rows as the previous release wrote them (BODIES: slug -> body)."""
    db = store.db
    articles = db.execute(
        "SELECT key, slug, path, hash, id, first_seen, changed, gone FROM article"
    ).fetchall()
    slugs = {key: slug for key, slug, *_ in articles}
    likeness = db.execute("SELECT key, title, id FROM likeness").fetchall()
    return {
        "meta": db.execute("SELECT name, value FROM meta WHERE name != 'layout'").fetchall(),
        "article": [(*a[:3], layout.unpack(a[3]), *a[4:]) for a in articles],
        "likeness": [
            (key, title, id_, OLD_FORMS[form](bodies[slugs[key]])) for key, title, id_ in likeness
        ],
    }


def write_old_sqlite(path: Path, rows: dict[str, list[Any]]) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA.format(serial="INTEGER", blob="BLOB"))
        db.executemany("INSERT INTO meta VALUES (?, ?)", rows["meta"])
        db.executemany("INSERT INTO article VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows["article"])
        db.executemany("INSERT INTO likeness VALUES (?, ?, ?, ?)", rows["likeness"])
    db.close()


def body_of(path: Path) -> str:
    _, text, _ = read_article(found(path), defaults(), 2 * 1024 * 1024)
    assert text is not None
    return text.body


@pytest.mark.parametrize("form", sorted(OLD_FORMS))
def test_a_store_written_by_the_previous_release_keeps_every_id_date_and_likeness(
    tmp_path: Path, form: str
) -> None:
    folder = tmp_path / "a"
    write(folder / "kept.md", undated("Kept", "A body that stays as it is."))
    write(folder / "post.md", undated("January News", BODY))
    bodies = {"kept": body_of(folder / "kept.md"), "post": body_of(folder / "post.md")}
    made = catalog(folder, tmp_path / "new.sqlite3")
    first = {a.slug: (a.id, a.published) for a in made.scan(NOW).articles}
    (folder / "post.md").unlink()
    made.scan(NOW + timedelta(days=1))
    exported = list(portable.lines(portable.dump(made.store.db)))
    records = made.store.records()
    rows = old_rows(made.store, bodies, form)
    made.store.close()
    old = tmp_path / "old.sqlite3"
    write_old_sqlite(old, rows)

    cat = catalog(folder, old)
    [kept] = cat.scan(NOW + timedelta(days=2)).articles
    assert (kept.id, kept.published) == first["kept"]
    assert cat.store.records() == records  # no id, date or change time moved
    assert list(portable.lines(portable.dump(cat.store.db))) == exported
    write(folder / "post.md", undated("January News", BODY + " and a correction"))
    restored = {a.slug: (a.id, a.published) for a in cat.scan(LATER).articles}
    assert restored == first  # the old opening still tells the same article
    with sqlite3.connect(old) as db:
        assert {r[0] for r in db.execute("SELECT typeof(hash) FROM article")} == {"blob"}
        [(schema,)] = db.execute("SELECT sql FROM sqlite_master WHERE name = 'likeness'")
        assert "INTEGER PRIMARY KEY" in schema
        assert max(r[0] for r in db.execute("SELECT length(opening) FROM likeness")) <= 201
    db.close()


def test_a_store_of_release_0_1_0_gains_likeness_openings_from_the_bodies_it_kept(
    tmp_path: Path,
) -> None:
    """0.1.0 had no likeness table, and kept every body in its text table."""
    folder = tmp_path / "a"
    write(folder / "post.md", undated("January News", BODY))
    article, text, _ = read_article(found(folder / "post.md"), defaults(), 2 * 1024 * 1024)
    assert article is not None and text is not None
    state = tmp_path / "old.sqlite3"
    with sqlite3.connect(state) as db:
        db.executescript(OLD_SCHEMA.split("CREATE TABLE IF NOT EXISTS likeness")[0].format(
            serial="INTEGER", blob="BLOB"))  # fmt: skip
        db.execute(
            "INSERT INTO article VALUES (1, 'post', 'post.md', ?, 'tag:x.org,2026-01-02:post', "
            "'2026-01-02T03:04:05+00:00', NULL, NULL)",
            (article.content_hash,),
        )
        db.execute(
            "INSERT INTO text VALUES (?, 'post.md', ?, ?, NULL)",
            (article.text_key, text.body, text.bio),
        )
    db.close()
    store = StateStore(str(state), NOW)
    assert identity.opening(store.db, article.text_key) == firstwords.opening_words(text.body)
    seen = Seen("post", "post.md", article.content_hash, None, None, "January News", None,
                article.text_key)  # fmt: skip
    store.sync([seen], [], "x.org", NOW)  # no rescan of this process noted its opening
    assert store.records()["post"].changed is None
    [(opening,)] = store.db.execute("SELECT opening FROM likeness WHERE key = 1").fetchall()
    assert opening == firstwords.opening_words(text.body)
    store.close()


def test_an_unrelated_article_at_a_deleted_path_of_an_old_store_gets_a_new_id(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "a"
    write(folder / "post.md", undated("January News", BODY))
    body = body_of(folder / "post.md")
    made = catalog(folder, tmp_path / "new.sqlite3")
    [january] = made.scan(NOW).articles
    (folder / "post.md").unlink()
    made.scan(NOW + timedelta(days=1))
    rows = old_rows(made.store, {"post": body}, "codes")
    made.store.close()
    write_old_sqlite(tmp_path / "old.sqlite3", rows)
    cat = catalog(folder, tmp_path / "old.sqlite3")
    write(folder / "post.md", undated("January News", "Flour, water and salt, kneaded."))
    [newcomer] = cat.scan(LATER).articles
    assert newcomer.id != january.id


def test_a_read_only_copy_of_an_old_store_reads_its_records(tmp_path: Path) -> None:
    folder = tmp_path / "a"
    write(folder / "kept.md", undated("Kept", "A body."))
    made = catalog(folder, tmp_path / "new.sqlite3")
    made.scan(NOW)
    records, heard = made.store.records(), list(made.store.heard())
    rows = old_rows(made.store, {"kept": body_of(folder / "kept.md")}, "codes")
    made.store.close()
    write_old_sqlite(tmp_path / "old.sqlite3", rows)
    copy = StateStore.read_only(str(tmp_path / "old.sqlite3"))
    assert (copy.records(), list(copy.heard())) == (records, heard)
    with sqlite3.connect(tmp_path / "old.sqlite3") as db:  # the file itself is untouched
        assert {r[0] for r in db.execute("SELECT typeof(hash) FROM article")} == {"text"}
    db.close()


def test_an_old_store_shrinks_once_its_layout_is_brought_up_to_date(tmp_path: Path) -> None:
    state = tmp_path / "old.sqlite3"
    opening = twelve_bit(BODY)
    rows: dict[str, list[Any]] = {"meta": [("authority", "x.org")], "article": [], "likeness": []}
    for key in range(1, 2001):
        slug = f"post-{key}"
        rows["article"].append(
            (key, slug, f"{slug}.md", f"{key:064x}", f"tag:x.org,2026-01-02:{slug}",
             "2026-01-02T03:04:05+00:00", None, None)
        )  # fmt: skip
        rows["likeness"].append((key, f"Post {key}", None, opening))
    write_old_sqlite(state, rows)
    before = state.stat().st_size
    store = StateStore(str(state), NOW)
    assert len(store.records()) == 2000 and store.problems == []
    store.close()
    # The rows rewritten, the file vacuumed (0.76x: not vacuumed it would not shrink), with
    # the index of ids' tails the old layout lacked.
    assert state.stat().st_size < 0.8 * before


def _open(state: str, barrier: Any, results: Any) -> None:  # in a child process
    barrier.wait(timeout=30)
    store = StateStore(state, NOW)
    found = {slug: (r.id, r.first_seen.isoformat()) for slug, r in store.records().items()}
    results.put((found, store.problems, {slug: (h, p) for slug, h, p in store.heard()}))
    store.close()


def test_four_processes_opening_an_old_store_at_once_agree_and_rewrite_it_once(
    tmp_path: Path,
) -> None:
    state = tmp_path / "old.sqlite3"
    rows: dict[str, list[Any]] = {"meta": [("authority", "x.org")], "article": [], "likeness": []}
    for key in range(1, 501):
        rows["article"].append(
            (key, f"p{key}", f"p{key}.md", f"{key:064x}", f"tag:x.org,2026-01-02:p{key}",
             f"2026-01-02T03:{key // 60 % 60:02d}:{key % 60:02d}+00:00", None, None)
        )  # fmt: skip
        rows["likeness"].append((key, f"P {key}", None, twelve_bit(BODY)))
    write_old_sqlite(state, rows)
    expected = {
        slug: (id_, datetime.fromisoformat(first).isoformat())
        for _, slug, _, _, id_, first, _, _ in rows["article"]
    }
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(4), context.Queue()
    workers = [context.Process(target=_open, args=(str(state), barrier, results)) for _ in "abcd"]
    for process in workers:
        process.start()
    try:
        found = [results.get(timeout=60) for _ in workers]
    finally:
        for process in workers:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    for records, problems, heard in found:
        assert problems == [] and records == expected
        assert len(heard) == 500 and heard["p7"] == ((7).to_bytes(32), "p7.md")  # 32 bytes
    assert all(process.exitcode == 0 for process in workers)
    with sqlite3.connect(state) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert {r[0] for r in db.execute("SELECT typeof(hash) FROM article")} == {"blob"}
    db.close()


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param(lambda body: body[:2000], id="words"),
        pytest.param(twelve_bit, id="12-bit codes"),
        pytest.param(firstwords.opening_words, id="8-bit codes"),
        pytest.param(
            lambda body: firstwords.exported(firstwords.opening_words(body)), id="exported"
        ),
    ],
)
def test_every_form_of_an_opening_tells_the_same_article_from_an_unrelated_one(stored) -> None:
    edited = firstwords.opening_words(BODY + " and a correction")
    unrelated = firstwords.opening_words(" ".join(f"other{n}" for n in range(120)))
    old = Likeness("January News", None, stored(BODY))
    assert identity.same(old, Likeness("january news", None, edited))
    assert not identity.same(old, Likeness("January News", None, unrelated))
    assert firstwords.compact(stored(BODY)) == firstwords.opening_words(BODY)


@pytest.mark.parametrize(
    "text",
    ["0" * 64, "ab" * 32, "h1", "AB" * 32, "x" * 31, "x" * 32, "é" * 16, "z" * 33, "ÿ" * 40, ""],
)
def test_a_content_hash_reads_back_as_the_text_it_was(text: str) -> None:
    assert layout.unpack(layout.pack(text)) == text
    assert layout.unpack(text) == text  # as an earlier release stored it
    assert len(layout.pack(text)) != 32 or text == text.lower() and len(text) == 64
