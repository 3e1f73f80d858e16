"""The state store: first-seen dates and minted ids kept once, safely, in SQLite."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from feedsvc.store import portable
from feedsvc.store.db import StateStore
from feedsvc.store.identity import ID_IS, id_is
from feedsvc.store.minting import mint_id
from feedsvc.store.records import Seen

T0 = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
LATER = T0 + timedelta(days=3)


@pytest.fixture
def store(tmp_path: Path):
    opened = StateStore(str(tmp_path / "state.sqlite3"), T0)
    yield opened
    opened.close()


@pytest.mark.parametrize(
    ("authority", "when", "slug", "expected"),
    [
        ("example.org", datetime(2024, 3, 1, tzinfo=UTC), "a", "tag:example.org,2024-03-01:a"),
        (
            "feeds.example.org",
            datetime(2024, 2, 29, 23, 30, tzinfo=UTC),
            "post-1",
            "tag:feeds.example.org,2024-02-29:post-1",
        ),
    ],
)
def test_mint_id_is_an_rfc_4151_tag_uri(
    authority: str, when: datetime, slug: str, expected: str
) -> None:
    assert mint_id(authority, when, slug) == expected


def test_store_is_sqlite_in_wal_mode(store: StateStore) -> None:
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_store_and_its_temporary_tables_cache_half_a_mebibyte_each(store: StateStore) -> None:
    """A worker holds its caches for good: SQLite's default 2 MiB for temporary tables
    brought `feedsvc serve` at 100,000 articles to 400 MiB in all after a cold start."""
    assert store.db.execute("PRAGMA cache_size").fetchone()[0] == -512
    assert store.db.execute("PRAGMA temp.cache_size").fetchone()[0] == -512


def test_first_seen_is_recorded_once_in_whole_seconds(store: StateStore) -> None:
    store.sync([Seen("a", "a.txt", "h1", None)], [], "example.org", T0)
    store.sync([Seen("a", "a.txt", "h1", None)], [], "example.org", LATER)
    record = store.records()["a"]
    assert record.first_seen == T0.replace(microsecond=0)
    assert record.id == "tag:example.org,2026-01-02:a"
    assert record.changed is None


def test_pinned_date_is_used_for_the_minted_id(store: StateStore) -> None:
    store.sync([Seen("a", "a.md", "h", datetime(2020, 5, 6, tzinfo=UTC))], [], "x.org", T0)
    assert store.records()["a"].id == "tag:x.org,2020-05-06:a"


def test_changed_is_recorded_only_when_the_hash_differs(store: StateStore) -> None:
    store.sync([Seen("a", "a.txt", "h1", None)], [], "x.org", T0)
    store.sync([Seen("a", "a.txt", "h1", None)], [], "x.org", T0 + timedelta(days=1))
    assert store.records()["a"].changed is None
    store.sync([Seen("a", "a.txt", "h2", None)], [], "x.org", LATER)
    assert store.records()["a"].changed == LATER.replace(microsecond=0)


def test_authority_is_kept_from_the_first_minting(store: StateStore) -> None:
    store.sync([Seen("a", "a.txt", "h", None)], [], "old.example.org", T0)
    store.sync([Seen("b", "b.txt", "h2", None)], [], "new.example.org", LATER)
    records = store.records()
    assert records["a"].id == "tag:old.example.org,2026-01-02:a"
    assert records["b"].id == "tag:old.example.org,2026-01-05:b"


def test_a_local_run_on_a_store_with_a_public_name_mints_under_that_name(
    store: StateStore,
) -> None:
    """Provisional ids are for a site with no public name yet (docs/writing-articles.md,
    "Ids"): a run with a local BASE_URL on a store that has one (a copy of the live
    store, on a laptop) mints under it. Before, it minted urn:uuid ids that no later
    run replaced."""
    store.sync([Seen("a", "a.txt", "h", None)], [], "example.org", T0)
    store.sync([Seen("b", "b.txt", "h2", None)], [], "localhost", LATER)
    store.sync([Seen("c", "c.txt", "h3", None)], [], "example.org", LATER)
    records = store.records()
    assert records["b"].id == "tag:example.org,2026-01-05:b"
    assert all(r.id.startswith("tag:example.org,") for r in records.values())


def test_explicit_id_authority_mints_new_ids_but_keeps_old_ones(store: StateStore) -> None:
    store.sync([Seen("a", "a.txt", "h", None)], [], "old.example.org", T0)
    store.sync([Seen("b", "b.txt", "h2", None)], [], "pinned.example", LATER, pinned=True)
    records = store.records()
    assert records["a"].id == "tag:old.example.org,2026-01-02:a"
    assert records["b"].id == "tag:pinned.example,2026-01-05:b"


def test_a_renamed_file_keeps_its_record(store: StateStore) -> None:
    store.sync([Seen("old-name", "old-name.md", "h", None)], [], "x.org", T0)
    store.sync([Seen("new-name", "new-name.md", "h", None)], ["old-name"], "x.org", LATER)
    records = store.records()
    assert set(records) == {"new-name"}
    assert records["new-name"].id == "tag:x.org,2026-01-02:old-name"
    assert records["new-name"].first_seen == T0.replace(microsecond=0)
    assert store.old_slugs() == {"old-name": "new-name"}


IDS = [
    "tag:x.org,2026-01-02:a-long-slug",
    "urn:x",
    "urn:x:12",
    "urn:isbn:12345",
    "0123456789abcdef",
]
IDS += ["0123456789abcdef0"]  # of every length about the 16 characters the index keeps


@pytest.mark.parametrize("id_", IDS)
def test_a_record_is_found_by_its_id_through_an_index(store: StateStore, id_: str) -> None:
    """Ids of any length are found by ``ID_IS``, which SQLite answers from the index of
    ids' tails: a plain ``id = ?`` next to it made SQLite read every row instead."""
    store.sync([Seen("a", "a.md", b"h", None), Seen("b", "b.md", b"i", None)], [], "x.org", T0)
    store.db.execute("UPDATE article SET id = ? WHERE slug = 'a'", (id_,))
    query = f"SELECT slug FROM article WHERE {ID_IS}"
    assert store.db.execute(query, id_is(id_)).fetchall() == [("a",)]
    assert store.db.execute(query, id_is(id_ + "x")).fetchall() == []
    plan = " ".join(row[-1] for row in store.db.execute(f"EXPLAIN QUERY PLAN {query}", id_is(id_)))
    assert "USING INDEX article_id_end" in plan and "SCAN" not in plan, plan


@pytest.mark.parametrize("id_", IDS)
def test_an_import_refuses_a_record_of_another_slug_with_an_id_the_store_has(
    store: StateStore, id_: str
) -> None:
    store.sync([Seen("a", "a.md", b"h", None)], [], "x.org", T0)
    store.db.execute("UPDATE article SET id = ? WHERE slug = 'a'", (id_,))
    items = list(portable.dump(store.db))
    items[1] = items[1] | {"slug": "b", "path": "b.md"}
    with pytest.raises(portable.ImportConflict, match=r"b \("):
        store.load(items)


def test_an_imported_record_set_aside_does_not_stop_a_later_one(tmp_path: Path) -> None:
    """A record set aside keeps its key in its slug (``a~1``); an import gives keys anew,
    so the store's next set-aside of ``a`` may find that name taken. It takes another:
    before, the sync failed (UNIQUE constraint), and with it every new article of it."""
    day = timedelta(days=1)
    source = StateStore(str(tmp_path / "source.sqlite3"), T0)
    source.sync([Seen("a", "a.md", b"1" * 32, None, title="Old")], [], "x.org", T0)
    source.sync([], ["a"], "x.org", T0 + day)
    source.sync([Seen("a", "b.md", b"2" * 32, None, title="New")], [], "x.org", T0 + 2 * day)
    items = list(portable.dump(source.db))
    source.close()
    moved = StateStore(str(tmp_path / "moved.sqlite3"), T0)
    moved.load(items)
    before = {row[0] for row in moved.db.execute("SELECT id FROM article")}  # a, a~1
    moved.sync([], ["a"], "x.org", T0 + 3 * day)
    third = [Seen("a", "c.md", b"3" * 32, None, title="Third"), Seen("z", "z.md", b"4" * 32, None)]
    moved.sync(third, [], "x.org", T0 + 4 * day)
    records = moved.records()
    assert moved.problems == [] and {"a", "z"} <= records.keys()
    assert records["a"].id not in before  # a new article
    aside = moved.db.execute("SELECT id FROM article WHERE slug LIKE 'a~%'").fetchall()
    assert {row[0] for row in aside} == before  # both earlier ones kept aside, ids unchanged
    moved.close()


LINE = (
    '{"kind": "article", "slug": "%s", "path": "a.md", "hash": "h", "id": "x", '
    '"first_seen": %s, "changed": null, "gone": %s%s}'
)
SEEN, GONE = '"2024-01-01T00:00:00+00:00"', '"2024-02-01T00:00:00+00:00"'


@pytest.mark.parametrize(
    "line",
    [
        LINE % ("a", '"0001-01-01T00:30:00+01:00"', "null", ""),  # before year 1 in UTC
        LINE % ("a\\ud800", SEEN, "null", ""),  # a lone surrogate
        LINE % ("a\\u0000", SEEN, "null", ""),  # a NUL: PostgreSQL refuses it
        LINE % ("a", SEEN, GONE, ', "likeness": {"title": "t", "opening": "\\u0002!!"}'),
        LINE % ("a", SEEN, GONE, ', "likeness": {"title": "t", "opening": "\\u0002abc"}'),
        LINE % ("a", SEEN, GONE, ', "likeness": {"title": null, "opening": ""}'),
        LINE % ("a", SEEN, GONE, ', "likeness": ["t"]'),
        LINE % ("a", SEEN, "[]", ""),
        '{"kind": "store", "format": 1, "authority": {"x": 1}}',
        '{"kind": "store", "format": 1, "feed_id": null}',
        '{"kind": "alias", "slug": "a", "to": ["b"]}',
    ],
)
def test_an_import_refuses_a_line_no_store_can_take_naming_it(
    store: StateStore, line: str
) -> None:
    """Bad input is refused with the file and line named, before anything is written: each
    of these ended in a traceback (or, for the bad base64, an opening silently lost)."""
    good = LINE % ("b", SEEN, "null", "")
    with pytest.raises(ValueError, match=r"^export\.jsonl:2: "):
        store.load(portable.parse([good, line], "export.jsonl"))
    assert store.records() == {}


def test_an_import_costs_the_same_per_record_at_any_size(tmp_path: Path) -> None:
    """Importing 2,000 records costs about 10 times what 200 do, not 100 times.

    Counted in SQLite's steps: a look-up of each record's id that read every row made
    `feedsvc state import` of 10,000 records take 10.7 s, and of 100,000 about 20 minutes.
    """

    def steps(count: int) -> int:
        source = StateStore(str(tmp_path / f"from-{count}.sqlite3"), T0)
        seen = [Seen(f"a-{i}", f"a-{i}.md", bytes([i % 256]) * 32, None) for i in range(count)]
        source.sync(seen, [], "x.org", T0)
        items = list(portable.dump(source.db))
        source.close()
        target = StateStore(str(tmp_path / f"to-{count}.sqlite3"), T0)
        counted = [0]

        def step() -> int:
            counted[0] += 1
            return 0  # go on

        target.db.set_progress_handler(step, 100)
        assert target.load(items) == count
        target.close()
        return counted[0]

    small, large = steps(200), steps(2_000)
    assert small > 100  # it counts something
    assert large < 15 * small, (small, large)


def test_feed_id_is_recorded_once_and_never_a_provisional_one(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sqlite3")
    first = StateStore(path, T0)
    assert first.feed_id("http://127.0.0.1:8000") == "http://127.0.0.1:8000"  # not recorded
    assert first.feed_id("https://a.org") == "https://a.org"
    first.close()
    again = StateStore(path, LATER)
    assert again.feed_id("https://b.org") == "https://a.org"
    again.close()


def test_records_survive_reopening(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sqlite3")
    first = StateStore(path, T0)
    first.sync([Seen("a", "a.txt", "h", None)], [], "x.org", T0)
    first.close()
    again = StateStore(path, LATER)
    assert again.records()["a"].first_seen == T0.replace(microsecond=0)
    again.close()


def test_corrupt_store_is_set_aside_and_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    store = StateStore(str(path), T0)
    assert any("set aside" in problem for problem in store.problems)
    assert list(tmp_path.glob("s.sqlite3.corrupt-*"))
    store.sync([Seen("a", "a.txt", "h", None)], [], "x.org", T0)
    assert "a" in store.records()
    store.close()


def test_read_only_store_never_writes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    StateStore(str(path), T0).close()
    store = StateStore.read_only(str(path))
    store.sync([Seen("a", "a.txt", "h", None)], [], "x.org", T0)
    assert "a" in store.records()
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM article").fetchone()[0] == 0


def test_read_only_store_neither_creates_nor_moves_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.sqlite3"
    StateStore.read_only(str(missing)).close()
    assert not missing.exists()
    corrupt = tmp_path / "corrupt.sqlite3"
    corrupt.write_bytes(b"this is not a database" * 100)
    store = StateStore.read_only(str(corrupt))
    assert any("cannot be read" in problem for problem in store.problems)
    assert corrupt.read_bytes() == b"this is not a database" * 100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corrupt.sqlite3"]


@pytest.mark.parametrize("direction", ["newer into older", "older into newer"])
def test_an_earliest_merge_keeps_a_slug_s_newcomer_apart_from_the_record_set_aside(
    tmp_path: Path, direction: str
) -> None:
    """Rule (brief): a lost store never changes an article's id. ``a`` was deleted and an
    unrelated article took its slug (``a`` set aside). Merging a store from before into one
    from after, or the other way (a backup restored under a running server, which writes
    back the records it knew), gives one answer: the newcomer keeps its record at ``a``,
    the old article stays aside and gone. Before, the newcomer took the old one's id."""
    day = timedelta(days=1)
    newer = StateStore(str(tmp_path / "newer.sqlite3"), T0)
    newer.sync([Seen("a", "a.md", b"1" * 32, None, title="Old")], [], "x.org", T0)
    older = list(portable.dump(newer.db))
    newer.sync([], ["a"], "x.org", T0 + day)
    newer.sync([Seen("a", "a.md", b"2" * 32, None, title="New")], [], "x.org", T0 + 2 * day)
    expected = sorted(newer.db.execute("SELECT slug, id, first_seen, gone FROM article"))
    assert [slug for slug, *_ in expected] == ["a", "a~1"]
    into = StateStore(str(tmp_path / "into.sqlite3"), T0)
    if direction == "newer into older":
        into.load(older)
        into.load(list(portable.dump(newer.db)), "earliest")
    else:
        into.load(list(portable.dump(newer.db)))
        into.load(older, "earliest")
    assert sorted(into.db.execute("SELECT slug, id, first_seen, gone FROM article")) == expected
    newer.close()
    into.close()
