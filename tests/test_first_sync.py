"""A sync of many new articles writes their records together, with what one by one gives.

Rules (docs/caching-and-scale.md, "What a change costs"; docs/writing-articles.md,
"First seen"): a store with no deleted article and no old slug (a first start) finds
each article's record by its slug, all at once, and writes the new records in one
statement; each gets the id and the first-seen instant a sync of one article after
another gives, and a record set aside in that sync is still found by its moved article
(docs/writing-articles.md, "Ids": a rename keeps the record).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from feedsvc.store.db import StateStore
from feedsvc.store.records import Seen

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
HOUR = timedelta(hours=1)


def mixed(count: int) -> list[Seen]:
    """Return COUNT new articles: dated, undated, and undated with evidence, interleaved."""
    seen = []
    for n in range(count):
        kind = n % 4
        date = T0 - n * HOUR if kind == 0 else None
        evidence = T0 - 48 * HOUR if kind == 1 else None  # one instant for many: moved later
        seen.append(Seen(f"post-{n}", f"p/{n}.md", f"hash-{n}", date, evidence, f"Post {n}"))
    return seen


def store_with(tmp_path: Path, name: str, gone: bool) -> StateStore:
    """Return a store holding one earlier article, deleted if GONE (no quick first sync)."""
    store = StateStore(str(tmp_path / name), T0 - 100 * HOUR)
    store.sync(
        [Seen("earlier", "earlier.md", "h-earlier", T0 - 99 * HOUR)],
        [],
        "example.org",
        T0 - 99 * HOUR,
    )
    if gone:
        store.sync([], ["earlier"], "example.org", T0 - 98 * HOUR)
    return store


def test_records_written_together_are_those_written_one_by_one(tmp_path: Path) -> None:
    seen = mixed(300)
    together, one_by_one = (
        store_with(tmp_path, "a.sqlite3", False),
        store_with(tmp_path, "b.sqlite3", True),
    )
    statements: list[str] = []
    together.db.set_trace_callback(statements.append)
    together.sync(seen, [], "example.org", T0)
    together.db.set_trace_callback(None)
    # executemany: one statement for all, traced row by row, and no look-up one by one
    assert sum("INSERT INTO article" in s for s in statements) == len(seen)
    assert not any("RETURNING" in s or "WHERE slug = " in s for s in statements)
    one_by_one.sync(seen, [], "example.org", T0)
    a, b = together.records(), one_by_one.records()
    for item in seen:
        assert (a[item.slug].id, a[item.slug].first_seen) == (
            b[item.slug].id,
            b[item.slug].first_seen,
        )
    firsts = [a[item.slug].first_seen for item in seen if item.date is None]
    assert len(set(firsts)) == len(firsts)  # invented instants stay unique
    assert T0 not in firsts  # the dated ones were first seen at T0: taken
    together.close()
    one_by_one.close()


@pytest.mark.parametrize("gone", [False, True], ids=["quick sync", "careful sync"])
def test_an_article_moved_off_a_slug_another_takes_keeps_its_id(
    tmp_path: Path, gone: bool
) -> None:
    """A moved from slug x to y while an unrelated B took x, seen in one sync: A's record
    is set aside by B, then found by A's content (a rename), whatever the folder's order.
    Before, a store with no deleted article gave A a new id (it looked for renames only
    when a record was gone before the sync); one with a deleted article did too when A
    came first (it was looked for before B set its record aside)."""
    store = StateStore(str(tmp_path / "state.sqlite3"), T0)
    store.sync([Seen("x", "a.md", "h-alpha", T0, None, "Alpha")], [], "example.org", T0)
    alpha = store.records()["x"].id
    later = T0 + HOUR
    for order in (1, -1):  # the folder's order is no rule
        moved = [
            Seen("x", "b.md", "h-beta", later, None, "Beta"),
            Seen("y", "a2.md", "h-alpha", T0, None, "Alpha"),
        ][::order]
        copy = StateStore(str(tmp_path / f"copy{order}.sqlite3"), T0)
        first = [Seen("x", "a.md", "h-alpha", T0, None, "Alpha")]
        if gone:  # a store with a deleted article: the careful sync, record by record
            first.append(Seen("old", "old.md", "h-old", T0 - HOUR, None, "Old"))
        copy.sync(first, [], "example.org", T0)
        copy.sync([first[0]], ["old"] if gone else [], "example.org", T0)
        copy.sync(moved, [], "example.org", later)
        records = copy.records()
        assert records["y"].id == alpha
        assert records["x"].id not in (alpha, "")
        assert len({r.id for r in records.values()}) == len(records)
        copy.close()
    store.close()


@pytest.mark.parametrize("gone", [False, True], ids=["quick sync", "careful sync"])
def test_an_id_a_record_has_is_not_minted_again(tmp_path: Path, gone: bool) -> None:
    """Ids are unique (docs/writing-articles.md, "Ids"): foo renamed to bar keeps the id
    minted for foo, so a new foo of the same day gets foo-2; a new foo-2 then gets
    foo-2-2, whether the store then holds a deleted article or none and no old slug
    (the new foo took the old slug back). Before, such a store gave foo-2 twice."""
    day = T0 - 100 * HOUR
    store = StateStore(str(tmp_path / "state.sqlite3"), T0)
    first = [Seen("foo", "foo.md", "h-foo", day, None, "Foo")]
    if gone:
        first.append(Seen("old", "old.md", "h-old", day, None, "Old"))
    store.sync(first, [], "example.org", T0)
    store.sync([Seen("bar", "bar.md", "h-foo", day, None, "Foo")], ["foo"], "example.org", T0)
    store.sync([Seen("foo", "foo.md", "h-new", day, None, "New")], [], "example.org", T0)
    if gone:
        store.sync([], ["old"], "example.org", T0)
    assert not store.old_slugs("bar")  # the new foo took it back
    many = [Seen(f"foo-{n}", f"foo-{n}.md", f"h-{n}", day, None, f"Foo {n}") for n in (2, 3)]
    many += [Seen(f"p{n}", f"p{n}.md", f"hp-{n}", day, None, f"P {n}") for n in range(600)]
    store.sync(many, [], "example.org", T0 + HOUR)
    records = store.records()
    ids = [r.id for r in records.values()]
    assert len(set(ids)) == len(ids)
    assert records["bar"].id.endswith(":foo") and records["foo"].id.endswith(":foo-2")
    assert records["foo-2"].id.endswith(":foo-2-2") and records["foo-3"].id.endswith(":foo-3")
    store.close()


def test_a_first_sync_costs_about_the_same_statements_at_any_size(tmp_path: Path) -> None:
    counts = []
    for size in (200, 2000):
        store = StateStore(str(tmp_path / f"s{size}.sqlite3"), T0)
        statements: list[str] = []
        store.db.set_trace_callback(statements.append)
        store.sync(mixed(size), [], "example.org", T0)
        store.db.set_trace_callback(None)
        counts.append(sum(s.startswith("SELECT") for s in statements))
        store.close()
    # One by one, each article was looked up by its slug (2,000 look-ups); now 500 at a time.
    assert counts[1] < counts[0] + 2000 // 500 * 4, counts
